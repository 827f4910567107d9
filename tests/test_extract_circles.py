"""Circles drawn round checkboxes that touch other ink: a neighbour's circle, a line.

A circle round a box in a row often runs into the next box's circle: the two are one
piece of ink reaching far beyond either box, which alone is no sure mark. The round
curve about the box's centre within that ink is.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.extract.crops import mm_to_px
from pipeline.forms.schema import FormTemplate
from tests.helpers.boxes import DPI, judge, with_scan


def centre_and_side(template: FormTemplate, name: str) -> tuple[tuple[int, int], int]:
    box = template.field(name).box_mm
    return (
        (mm_to_px(box.x + box.w / 2, DPI), mm_to_px(box.y + box.h / 2, DPI)),
        mm_to_px(box.w, DPI),
    )


def test_two_circles_that_touch_each_mark_their_own_box(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Form B's first row of a grey photocopy (E23-0044, aligned, 300 dpi, cut at 128/75
    mm): boxes 1 and 2 are circled and the circles touch between them. Each went to a
    person as crossed by a line from outside; each is surely ticked by its own circle,
    and the empty boxes beside them stay surely empty."""
    page = with_scan(blank_b, "form_b_row1_circles_touching.png", 128, 75)
    for n in range(1, 8):
        read = judge(page, blank_b, form_b, f"exp1_field_{n}")
        assert (read.present, read.certain) == (n <= 2, True), n
        assert read.evidence is not None
        assert (read.evidence.crossed_by == "beside") == (n <= 2), n


def test_a_circle_joined_to_a_line_through_the_row_still_marks_its_box(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    page = blank_b.copy()
    (cx, cy), side = centre_and_side(form_b, "exp2_field_3")
    cv2.circle(page, (cx, cy), int(side * 0.75), 0, 4)
    top = cy - int(side * 0.75)
    cv2.line(page, (cx - 6 * side, top), (cx + 6 * side, top), 0, 4)
    read = judge(page, blank_b, form_b, "exp2_field_3")
    assert (read.present, read.certain) == (True, True)
    assert read.evidence is not None and read.evidence.crossed_by == "beside"


def test_an_empty_box_between_its_neighbours_circles_is_no_sure_mark(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Both neighbours circled with wide circles that reach into this box's surround and
    join across it: their arcs bow towards the box, but no round curve about its centre
    lies in them."""
    page = blank_b.copy()
    for name in ("exp2_field_2", "exp2_field_4"):
        centre, side = centre_and_side(form_b, name)
        cv2.circle(page, centre, int(side * 1.25), 0, 4)
    (cx, cy), side = centre_and_side(form_b, "exp2_field_3")
    cv2.line(page, (cx - 2 * side, cy - side), (cx + 2 * side, cy - side), 0, 4)
    read = judge(page, blank_b, form_b, "exp2_field_3")
    assert not (read.present and read.certain)
    assert read.evidence is not None and read.evidence.crossed_by != "beside"


def test_a_line_through_the_box_beside_a_circle_is_no_sure_mark(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A circle round the box, and a line that runs on through the box's inside: the line
    may be what was meant, or a stamp's ring; the circle alone does not settle it."""
    page = blank_b.copy()
    (cx, cy), side = centre_and_side(form_b, "exp2_field_5")
    cv2.circle(page, (cx, cy), int(side * 0.75), 0, 4)
    cv2.line(page, (cx - 6 * side, cy - 6 * side), (cx + 6 * side, cy + 6 * side), 0, 4)
    read = judge(page, blank_b, form_b, "exp2_field_5")
    assert not read.certain
