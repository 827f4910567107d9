"""Calibrating the print-or-pen judgement on some envelopes and checking it on others.

The weights of ``pipeline.extract.penmanship`` are fitted (logistic regression)
on the fields of the training envelopes; the threshold proposed is the one that
flags at most ``TYPED_BUDGET`` of the training envelopes' typed fields (each is a
value a person must confirm for nothing). What matters is what it then does on the
held-out envelopes (font families or capture traits it never saw): handwriting
routed, typed fields flagged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Settings
from pipeline.extract import penmanship

TYPED_BUDGET = 0.02  # the share of typed fields the proposed threshold may flag


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-2) -> tuple[np.ndarray, float]:
    """Weights and bias of a logistic regression (Newton's method, standardised features,
    a little L2), returned on the original feature scale."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (p - y) + l2 * np.r_[w[:-1], 0.0]
        hessian = (z * (p * (1 - p))[:, None]).T @ z + l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    weights = w[:-1] / std
    bias = float(w[-1] - (w[:-1] * mean / std).sum())
    return weights, bias


def _scores(frame: pd.DataFrame, weights: np.ndarray, bias: float) -> np.ndarray:
    x = np.array(frame["penmanship"].tolist(), dtype=float)
    return 1.0 / (1.0 + np.exp(-(x @ weights + bias)))


def _effect(frame: pd.DataFrame, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    hand = frame["handwritten"].astype(bool).to_numpy()
    flagged = scores >= threshold
    return {
        "fields": len(frame),
        "handwritten": int(hand.sum()),
        "handwritten_routed_share": round(float(flagged[hand].mean()), 4) if hand.any() else None,
        "typed": int((~hand).sum()),
        "typed_flagged_share": round(float(flagged[~hand].mean()), 4) if (~hand).any() else None,
    }


def calibrate_handwriting(
    train: pd.DataFrame, held: pd.DataFrame, settings: Settings
) -> dict[str, Any]:
    """Propose penmanship weights and ``handwriting_threshold`` from ``train``; show their
    effect there and on ``held`` (and the configured ones' for comparison)."""
    usable = train[train["penmanship"].notna()]
    if usable.empty or usable["handwritten"].nunique() < 2:
        return {"fitted": False, "why": "no handwritten and typed fields to fit on"}
    x = np.array(usable["penmanship"].tolist(), dtype=float)
    y = usable["handwritten"].astype(float).to_numpy()
    weights, bias = fit_logistic(x, y)
    scores = _scores(usable, weights, bias)
    threshold = round(float(np.quantile(scores[y == 0], 1 - TYPED_BUDGET)), 3)
    held_usable = held[held["penmanship"].notna()]
    current = (penmanship.WEIGHTS, penmanship.BIAS, settings.handwriting_threshold)
    return {
        "fitted": True,
        "features": list(penmanship.Regularity.NAMES),
        "weights": [round(float(w), 4) for w in weights],
        "bias": round(bias, 4),
        "proposed_threshold": threshold,
        "train": _effect(usable, scores, threshold),
        "held_out": _effect(held_usable, _scores(held_usable, weights, bias), threshold)
        if not held_usable.empty
        else None,
        "configured": {
            "threshold": settings.handwriting_threshold,
            "train": _effect(usable, _scores(usable, current[0], current[1]), current[2]),
            "held_out": _effect(
                held_usable, _scores(held_usable, current[0], current[1]), current[2]
            )
            if not held_usable.empty
            else None,
        },
    }
