"""Where a text field's frame really ends: its own rulings, each side found on its own.

One offset per frame (``marks.register_box``) is right while the sheet is only shifted
there. A curled or photographed sheet also stretches: across a 124-mm frame its two
ends may sit millimetres apart from where one offset puts them, and a crop cut by one
offset loses the value's first or last glyph (株式会社 → 式会社) while both engines
agree on what is left. Each side the blank rules with a vertical line is looked for on
the page near where the registration put it; the crop runs between the lines found.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from pipeline.extract.crops import MM_PER_INCH, cut, mm_to_px
from pipeline.extract.shown_square import LINE_CONTRAST, LINE_MM
from pipeline.forms.schema import Box

# A ruling is a line as a box's edges are one (``shown_square.LINE_MM``, ``LINE_CONTRAST``):
# darker than the paper right beside it.
SNAP_MM = 6.0  # how far from the registered place a side's ruling is looked for
# Of the frame's height between its top and bottom rulings, the share a line must run
# along to be the side's ruling: no glyph of a value spans its cell from ruling to ruling.
RULED_SHARE = 0.9
CLEAR_OF_CROSSINGS_MM = 0.6  # the top and bottom rulings the side's line meets
ON_SIDE_MM = 1.0  # a ruling of the blank this near a side of the frame is that side's
# A side found nearer than this to where the registration put it stays there: the
# registration weighs the whole frame's print, a side's line only itself.
MOVED_MM = 0.5


class SideShifts(NamedTuple):
    """How far (mm) the page shows a frame's left and right ruling from the blank's."""

    left: float
    right: float


def side_shifts(
    page: np.ndarray, blank: np.ndarray, frame: Box, dpi: float, shift: tuple[float, float]
) -> SideShifts:
    """The offset of each vertical side of ``frame`` on ``page``: its ruling found near
    where ``shift`` (the frame's registration) puts it; ``shift``'s dx for a side the
    blank does not rule, or where the page shows no such line clearly."""
    return SideShifts(
        *(_side_shift(page, blank, frame, dpi, shift, at) for at in (frame.x, frame.right))
    )


def _side_shift(
    page: np.ndarray,
    blank: np.ndarray,
    frame: Box,
    dpi: float,
    shift: tuple[float, float],
    at_mm: float,
) -> float:
    dx, dy = shift
    look = _strip(frame, at_mm)
    printed = _vertical_lines(cut(blank, look, dpi), dpi)
    printed_at = _nearest(printed, mm_to_px(at_mm - look.x, dpi), within=mm_to_px(ON_SIDE_MM, dpi))
    if printed_at is None:
        return dx
    # Another ruling of the blank nearby halves the reach: the page's line found must be
    # nearer this side's ruling than any other.
    others = [abs(c - printed_at) for c in printed if c != printed_at]
    reach = min([mm_to_px(SNAP_MM, dpi), *(d // 2 for d in others)])
    shown = _vertical_lines(cut(page, look._replace(x=look.x + dx, y=look.y + dy), dpi), dpi)
    found = _nearest(shown, printed_at, within=reach)
    moved = (found - printed_at) * MM_PER_INCH / dpi if found is not None else 0.0
    return dx + moved if abs(moved) >= MOVED_MM else dx


def _strip(frame: Box, at_mm: float) -> Box:
    """Where a vertical side at ``at_mm`` may be: ``SNAP_MM`` either side of it, between
    the frame's top and bottom rulings."""
    clear = CLEAR_OF_CROSSINGS_MM
    return Box(at_mm - 2 * SNAP_MM, frame.y + clear, 4 * SNAP_MM, frame.h - 2 * clear)


def _vertical_lines(gray: np.ndarray, dpi: float) -> list[int]:
    """Columns (centres, px) of the vertical lines that run along nearly all of ``gray``:
    what is darker than the paper right beside it, left and right."""
    if gray.size == 0:
        return []
    width = mm_to_px(LINE_MM, dpi) | 1
    beside = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, np.ones((1, width), np.uint8))
    dark = beside >= LINE_CONTRAST
    # A line a degree off vertical moves a pixel or two along the strip.
    dark = cv2.dilate(dark.astype(np.uint8), np.ones((1, 3), np.uint8)) > 0
    ruled = dark.mean(axis=0) >= RULED_SHARE
    columns = np.flatnonzero(ruled)
    if columns.size == 0:
        return []
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
    return [round(float(run.mean())) for run in runs]


def _nearest(columns: list[int], to: int, *, within: int | None = None) -> int | None:
    if not columns:
        return None
    best = min(columns, key=lambda c: abs(c - to))
    if within is not None and abs(best - to) > within:
        return None
    return best
