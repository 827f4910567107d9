"""Seals and signatures: an empty box whose light-grey guides a scan moved is sure
empty; a faint seal never is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.extract import writing
from pipeline.extract.crops import mm_to_px
from pipeline.forms.loader import load_templates
from pipeline.forms.render import render_blank_page_image
from pipeline.forms.schema import FieldSpec

DPI = 300


@pytest.fixture(scope="module")
def seal_page() -> tuple[np.ndarray, FieldSpec]:
    template = load_templates()[("A", 1)]
    return render_blank_page_image(template, DPI), template.field("seal")


def lightened_and_moved(blank: np.ndarray, spec: FieldSpec, moved_mm: float) -> np.ndarray:
    """The page as a light scan shows the seal box: its guides (印, the dashed ring) paler
    than ink, and ``moved_mm`` to the right of where the rest of the page puts them."""
    page = blank.copy()
    x, y, w, h = (mm_to_px(v, DPI) for v in spec.box_mm)
    area = page[y : y + h, x : x + w].astype(np.float32)
    pale = (255 - (255 - area) * 0.45).astype(np.uint8)
    shift = mm_to_px(moved_mm, DPI)
    page[y : y + h, x : x + w] = 255
    page[y : y + h, x + shift : x + w] = pale[:, : w - shift]
    return page


def test_an_empty_seal_box_whose_pale_guides_moved_is_sure_empty(
    seal_page: tuple[np.ndarray, FieldSpec],
) -> None:
    """The guides were too pale to register the box on, so the faint comparison set the
    page's guides beside the blank's and read them as a faint seal (21 empty seal boxes
    of seed 11 went to a person so)."""
    blank, spec = seal_page
    page = lightened_and_moved(blank, spec, 0.6)
    read = writing.judge_writing(page, blank, spec, DPI)
    assert (read.present, read.certain) == (False, True), read.doubt_ja


def test_a_faint_seal_is_never_a_sure_empty(seal_page: tuple[np.ndarray, FieldSpec]) -> None:
    blank, spec = seal_page
    page = lightened_and_moved(blank, spec, 0.6)
    x, y, w, h = (mm_to_px(v, DPI) for v in spec.box_mm)
    centre = (x + w // 2 + mm_to_px(1.5, DPI), y + h // 2 - mm_to_px(1.0, DPI))
    cv2.circle(page, centre, mm_to_px(5.0, DPI), 205, 5)  # a seal photocopied light grey
    cv2.putText(page, "S", (centre[0] - 25, centre[1] + 25), cv2.FONT_HERSHEY_SIMPLEX, 2.5, 205, 5)
    read = writing.judge_writing(page, blank, spec, DPI)
    assert not (read.certain and not read.present)
