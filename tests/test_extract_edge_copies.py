"""A checkbox's edge a fold moved off its print is no mark; a circle's arc still is ink."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.extract import marks, stamps
from pipeline.extract.crops import mm_to_px
from pipeline.extract.edge_copies import moved_edges
from pipeline.forms.loader import load_templates
from pipeline.forms.render import render_blank_page_image
from pipeline.forms.schema import FormTemplate
from tests.helpers.boxes import DPI, judge, with_scan


def test_top_edges_a_fold_moved_leave_the_boxes_empty(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Form B's second row of a folded colour scan (E23-0036, aligned, 300 dpi, cut at
    128/92 mm): the crease runs along the boxes' tops and each top edge prints a little
    above the blank's. That edge, beyond the print, was ink near the box no mark explains:
    five of the seven empty boxes went to a person."""
    page = with_scan(blank_b, "form_b_row2_top_edges_moved.png", 128, 92)
    for n in range(1, 8):
        read = judge(page, blank_b, form_b, f"exp2_field_{n}")
        assert (read.present, read.certain) == (False, True), n


def test_a_circle_hugging_the_square_is_no_moved_edge(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Form B's first row of a curled, folded bitonal copy (E31-0050, aligned, 300 dpi,
    cut at 128/75 mm; the sheet lay 1.6 mm high there): box 4 is circled tight on its
    square, and beyond the print only two short, straight bits of the circle show, left
    and right of the box. Taken for moved edges, the box read surely empty."""
    page = with_scan(blank_b, "form_b_row1_circle_hugging_square.png", 128, 75)
    found = stamps.PageMarks.find(page, blank_b, DPI, form_b)
    box = form_b.field("exp1_field_4").box_mm
    read = marks.judge_checkbox_on_page(page, blank_b, box, DPI, found, start_mm=(0.34, -1.63))
    assert not (read.certain and not read.present)


def test_one_arc_of_a_circle_beside_a_side_is_no_moved_edge() -> None:
    """Form A's qualification boxes on a scan (E409-0031, aligned, 300 dpi, cut at 55/60
    mm; held out, seed 409): OMP circled thick and tight on its square. Beyond the print
    only the circle's left arc shows, nearly straight and as long as most of the side, and
    two short bits on the right; taken for a moved edge, the box read surely empty."""
    form_a = load_templates()[("A", 1)]
    blank = render_blank_page_image(form_a, DPI)
    page = with_scan(blank, "form_a_qual_omp_circled_tight.png", 55, 60)
    found = stamps.PageMarks.find(page, blank, DPI, form_a)
    box = form_a.field("qual_omp").box_mm
    read = marks.judge_checkbox_on_page(page, blank, box, DPI, found, start_mm=(0.17, 0.03))
    assert not (read.certain and not read.present)


def _box_and_ink(size: int = 48) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A 4 mm box's inside (x, y, w, h) in the middle of an empty look."""
    ink = np.zeros((size * 3, size * 3), np.uint8)
    return ink, (size, size, size, size)


def test_a_straight_line_along_a_side_is_a_moved_edge() -> None:
    ink, box = _box_and_ink()
    x, y, w, _ = box
    above = y - mm_to_px(0.6, DPI)
    cv2.line(ink, (x + 4, above), (x + w - 4, above + 1), 255, 3)
    assert moved_edges(ink, box, DPI).any()


def test_a_circles_arc_over_the_side_is_no_moved_edge() -> None:
    """A circle hugging the square bends a third of a millimetre over the side's length."""
    ink, box = _box_and_ink()
    x, y, w, h = box
    radius = mm_to_px(3.1, DPI)
    centre = (x + w // 2, y + h // 2)
    cv2.ellipse(ink, centre, (radius, radius), 0, 235, 305, 255, 3)
    assert cv2.countNonZero(ink) > 0
    assert not moved_edges(ink, box, DPI).any()


def test_a_line_into_the_box_is_no_moved_edge() -> None:
    ink, box = _box_and_ink()
    x, y, w, h = box
    cv2.line(ink, (x - 10, y + h // 2), (x + w // 2, y + h // 2), 255, 3)
    assert not moved_edges(ink, box, DPI).any()


def test_a_short_stroke_beside_the_box_is_no_moved_edge() -> None:
    ink, box = _box_and_ink()
    x, y, w, _ = box
    cv2.line(ink, (x + 4, y - 8), (x + w // 3, y - 8), 255, 3)
    assert not moved_edges(ink, box, DPI).any()


def test_straight_bits_beside_two_sides_are_no_moved_edge() -> None:
    """A circle hugging the square shows beyond the print as short straight arcs beside
    opposite sides; a fold moves one edge."""
    ink, box = _box_and_ink()
    x, y, w, h = box
    for left in (x - 8, x + w + 8):
        cv2.line(ink, (left, y + 6), (left, y + h - 6), 255, 3)
    assert not moved_edges(ink, box, DPI).any()
