"""A lone stroke in a row's years or number cell: a value only where its row is written.

A ruling's stub left in the empty third substitution row of a photographed (B) was read
as 1 by both engines and accepted (held-out seed 197, E197-0017 B.sub3_years): a year of
substitution the applicant never claimed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipeline.extract.crops import mm_to_px
from pipeline.extract.identify import blank_reference
from pipeline.extract.page_fields import STUB_JA, prepare_page_fields
from pipeline.extract.text_reading import TextPolicy, settle
from pipeline.forms.loader import load_templates
from tests.helpers.reads import P, T, reading

DPI = 200
# Form B with its third substitution row alone (the rest of the page is no part of it).
FORM_B = load_templates()[("B", 1)]
FORM_B = FORM_B.model_copy(
    update={"fields": [f for f in FORM_B.fields if f.group == "substitution" and f.row == 3]}
)


def _with_stub(page: np.ndarray) -> np.ndarray:
    """The years cell of row 3 with a vertical ruling's stub just inside its right edge."""
    frame = FORM_B.field("sub3_years").frame_mm
    x = mm_to_px(frame.right - 0.8, DPI)
    page[mm_to_px(frame.y + 0.5, DPI) : mm_to_px(frame.y + frame.h / 2, DPI), x : x + 3] = 0
    return page


def _pending_years(page: np.ndarray, blank: np.ndarray):  # type: ignore[no-untyped-def]
    _reads, pending = prepare_page_fields(page, FORM_B, DPI, blank=blank)
    return {item.spec.name: item for item in pending}["sub3_years"]


def test_a_stroke_alone_in_an_empty_row_goes_to_a_person_even_if_both_engines_read_1() -> None:
    blank = blank_reference(FORM_B, DPI)
    item = _pending_years(_with_stub(blank.copy()), blank)
    assert item.doubt_ja == STUB_JA
    read = settle(item, (reading(T, "1"), reading(P, "1")), TextPolicy(handwriting_threshold=0.99))
    assert read.status != "ok" and read.reason == STUB_JA


def test_a_stroke_in_a_written_row_is_its_1() -> None:
    blank = blank_reference(FORM_B, DPI)
    page = _with_stub(blank.copy())
    name = FORM_B.field("sub3_name").frame_mm
    top, left = mm_to_px(name.y + 2.0, DPI), mm_to_px(name.x + 3.0, DPI)
    for k in range(4):  # a written course name: four glyph-sized blocks
        page[top : top + 25, left + 35 * k : left + 35 * k + 25] = 0
    item = _pending_years(page, blank)
    assert item.doubt_ja is None
    read = settle(
        replace(item), (reading(T, "1"), reading(P, "1")), TextPolicy(handwriting_threshold=0.99)
    )
    assert read.status == "ok" and read.value == "1"
