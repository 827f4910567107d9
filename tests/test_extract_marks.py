"""Checkboxes, signatures and seals on pages drawn from the blank forms.

A mark is ink made for the box, inside it, where the box really is; a stamp, a
line crossing the box or a box that cannot be found is never a sure mark.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from pipeline.extract import faint_ink, marks, stamps, writing
from pipeline.extract.box_darkness import hold_dark_empties
from pipeline.extract.crops import cut, mm_to_px
from pipeline.extract.reading import MarkEvidence
from pipeline.extract.shown_square import SIDE_FOUND_SHARE, shown_square, weakest_side
from pipeline.forms.loader import load_templates
from pipeline.forms.render import render_blank_page_image
from pipeline.forms.schema import Box, FormTemplate
from pipeline.imaging.local import find_local_warp
from pipeline.imaging.raster import split_red
from pipeline.vocabulary import FieldStatus
from tests.helpers.boxes import DPI, judge, with_scan
from tests.helpers.reads import field as read_as


def px(box: Box) -> tuple[int, int, int, int]:
    return (
        mm_to_px(box.x, DPI),
        mm_to_px(box.y, DPI),
        mm_to_px(box.w, DPI),
        mm_to_px(box.h, DPI),
    )


def tick(page: np.ndarray, box: Box, offset: tuple[int, int] = (0, 0)) -> None:
    x, y, w, h = px(box)
    x, y = x + offset[0], y + offset[1]
    cv2.line(page, (x + 4, y + h // 2), (x + w // 3, y + h - 4), 0, 5)
    cv2.line(page, (x + w // 3, y + h - 4), (x + w + 6, y - 8), 0, 5)  # overshooting a little


def test_ticked_empty_doubtful_and_circled(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    page = blank_b.copy()
    tick(page, form_b.field("exp1_field_1").box_mm)
    x, y, w, h = px(form_b.field("exp1_field_3").box_mm)
    cv2.line(page, (x + w // 2, y + h // 2), (x + w // 2 + 12, y + h // 2), 0, 6)  # a smudge
    x, y, w, h = px(form_b.field("exp1_field_4").box_mm)
    cv2.ellipse(page, (x + w // 2, y + h // 2), (int(w * 0.8), int(h * 0.75)), 0, 0, 360, 0, 4)
    ticked = judge(page, blank_b, form_b, "exp1_field_1")
    empty = judge(page, blank_b, form_b, "exp1_field_2")
    doubtful = judge(page, blank_b, form_b, "exp1_field_3")
    circled = judge(page, blank_b, form_b, "exp1_field_4")
    assert (ticked.present, ticked.certain) == (True, True)
    assert (empty.present, empty.certain) == (False, True)
    assert not doubtful.certain
    assert (circled.present, circled.certain) == (True, True)


@pytest.mark.parametrize(("grow", "thick"), [(0, 2), (1, 3)])
def test_a_circle_touching_the_printed_square_is_a_sure_mark(
    form_b: FormTemplate, blank_b: np.ndarray, grow: int, thick: int
) -> None:
    """○ drawn on the printed square, touching its four sides, is seen only between them
    (about half the directions round the box: a person was asked): still one round curve
    about the box's centre, and the square hides it exactly where it is not seen."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp1_field_2").frame_mm)
    cv2.ellipse(page, (x + w // 2, y + h // 2), (w // 2 + grow, h // 2 + grow), 0, 0, 360, 0, thick)
    read = judge(page, blank_b, form_b, "exp1_field_2")
    assert (read.present, read.certain) == (True, True)


CIRCLES_INSIDE_ROW = Path(__file__).parent / "fixtures" / "scans" / "form_b_row3_circles_inside.png"


def test_a_circle_drawn_inside_the_square_of_a_scan_is_a_sure_mark(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Form B's third row of a colour scan (E11-0019, aligned, 300 dpi, cut at 127.07/111
    mm): ○ drawn inside the printed square of boxes 2, 5 and 7, touching its sides from
    within, shows only in the square's corners, a quarter of the directions round the
    box, under the third of them that asked for the curve. Box 2's four corner arcs lie
    on one round curve the square hides everywhere else: a sure mark. The empty boxes of
    the row stay empty."""
    page = blank_b.copy()
    row = cv2.imread(str(CIRCLES_INSIDE_ROW), cv2.IMREAD_GRAYSCALE)
    x, y = mm_to_px(127.07, DPI), mm_to_px(111.0, DPI)
    page[y : y + row.shape[0], x : x + row.shape[1]] = row
    # Registered where the nightly run found it (0.17 mm left, 0.08 mm up): a pixel
    # either way, more of the circle shows clear of the square and the test is not needed.
    found = stamps.PageMarks.find(page, blank_b, DPI, form_b)
    box = form_b.field("exp3_field_2").box_mm
    read = marks.judge_checkbox_on_page(page, blank_b, box, DPI, found, start_mm=(0.0, -0.085))
    assert read.evidence is not None and read.evidence.shift_mm[1] < 0
    assert (read.present, read.certain) == (True, True)
    for n in (1, 3, 4, 6):
        assert not judge(page, blank_b, form_b, f"exp3_field_{n}").present, n


def test_lone_specks_round_an_empty_box_leave_it_surely_empty(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Speckle (E23-0032): dots a few tenths of a millimetre across, one inside the
    box and the rest in its surround, kept the box from being surely empty. Dots standing
    alone are no mark; a circle broken into dots, each next to the next, still is no
    sure empty."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp5_field_7").box_mm)
    for dx, dy in ((w // 3, h // 2), (-14, h + 10), (w + 12, -10), (w // 2, -14), (-12, h // 3)):
        cv2.circle(page, (x + dx, y + dy), 3, 0, -1)
    read = judge(page, blank_b, form_b, "exp5_field_7")
    assert (read.present, read.certain) == (False, True)
    dotted = blank_b.copy()
    x, y, w, h = px(form_b.field("exp5_field_6").box_mm)
    for angle in range(0, 360, 12):
        a = np.deg2rad(angle)
        centre = (round(x + w / 2 + 0.62 * w * np.cos(a)), round(y + h / 2 + 0.62 * h * np.sin(a)))
        cv2.circle(dotted, centre, 2, 0, -1)
    broken = judge(dotted, blank_b, form_b, "exp5_field_6")
    assert broken.present or not broken.certain


@pytest.mark.parametrize("arc", [(0, 180), (90, 270), (200, 340), (30, 150)])
def test_part_of_a_circle_round_an_empty_box_is_no_sure_mark(
    form_b: FormTemplate, blank_b: np.ndarray, arc: tuple[int, int]
) -> None:
    """Half a circle (a stroke from a neighbour, a stamp's edge) lies on a round curve
    about the box too, but where it is missing nothing printed hides it."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp1_field_2").box_mm)
    centre, axes = (x + w // 2, y + h // 2), (int(w * 0.8), int(h * 0.75))
    cv2.ellipse(page, centre, axes, 0, arc[0], arc[1], 0, 4)
    read = judge(page, blank_b, form_b, "exp1_field_2")
    assert not (read.certain and read.present)


@pytest.mark.parametrize("ticked", [False, True])
def test_a_box_a_third_of_a_millimetre_off_and_blurred_is_judged_on_its_own_print(
    form_b: FormTemplate, blank_b: np.ndarray, ticked: bool
) -> None:
    box = form_b.field("exp2_field_2").box_mm
    page = np.full_like(blank_b, 255)
    off = (mm_to_px(0.17, DPI), mm_to_px(0.34, DPI))
    page[off[1] :, off[0] :] = blank_b[: blank_b.shape[0] - off[1], : blank_b.shape[1] - off[0]]
    if ticked:
        tick(page, box, off)
    page = cv2.erode(cv2.GaussianBlur(page, (0, 0), 1.6), np.ones((2, 2), np.uint8))
    shift, shown = marks.register_box(page, blank_b, box.inset(-marks.AROUND_MM), DPI)
    assert abs(shift[0] - 0.17) < 0.1 and abs(shift[1] - 0.34) < 0.1 and shown > 0.8
    read = judge(page, blank_b, form_b, "exp2_field_2")
    assert (read.present, read.certain) == (ticked, True)


def stamp(page: np.ndarray, centre: tuple[int, int], value: int) -> None:
    """A round received stamp: a ring, a bar, the date, in one tone."""
    cv2.circle(page, centre, mm_to_px(12, DPI), value, 6)
    cx, cy = centre
    cv2.line(page, (cx - 120, cy - 25), (cx + 120, cy - 25), value, 4)
    cv2.putText(page, "6.03", (cx - 70, cy + 40), cv2.FONT_HERSHEY_SIMPLEX, 2.2, value, 6)


def test_a_received_stamp_over_empty_boxes_never_reads_as_ticks(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp4_field_3").box_mm)
    stamp(page, (x + w // 2, y + h // 2), 70)  # grey in a mono scan, over the boxes
    names = [f"exp4_field_{k}" for k in range(1, 8)]
    reads = {name: judge(page, blank_b, form_b, name) for name in names}
    sure_ticks = [n for n, r in reads.items() if r.present and r.certain]
    assert sure_ticks == []
    under = reads["exp4_field_3"]
    assert not under.certain and under.evidence is not None
    # Centred on the row, the stamp is cut by the boxes' print into arcs too small to be
    # found as a stamp; its bar and ring still cross the boxes, which is doubt enough.
    assert under.evidence.crossed_by in ("stamp", "line")
    far = judge(page, blank_b, form_b, "exp8_field_7")
    assert (far.present, far.certain) == (False, True)  # boxes away from it are judged


def test_a_line_crossing_a_box_is_no_tick(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp5_field_2").box_mm)
    cv2.line(page, (x - 150, y + h // 2 - 20), (x + w + 150, y + h // 2 + 10), 0, 4)  # a tail
    read = judge(page, blank_b, form_b, "exp5_field_2")
    assert not read.certain
    assert read.evidence is not None and read.evidence.crossed_by == "line"


def crease(page: np.ndarray, row: int, inside: tuple[int, int] | None = None) -> None:
    """A fold's crease: faint across the sheet, darker where it crosses a box's white
    inside (``inside``: that box's x and width)."""
    faint = page[row - 2 : row + 2, :].astype(np.int16) - 60
    page[row - 2 : row + 2, :] = np.clip(faint, 0, 255).astype(np.uint8)
    if inside is not None:
        page[row - 2 : row + 2, inside[0] : inside[0] + inside[1]] = 60


def test_a_fold_crease_across_an_empty_box_is_taken_away(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A crease crosses the box and carries on as one thin straight line: it is taken
    away, and the box, empty without it, is surely empty (and says why)."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp2_field_3").box_mm)
    crease(page, y + h // 2, (x, w))
    read = judge(page, blank_b, form_b, "exp2_field_3")
    assert (read.present, read.certain) == (False, True)
    assert read.evidence is not None and read.evidence.crossed_by == "crease"


def test_a_tick_on_a_crease_is_still_a_tick(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    page = blank_b.copy()
    box = form_b.field("exp2_field_3").box_mm
    x, y, w, h = px(box)
    crease(page, y + h // 2, (x, w))
    tick(page, box)
    read = judge(page, blank_b, form_b, "exp2_field_3")
    assert read.present
    assert not (read.certain and not read.present)


def test_empty_boxes_a_fold_squashed_are_no_sure_ticks(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Form B's second row of a colour scan folded across it (aligned, 300 dpi, cut at
    128/92 mm): the fold hides a strip of each box and its shadow lies over the row.
    With the crease taken away the box's own displaced edge is left inside it and
    reads as a mark: four empty boxes were sure ticks. The squashed box is told by its
    top edge, which the page does not show where the other three put it."""
    page = with_scan(blank_b, "form_b_row2_folded.png", 128, 92)
    empty = {1, 2, 3, 5, 6}
    for n in range(1, 8):
        read = judge(page, blank_b, form_b, f"exp2_field_{n}")
        assert not (read.certain and read.present != (n not in empty)), n
        if n in empty and read.present:
            assert read.doubt_ja is not None and "ずれ" in read.doubt_ja


@pytest.mark.parametrize("ticked", [False, True])
def test_a_box_with_one_edge_moved_is_judged_inside_the_square_it_shows(
    form_b: FormTemplate, blank_b: np.ndarray, ticked: bool
) -> None:
    """Buckled paper: the printed square's top edge lies 1.2 mm low, inside the box, and
    no crease shows. Most of the print is where it should be, but not that edge: the
    moved edge is no mark (it was a sure tick before the edge was looked for), and a tick
    inside the square the page shows is one."""
    page = blank_b.copy()
    spec = form_b.field("exp5_field_4")
    x, y, w, _ = px(spec.frame_mm)
    edge = page[y - 3 : y + 4, x : x + w + 1].copy()
    page[y - 3 : y + 4, x : x + w + 1] = 255
    low = mm_to_px(1.2, DPI)
    page[y - 3 + low : y + 4 + low, x : x + w + 1] = edge
    if ticked:
        bx, by, bw, bh = px(spec.box_mm)
        cv2.line(page, (bx + 8, by + bh // 2 + 4), (bx + bw // 3, by + bh - 6), 0, 5)
        cv2.line(page, (bx + bw // 3, by + bh - 6), (bx + bw - 6, by + low + 10), 0, 5)
    box = spec.box_mm
    shift, _ = marks.register_box(page, blank_b, box.inset(-marks.AROUND_MM), DPI)
    assert weakest_side(page, blank_b, box, DPI, shift) < SIDE_FOUND_SHARE
    assert weakest_side(blank_b, blank_b, box, DPI, (0.0, 0.0)) > 0.9
    read = judge(page, blank_b, form_b, "exp5_field_4")
    assert (read.present, read.certain) == (ticked, True)
    assert read.evidence is not None and read.evidence.squashed
    assert not judge(blank_b.copy(), blank_b, form_b, "exp5_field_4").evidence.squashed  # type: ignore[union-attr]


def test_a_line_that_carries_on_past_the_box_is_none_of_its_edges(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """The square's top edge is gone and a crease runs across the box a millimetre below
    it and on past both corners: that line is not the square's edge, so the square is
    not found and nothing is judged inside it."""
    page = blank_b.copy()
    spec = form_b.field("exp5_field_4")
    x, y, w, _ = px(spec.frame_mm)
    page[y - 3 : y + 4, x - 2 : x + w + 3] = 255
    low = mm_to_px(1.0, DPI)
    cv2.line(page, (x - mm_to_px(6, DPI), y + low), (x + w + mm_to_px(6, DPI), y + low), 0, 3)
    assert shown_square(page, blank_b, spec.box_mm, DPI, (0.0, 0.0)) is None
    whole = shown_square(blank_b, blank_b, spec.box_mm, DPI, (0.0, 0.0))
    assert whole is not None and min(whole.edges_shown) > 0.9 and whole.inside == 0.0


def test_boxes_a_fold_squashed_are_judged_inside_the_square_the_page_shows(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Form B's second row of a bitonal scan folded across it (E11-0042, aligned, 300
    dpi, cut at 128/92 mm): the fold hid a strip of every box, each square is a third
    shorter than printed, and its bottom edge lies inside where the blank puts it. Boxes
    1 and 4 are ticked, 3 is empty: all three went to a person (a moved edge); found
    edge by edge, their squares say so surely. The other boxes stay surely empty."""
    page = with_scan(blank_b, "form_b_row2_squashed.png", 128, 92)
    for n in range(1, 8):
        read = judge(page, blank_b, form_b, f"exp2_field_{n}")
        assert (read.present, read.certain) == (n in (1, 4), True), n
        assert read.evidence is not None and read.evidence.squashed == (n in (1, 3, 4)), n


def test_a_circle_joined_to_a_crease_is_no_sure_empty(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp2_field_5").box_mm)
    crease(page, y + h // 2)
    cv2.circle(page, (x + w // 2, y + h // 2), int(w * 0.75), 0, 4)
    read = judge(page, blank_b, form_b, "exp2_field_5")
    assert read.present or not read.certain


def test_a_circle_round_a_box_in_a_fold_sheared_row_is_no_sure_empty(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A fold shears the sheet across a row: above it the rulings and the box's upper
    edges sit 0.6 mm aside. A circle drawn round the box touches those moved rulings and
    joins them into one piece that reaches beyond the box; that piece runs mostly along
    the print, but it is a circle and the box may not be read as surely empty (dropping
    pieces that lie near the print and along it read this box as a sure blank)."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp2_field_3").box_mm)
    cut_at = y + h // 3
    moved = np.float32([[1, 0, mm_to_px(0.6, DPI)], [0, 1, mm_to_px(0.4, DPI)]])
    upper = blank_b[:cut_at]
    page[:cut_at] = cv2.warpAffine(upper, moved, (upper.shape[1], cut_at), borderValue=255)
    cv2.ellipse(page, (x + w // 2, y + h // 2), (int(w * 0.85), int(h * 0.8)), 0, 0, 360, 0, 4)
    read = judge(page, blank_b, form_b, "exp2_field_3")
    assert read.present or not read.certain


def test_empty_boxes_across_a_soft_crease_are_followed_and_sure(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A soft fold: above a crease through the row the sheet lies 1.7 mm aside and 1 mm
    low, and the rulings bend over into it across 1.6 mm, not half a millimetre (E31-0044,
    E31-0012: every empty box of the row was "crossed"). The panels are still found when
    the fit leaves out the wider blend, and the empty boxes are surely empty."""
    _x, y, _w, h = px(form_b.field("exp2_field_3").box_mm)
    crease_at, half = y + h // 3, mm_to_px(0.8, DPI)
    rows = np.arange(blank_b.shape[0], dtype=np.float32)
    above = np.clip((crease_at + half - rows) / (2 * half), 0.0, 1.0)  # 1 above, 0 below
    map_y, map_x = np.indices(blank_b.shape, dtype=np.float32)
    map_x -= above[:, None] * mm_to_px(1.7, DPI)
    map_y -= above[:, None] * mm_to_px(1.0, DPI)
    page = cv2.remap(blank_b, map_x, map_y, cv2.INTER_LINEAR, borderValue=255)
    for n in (2, 3, 4, 5):
        read = judge(page, blank_b, form_b, f"exp2_field_{n}")
        assert (read.present, read.certain) == (False, True), n


def test_a_bent_line_across_a_box_is_no_crease(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    """Only one thin straight line is taken away: a faint line that bends (a curled
    sheet's shadow, a stroke carrying on from a neighbour) keeps the box uncertain."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp5_field_2").box_mm)
    pts = np.array([(x - 150, y + h // 2), (x + w // 2, y + h // 2 + 25), (x + w + 150, y)])
    cv2.polylines(page, [pts.reshape(-1, 1, 2).astype(np.int32)], False, 190, 4)
    cv2.line(page, (x, y + h // 2 + 15), (x + w // 2, y + h // 2 + 25), 60, 4)  # dark inside
    read = judge(page, blank_b, form_b, "exp5_field_2")
    assert not read.certain
    assert read.evidence is not None and read.evidence.crossed_by == "line"


def test_a_box_the_page_does_not_show_is_uncertain(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp6_field_5").box_mm.inset(-1.5))
    page[y : y + h, x : x + w] = 255  # faded away on a copy of a copy
    read = judge(page, blank_b, form_b, "exp6_field_5")
    assert not read.certain
    assert read.evidence is not None and not read.evidence.box_found


def test_a_fold_displacing_the_lower_third_is_undone_before_boxes_are_judged(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Folded in three: the lower panel sits 2.5 mm right and 1.5 mm down of where the
    corner marks put it; without the local correction its empty boxes' print reads as
    ink beside the boxes."""
    page = blank_b.copy()
    crease = mm_to_px(198, DPI)
    dx, dy = mm_to_px(2.5, DPI), mm_to_px(1.5, DPI)
    lower = blank_b[crease:].copy()
    page[crease:] = 255
    page[crease + dy :, dx:] = lower[: lower.shape[0] - dy, : lower.shape[1] - dx]
    warp = find_local_warp(page, blank_b, DPI)
    offset = warp.at(150.0, 250.0)
    assert abs(offset[0] - 2.5) < 0.4 and abs(offset[1] - 1.5) < 0.4
    assert abs(warp.at(100.0, 60.0)[0]) < 0.3  # the upper panel stays where it was
    found = stamps.PageMarks.find(page, blank_b, DPI, form_b, local=warp)
    lower = [f for f in form_b.fields if f.kind == "checkbox" and f.box_mm.y > 200]
    assert lower
    for field in lower:
        box = field.box_mm
        start = warp.at(box.x + box.w / 2, box.y + box.h / 2)
        read = marks.judge_checkbox_on_page(page, blank_b, box, DPI, found, start_mm=start)
        assert (read.present, read.certain) == (False, True), field.name
    # Without the sheet's local offset the boxes lie beyond the 1.5-mm search: not sure.
    box = lower[0].box_mm
    unfixed = marks.judge_checkbox_on_page(page, blank_b, box, DPI, found)
    assert not unfixed.certain


def test_red_ink_is_dropped_from_the_grey_and_kept_for_seals() -> None:
    rgb = np.full((60, 60, 3), 245, np.uint8)
    rgb[10:20, 10:50] = (200, 30, 40)  # vermilion
    rgb[30:40, 10:50] = (20, 20, 30)  # black toner
    rgb[45:50, 10:50] = (30, 40, 160)  # blue ballpoint
    grey, red = split_red(Image.fromarray(rgb))
    assert grey[15, 30] > 180  # the stamp's red is (nearly) paper in the grey
    assert grey[35, 30] < 60 and grey[47, 30] < 80  # black and blue stay ink
    assert red is not None and red[15, 30] == 255 and red[35, 30] == 0
    grey_only, none = split_red(Image.fromarray(rgb[:, :, 0]))
    assert none is None and grey_only.shape == (60, 60)


def test_a_red_seal_counts_in_its_box(blank_b: np.ndarray) -> None:
    template = load_templates()[("A", 1)]
    blank = render_blank_page_image(template, DPI)
    spec = template.field("seal")
    x, y, w, h = px(spec.box_mm)
    red = np.zeros_like(blank)
    cv2.circle(red, (x + w // 2, y + h // 2), min(w, h) // 3, 255, 6)
    without = writing.judge_writing(blank, blank, spec, DPI)
    with_seal = writing.judge_writing(blank, blank, spec, DPI, red=red)
    assert not without.present
    assert with_seal.present and with_seal.certain


def test_signature_presence_by_ink() -> None:
    template = load_templates()[("D", 1)]
    blank = render_blank_page_image(template, DPI)
    spec = template.field("signature")
    x, y, _w, h = px(spec.box_mm)
    signed = blank.copy()
    points = np.array(
        [[x + 20 + i * 16, y + h // 2 + int(20 * np.sin(i))] for i in range(25)], np.int32
    )
    cv2.polylines(signed, [points], False, 0, 4)
    assert writing.judge_writing(signed, blank, spec, DPI).present
    unsigned = writing.judge_writing(blank, blank, spec, DPI)
    assert not unsigned.present and unsigned.certain


@pytest.mark.parametrize("name", ["seal", "signature"])
@pytest.mark.parametrize("edge", [0.5, 0.0])
def test_a_shadow_over_an_empty_box_is_no_writing(name: str, edge: float) -> None:
    """A phone photograph of an unsigned (D) (E179-0039): the phone's shadow lies over the
    seal box, its paper mid grey (133, ±10 of noise), and the empty seal was read sealed.
    Judged against its own paper, the box is empty, whether the shadow's edge crosses it
    (``edge``: where, as a share of its width) or covers it whole; writing in the shadow
    counts."""
    template = load_templates()[("D", 1)]
    blank = render_blank_page_image(template, DPI)
    spec = template.field(name)
    x, y, w, h = px(spec.box_mm)
    page = (blank.astype(np.float32) * 215 / 255).astype(np.uint8)
    shade = np.ones_like(page, np.float32)
    shade[:, x + int(edge * w) :] = 133 / 215
    shade = cv2.GaussianBlur(shade, (0, 0), 6)
    noise = np.random.default_rng(5).normal(0, 5, page.shape)
    page = np.clip(page * shade + noise, 0, 255).astype(np.uint8)
    empty = writing.judge_writing(page, blank, spec, DPI)
    assert not empty.present and empty.certain
    written = page.copy()
    cv2.circle(written, (x + 3 * w // 4, y + h // 2), min(w // 4, h // 3), 20, 6)
    assert writing.judge_writing(written, blank, spec, DPI).present


def rect_stamp(page: np.ndarray, centre: tuple[int, int], value: int) -> None:
    """A large rectangular received stamp, 34 x 24 mm: a frame and two lines of text."""
    cx, cy = centre
    half_w, half_h = mm_to_px(17, DPI), mm_to_px(12, DPI)
    cv2.rectangle(page, (cx - half_w, cy - half_h), (cx + half_w, cy + half_h), value, 7)
    for dy, text in ((-30, "UKE"), (50, "6.6.10")):  # in its right half
        cv2.putText(page, text, (cx + 20, cy + dy), cv2.FONT_HERSHEY_SIMPLEX, 1.6, value, 5)


def test_a_mid_grey_stamp_across_rulings_is_found_and_empty_boxes_it_misses_stay_sure() -> None:
    """A grey scan of a red stamp is mid grey, and the form's rulings cut it where they
    cross it: it is still one stamp. An empty box inside its frame that none of its ink
    reaches is judged as any empty box; the ticked one beside it is not sure."""
    form_a = load_templates()[("A", 1)]
    blank = render_blank_page_image(form_a, DPI)
    page = blank.copy()
    cap, omp = form_a.field("qual_cap").box_mm, form_a.field("qual_omp").box_mm
    tick(page, omp)
    rect_stamp(page, (mm_to_px(cap.x + 11, DPI), mm_to_px((cap.y + omp.y + omp.h) / 2, DPI)), 140)
    found = stamps.PageMarks.find(page, blank, DPI, form_a)
    assert found.covers(cap) and found.covers(omp)
    empty = marks.judge_checkbox_on_page(page, blank, cap, DPI, found)
    ticked = marks.judge_checkbox_on_page(page, blank, omp, DPI, found)
    assert (empty.present, empty.certain) == (False, True)
    assert ticked.present and not ticked.certain
    assert ticked.evidence is not None and ticked.evidence.crossed_by == "stamp"


def test_a_thick_scan_of_the_form_is_no_stamp(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    """A bitonal or copied scan prints the form's thin rulings thicker and a little off:
    with ticks in neighbouring boxes they once made table-wide "stamps"."""
    page = np.full_like(blank_b, 255)
    off = mm_to_px(0.6, DPI)
    page[off:, off:] = cv2.erode(blank_b, np.ones((5, 5), np.uint8))[:-off, :-off]
    for k in (4, 5, 6):
        tick(page, form_b.field(f"exp1_field_{k}").box_mm, (off, off))
        tick(page, form_b.field(f"exp2_field_{k}").box_mm, (off, off))
    assert stamps.PageMarks.find(page, blank_b, DPI, form_b).zones == ()


def test_a_fax_streak_along_the_values_is_no_stamp() -> None:
    """Dirt on a fax's glass draws one line down the whole sheet. Where it runs through the
    values it joined them into a column-high "stamp", and every signature beside it went
    to a person (E11-0044, all eight). A round stamp the streak crosses is still found."""
    form_c = load_templates()[("C", 1)]
    blank = render_blank_page_image(form_c, DPI)
    page = blank.copy()
    for spec in form_c.fields:
        if spec.name.endswith(("_org", "_name", "_contact")):
            x, y, _, h = px(spec.box_mm)
            cv2.putText(
                page, "KABUSHIKI 0123", (x + 20, y + h - 20), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 5
            )
    streak_x = mm_to_px(72, DPI)
    cv2.line(page, (streak_x, 0), (streak_x + 12, page.shape[0] - 1), 0, 4)  # 0.2° off the axis
    assert stamps.PageMarks.find(page, blank, DPI, form_c).zones == ()
    stamp(page, (streak_x, mm_to_px(40, DPI)), 60)
    assert len(stamps.PageMarks.find(page, blank, DPI, form_c).zones) == 1


def test_a_phones_shadow_is_no_stamp(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    """A sheet photographed by hand: its left half lies in shadow. The shadow is paper in
    poor light, not ink the form does not print: no box is taken to lie under a stamp,
    and a stamp in the shadow is still found."""
    page = blank_b.astype(np.float32)
    width = page.shape[1]
    light = np.clip(np.linspace(0.45, 1.2, width), 0.45, 1.0)  # dark on the left
    page = (page * light[None, :]).astype(np.uint8)
    assert stamps.PageMarks.find(page, blank_b, DPI, form_b).zones == ()
    x, y, _, h = px(form_b.field("exp4_field_1").box_mm)
    stamp(page, (x - 300, y + h // 2), 40)
    assert len(stamps.PageMarks.find(page, blank_b, DPI, form_b).zones) == 1


def test_an_empty_box_much_darker_than_its_neighbours_goes_to_a_person(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A circle drawn tight on the printed square of a blurred photograph lies within the
    print's widened edge and the box read as surely empty. Its ink is still there: a box
    judged empty that is far darker than the page's typical checkbox goes to a person,
    and its empty neighbours stay sure."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp3_field_4").box_mm)
    cv2.circle(page, (x + w // 2, y + h // 2), w // 2 + 4, 40, 5)
    reads = [
        replace(
            read_as(f"B.{spec.name}", "false", kind="checkbox"),
            mark=MarkEvidence(0.0),
        )
        for spec in form_b.fields
        if spec.kind == "checkbox"
    ]
    held = {r.name: r for r in hold_dark_empties(reads, page, blank_b, form_b, DPI)}
    assert held["exp3_field_4"].status == FieldStatus.LOW_CONFIDENCE
    assert "丸" in (held["exp3_field_4"].reason or "")
    assert all(r.status == FieldStatus.OK for n, r in held.items() if n != "exp3_field_4")


def test_boxes_on_a_dithered_copy_are_judged_through_its_dots(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A copy's grey paper scanned bitonal by error diffusion is a field of dots. Counted
    as faint ink they joined into one piece reaching every side of every box: each box
    read as crossed by a line, and a circle drawn round a box was taken for that line."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp1_field_1").box_mm)
    cv2.ellipse(page, (x + w // 2, y + h // 2), (int(w * 0.8), int(h * 0.75)), 0, 0, 360, 0, 4)
    tick(page, form_b.field("exp1_field_3").box_mm)
    copy = (page.astype(np.float32) * 215 / 255).astype(np.uint8)
    at_200_dpi = cv2.resize(copy, None, fx=2 / 3, fy=2 / 3, interpolation=cv2.INTER_AREA)
    dots = Image.fromarray(at_200_dpi).convert("1", dither=Image.Dither.FLOYDSTEINBERG)
    scan = cv2.resize(
        np.asarray(dots.convert("L")),
        (page.shape[1], page.shape[0]),
        interpolation=cv2.INTER_LINEAR,
    )
    circled, empty, ticked = (judge(scan, blank_b, form_b, f"exp1_field_{k}") for k in (1, 2, 3))
    assert (circled.present, circled.certain) == (True, True)
    assert (empty.present, empty.certain) == (False, True)
    assert (ticked.present, ticked.certain) == (True, True)


def test_only_a_crop_of_dots_is_smoothed_before_its_faint_ink_is_found(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Smoothing a clean scan spreads a thick ruling's edge into a faint fringe that joined
    a tick to the ruling (a photocopied sheet of seed 11): only dots are smoothed away."""
    look = form_b.field("exp1_field_2").box_mm.inset(-marks.LOOK_MM)
    thick = cut(cv2.erode(blank_b, np.ones((7, 7), np.uint8)), look, DPI)
    assert faint_ink.without_dots(thick, DPI) is thick
    grey = (thick.astype(np.float32) * 215 / 255).astype(np.uint8)
    dots = np.asarray(Image.fromarray(grey).convert("1").convert("L"))  # error diffusion
    assert faint_ink.without_dots(dots, DPI) is not dots


def streak(page: np.ndarray, x: int, from_y: int = 0, width: int = 2) -> None:
    """Dirt on a scanner's or fax's glass: a black line down the sheet from ``from_y``."""
    page[from_y:, x : x + width] = 0


def test_a_streak_down_the_sheet_through_an_empty_box_is_taken_away(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A fax's streak is inked, unlike a crease, and crosses every box in its column: it
    runs centimetres beyond any box, so the box is judged without it."""
    page = blank_b.copy()
    x, y, w, _h = px(form_b.field("exp3_field_2").box_mm)
    streak(page, x + w // 3)
    read = judge(page, blank_b, form_b, "exp3_field_2")
    assert (read.present, read.certain) == (False, True)
    assert read.evidence is not None and read.evidence.crossed_by == "crease"
    # Starting part way down the page, just above the box, it is still a streak.
    late = blank_b.copy()
    streak(late, x + w // 3, from_y=y - mm_to_px(30, DPI))
    assert judge(late, blank_b, form_b, "exp3_field_2").certain


def test_a_streak_along_a_boxs_own_side_is_taken_away(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Where the streak runs down the box's own printed side it is hidden under the print
    the whole height of the box (E31-0005: a fax's streak down a column of boxes): that
    gap in it is the print's, not a bend, and it is still one straight line."""
    x, _y, w, _h = px(form_b.field("exp3_field_2").box_mm)
    side = x + w + mm_to_px(0.5, DPI)  # the printed square's right side
    for at in (side - 1, side + 1):
        page = blank_b.copy()
        streak(page, at)
        read = judge(page, blank_b, form_b, "exp3_field_2")
        assert (read.present, read.certain) == (False, True)
        assert read.evidence is not None and read.evidence.crossed_by == "crease"


def test_a_tick_under_a_streak_is_a_tick(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    """Taken away, the streak leaves the tick's two slanting strokes inside the box: no
    edge a fold moved and no remnant of the streak runs at a slant, so the box is surely
    ticked (it went to a person while any ink left by a crease or streak was doubted)."""
    page = blank_b.copy()
    box = form_b.field("exp3_field_2").box_mm
    x, _y, w, _h = px(box)
    tick(page, box)
    streak(page, x + w // 3)
    read = judge(page, blank_b, form_b, "exp3_field_2")
    assert (read.present, read.certain) == (True, True)
    assert read.evidence is not None and read.evidence.crossed_by == "crease"


def test_an_upright_stroke_under_a_streak_is_not_sure(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """An upright stroke beside the streak is what a moved side or the streak's own
    fringe would leave: it stays with a person."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp3_field_2").box_mm)
    streak(page, x + w // 3)
    cv2.line(page, (x + 2 * w // 3, y + 6), (x + 2 * w // 3, y + h - 6), 0, 6)
    read = judge(page, blank_b, form_b, "exp3_field_2")
    assert not read.certain


def test_a_pen_line_through_a_box_is_no_streak(form_b: FormTemplate, blank_b: np.ndarray) -> None:
    """Straight and upright but ending a centimetre beyond the box (a pen with a ruler),
    or long but slanting: neither is dirt on the glass, and the box stays in doubt."""
    x, y, w, h = px(form_b.field("exp3_field_2").box_mm)
    short = blank_b.copy()
    reach = mm_to_px(10, DPI)
    cv2.line(short, (x + w // 3, y - reach), (x + w // 3, y + h + reach), 0, 3)
    slanting = blank_b.copy()
    far = mm_to_px(60, DPI)
    cv2.line(slanting, (x + w // 3 - far // 8, y - far), (x + w // 3 + far // 8, y + far), 0, 3)
    for page in (short, slanting):
        read = judge(page, blank_b, form_b, "exp3_field_2")
        assert not read.certain
        assert read.evidence is not None and read.evidence.crossed_by == "line"


def test_a_share_staff_read_is_a_whole_percentage_never_below_zero() -> None:
    """A correlation's rounding gave -0.0 for a square not found at all: the reason read
    「印刷された枠が見つかりません（-0% のみ確認）」."""
    assert marks.share_ja(-0.0) == "0%"
    assert marks.share_ja(-1e-9) == "0%"
    assert marks.share_ja(0.494) == "49%"
    assert marks.share_ja(1.0000001) == "100%"


@pytest.mark.parametrize("side", ["top", "left"])
def test_a_side_printed_thick_is_no_sure_mark(
    form_b: FormTemplate, blank_b: np.ndarray, side: str
) -> None:
    """A fax that smeared a scan line printed half of an empty box's top edge as a solid
    bar reaching a quarter of the way in (held-out E191-0046): ink inside the box as
    much as a tick leaves, read as a sure tick. One solid bar along one side is no tick,
    circle or fill: a person looks. A box filled in whole is still a sure mark."""
    x, y, w, h = px(form_b.field("exp1_field_7").box_mm)
    page = blank_b.copy()
    if side == "top":
        cv2.rectangle(page, (x + w // 2, y), (x + w, y + h // 4), 0, -1)
    else:
        cv2.rectangle(page, (x, y + h // 3), (x + w // 4, y + h), 0, -1)
    read = judge(page, blank_b, form_b, "exp1_field_7")
    assert not read.certain
    filled = blank_b.copy()
    cv2.rectangle(filled, (x, y), (x + w, y + h), 0, -1)
    read = judge(filled, blank_b, form_b, "exp1_field_7")
    assert (read.present, read.certain) == (True, True)


def test_a_neighbours_tick_reaching_into_the_surround_leaves_an_empty_box_sure() -> None:
    """The tick of form A's OMP box overshoots upward into the surround of the CAP box
    above it, stopping short of that box: even counted as the CAP box's own ink it makes
    no mark, so the empty box stays surely empty. Reaching into the box, it is in doubt."""
    form_a = load_templates()[("A", 1)]
    blank = render_blank_page_image(form_a, DPI)
    cap = form_a.field("qual_cap").box_mm
    x, y, w, h = px(form_a.field("qual_omp").box_mm)
    below_cap = mm_to_px(cap.y + cap.h, DPI)
    for tail_end, sure in (
        (below_cap + mm_to_px(0.9, DPI), True),
        (below_cap - mm_to_px(0.7, DPI), False),
    ):
        page = blank.copy()
        cv2.line(page, (x + 4, y + h // 2), (x + w // 3, y + h - 4), 0, 5)
        cv2.line(page, (x + w // 3, y + h - 4), (x + w + 6, tail_end), 0, 5)
        assert judge(page, blank, form_a, "qual_omp").present
        read = judge(page, blank, form_a, "qual_cap")
        assert read.certain is sure
        assert not read.present or not sure
        assert read.evidence is not None
        assert read.evidence.crossed_by == ("passing" if sure else "line")


def test_a_shadow_band_across_a_row_neither_crosses_a_tick_nor_an_empty_box(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A fold lifted off the glass leaves a grey band millimetres wide along the row:
    seen as faint ink it joined a tick to the page beyond the box, and every box of the
    row "was crossed". Faint ink is looked for against the paper around it."""
    page = blank_b.copy()
    tick(page, form_b.field("exp1_field_1").box_mm)
    _x, y, _w, h = px(form_b.field("exp1_field_2").box_mm)
    band = page[y - mm_to_px(1.0, DPI) : y + h // 2]
    np.minimum(band, 200, out=band)
    ticked = judge(page, blank_b, form_b, "exp1_field_1")
    empty = judge(page, blank_b, form_b, "exp1_field_2")
    assert (ticked.present, ticked.certain) == (True, True)
    assert (empty.present, empty.certain) == (False, True)


@pytest.mark.parametrize(
    ("name", "neighbour", "axes", "thick"),
    [
        ("exp1_field_2", "exp1_field_3", (0.65, 0.6), 9),
        ("exp1_field_2", "exp1_field_3", (0.65, 0.6), 12),
        ("exp3_field_4", "exp3_field_5", (0.72, 0.7), 6),
    ],
)
def test_a_circle_on_the_square_beside_a_neighbours_circle_is_a_sure_mark(
    form_b: FormTemplate,
    blank_b: np.ndarray,
    name: str,
    neighbour: str,
    axes: tuple[float, float],
    thick: int,
) -> None:
    """A thick pen's circle on the printed square, the next box circled too: the curve is
    fitted to this box's ink alone (the neighbour's circle lies a box away), and a thick
    stroke's ink lies half its width off the curve it draws."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field(name).box_mm)
    cv2.ellipse(
        page, (x + w // 2, y + h // 2), (int(w * axes[0]), int(h * axes[1])), 0, 0, 360, 0, thick
    )
    x, y, w, h = px(form_b.field(neighbour).box_mm)
    cv2.ellipse(page, (x + w // 2, y + h // 2), (int(w * 0.75), int(h * 0.7)), 0, 0, 360, 0, 6)
    read = judge(page, blank_b, form_b, name)
    assert (read.present, read.certain) == (True, True)


@pytest.mark.parametrize("start", [0, 270, 315])
def test_a_thick_half_circle_hugging_the_square_is_no_sure_mark(
    form_b: FormTemplate, blank_b: np.ndarray, start: int
) -> None:
    """Half a circle drawn tight on the square: where it is missing the square could hide
    the rest, but a circle on the square shows between its sides all the way round."""
    page = blank_b.copy()
    x, y, w, h = px(form_b.field("exp1_field_2").box_mm)
    axes = (int(w * 0.55), int(h * 0.55))
    cv2.ellipse(page, (x + w // 2, y + h // 2), axes, 0, start, start + 180, 0, 8)
    read = judge(page, blank_b, form_b, "exp1_field_2")
    assert not (read.present and read.certain)


def test_boxes_printed_too_faint_to_register_are_judged_inside_their_edges(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """Form B's first two rows of a sheet photographed on a desk (E31-0024, aligned, 300
    dpi, cut at 128/76 mm): the print came out blurred and light, too little of a box's
    square is found where the box is looked for as a whole, and every box of the sheet
    went to a person. Each edge still shows as a line darker than the paper beside it:
    the boxes are judged inside those squares, the three ticked ones ticked."""
    page = with_scan(blank_b, "form_b_rows12_photographed.png", 128, 76)
    ticked = {"exp1_field_1", "exp2_field_3", "exp2_field_5"}
    by_edges = 0
    for row in (1, 2):
        for n in range(1, 8):
            name = f"exp{row}_field_{n}"
            read = judge(page, blank_b, form_b, name)
            assert (read.present, read.certain) == (name in ticked, True), name
            assert read.evidence is not None and read.evidence.box_found, name
            by_edges += read.evidence.by_edges
    assert by_edges >= 12
