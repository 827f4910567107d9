"""A checkbox's printed edge that a fold moved: a straight line along its side, outside it.

A sheet folded in three creases about a third of the way down, where form B's second
row of boxes lies. The fold shears the paper: the boxes' top edges print a fraction of
a millimetre from where the rest of the square puts them, and beyond the blank's print
they are ink no mark explains. Such ink is one straight, thin stroke parallel to a side
and as long as most of it, beside the top or the bottom side, and all the ink there is
about the box. A circle drawn round the box bends over that length (a circle hugging a
4 mm square curves by a third of a millimetre over three) or shows elsewhere too, and a
tick lies inside: none is taken for a moved edge.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from pipeline.extract.crops import MM_PER_INCH, mm_to_px

EDGE_SHARE = 0.65  # at least this share of the side long
EDGE_THICKNESS_MM = 0.5  # no thicker than a printed rule a scan widened
EDGE_STRAIGHT_MM = 0.15  # its middle strays no further from a straight line
EDGE_TILT_DEG = 6.0  # and it runs along the page's axes


def moved_edges(ink: np.ndarray, box: tuple[int, int, int, int], dpi: float) -> np.ndarray:
    """``ink`` (255 on 0) where it is nothing but a copy of the box's top or bottom edge
    (``box``: x, y, w, h in ``ink``'s pixels): one or more straight thin lines along that
    side, outside the box; else nothing (all 0). Any other ink about the box, or lines
    beside its left or right side, and nothing is taken for a moved edge: a circle drawn
    tight on the square shows beyond the print as short, nearly straight arcs, often on
    one side only, but rarely as that alone."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    sides: set[str] = set()
    bx, by, bw, bh = box
    for k in range(1, count):
        x, y, w, h = (int(v) for v in stats[k][:4])
        reaches_in = x < bx + bw and bx < x + w and y < by + bh and by < y + h
        piece = labels[y : y + h, x : x + w] == k
        if reaches_in or h > w or not _straight_line(piece, bw, dpi):
            return np.zeros_like(ink)
        sides.add("above" if y + h <= by else "below")
    return ink.copy() if len(sides) == 1 else np.zeros_like(ink)


def _straight_line(piece: np.ndarray, side: int, dpi: float) -> bool:
    """Whether ``piece`` (bool, lying along its columns) is one straight, thin line along
    the axis at least ``EDGE_SHARE`` of ``side`` long."""
    rows, length = piece.shape
    if length < EDGE_SHARE * side or not piece.any():
        return False
    if piece.sum() / length > mm_to_px(EDGE_THICKNESS_MM, dpi):
        return False
    filled = piece.any(axis=0)
    columns = np.flatnonzero(filled)
    inked = piece[:, filled]
    middle = (inked * np.arange(rows)[:, None]).sum(axis=0) / inked.sum(axis=0)
    slope, offset = np.polyfit(columns, middle, 1)
    if abs(math.degrees(math.atan(slope))) > EDGE_TILT_DEG:
        return False
    stray = np.abs(middle - (slope * columns + offset)).max()
    return bool(stray <= EDGE_STRAIGHT_MM * dpi / MM_PER_INCH)
