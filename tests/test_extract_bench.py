"""The accuracy benchmark's arithmetic and calibration, on hand-made field records (no OCR)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.bench.calibrate import calibrate_handwriting, fit_logistic
from pipeline.bench.extraction import held_out_mask, summarise
from pipeline.config import Settings
from pipeline.extract.penmanship import Regularity

NAMES = Regularity.NAMES


def _f(
    envelope: str,
    kind: str,
    *,
    correct: bool,
    ok: bool,
    hw: bool = False,
    decides: bool = True,
    font: str = "bizud-gothic",
    traits: tuple[str, ...] = ("300dpi-gray",),
) -> dict[str, object]:
    return {
        "seed": "1",
        "envelope": envelope,
        "kind": kind,
        "handwritten": hw,
        "decides": decides,
        "font": font,
        "traits": list(traits),
        "correct": correct,
        "ok": ok,
        "field": f"A.{kind}",
        "want": "w",
        "got": "w" if correct else "x",
        "tesseract_correct": correct if kind != "checkbox" else None,
        "tesseract_confidence": 0.95 if kind != "checkbox" else None,
        "ppocr_correct": True if kind != "checkbox" else None,
        "ppocr_confidence": 0.99 if kind != "checkbox" else None,
    }


def test_silent_errors_review_share_and_envelope_figures() -> None:
    fields = pd.DataFrame(
        [
            _f("E1", "date", correct=True, ok=True),
            _f("E1", "date", correct=False, ok=True),  # a silent error on a deciding field
            _f("E1", "text", correct=True, ok=False, hw=True),
            _f("E2", "date", correct=True, ok=True, font="noto-sans", traits=("stamp",)),
            _f("E2", "checkbox", correct=True, ok=False, decides=False, font="noto-sans"),
        ]
    )
    pages = pd.DataFrame(
        [
            {"traits": ["300dpi-gray"], "font": "bizud-gothic", "identified": True},
            {"traits": ["stamp"], "font": "noto-sans", "identified": False},
        ]
    )
    report = summarise(fields, pages)
    date = report["typed_by_kind"]["date"]
    assert (date["fields"], date["silent_errors"]) == (3, 1)
    assert date["exact_rate"] == round(2 / 3, 4)
    assert report["typed_by_kind"]["checkbox"]["review_share"] == 1.0
    assert report["silent_errors"] == 1 and report["deciding_silent_errors"] == 1
    # E1's deciding fields: one wrong and one handwritten under review; E2's all fine.
    assert report["all_deciding_accepted_and_correct_share"] == 0.5
    assert report["typed_envelopes"] == 1  # E1 has a handwritten deciding field
    assert report["typed_envelopes_all_deciding_accepted_and_correct_share"] == 1.0
    assert report["handwritten"]["routed_to_person_share"] == 1.0
    assert set(report["by_font"]) == {"bizud-gothic", "noto-sans"}
    assert report["by_trait"]["stamp"]["silent_errors"] == 0
    assert report["pages_identified"]["by_trait"]["stamp"] == {"pages": 1, "identified": 0}
    # Tesseract alone would have accepted the wrong date; PP-OCR read it right.
    assert report["engines_alone"]["tesseract"]["silent_errors_if_trusted"] == 1
    assert report["engines_alone"]["ppocr"]["silent_errors_if_trusted"] == 0


def test_held_out_envelopes_are_told_apart_by_font_or_trait() -> None:
    fields = pd.DataFrame(
        [
            _f("E1", "date", correct=True, ok=True, font="ipa-gothic"),
            _f("E2", "date", correct=True, ok=True, traits=("fax", "200dpi-bitonal")),
            _f("E3", "date", correct=True, ok=True),
        ]
    )
    assert held_out_mask(fields, ["ipa-gothic"], None).tolist() == [True, False, False]
    assert held_out_mask(fields, None, ["fax"]).tolist() == [False, True, False]
    assert held_out_mask(fields, ["ipa-gothic"], ["fax"]).tolist() == [True, True, False]


def test_logistic_fit_separates_what_is_separable() -> None:
    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(4, 1, (200, 2))])
    y = np.r_[np.zeros(200), np.ones(200)]
    weights, bias = fit_logistic(x, y)
    p = 1 / (1 + np.exp(-(x @ weights + bias)))
    assert ((p > 0.5) == y.astype(bool)).mean() > 0.97


def test_the_proposed_threshold_routes_every_training_handwritten_field() -> None:
    rng = np.random.default_rng(5)
    rows = []
    for k in range(120):
        hand = k % 3 == 0
        rows.append(
            {
                "handwritten": hand,
                "penmanship": list(rng.normal(2.5 if hand else 0.5, 0.5, len(NAMES)).clip(0)),
                "font": "bizud-gothic" if k < 90 else "ipa-mincho",
            }
        )
    fields = pd.DataFrame(rows)
    train, held = fields[fields["font"] != "ipa-mincho"], fields[fields["font"] == "ipa-mincho"]
    found = calibrate_handwriting(train, held, Settings())
    assert found["fitted"]
    assert found["train"]["handwritten_routed_share"] == 1.0
    assert found["held_out"]["fields"] == len(held)
