"""What happens to the sheet itself: copies of copies, creases, curl, holes, shadows.

Every function works on a page image in sheet pixels (uint8, grey or RGB) at a
known resolution and returns a new image; sizes are given in millimetres. The
displacements (folds, curl, a bound edge) are smooth functions of the sheet
point, for ``scan.place_on_glass`` to apply in the same resampling as the
scanner's own motion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.synth.scan import Displacement

MM_PER_INCH = 25.4
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def px(mm: float, dpi: int) -> float:
    return mm * dpi / MM_PER_INCH


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Noise in [-1, 1] that varies over about ``cells`` cells along the longer side."""
    h, w = shape
    gh = max(2, round(cells * h / max(h, w)) + 1)
    gw = max(2, round(cells * w / max(h, w)) + 1)
    coarse = rng.uniform(-1, 1, size=(gh, gw)).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC).clip(-1, 1)


def multiply(img: np.ndarray, factor: np.ndarray, y0: int = 0, x0: int = 0) -> np.ndarray:
    """``img`` with a region starting at (y0, x0) multiplied by ``factor`` (float, 2-D)."""
    out = img.copy()
    h, w = factor.shape
    region = out[y0 : y0 + h, x0 : x0 + w]
    f: np.ndarray = np.ascontiguousarray(
        factor[: region.shape[0], : region.shape[1]], dtype=np.float32
    )
    if region.ndim == 3:
        f = cv2.merge([f, f, f])
    out[y0 : y0 + h, x0 : x0 + w] = cv2.multiply(region, f, dtype=cv2.CV_8U)
    return out


def lay_ink(
    img: np.ndarray, alpha: np.ndarray, colour: tuple[int, int, int], y0: int, x0: int
) -> np.ndarray:
    """Ink of ``colour`` with coverage ``alpha`` (0..1) laid over ``img`` at (y0, x0), in place.

    Ink absorbs light: the page is multiplied, so ink over print stays dark. A grey
    page gets the ink's grey (red ink is a mid grey)."""
    h, w = img.shape[:2]
    ay0, ax0 = max(0, -y0), max(0, -x0)
    y1, x1 = min(h, y0 + alpha.shape[0]), min(w, x0 + alpha.shape[1])
    if y1 <= max(0, y0) or x1 <= max(0, x0):
        return img
    a = alpha[ay0 : ay0 + y1 - max(0, y0), ax0 : ax0 + x1 - max(0, x0)]
    region = img[max(0, y0) : y1, max(0, x0) : x1].astype(np.float32)
    ink = np.array(colour, dtype=np.float32) / 255.0
    if img.ndim == 3:
        region *= 1 - a[..., None] * (1 - ink)
    else:
        region *= 1 - a * (1 - float(ink @ LUMA))
    img[max(0, y0) : y1, max(0, x0) : x1] = np.clip(region, 0, 255).astype(np.uint8)
    return img


def grey(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def like(grey_img: np.ndarray, img: np.ndarray) -> np.ndarray:
    return grey_img if img.ndim == 2 else cv2.cvtColor(grey_img, cv2.COLOR_GRAY2RGB)


# --- a photocopy of a photocopy -------------------------------------------------------------


@dataclass(frozen=True)
class CopierSettings:
    """One copier's way of copying (the same for every sheet of a run)."""

    scale: float  # the copier's 100 % is never quite 100 %
    cut: float  # tone (0 black .. 1 white) its text mode turns from toner to paper:
    # high (density set dark): strokes thicken and close up; low (light): thin strokes fade
    softness: float  # how gradually
    blur_mm: float  # its optics
    black: float  # the darkest toner it lays
    white: float  # the copy's background
    specks: float  # toner specks per pixel at 300 dpi


def copy_sheet(
    img: np.ndarray, dpi: int, copier: CopierSettings, rng: np.random.Generator
) -> np.ndarray:
    """One photocopy of a sheet: placed on the glass, blurred, toned, speckled, in grey."""
    g: np.ndarray = grey(img).astype(np.float32)
    h, w = g.shape
    angle = rng.normal(0, 0.25)
    shift = rng.normal(0, px(0.8, dpi), size=2)
    # OpenCV builds the matrix in float64; the stub only says "some number type"
    matrix = np.asarray(
        cv2.getRotationMatrix2D((w / 2, h / 2), angle, copier.scale), dtype=np.float64
    )
    matrix[:, 2] += shift
    g = cv2.warpAffine(g, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255.0)
    g = _copied_edge(g, matrix, dpi, rng)
    g = cv2.GaussianBlur(g, (0, 0), px(copier.blur_mm, dpi))
    t = np.clip((g - 20) / 225, 0, 1) * (1 + 0.05 * smooth_noise(rng, (h, w), 6))  # uneven
    t = 1 / (1 + np.exp(-(t - copier.cut) / copier.softness))
    out = copier.black + t * (copier.white - copier.black)
    out = _toner_specks(out, dpi, copier.specks, rng)
    return like(np.clip(out, 0, 255).astype(np.uint8), img)


def _copied_edge(
    g: np.ndarray, matrix: np.ndarray, dpi: int, rng: np.random.Generator
) -> np.ndarray:
    """The original's edge, where it lay inside the copy, shows as a thin grey line."""
    h, w = g.shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32).reshape(-1, 1, 2)
    moved = cv2.transform(corners, matrix).reshape(-1, 2).astype(np.int32)
    line = np.zeros_like(g)
    cv2.polylines(line, [moved], True, 1.0, max(1, round(px(0.25, dpi))), cv2.LINE_AA)
    return g * (1 - line * rng.uniform(0.3, 0.7))


