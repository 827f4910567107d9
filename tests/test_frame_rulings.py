"""A text crop runs between its frame's own rulings where the sheet stretches (issue 17).

A curled sheet moved the left end of a 122-mm frame millimetres away from its right
end; one offset for the frame cut the value's first glyph off (株式会社 → 式会社)."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.extract.crops import mm_to_px
from pipeline.extract.frame_rulings import side_shifts
from pipeline.extract.identify import blank_reference
from pipeline.extract.page_fields import prepare_page_fields
from pipeline.forms.loader import load_templates

DPI = 200
TEMPLATE = load_templates()[("C", 1)]
FIELD = "att1_contact"  # a long frame ruled on both sides, between a label and the margin
FRAME = TEMPLATE.field(FIELD).frame_mm
MOVED_MM = 4.0  # where the page shows the frame's left ruling, left of the blank's


def stretched(blank: np.ndarray) -> np.ndarray:
    """The frame's row stretched to the left: its left ruling ``MOVED_MM`` further left,
    its right ruling where it was, the label beside it shifted along."""
    top, bottom = mm_to_px(FRAME.y - 1.0, DPI), mm_to_px(FRAME.bottom + 1.0, DPI)
    left, right = mm_to_px(FRAME.x, DPI), mm_to_px(FRAME.right, DPI)
    moved = mm_to_px(MOVED_MM, DPI)
    cols = np.arange(blank.shape[1], dtype=np.float32)
    # Page column c shows blank column source(c): left - moved → left, right → right.
    source = np.where(
        cols < left - moved,
        cols + moved,
        np.where(
            cols < right,
            left + (cols - (left - moved)) * (right - left) / (right - left + moved),
            cols,
        ),
    ).astype(np.float32)
    band = blank[top:bottom]
    map_x = np.tile(source, (band.shape[0], 1))
    map_y = np.tile(np.arange(band.shape[0], dtype=np.float32)[:, None], (1, blank.shape[1]))
    page = blank.copy()
    page[top:bottom] = cv2.remap(band, map_x, map_y, cv2.INTER_LINEAR, borderValue=255)
    return page


def with_first_glyph(page: np.ndarray) -> np.ndarray:
    """A glyph-sized block of ink just inside the page's (moved) left ruling."""
    out = page.copy()
    x0 = mm_to_px(FRAME.x - MOVED_MM + 0.8, DPI)
    y0 = mm_to_px(FRAME.y + FRAME.h / 2 - 1.8, DPI)
    out[y0 : y0 + mm_to_px(3.6, DPI), x0 : x0 + mm_to_px(2.4, DPI)] = 0
    return out


def test_each_side_is_found_where_the_page_rules_it() -> None:
    blank = blank_reference(TEMPLATE, DPI)
    sides = side_shifts(stretched(blank), blank, FRAME, DPI, (0.0, 0.0))
    assert abs(sides.left + MOVED_MM) < 0.3
    assert abs(sides.right) < 0.3


def test_a_side_without_its_line_on_the_page_keeps_the_registered_offset() -> None:
    """A ruling the page does not show (a fold's lost strip) is not guessed at: the side
    stays where the frame's registration put it, and a glyph's stroke beside it, shorter
    than the cell, is not taken for the ruling."""
    blank = blank_reference(TEMPLATE, DPI)
    page = blank.copy()
    x = mm_to_px(FRAME.x, DPI)
    top, bottom = mm_to_px(FRAME.y - 1.0, DPI), mm_to_px(FRAME.bottom + 1.0, DPI)
    page[top:bottom, x - 4 : x + 5] = 255
    stroke_x = mm_to_px(FRAME.x + 1.5, DPI)
    page[
        mm_to_px(FRAME.y + 2.0, DPI) : mm_to_px(FRAME.bottom - 2.0, DPI), stroke_x : stroke_x + 3
    ] = 0
    sides = side_shifts(page, blank, FRAME, DPI, (0.7, 0.0))
    assert sides.left == 0.7


def test_the_value_s_first_glyph_stays_in_its_crop_on_a_stretched_sheet() -> None:
    blank = blank_reference(TEMPLATE, DPI)
    page = with_first_glyph(stretched(blank))
    _, pending = prepare_page_fields(page, TEMPLATE, DPI, blank=blank)
    by_name = {p.spec.name: p.cleaned for p in pending}
    assert FIELD in by_name, "the glyph fell outside the crop: the field read as empty"
    cleaned = by_name[FIELD]
    ink = cleaned.image < 128
    first_mm = ink[:, : cleaned.pad + round(4.0 * cleaned.px_per_mm)]
    # The whole block (2.4 × 3.6 mm) is in the crop, not a sliver of it.
    assert first_mm.sum() > 0.8 * (2.4 * 3.6) * cleaned.px_per_mm**2
