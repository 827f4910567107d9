"""How extraction runs, built from the one settings object."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.config import Settings
from pipeline.extract.text_reading import TextPolicy


@dataclass(frozen=True)
class ExtractOptions:
    work_dpi: int
    max_residual_mm: float
    max_pixels: int
    text: TextPolicy = field(default_factory=TextPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractOptions:
        return cls(
            work_dpi=settings.ocr_dpi,
            max_residual_mm=settings.alignment_max_residual_mm,
            max_pixels=settings.max_image_pixels,
            text=TextPolicy(
                handwriting_threshold=settings.handwriting_threshold,
                ocr_cmd=settings.tesseract_cmd,
                handwritten_page_threshold=settings.handwritten_page_threshold,
                handwritten_page_margin=settings.handwritten_page_margin,
            ),
        )