def _toner_specks(g: np.ndarray, dpi: int, density: float, rng: np.random.Generator) -> np.ndarray:
    h, w = g.shape
    n = int(h * w * density * (300 / dpi) ** 2)
    ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
    mask: np.ndarray = np.zeros((h, w), np.float32)
    mask[ys, xs] = rng.uniform(0.4, 1.0, n)
    big = rng.random(n) < 0.15
    mask = np.maximum(mask, cv2.dilate(_only(mask, ys[big], xs[big]), np.ones((3, 3), np.uint8)))
    mask = cv2.GaussianBlur(mask, (0, 0), 0.6 * dpi / 300)
    return g * (1 - np.clip(mask * 1.6, 0, 0.85))


def _only(mask: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    out = np.zeros_like(mask)
    out[ys, xs] = mask[ys, xs]
    return out


# --- folds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crease:
    y_mm: float  # across the sheet, from its top edge
    tilt_deg: float  # a hand fold is never quite square
    valley: bool  # seen from the front: a valley (dark line) or a ridge (shadow beside it)
    depth: float  # how dark the crease line is


def crease_shading(
    img: np.ndarray, dpi: int, creases: list[Crease], rng: np.random.Generator
) -> np.ndarray:
    """Shade each crease across the sheet and crack the toner that crosses it."""
    h, w = img.shape[:2]
    half = round(px(12, dpi))
    out = img
    for crease in creases:
        yc = px(crease.y_mm, dpi)
        y0 = max(0, round(yc) - half)
        y1 = min(h, round(yc) + half)
        if y1 <= y0:
            continue
        ys = np.arange(y0, y1, dtype=np.float32)[:, None]
        xs = np.arange(w, dtype=np.float32)[None, :]
        line = yc + (xs - w / 2) * math.tan(math.radians(crease.tilt_deg))
        line = line + px(0.4, dpi) * smooth_noise(rng, (1, w), 5)
        d = (ys - line) / px(1, dpi)  # mm from the crease, signed
        along = 0.75 + 0.25 * smooth_noise(rng, (1, w), 8)  # pressed harder here than there
        core = np.exp(-((d / rng.uniform(0.15, 0.35)) ** 2)) * crease.depth * along
        side = np.where(d > 0, 1.0, -1.0) * (1 if crease.valley else -1)
        shadow = np.exp(-np.abs(d) / rng.uniform(2, 6)) * rng.uniform(0.03, 0.09) * (side > 0)
        light = np.exp(-np.abs(d) / 3) * rng.uniform(0.01, 0.04) * (side < 0)
        factor = 1 - (core if crease.valley else core * 0.5) - shadow + light
        out = multiply(out, factor.astype(np.float32), y0, 0)
        out = _crack_toner(out, y0, d, rng)
    return out


def _crack_toner(
    img: np.ndarray, y0: int, d_mm: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Toner flakes off where print crosses a fold: flecks of paper in the strokes."""
    band = np.abs(d_mm) < 0.25
    flecks = band & (rng.random(band.shape) < 0.35)
    region = img[y0 : y0 + band.shape[0]]
    dark = grey(region) < 128
    hit = flecks & dark
    region[hit] = np.maximum(region[hit], 200)
    return img


@dataclass(frozen=True)
class Panel:
    """How one folded panel lies: turned about a point of its crease and shifted (mm, deg)."""

    pivot_mm: tuple[float, float]
    angle_deg: float
    shift_mm: tuple[float, float]


def fold_displacement(
    panels: list[tuple[Panel, float, int]], dpi: int, blend_mm: float
) -> Displacement:
    """Panels that do not lie flat: each (panel, crease y mm, side) moves the sheet beyond its
    crease (side -1: above it, +1: below), blending into the neighbour over ``blend_mm``."""
    k = px(1, dpi)

    def moved(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx = np.zeros_like(x, dtype=np.float32)
        dy = np.zeros_like(y, dtype=np.float32)
        for panel, crease_mm, side in panels:
            z = np.clip(-side * (y - crease_mm * k) / (blend_mm * k / 4), -60, 60)
            weight = 1 / (1 + np.exp(z))
            a = math.radians(panel.angle_deg)
            px0, py0 = panel.pivot_mm[0] * k, panel.pivot_mm[1] * k
            rx = (x - px0) * math.cos(a) - (y - py0) * math.sin(a) + px0
            ry = (x - px0) * math.sin(a) + (y - py0) * math.cos(a) + py0
            dx += weight * (rx - x + panel.shift_mm[0] * k)
            dy += weight * (ry - y + panel.shift_mm[1] * k)
        return dx, dy

    return moved


# --- curl and bound edges --------------------------------------------------------------------


@dataclass(frozen=True)
class Lift:
    """An edge of the sheet lifted off the glass: drawn toward the middle near it."""

    edge: str  # "left", "right", "top", "bottom" of the sheet
    amount_mm: float
    reach_mm: float


@dataclass(frozen=True)
class Wave:
    """A gentle bend across the whole sheet."""

    amplitude_mm: tuple[float, float]
    wavelength_mm: float
    direction_deg: float
    phase: float


def _edge_distance(edge: str, x: np.ndarray, y: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return {"left": x, "right": w - x, "top": y, "bottom": h - y}[edge]


def sheet_displacement(
    lifts: list[Lift], waves: list[Wave], dpi: int, size: tuple[int, int]
) -> Displacement:
    """Curl and bent sheets: smooth, non-linear offsets of a few millimetres."""
    k = px(1, dpi)

    def moved(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx = np.zeros_like(x, dtype=np.float32)
        dy = np.zeros_like(y, dtype=np.float32)
        for lift in lifts:
            s = np.clip(1 - _edge_distance(lift.edge, x, y, size) / (lift.reach_mm * k), 0, 1)
            pull = lift.amount_mm * k * s**2
            inward = {"left": (1, 0), "right": (-1, 0), "top": (0, 1), "bottom": (0, -1)}
            ix, iy = inward[lift.edge]
            dx += ix * pull
            dy += iy * pull
        for wave in waves:
            a = math.radians(wave.direction_deg)
            t = (x * math.cos(a) + y * math.sin(a)) / (wave.wavelength_mm * k) * 2 * math.pi
            dx += wave.amplitude_mm[0] * k * np.sin(t + wave.phase)
            dy += wave.amplitude_mm[1] * k * np.cos(t + wave.phase * 1.7)
        return dx, dy

    return moved


def join(*parts: Displacement | None) -> Displacement | None:
    """Several displacements of one sheet, added."""
    present = [p for p in parts if p is not None]
    if not present:
        return None

    def moved(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx = np.zeros_like(x, dtype=np.float32)
        dy = np.zeros_like(y, dtype=np.float32)
        for part in present:
            ddx, ddy = part(x, y)
            dx += ddx
            dy += ddy
        return dx, dy

    return moved


def edge_shadow(
    img: np.ndarray,
    dpi: int,
    edge: str,
    width_mm: float,
    depth: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Darkness falling off from one edge of the image (a bound edge, a lifted one)."""
    h, w = img.shape[:2]
    reach = min(round(px(width_mm * 4, dpi)), w if edge in ("left", "right") else h)
    along = w if edge in ("top", "bottom") else h
    d = np.arange(reach, dtype=np.float32)[:, None] / px(width_mm, dpi)
    uneven = 1 + 0.25 * smooth_noise(rng, (1, along), 6)
    factor = (1 - depth * np.exp(-d) * uneven).clip(0.05, 1).astype(np.float32)  # (reach, along)
    if edge == "top":
        return multiply(img, factor, 0, 0)
    if edge == "bottom":
        return multiply(img, factor[::-1], h - reach, 0)
    if edge == "left":
        return multiply(img, factor.T, 0, 0)
    return multiply(img, factor.T[:, ::-1], 0, w - reach)


# --- punch holes -----------------------------------------------------------------------------


def punch_holes(
    img: np.ndarray,
    dpi: int,
    centres_mm: list[tuple[float, float]],
    diameter_mm: float,
    backing: float,
) -> np.ndarray:
    """Holes through the sheet show what is behind it: ``backing`` grey (dark: an ADF's black
    plate; light: a white lid, with the hole's rim casting a thin shadow)."""
    out = img.copy()
    r = px(diameter_mm / 2, dpi)
    size = int(r * 2 + 8)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) - size / 2
    dist = np.sqrt(xx**2 + yy**2)
    inside = np.clip(r - dist + 0.5, 0, 1)
    rim = np.exp(-(((dist - r) / max(1.0, px(0.25, dpi))) ** 2)) * (yy < 0) * 0.45
    for cx, cy in centres_mm:
        x0, y0 = round(px(cx, dpi) - size / 2), round(px(cy, dpi) - size / 2)
        if x0 < 0 or y0 < 0 or x0 + size > out.shape[1] or y0 + size > out.shape[0]:
            continue
        region = out[y0 : y0 + size, x0 : x0 + size].astype(np.float32)
        a = inside if region.ndim == 2 else inside[..., None]
        shade = rim if region.ndim == 2 else rim[..., None]
        region = region * (1 - a) + backing * a
        if backing > 128:
            region *= 1 - shade
        out[y0 : y0 + size, x0 : x0 + size] = np.clip(region, 0, 255).astype(np.uint8)
    return out
