"""A circle drawn round a checkbox, or inside it, told from other ink around it.

A circle is seen where its ink lies clear of the print: the share of directions
from the box's centre in which it is seen decides. A tight circle, or one drawn
inside the box, runs into the box's own printed square where it touches it and is
seen only between; such a circle still counts where the seen ink lies on one round
curve about the box's centre and that curve runs into the box's own square exactly
where nothing is seen (any print would not do: round a box in a row, a circle
crosses the neighbours' rulings). Half a circle, a tick, a stroke's tail or a
neighbour's circle is no such curve. A circle that touches a neighbour's circle, or a
line, is one piece of ink with it that reaches far beyond the box; the round curve about
the box's centre is looked for within that piece (``circled_beside``).
"""

from __future__ import annotations

import cv2
import numpy as np

Rect = tuple[int, int, int, int]  # x, y, w, h in pixels of the looked-at square

CIRCLE_BINS = 36
CIRCLE_MIN_RADIUS = 0.45  # of the box's side: a tight circle runs inside the box's corners
OWN_SQUARE_MM = 0.9  # the printed square lies 0.5 mm round the box; neighbours 2 mm and more
ROUND_CENTRE_SHARE = 0.15  # of the box's side: how far the curve's centre may be off the box's
ROUND_SIZE = (0.75, 2.0)  # the curve's axes, in box sides
ROUND_ASPECT = 1.6
ROUND_FIT = 0.06  # of the box's side: how far the seen ink may lie off the curve (90 % of it)
ROUND_UNEXPLAINED_BINS = 2  # gaps of the curve the square does not explain (a pen's skip)
# A circle on the square shows between the square's sides or round its corners, all the
# way round; half a circle hugging the square leaves half the round unseen.
ROUND_LONGEST_UNSEEN_BINS = 12  # a third of the round
# A circle drawn inside the square touches its four sides and shows only in its corners
# (a quarter of the directions or a little more): from this share the curve is looked for.
ROUND_TRIGGER = 0.2


def circled_share(
    own: np.ndarray,
    printed: np.ndarray,
    box: Rect,
    square: Rect,
    clear_px: int,
    undecided: tuple[float, float],
) -> float:
    """The share of directions from the box's centre in which ``own`` ink lies clear of
    all print by ``clear_px``; where that share is ``undecided`` (between the thresholds
    of empty and circled), the directions in which a round curve through that ink runs
    into the box's own printed square (``printed`` within ``square``) count too."""
    clear = cv2.distanceTransform(cv2.bitwise_not(printed), cv2.DIST_L2, 3)
    x, y, w, h = box
    ys, xs = np.nonzero((own > 0) & (clear >= clear_px))
    dy, dx = ys - (y + h / 2), xs - (x + w / 2)
    # A circle encloses the box: ink near the centre (a smudge, a tick's middle) looks
    # every way from it and says nothing about a circle.
    far = np.hypot(dx, dy) >= CIRCLE_MIN_RADIUS * max(w, h)
    if not far.any():
        return 0.0
    seen = set(_direction_bins(xs[far] - (x + w / 2), ys[far] - (y + h / 2)).tolist())
    covered = len(seen) / CIRCLE_BINS
    if not min(undecided[0], ROUND_TRIGGER) < covered < undecided[1]:
        return covered
    square_clear = _clear_of_square(printed, square)
    # Only ink that could lie on an acceptable curve is fitted: a neighbour's circle, a
    # box or more away, is not this box's.
    reach = np.hypot(dx, dy) <= ROUND_SIZE[1] / 2 * max(w, h) + clear_px
    points = np.column_stack([xs[far & reach], ys[far & reach]])
    hidden = _hidden_by_square(points, seen, square_clear, clear_px, box, _half_stroke(own))
    whole = (len(seen) + hidden) / CIRCLE_BINS
    # Below the undecided band only a whole round counts: a circle drawn inside the square
    # shows in its four corners alone.
    return whole if covered > undecided[0] or whole >= undecided[1] else covered


def _clear_of_square(printed: np.ndarray, square: Rect) -> np.ndarray:
    """Each pixel's distance from the box's own printed square (``printed`` within
    ``square``): its neighbours' print and the rulings are left out."""
    sx, sy, sw, sh = square
    within = slice(max(0, sy), sy + sh), slice(max(0, sx), sx + sw)
    own_square = np.zeros_like(printed)
    own_square[within] = printed[within]
    return cv2.distanceTransform(cv2.bitwise_not(own_square), cv2.DIST_L2, 3)


