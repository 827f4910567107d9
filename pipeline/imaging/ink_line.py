"""Where a field's line of ink is: the rows and columns of the line itself, without a
speck above it or a scrap of ruling far to its side (they would make the line look
tall or wide to whatever reads or measures it)."""

from __future__ import annotations

import numpy as np

STRAY_GAP_LINES = 3.0  # ink this many line heights away from the rest ...
STRAY_SHARE = 0.05  # ... and this small a share of it is a speck or a scrap of ruling
ROW_GAP_PX = 2  # rows of a line are one run across gaps this small


def line_extent(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the line in the boolean mask ``ink``: the run of
    rows with the most ink, and from the first to the last run of columns in it that is
    not a small stray far from the rest; None when there is no ink."""
    rows = _main_run(ink.sum(axis=1), gap=ROW_GAP_PX)
    if rows is None:
        return None
    top, bottom = rows
    cols = _kept_columns(ink[top:bottom].sum(axis=0), gap=STRAY_GAP_LINES * (bottom - top))
    if cols is None:
        return None
    return top, bottom, cols[0], cols[1]


def _runs(profile: np.ndarray, gap: float) -> list[tuple[int, int, int]]:
    """Runs of nonzero ``profile`` joined across gaps up to ``gap``: (start, end, ink)."""
    idx = np.nonzero(profile)[0]
    if idx.size == 0:
        return []
    breaks = np.nonzero(np.diff(idx) > gap + 1)[0]
    starts = np.r_[idx[0], idx[breaks + 1]]
    ends = np.r_[idx[breaks], idx[-1]] + 1
    return [(int(a), int(b), int(profile[a:b].sum())) for a, b in zip(starts, ends, strict=True)]


def _main_run(profile: np.ndarray, gap: float) -> tuple[int, int] | None:
    runs = _runs(profile, gap)
    if not runs:
        return None
    start, end, _ = max(runs, key=lambda run: run[2])
    return start, end


def _kept_columns(profile: np.ndarray, gap: float) -> tuple[int, int] | None:
    runs = _runs(profile, gap)
    total = sum(ink for _, _, ink in runs)
    kept = [(a, b) for a, b, ink in runs if ink >= STRAY_SHARE * total] if total else []
    if not kept:
        return None
    return kept[0][0], kept[-1][1]
