"""A streak down the sheet: dirt on a scanner's or fax's glass draws one line the length
of the page, along the way the paper travelled.

Such a line is inked, unlike a fold's crease, and crosses every box in its column.
What tells it from a pen is its reach: a line drawn for a checkbox, even a long
slash, ends within a few millimetres of it; a streak runs straight along one of the
page's axes for centimetres beyond. ``marks.checkbox_ink`` takes it away like a
crease and judges the box without it; a mark left under it is sure only where it is
drawn at a slant (``slanted``). ``dominant_line`` finds the one straight line most of
a set of points lie on (a crease's or a streak's, where it meets the looked-at square).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from pipeline.extract.crops import ink_mask, mm_to_px

# How far a streak runs straight beyond the looked-at square, on at least one side (a
# fax's streak may start part way down the page, so not on both).
STREAK_MM = 20.0
AXIS_DEG = 2.0  # a streak follows the paper's travel: within this of an axis
INKED_SHARE = 0.9  # of the steps along it that show ink (a dropped row or two aside)
SEARCH_PX = 2  # how far across the line its ink is looked for near the crop
# ...and further out, as the direction fitted in a small crop may be off by this much
DIRECTION_DEG = 0.5

Line = tuple[float, float, float, float]  # direction (vx, vy) and a point (x0, y0)


def is_streak(page: np.ndarray, origin: tuple[int, int], line: Line, dpi: float) -> bool:
    """Whether ``line`` (in a crop whose top-left corner is ``origin`` on ``page``) lies
    along a page axis and is inked on the page for ``STREAK_MM`` beyond the crop, in
    either direction."""
    vx, vy, x0, y0 = line
    angle = math.degrees(math.atan2(abs(vy), abs(vx)))
    if min(angle, 90.0 - angle) > AXIS_DEG:
        return False
    reach = mm_to_px(STREAK_MM, dpi)
    px, py = x0 + origin[0], y0 + origin[1]
    return any(_inked_run(page, (px, py), (vx * sign, vy * sign), reach) for sign in (1, -1))


def _inked_run(
    page: np.ndarray, start: tuple[float, float], step: tuple[float, float], length: int
) -> bool:
    """Whether the page shows ink along ``step`` from where the line leaves the crop,
    for ``length`` pixels."""
    h, w = page.shape[:2]
    # From half the distance out (past the crop, a few mm across) for ``length`` more.
    along = np.arange(length // 2, length // 2 + length, dtype=float)
    tolerance = SEARCH_PX + np.ceil(along * math.tan(math.radians(DIRECTION_DEG))).astype(int)
    widest = int(tolerance.max())
    xs = np.round(start[0] + step[0] * along).astype(int)
    ys = np.round(start[1] + step[1] * along).astype(int)
    inside = (xs >= widest) & (ys >= widest) & (xs < w - widest) & (ys < h - widest)
    if inside.mean() < INKED_SHARE:
        return False
    xs, ys, tolerance = xs[inside], ys[inside], tolerance[inside]
    x0, y0 = int(xs.min()) - widest, int(ys.min()) - widest
    x1, y1 = int(xs.max()) + widest + 1, int(ys.max()) + widest + 1
    ink = ink_mask(np.ascontiguousarray(page[y0:y1, x0:x1])) > 0
    # Across the line: along rows for a vertical line, along columns for a horizontal one.
    across_x = abs(step[1]) > abs(step[0])
    hit = np.zeros(len(xs), dtype=bool)
    for d in range(-widest, widest + 1):
        near = np.abs(d) <= tolerance
        cx = xs - x0 + (d if across_x else 0)
        cy = ys - y0 + (0 if across_x else d)
        hit |= near & ink[cy, cx]
    return float(hit.mean()) >= INKED_SHARE


def dominant_line(points: np.ndarray, half: float) -> Line | None:
    """The straight line most of ``points`` lie within ``half`` of (pairs of points tried
    in a fixed order, then refitted on the winner's points), or ``None``."""
    rng = np.random.default_rng(0)  # the same tries every time: a page reads the same twice
    best: np.ndarray | None = None
    for _ in range(60):
        a, b = points[rng.choice(len(points), 2, replace=False)]
        d = b - a
        norm = float(np.hypot(*d))
        if norm < 2 * half:
            continue
        distance = np.abs((points[:, 0] - a[0]) * d[1] - (points[:, 1] - a[1]) * d[0]) / norm
        inliers = distance <= half
        if best is None or inliers.sum() > best.sum():
            best = inliers
    if best is None or best.sum() < 4:
        return None
    fitted = cv2.fitLine(points[best], cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    vx, vy, x0, y0 = (float(v) for v in fitted)
    return vx, vy, x0, y0
