"""Form B's checkboxes drawn on at 300 dpi and judged as a page's are (the mark tests)."""

from __future__ import annotations

import numpy as np

from pipeline.extract import marks, stamps
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