def _direction_bins(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    angles = np.arctan2(dy, dx)
    return ((angles + np.pi) / (2 * np.pi) * CIRCLE_BINS).astype(int) % CIRCLE_BINS


def _half_stroke(own: np.ndarray) -> float:
    """Half the width of the pen's stroke (a thick pen's ink lies that far off the
    curve it draws)."""
    inside = cv2.distanceTransform(own, cv2.DIST_L2, 3)[own > 0]
    return float(np.percentile(inside, 90)) if inside.size else 0.0


def _hidden_by_square(
    points: np.ndarray,
    seen: set[int],
    square_clear: np.ndarray,
    clear_px: int,
    box: Rect,
    half_stroke: float = 0.0,
) -> int:
    """How many of the directions where no circle is seen the box's square hides
    (``square_clear``: the distance from it): 0 unless ``points`` lie on one ellipse
    about the box's centre and every direction not seen but a pen's skip is one where
    that ellipse runs into the square."""
    if len(points) < 10 or _longest_unseen(seen) > ROUND_LONGEST_UNSEEN_BINS:
        return 0
    curve = _round_curve(points, box, half_stroke)
    if curve is None:
        return 0
    x, y, w, h = box
    curve_bins = _direction_bins(curve[:, 0] - (x + w / 2), curve[:, 1] - (y + h / 2))
    within = (
        (curve[:, 0] >= 0)
        & (curve[:, 1] >= 0)
        & (curve[:, 0] < square_clear.shape[1])
        & (curve[:, 1] < square_clear.shape[0])
    )
    unseen = set(range(CIRCLE_BINS)) - seen
    hidden = 0
    for b in unseen:
        on = curve[(curve_bins == b) & within]
        # where ink would not be told from the print (``clear_px``), a pixel's rounding aside
        if len(on) and float((square_clear[on[:, 1], on[:, 0]] <= clear_px + 1).mean()) >= 0.5:
            hidden += 1
    return hidden if len(unseen) - hidden <= ROUND_UNEXPLAINED_BINS else 0


def _longest_unseen(seen: set[int]) -> int:
    """The most directions in a row, round the circle, in which nothing is seen."""
    if not seen:
        return CIRCLE_BINS
    longest = run = 0
    for b in range(2 * CIRCLE_BINS):
        run = 0 if b % CIRCLE_BINS in seen else run + 1
        longest = max(longest, run)
    return min(longest, CIRCLE_BINS)


def _round_curve(points: np.ndarray, box: Rect, half_stroke: float = 0.0) -> np.ndarray | None:
    """The ellipse ``points`` lie on (as points every 2°), if it is about the box's
    centre, about the box's size and round; else None."""
    x, y, w, h = box
    side = float(max(w, h))
    (cx, cy), (d1, d2), curve = _ellipse(points)
    if np.hypot(cx - (x + w / 2), cy - (y + h / 2)) > ROUND_CENTRE_SHARE * side:
        return None
    small, big = sorted((d1, d2))
    if not (ROUND_SIZE[0] * side <= small and big <= ROUND_SIZE[1] * side):
        return None
    if big > ROUND_ASPECT * small:
        return None
    if float(np.percentile(_off_curve(points, curve), 90)) > ROUND_FIT * side + half_stroke:
        return None
    return curve


def _ellipse(
    points: np.ndarray,
) -> tuple[tuple[float, float], tuple[float, float], np.ndarray]:
    """The ellipse fitted to ``points``: its centre, its axes and its curve as points
    every 2°."""
    (cx, cy), (d1, d2), tilt = cv2.fitEllipse(points.astype(np.float32))
    curve = cv2.ellipse2Poly(
        (round(cx), round(cy)), (round(d1 / 2), round(d2 / 2)), round(tilt), 0, 360, 2
    )
    return (cx, cy), (d1, d2), np.asarray(curve)


def _off_curve(points: np.ndarray, curve: np.ndarray) -> np.ndarray:
    """How far each of ``points`` lies from the nearest point of ``curve``."""
    gaps = points[:, None, :].astype(float) - curve[None, :, :].astype(float)
    return np.asarray(np.min(np.hypot(gaps[..., 0], gaps[..., 1]), axis=1))


# A circle round the box that a neighbour's circle, or a line, touches is one piece with
# it: the round curve about the box's centre is looked for among that ink, starting from
# the ink about as far from the centre as most of it (this share of the box's side either
# way), then from the ink on the curve first fitted.
BESIDE_START_BAND = 0.25
BESIDE_FITS = 3


def circled_beside(
    ink: np.ndarray, printed: np.ndarray, box: Rect, square: Rect, clear_px: int
) -> float:
    """The share of directions round the box covered, seen or hidden by its own square,
    by one round curve about the box's centre drawn in ``ink``, which may hold other ink
    joined to it (a neighbour's circle touching this one, a line); 0.0 when ``ink`` holds
    no such curve. Only ink on the curve counts: what else touches it is not looked at."""
    clear = cv2.distanceTransform(cv2.bitwise_not(printed), cv2.DIST_L2, 3)
    x, y, w, h = box
    side = float(max(w, h))
    ys, xs = np.nonzero((ink > 0) & (clear >= clear_px))
    radius = np.hypot(xs - (x + w / 2), ys - (y + h / 2))
    round_band = (radius >= CIRCLE_MIN_RADIUS * side) & (
        radius <= ROUND_SIZE[1] / 2 * side + clear_px
    )
    points = np.column_stack([xs[round_band], ys[round_band]])
    if len(points) < 10:
        return 0.0
    half_stroke = _half_stroke(ink)
    typical = float(np.median(radius[round_band]))
    on = np.abs(radius[round_band] - typical) <= BESIDE_START_BAND * side
    for _ in range(BESIDE_FITS):
        if int(on.sum()) < 10:
            return 0.0
        *_, curve = _ellipse(points[on])
        on = _off_curve(points, curve) <= ROUND_FIT * side + half_stroke + 1.0
    kept = points[on]
    if len(kept) < 10 or _round_curve(kept, box, half_stroke) is None:
        return 0.0
    seen = set(_direction_bins(kept[:, 0] - (x + w / 2), kept[:, 1] - (y + h / 2)).tolist())
    square_clear = _clear_of_square(printed, square)
    hidden = _hidden_by_square(kept, seen, square_clear, clear_px, box, half_stroke)
    return (len(seen) + hidden) / CIRCLE_BINS
