"""Is the ink where, and as large as, the PC-filled form would print this reading?

A value typed into the downloadable form sits at a fixed place in its box, in
the field's font size (``forms.layout``). Handwriting lands wherever the pen
put it, larger and on a wandering baseline. Comparing the ink's bounding box
with the re-printed reading's catches handwriting that re-draws well (single
digits, neat hands) and misreads that change the text's extent.

Only the edges a faithful reading fixes are compared: the anchor (left edge,
or centre for centred fields), the top and the bottom. The right edge is not:
OCR drops spaces, which shortens the reading but not the ink.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from PIL import ImageFont

from pipeline.forms.layout import BASELINE_AT, PT_PER_MM, typed_placement
from pipeline.forms.schema import FieldSpec

METRIC_SIZE = 100  # px: glyph metrics are read at this size and scaled

# Tolerances in mm, from typed fields read correctly on the synthetic corpus
# (anchor -0.22..+1.22 mm after the offset, top -0.19..+0.20, bottom -0.25..+0.14;
# 419 fields over every scan type), widened a little.
LEFT_OFFSET_MM = 0.35  # glyph side bearings and ruling removal start the ink later
LEFT_RANGE_MM = (-0.35, 1.3)
CENTRE_MM = 0.6
TOP_MM = 0.3
# Pen strokes hang below the printed baseline: a low bottom edge is the surest sign
# (typed at most +0.14 mm, handwriting that re-drew well +0.22 mm and more). A high one
# is a typed descender lost on the scan: a year-month's slash faded at 200 dpi sat
# -0.36 mm on two corpora.
BOTTOM_RANGE_MM = (-0.42, 0.18)


@dataclass(frozen=True)
class Placement:
    anchor_mm: float  # left edge (or centre) of the ink minus where the print would put it
    top_mm: float
    bottom_mm: float
    font: str
    centred: bool

    @property
    def fits(self) -> bool:
        if self.centred:
            anchored = abs(self.anchor_mm) <= CENTRE_MM
        else:
            anchored = LEFT_RANGE_MM[0] <= self.anchor_mm <= LEFT_RANGE_MM[1]
        low, high = BOTTOM_RANGE_MM
        return anchored and abs(self.top_mm) <= TOP_MM and low <= self.bottom_mm <= high

    def shifted(self, dx_mm: float, dy_mm: float) -> Placement:
        """Judged against a page whose typed ink sits (dx, dy) off the print."""
        return replace(
            self,
            anchor_mm=self.anchor_mm - dx_mm,
            top_mm=self.top_mm - dy_mm,
            bottom_mm=self.bottom_mm - dy_mm,
        )

    def worst(self) -> float:
        return max(abs(self.anchor_mm), abs(self.top_mm), abs(self.bottom_mm))


@lru_cache(maxsize=8)
def _font(path: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, METRIC_SIZE)


def _expected_box(text: str, spec: FieldSpec, font_path: str) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) in mm from the box's top-left, of the printed text's ink."""
    font = _font(font_path)
    place = typed_placement(spec, font.getlength(text) / METRIC_SIZE)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    mm_per_unit = place.size_pt / PT_PER_MM / METRIC_SIZE
    return (
        place.x_mm + left * mm_per_unit,
        place.baseline_mm + top * mm_per_unit,
        place.x_mm + right * mm_per_unit,
        place.baseline_mm + bottom * mm_per_unit,
    )


def check_placement(
    binary: np.ndarray,
    text: str,
    spec: FieldSpec,
    font_paths: tuple[str, ...],
    *,
    px_per_mm: float,
    pad: int,
) -> Placement | None:
    """How far the ink of ``binary`` (black on white, padded) sits from the printed reading.

    None when it can't be judged: no ink, no reading or no fonts. In fields with
    printed per-character cells each character is judged centred in its cell.
    """
    compact = "".join(text.split())
    if not compact or not font_paths or px_per_mm <= 0:
        return None
    ink = binary < 128
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    if not len(rows):
        return None
    if spec.cells:
        return _check_cells(ink, compact, spec, font_paths, px_per_mm=px_per_mm, pad=pad)
    seen = (
        (cols.min() - pad) / px_per_mm,
        (rows.min() - pad) / px_per_mm,
        (cols.max() + 1 - pad) / px_per_mm,
        (rows.max() + 1 - pad) / px_per_mm,
    )
    best: Placement | None = None
    for path in font_paths:
        want = _expected_box(compact, spec, path)
        centred = spec.align == "center"
        anchor = (
            (seen[0] + seen[2] - want[0] - want[2]) / 2
            if centred
            else seen[0] - want[0] - LEFT_OFFSET_MM
        )
        found = Placement(anchor, seen[1] - want[1], seen[3] - want[3], path, centred)
        if best is None or found.worst() < best.worst():
            best = found
    return best


def _check_cells(
    ink: np.ndarray,
    text: str,
    spec: FieldSpec,
    font_paths: tuple[str, ...],
    *,
    px_per_mm: float,
    pad: int,
) -> Placement | None:
    """The worst cell: each character printed centred in its own cell, in the field's size."""
    step = spec.frame_mm.w / (spec.cells or 1)
    first = spec.frame_mm.x - spec.box_mm.x  # cell 0's left edge, from the box's
    size_mm = spec.font_pt / PT_PER_MM
    baseline = (spec.box_mm.h - size_mm) / 2 + BASELINE_AT * size_mm
    worst: Placement | None = None
    for k, ch in enumerate(text[: spec.cells]):
        left = first + k * step
        x0 = max(0, round(pad + left * px_per_mm))
        x1 = min(ink.shape[1], round(pad + (left + step) * px_per_mm))
        cell = ink[:, x0:x1]
        rows, cols = np.nonzero(cell.any(axis=1))[0], np.nonzero(cell.any(axis=0))[0]
        if not len(cols):
            return Placement(step, 0.0, 0.0, "", True)  # a character read where no ink is
        seen_centre = (x0 + (cols.min() + cols.max() + 1) / 2 - pad) / px_per_mm
        seen_top = (rows.min() - pad) / px_per_mm
        seen_bottom = (rows.max() + 1 - pad) / px_per_mm
        best: Placement | None = None
        for path in font_paths:
            font = _font(path)
            mm_per_unit = size_mm / METRIC_SIZE
            g_left, g_top, g_right, g_bottom = font.getbbox(ch, anchor="ls")
            start = left + (step - font.getlength(ch) * mm_per_unit) / 2
            found = Placement(
                seen_centre - (start + (g_left + g_right) / 2 * mm_per_unit),
                seen_top - (baseline + g_top * mm_per_unit),
                seen_bottom - (baseline + g_bottom * mm_per_unit),
                path,
                True,
            )
            if best is None or found.worst() < best.worst():
                best = found
        if best is not None and (worst is None or best.worst() > worst.worst()):
            worst = best
    return worst
