"""A checkbox's printed edge that a fold moved: a straight line along its side, outside it.

A sheet folded in three creases about a third of the way down, where form B's second
row of boxes lies. The fold shears the paper: the boxes' top edges print a fraction of
a millimetre from where the rest of the square puts them, and beyond the blank's print
they are ink no mark explains. Such ink is one straight, thin stroke parallel to a side
and as long as most of it, beside one side only. A circle drawn round the box bends
over that length (a circle hugging a 4 mm square curves by a third of a millimetre over
three), shows beside two sides where its arcs are short, and a tick lies inside: none is
taken for a moved edge.
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
    """The pieces of ``ink`` (255 on 0) that are a copy of one of the box's edges (``box``:
    x, y, w, h in ``ink``'s pixels): straight thin lines along a side that stay out of
    the box, all beside one side of it; 255 where they are. Such lines beside two sides
    are a circle hugging the square, whose arcs beyond the print are short and straight."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    found = np.zeros_like(ink)
    sides: set[str] = set()
    bx, by, bw, bh = box
    for k in range(1, count):
        x, y, w, h = (int(v) for v in stats[k][:4])
        if x < bx + bw and bx < x + w and y < by + bh and by < y + h:
            continue  # it reaches into the box
        piece = labels[y : y + h, x : x + w] == k
        along = piece if w >= h else piece.T
        if not _straight_line(along, bw if w >= h else bh, dpi):
            continue
        if w >= h:
            sides.add("above" if y + h <= by else "below")
        else:
            sides.add("left" if x + w <= bx else "right")
        found[labels == k] = 255
    return found if len(sides) == 1 else np.zeros_like(ink)


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
