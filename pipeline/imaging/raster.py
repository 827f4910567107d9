"""Rasterise a scanned file page by page (never the whole document in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from pipeline.errors import ExternalToolError, InputFileError

A4_WIDTH_IN = 210 / 25.4


@dataclass(frozen=True)
class PageImage:
    index: int  # 0-based position in the file
    image: np.ndarray  # uint8 grayscale, text dark on white
    dpi: float  # pixels per inch of ``image``


def page_images(path: Path, media_type: str, *, dpi: int, max_pixels: int) -> Iterator[PageImage]:
    """Yield each page as grayscale at ``dpi`` (PDF) or its own resolution (images)."""
    if media_type == "application/pdf":
        yield from _pdf_pages(path, dpi=dpi)
    else:
        yield from _image_pages(path, max_pixels=max_pixels)


def single_page(path: Path, media_type: str, index: int, *, dpi: int, max_pixels: int) -> PageImage:
    """Only page ``index`` (0-based): what one fanned-out extraction task needs."""
    if media_type == "application/pdf":
        from pdf2image import convert_from_path

        images = convert_from_path(
            str(path),
            dpi=dpi,
            first_page=index + 1,
            last_page=index + 1,
            grayscale=True,
            timeout=120,
        )
        if not images:
            raise InputFileError(f"{path.name}: page {index + 1} could not be rasterised")
        return PageImage(index, _to_gray(images[0]), float(dpi))
    Image.MAX_IMAGE_PIXELS = max_pixels
    with Image.open(path) as im:
        frames = getattr(im, "n_frames", 1)
        if not 0 <= index < frames:
            raise InputFileError(f"{path.name} has no page {index + 1}")
        im.seek(index)
        frame = ImageOps.exif_transpose(im.copy()) or im.copy()
        dpi_value = _declared_dpi(frame) or min(frame.size) / A4_WIDTH_IN
        return PageImage(index, _to_gray(frame), float(dpi_value))


def _pdf_pages(path: Path, *, dpi: int) -> Iterator[PageImage]:
    from pdf2image import convert_from_path, pdfinfo_from_path
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError

    try:
        info = pdfinfo_from_path(str(path))
    except PDFInfoNotInstalledError as e:
        raise ExternalToolError("pdfinfo not found; install poppler-utils") from e
    except (PDFPageCountError, PDFSyntaxError) as e:
        raise InputFileError(f"{path.name}: cannot read the PDF ({e})") from e
    for number in range(1, int(info["Pages"]) + 1):
        images = convert_from_path(
            str(path), dpi=dpi, first_page=number, last_page=number, grayscale=True, timeout=120
        )
        if not images:
            raise InputFileError(f"{path.name}: page {number} could not be rasterised")
        yield PageImage(number - 1, _to_gray(images[0]), float(dpi))


def _image_pages(path: Path, *, max_pixels: int) -> Iterator[PageImage]:
    Image.MAX_IMAGE_PIXELS = max_pixels
    with Image.open(path) as im:
        frames = getattr(im, "n_frames", 1)
        for index in range(frames):
            im.seek(index)
            frame = ImageOps.exif_transpose(im.copy()) or im.copy()
            dpi = _declared_dpi(frame) or frame.size[0] / A4_WIDTH_IN
            # A page scanned in landscape still has its long side vertical once upright;
            # estimate DPI from the short side, which is the A4 width either way.
            if not frame.info.get("dpi"):
                dpi = min(frame.size) / A4_WIDTH_IN
            yield PageImage(index, _to_gray(frame), float(dpi))


def _declared_dpi(image: Image.Image) -> float | None:
    value = image.info.get("dpi")
    if not value:
        return None
    x = float(value[0]) if isinstance(value, tuple) else float(value)
    return x if 50 <= x <= 1200 else None


def _to_gray(image: Image.Image) -> np.ndarray:
    if image.mode in ("RGB", "RGBA", "P", "CMYK"):
        rgb = np.asarray(image.convert("RGB"))
        # Red ink (seals) disappears in the red channel; blend to keep pencil-grey text.
        return (0.6 * rgb[:, :, 0] + 0.3 * rgb[:, :, 1] + 0.1 * rgb[:, :, 2]).astype(np.uint8)
    return np.asarray(image.convert("L"), dtype=np.uint8).copy()
