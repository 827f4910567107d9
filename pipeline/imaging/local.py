"""Local correction after the page's homography: where each part of the sheet really is.

One homography from the four corner marks is right for a flat sheet. A sheet
folded in three for its envelope, curled on the platen, photographed on a desk
or pushed through a fax sits millimetres off it between the marks, and the
error changes across the page. The blank form's own print (rulings, boxes,
labels) shows where: tile by tile, the aligned page is matched against the
blank within ``SEARCH_MM``; offsets that disagree with their neighbours are
dropped; the rest make a smooth field that ``dewarp`` undoes. The offsets found
are kept (``LocalWarp``) so each page records how far it was corrected.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MM_PER_INCH = 25.4
MATCH_DPI = 50.0  # coarse: half a millimetre a pixel, refined below a pixel
COARSE_TILE_MM, COARSE_STEP_MM, COARSE_SEARCH_MM = 60.0, 30.0, 7.0
TILE_MM, STEP_MM = 24.0, 12.0
FINE_SEARCH_MM = 2.5  # around the coarse offset: well within a period of repeated print
MIN_STRUCTURE = 12.0  # grey-level spread a tile of the blank needs to be matched on
MIN_MATCH = 0.45  # normalised correlation a tile's best offset must reach
NEIGHBOUR_MM = 1.0  # an offset further than this from its neighbours' median is dropped
WORTH_MM = 0.3  # below this everywhere, the page is left as it is


@dataclass(frozen=True)
class LocalWarp:
    """Offsets (mm) at grid nodes: where the page shows what the blank prints at the node."""

    xs_mm: np.ndarray  # node x positions
    ys_mm: np.ndarray  # node y positions
    dx_mm: np.ndarray  # shape (len(ys), len(xs))
    dy_mm: np.ndarray
    matched: np.ndarray  # bool, the nodes matched on print (the rest interpolated)

    @property
    def largest_mm(self) -> float:
        if not self.matched.any():
            return 0.0
        return float(np.hypot(self.dx_mm, self.dy_mm)[self.matched].max())

    @property
    def worth_applying(self) -> bool:
        return self.largest_mm >= WORTH_MM

    def applied_at(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """The offset at a point where the warp is worth applying, else none."""
        return self.at(x_mm, y_mm) if self.worth_applying else (0.0, 0.0)

    def at(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """The offset at a point (bilinear between nodes)."""
        return (
            _bilinear(self.xs_mm, self.ys_mm, self.dx_mm, x_mm, y_mm),
            _bilinear(self.xs_mm, self.ys_mm, self.dy_mm, x_mm, y_mm),
        )


def _darkness(image: np.ndarray, dpi: float) -> np.ndarray:
    scale = MATCH_DPI / dpi
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return (255.0 - small.astype(np.float32)).astype(np.float32)


def find_local_warp(page: np.ndarray, blank: np.ndarray, dpi: float) -> LocalWarp:
    """The local offsets of an aligned ``page`` against its ``blank`` (same size, ``dpi``):
    coarse offsets from large tiles, refined on small ones."""
    ink = _darkness(page, dpi)
    printed = _darkness(blank, dpi)
    if printed.shape != ink.shape:
        printed = cv2.resize(printed, (ink.shape[1], ink.shape[0]), interpolation=cv2.INTER_AREA)
    coarse = _offsets(ink, printed, COARSE_TILE_MM, COARSE_STEP_MM, COARSE_SEARCH_MM, None)
    return _offsets(ink, printed, TILE_MM, STEP_MM, FINE_SEARCH_MM, coarse)


def _offsets(
    ink: np.ndarray,
    printed: np.ndarray,
    tile_mm: float,
    step_mm: float,
    search_mm: float,
    around: LocalWarp | None,
) -> LocalWarp:
    """Offsets on a grid of ``tile_mm`` tiles every ``step_mm``, each looked for within
    ``search_mm`` of what ``around`` says there (of none when it is None)."""
    px_per_mm = MATCH_DPI / MM_PER_INCH
    height_mm, width_mm = ink.shape[0] / px_per_mm, ink.shape[1] / px_per_mm
    xs = np.arange(tile_mm / 2, width_mm - tile_mm / 2 + 1e-6, step_mm)
    ys = np.arange(tile_mm / 2, height_mm - tile_mm / 2 + 1e-6, step_mm)
    dx = np.zeros((len(ys), len(xs)))
    dy = np.zeros_like(dx)
    matched = np.zeros(dx.shape, dtype=bool)
    half, search = round(tile_mm / 2 * px_per_mm), round(search_mm * px_per_mm)
    for j, y_mm in enumerate(ys):
        for i, x_mm in enumerate(xs):
            guess = around.at(float(x_mm), float(y_mm)) if around is not None else (0.0, 0.0)
            centre = (round(x_mm * px_per_mm), round(y_mm * px_per_mm))
            start = (round(guess[0] * px_per_mm), round(guess[1] * px_per_mm))
            found = _match_tile(ink, printed, centre, start, half, search)
            if found is not None:
                dx[j, i], dy[j, i] = found[0] / px_per_mm, found[1] / px_per_mm
                matched[j, i] = True
    matched &= _consistent(dx, dy, matched)
    if around is not None and not matched.any():
        return around  # nothing to refine on: the coarse offsets stand
    dx, dy = _filled(dx, matched), _filled(dy, matched)
    return LocalWarp(xs, ys, dx, dy, matched)


def _match_tile(
    ink: np.ndarray,
    printed: np.ndarray,
    centre: tuple[int, int],
    start: tuple[int, int],
    half: int,
    search: int,
) -> tuple[float, float] | None:
    """Offset (px, sub-pixel) of the blank's tile at ``centre`` on the page, looked for
    within ``search`` of ``start``; None when the tile prints too little to match on, or
    nothing on the page matches it well."""
    cx, cy = centre
    tile = printed[cy - half : cy + half, cx - half : cx + half]
    if tile.shape != (2 * half, 2 * half) or float(tile.std()) < MIN_STRUCTURE:
        return None
    cx, cy = cx + start[0], cy + start[1]
    y0, x0 = cy - half - search, cx - half - search
    region = ink[max(0, y0) : cy + half + search, max(0, x0) : cx + half + search]
    if region.shape[0] < tile.shape[0] or region.shape[1] < tile.shape[1]:
        return None
    scores = cv2.matchTemplate(region, tile, cv2.TM_CCOEFF_NORMED)
    _, best, _, (bx, by) = cv2.minMaxLoc(scores)
    if best < MIN_MATCH or not _distinct(scores, bx, by, best):
        return None
    sx = bx + _parabola(scores, by, bx, axis=1)
    sy = by + _parabola(scores, by, bx, axis=0)
    return (
        start[0] + sx - (cx - half - max(0, x0)),
        start[1] + sy - (cy - half - max(0, y0)),
    )


UNIQUE_MM = 1.5  # outside this of the best offset, no other offset may match about as well
DISTINCT_DROP = 0.08  # the correlation the best offset must beat every other one by


def _distinct(scores: np.ndarray, bx: int, by: int, best: float) -> bool:
    """The peak is the one place the tile fits: not at the edge of the search, and every
    offset further than ``UNIQUE_MM`` from it fits clearly worse (a tile of only
    horizontal lines fits all along them; a row of boxes one box further on)."""
    h, w = scores.shape
    if bx in (0, w - 1) or by in (0, h - 1):
        return False
    radius = max(1, round(UNIQUE_MM * MATCH_DPI / MM_PER_INCH))
    others = scores.copy()
    others[max(0, by - radius) : by + radius + 1, max(0, bx - radius) : bx + radius + 1] = -1.0
    return float(others.max()) <= best - DISTINCT_DROP


def _parabola(scores: np.ndarray, y: int, x: int, *, axis: int) -> float:
    """Sub-pixel position of a peak along one axis."""
    if axis == 1 and 0 < x < scores.shape[1] - 1:
        a, b, c = scores[y, x - 1], scores[y, x], scores[y, x + 1]
    elif axis == 0 and 0 < y < scores.shape[0] - 1:
        a, b, c = scores[y - 1, x], scores[y, x], scores[y + 1, x]
    else:
        return 0.0
    denominator = a - 2 * b + c
    return float(0.5 * (a - c) / denominator) if denominator < 0 else 0.0


def _consistent(dx: np.ndarray, dy: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """Nodes whose offset lies within ``NEIGHBOUR_MM`` of their matched neighbours'
    median (a node with no matched neighbour stands on its own)."""
    keep = matched.copy()
    rows, cols = dx.shape
    for j in range(rows):
        for i in range(cols):
            if not matched[j, i]:
                continue
            near = matched[max(0, j - 1) : j + 2, max(0, i - 1) : i + 2].copy()
            near[min(j, 1), min(i, 1)] = False
            if near.sum() < 2:
                continue
            mx = float(np.median(dx[max(0, j - 1) : j + 2, max(0, i - 1) : i + 2][near]))
            my = float(np.median(dy[max(0, j - 1) : j + 2, max(0, i - 1) : i + 2][near]))
            keep[j, i] = np.hypot(dx[j, i] - mx, dy[j, i] - my) <= NEIGHBOUR_MM
    return keep


def _filled(values: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """Unmatched nodes take the inverse-distance mean of the matched ones (0 if none)."""
    if not matched.any():
        return np.zeros_like(values)
    out = values.copy()
    known = np.argwhere(matched)
    for j, i in np.argwhere(~matched):
        d2 = ((known - (j, i)) ** 2).sum(axis=1).astype(float)
        weights = 1.0 / d2**2
        out[j, i] = float((values[matched] * weights).sum() / weights.sum())
    return out


def _bilinear(xs: np.ndarray, ys: np.ndarray, grid: np.ndarray, x: float, y: float) -> float:
    fx = float(np.clip(np.interp(x, xs, np.arange(len(xs))), 0, len(xs) - 1))
    fy = float(np.clip(np.interp(y, ys, np.arange(len(ys))), 0, len(ys) - 1))
    i0, j0 = int(fx), int(fy)
    i1, j1 = min(i0 + 1, len(xs) - 1), min(j0 + 1, len(ys) - 1)
    tx, ty = fx - i0, fy - j0
    top = grid[j0, i0] * (1 - tx) + grid[j0, i1] * tx
    bottom = grid[j1, i0] * (1 - tx) + grid[j1, i1] * tx
    return float(top * (1 - ty) + bottom * ty)


COARSE_MM = 2.0  # the offset images are built this coarse, then stretched to the page


def dewarp(page: np.ndarray, warp: LocalWarp, dpi: float, *, fill: int = 255) -> np.ndarray:
    """The page with its local offsets undone: each pixel taken from where the page
    shows what the blank prints there (``fill`` where it shows nothing)."""
    h, w = page.shape[:2]
    px_per_mm = dpi / MM_PER_INCH
    coarse_w = max(2, round(w / px_per_mm / COARSE_MM))
    coarse_h = max(2, round(h / px_per_mm / COARSE_MM))
    # Node coordinates of each coarse cell's centre, as fractional grid indices.
    x_mm = (np.arange(coarse_w, dtype=np.float32) + 0.5) * (w / px_per_mm / coarse_w)
    y_mm = (np.arange(coarse_h, dtype=np.float32) + 0.5) * (h / px_per_mm / coarse_h)
    cols = np.interp(x_mm, warp.xs_mm, np.arange(len(warp.xs_mm))).astype(np.float32)
    rows = np.interp(y_mm, warp.ys_mm, np.arange(len(warp.ys_mm))).astype(np.float32)
    map_c = np.broadcast_to(cols[None, :], (coarse_h, coarse_w)).astype(np.float32)
    map_r = np.broadcast_to(rows[:, None], (coarse_h, coarse_w)).astype(np.float32)
    shifts = []
    for grid in (warp.dx_mm, warp.dy_mm):
        coarse = cv2.remap(
            grid.astype(np.float32) * px_per_mm,
            map_c,
            map_r,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        shifts.append(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR))
    map_x = shifts[0] + np.arange(w, dtype=np.float32)[None, :]
    map_y = shifts[1] + np.arange(h, dtype=np.float32)[:, None]
    return cv2.remap(
        page, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )
