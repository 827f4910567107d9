"""The form's own printed labels say how irregular print looks on a capture (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import Settings
from pipeline.extract.handwritten_page import PRINTED
from pipeline.extract.identify import blank_reference
from pipeline.extract.print_reference import MIN_LABELS, print_score, reference_labels
from pipeline.forms.loader import load_templates

TEMPLATES = load_templates()


def wandering(page: np.ndarray, seed: int = 1, step_px: int = 24, shift_px: int = 4) -> np.ndarray:
    """The page cut into narrow columns, each moved up or down a little: glyphs no longer
    share a line, as on a capture that warps print."""
    rng = np.random.default_rng(seed)
    out = page.copy()
    for x in range(0, page.shape[1], step_px):
        out[:, x : x + step_px] = np.roll(
            page[:, x : x + step_px], int(rng.integers(-shift_px, shift_px + 1)), axis=0
        )
    return out


@pytest.mark.parametrize(
    "key", sorted(k for k, t in TEMPLATES.items() if t.filled_by not in PRINTED)
)
def test_every_form_a_person_fills_in_prints_enough_labels_to_measure(key: tuple[str, int]) -> None:
    assert len(reference_labels(TEMPLATES[key])) >= MIN_LABELS


@pytest.mark.parametrize("key", [("A", 1), ("C", 1)])
def test_clean_print_scores_low_and_wandering_print_higher(key: tuple[str, int]) -> None:
    template = TEMPLATES[key]
    clean = blank_reference(template, 200)
    score = print_score(clean, template, 200)
    # Clean print lies under the page threshold, and wandering print clearly above it
    # by more than the margin a page's values must keep over its labels.
    settings = Settings()
    assert score is not None and score < settings.handwritten_page_threshold
    warped = print_score(wandering(clean), template, 200)
    assert warped is not None and warped > score + 1.5 * settings.handwritten_page_margin


def test_a_page_without_its_print_gives_no_reference() -> None:
    """A blank sheet (a page lost to a scanner's fault) has no labels to measure: the
    page is judged on its values alone, never against a made-up reference."""
    template = TEMPLATES[("A", 1)]
    paper = np.full_like(blank_reference(template, 200), 245)
    assert print_score(paper, template, 200) is None
