"""Ink drawn at a slant inside a checkbox: a pen's tick or cross, never the form's print.

A fold, a curl or a fax can move one edge of a box's printed square inside it, and
the line a crease leaves behind may lie there too: inside the box such ink looks like a
mark. Both are straight lines along the square's sides (a photograph turns them a
few degrees at most). A tick or a cross is drawn at a slant. So what is left inside
the box once straight lines along its sides are taken away, where its edges run at a
slant, is ink no print or crease left there.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.extract.penmanship import edge_directions

Rect = tuple[int, int, int, int]  # x, y, w, h in pixels

# A straight line along a side: at least this share of the box's inside long, turned no
# more than these degrees from the side (a photographed or skewed sheet).
AXIS_LINE_SHARE = 0.6
AXIS_TILTS_DEG = (-6.0, -3.0, 0.0, 3.0, 6.0)
# Edges this far from both axes are a slant (a tick's strokes lie near 45 degrees).
SLANT_DEG = (20.0, 70.0)
# Of the edges of what is left, the share that must run at a slant: a moved square's
# corner, or the stub of a side, leaves edges along the axes.
SLANT_EDGES = 0.5
EDGE_BLUR_PX = 1.5  # binary edges are stair steps; blurred, they take the stroke's angle


def slanted_share(ink: np.ndarray, inside: Rect) -> float:
    """The share of ``inside`` inked (``ink``: 255 on 0) once straight lines along the
    box's sides are taken away, where most of what is left runs at a slant; else 0.0."""
    x, y, w, h = inside
    if w <= 2 or h <= 2:
        return 0.0
    length = max(3, int(AXIS_LINE_SHARE * min(w, h)))
    lines = np.zeros_like(ink)
    for vertical in (False, True):
        for tilt in AXIS_TILTS_DEG:
            lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, _line_kernel(length, tilt, vertical))
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    left = cv2.bitwise_and(ink, cv2.bitwise_not(lines))[y : y + h, x : x + w]
    if not left.any() or _slanted_edges(left) < SLANT_EDGES:
        return 0.0
    return float((left > 0).mean())


def _line_kernel(length: int, tilt_deg: float, vertical: bool) -> np.ndarray:
    """A one-pixel line ``length`` long, along the x axis (or the y axis) turned by
    ``tilt_deg``, as a structuring element."""
    kernel = np.zeros((length, length), np.uint8)
    centre = length // 2
    angle = np.radians(tilt_deg + (90.0 if vertical else 0.0))
    dx, dy = np.cos(angle) * centre, np.sin(angle) * centre
    start = (round(centre - dx), round(centre - dy))
    end = (round(centre + dx), round(centre + dy))
    cv2.line(kernel, start, end, 1, 1)
    return kernel


def _slanted_edges(ink: np.ndarray) -> float:
    """The share of ``ink``'s edge strength that runs at a slant (``SLANT_DEG``)."""
    theta, strength = edge_directions(ink, EDGE_BLUR_PX)
    if not strength.size:
        return 0.0
    theta = theta % 90.0
    slanted = (theta > SLANT_DEG[0]) & (theta < SLANT_DEG[1])
    return float(strength[slanted].sum() / strength.sum())


# A tick or a cross is two strokes at an angle; a piece of a line that crosses the box
# is one. Ink whose pixels (90 % of them) lie within twice the stroke's half-width of one
# straight line through them, or this share of the inside's side, is one stroke.
ONE_STROKE_SHARE = 0.1


def one_straight_stroke(ink: np.ndarray, inside: Rect) -> bool:
    """Whether the ink inside lies along one straight line (a piece of a line that
    crosses the box, broken off the rest) rather than making a tick or a cross."""
    x, y, w, h = inside
    within = np.ascontiguousarray(ink[y : y + h, x : x + w])
    ys, xs = np.nonzero(within)
    if len(xs) < 3:
        return True
    points = np.column_stack([xs, ys]).astype(float)
    centred = points - points.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    across = float(np.percentile(np.abs(centred @ axes[1]), 90))
    depth = cv2.distanceTransform((within > 0).astype(np.uint8), cv2.DIST_L2, 3)
    half_stroke = float(np.percentile(depth[within > 0], 90))
    return across <= max(2.0 * half_stroke, ONE_STROKE_SHARE * min(w, h))
