"""A tick whose tail ends near a speck or a line beyond the box: joined to it across the
paper, the two were one piece reaching far beyond the box, which alone is no sure mark.
A tick inside the box, apart from it by more than a dithered copy's dots are, is.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from pipeline.extract.crops import mm_to_px
from pipeline.forms.schema import FormTemplate
from tests.helpers.boxes import DPI, judge

NAME = "exp3_field_4"
TICK_NEAR_SPECK = Path(__file__).parent / "fixtures" / "scans" / "form_b_tick_tail_near_speck.png"


def box_px(template: FormTemplate, name: str = NAME) -> tuple[int, int, int, int]:
    box = template.field(name).box_mm
    return tuple(mm_to_px(v, DPI) for v in (box.x, box.y, box.w, box.h))  # type: ignore[return-value]


def test_a_tick_whose_tail_ends_near_a_speck_is_a_tick(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """E11-0040, a folded grey scan (aligned, 300 dpi, cut 6 mm round the box): the
    tick's tail ends a millimetre short of two dots of speckle beyond the box's reach;
    joined across that gap the tick reached far and went to a person as crossed by a line.
    Apart from the dots, the tick inside the box is a sure tick."""
    page = blank_b.copy()
    cut_out = cv2.imread(str(TICK_NEAR_SPECK), cv2.IMREAD_GRAYSCALE)
    box = form_b.field("exp6_field_4").box_mm
    x, y = mm_to_px(box.x - 6, DPI), mm_to_px(box.y - 6, DPI)
    page[y : y + cut_out.shape[0], x : x + cut_out.shape[1]] = cut_out
    read = judge(page, blank_b, form_b, "exp6_field_4")
    assert (read.present, read.certain) == (True, True)
    assert read.evidence is not None and read.evidence.crossed_by == "apart"
    assert read.evidence.ink > 0.09


def test_a_broken_line_through_an_empty_box_is_no_sure_tick(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A line across the box that a copy lost in two places, each side of the box's
    middle: the piece inside lies apart from the rest and at a slant, but it is one
    straight stroke, no tick."""
    page = blank_b.copy()
    x, y, w, h = box_px(form_b)
    centre = np.array([x + w / 2, y + h / 2])
    along = np.array([1.0, -1.0]) / np.sqrt(2.0)
    far, piece, gap = (mm_to_px(v, DPI) for v in (14.0, 1.1, 1.3))
    for start, end in ((-far, -piece - gap), (-piece, piece), (piece + gap, far)):
        a, b = centre + along * start, centre + along * end
        cv2.line(page, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), 0, 6)
    read = judge(page, blank_b, form_b, NAME)
    assert not (read.present and read.certain)


def test_a_dithered_line_through_an_empty_box_is_no_sure_tick(
    form_b: FormTemplate, blank_b: np.ndarray
) -> None:
    """A grey line through the box, scanned bitonal by error diffusion: its dots lie
    close together and still make one line reaching beyond the box."""
    page = blank_b.copy()
    x, y, w, h = box_px(form_b)
    far = mm_to_px(12, DPI)
    cv2.line(page, (x - far, y + h + far), (x + w + far, y - far), 110, 9)
    y0, y1, x0, x1 = y - 2 * far, y + h + 2 * far, x - 2 * far, x + w + 2 * far
    region = Image.fromarray(page[y0:y1, x0:x1]).convert("1").convert("L")
    page[y0:y1, x0:x1] = np.asarray(region)
    read = judge(page, blank_b, form_b, NAME)
    assert not (read.present and read.certain)
