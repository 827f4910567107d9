"""Form B's checkboxes drawn on at 300 dpi and judged as a page's are (the mark tests)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.extract import marks, stamps
from pipeline.extract.crops import mm_to_px
from pipeline.forms.loader import load_templates
from pipeline.forms.render import render_blank_page_image
from pipeline.forms.schema import FormTemplate

DPI = 300


def form_b_template() -> FormTemplate:
    return load_templates()[("B", 1)]


def blank_page(template: FormTemplate) -> np.ndarray:
    return render_blank_page_image(template, DPI)


def judge(page: np.ndarray, blank: np.ndarray, template: FormTemplate, name: str) -> marks.MarkRead:
    """One checkbox of ``page`` judged as extraction judges it, received stamps looked for."""
    found = stamps.PageMarks.find(page, blank, DPI, template)
    return marks.judge_checkbox_on_page(page, blank, template.field(name).box_mm, DPI, found)


SCANS = Path(__file__).parent.parent / "fixtures" / "scans"


def with_scan(blank: np.ndarray, name: str, x_mm: float, y_mm: float) -> np.ndarray:
    """The blank page with a cut of an aligned scan (``fixtures/scans/name``, 300 dpi)
    laid in at ``x_mm``, ``y_mm``."""
    page = blank.copy()
    cut = cv2.imread(str(SCANS / name), cv2.IMREAD_GRAYSCALE)
    x, y = mm_to_px(x_mm, DPI), mm_to_px(y_mm, DPI)
    page[y : y + cut.shape[0], x : x + cut.shape[1]] = cut
    return page
