"""The blank's print followed across a fold's crease round a checkbox: a row the fold
sheared reads as what it is, and a mark is not taken for moved print."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.extract import crease_panels, marks
from pipeline.extract.crops import mm_to_px
from pipeline.forms.schema import FormTemplate
from tests.helpers.boxes import DPI, judge

ROW = [f"exp2_field_{n}" for n in range(1, 8)]


def sheared(blank: np.ndarray, form: FormTemplate, dx_mm: float) -> np.ndarray:
    """The page with everything below the middle of form B's second row of boxes moved
    ``dx_mm`` sideways (a folded panel that does not lie flat)."""
    box = form.field("exp2_field_1").box_mm
    at = mm_to_px(box.y + box.h / 2, DPI)
    page = blank.copy()
    moved = np.float32([[1, 0, mm_to_px(dx_mm, DPI)], [0, 1, 0]])
    lower = blank[at:]
    page[at:] = cv2.warpAffine(lower, moved, (lower.shape[1], lower.shape[0]), borderValue=255)
    return page


def tick(page: np.ndarray, form: FormTemplate, name: str) -> None:
    box = form.field(name).box_mm
    x, y, w, h = (mm_to_px(v, DPI) for v in (box.x, box.y, box.w, box.h))
    cv2.line(page, (x + 6, y + h // 2), (x + w // 3, y + h - 6), 0, 5)
    cv2.line(page, (x + w // 3, y + h - 6), (x + w - 4, y + 4), 0, 5)


def test_empty_boxes_of_a_row_a_fold_sheared_are_sure_empties(
    form_b: FormTemplate, blank_b: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Laid in one place the moved half of every ruling and side was ink crossing the
    box: the whole row went to a person."""
    page = sheared(blank_b, form_b, 1.0)
    reads = [judge(page, blank_b, form_b, name) for name in ROW]
    assert all((r.present, r.certain) == (False, True) for r in reads), reads
    monkeypatch.setattr(marks, "print_followed", lambda written, printed, *_, **__: printed)
    unfollowed = [judge(page, blank_b, form_b, name) for name in ROW]
    assert sum(not r.certain for r in unfollowed) >= 4


def lifted(page: np.ndarray, form: FormTemplate, above_mm: float) -> np.ndarray:
    """``page`` with the print of a strip above the middle of form B's second row of boxes
    light grey: the sheet lifted off the glass along the crease, out of focus."""
    box = form.field("exp2_field_1").box_mm
    at = mm_to_px(box.y + box.h / 2, DPI)
    out = page.copy()
    strip = out[at - mm_to_px(above_mm, DPI) : at].astype(np.float32)
    out[at - mm_to_px(above_mm, DPI) : at] = (255 - (255 - strip) * 0.3).astype(np.uint8)
    return out


def test_a_sheared_row_whose_print_the_crease_left_light_is_followed_by_its_faint_print(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Along a crease the print can come out lighter than ink: the panels are found from
    the faint print too, and the empty boxes are sure empties again; a tick still reads."""
    page = lifted(sheared(blank_b, form_b, 0.8), form_b, 2.6)
    tick(page, form_b, "exp2_field_2")
    reads = {name: judge(page, blank_b, form_b, name) for name in ROW}
    assert (reads["exp2_field_2"].present, reads["exp2_field_2"].certain) == (True, True)
    empties = [r for name, r in reads.items() if name != "exp2_field_2"]
    assert all((r.present, r.certain) == (False, True) for r in empties), empties


def test_a_tick_in_a_sheared_row_is_a_tick(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    page = sheared(blank_b, form_b, -1.0)
    tick(page, form_b, "exp2_field_4")
    read = judge(page, blank_b, form_b, "exp2_field_4")
    assert read.present
    assert all(not judge(page, blank_b, form_b, n).present for n in ROW if n != "exp2_field_4")


def test_print_shown_in_place_is_left_as_it_is(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    """A circle drawn tight round an unmoved box is no moved print."""
    page = blank_b.copy()
    box = form_b.field("exp2_field_3").box_mm
    x, y, w, h = (mm_to_px(v, DPI) for v in (box.x, box.y, box.w, box.h))
    cv2.ellipse(page, (x + w // 2, y + h // 2), (int(w * 0.62), int(h * 0.62)), 0, 0, 360, 0, 4)
    look = box.inset(-marks.LOOK_MM)
    written, printed = marks._masks(page, blank_b, look, DPI, (0.0, 0.0))
    inner = marks._sub_box(box, look, DPI)
    assert crease_panels.find_panels(written, printed, inner, DPI) is None
    read = judge(page, blank_b, form_b, "exp2_field_3")
    assert (read.present, read.certain) == (True, True)


def test_a_whole_box_off_its_place_is_not_followed(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Only the panel the box does not lie on may be followed: were the box's own panel
    moved, its inside would be judged where the box is not."""
    page = blank_b.copy()
    box = form_b.field("exp2_field_3").box_mm
    look = box.inset(-marks.LOOK_MM)
    moved = np.float32([[1, 0, mm_to_px(1.5, DPI)], [0, 1, 0]])
    page = cv2.warpAffine(blank_b, moved, (blank_b.shape[1], blank_b.shape[0]), borderValue=255)
    written, printed = marks._masks(page, blank_b, look, DPI, (0.0, 0.0))
    inner = marks._sub_box(box, look, DPI)
    assert crease_panels.find_panels(written, printed, inner, DPI) is None
