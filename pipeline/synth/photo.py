"""A sheet photographed with a phone on a desk.

The sheet lies on a desk (wood, grey laminate, white, dark, or a green cutting
mat) and is photographed from above at an angle: strong perspective, turned a
little, the desk all around it, light falling off across the frame with a soft
shadow of the phone or hand now and then, a colour cast, slight defocus or
shake, sensor noise and the phone's sharpening. The frame is 3:4 portrait; the
sheet's nearer edge is sampled at the envelope's effective resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.synth.paper import smooth_noise

DESKS = ("wood", "grey", "white", "dark", "mat")


@dataclass(frozen=True)
class Shot:
    """How one page was photographed (drawn per page)."""

    desk: str
    fill: float  # share of the frame's height the sheet spans
    tilt: float  # how much narrower the far edge is (share of the width)
    far_edge: str  # "top", "left" or "right"
    angle_deg: float
    light: tuple[float, float, float]  # gradient across x, gradient down y, vignetting
    shadow: bool
    tint: tuple[float, float, float]
    exposure: float
    defocus_px: float
    shake_px: float
    noise: float


def draw_shot(rng: np.random.Generator) -> Shot:
    cast = rng.choice(["warm", "cool", "neutral"])
    tint = {"warm": (1.06, 1.0, 0.86), "cool": (0.94, 1.0, 1.07), "neutral": (1.0, 1.0, 0.98)}
    return Shot(
        desk=str(rng.choice(DESKS)),
        fill=round(float(rng.uniform(0.74, 0.92)), 3),
        tilt=round(float(rng.uniform(0.04, 0.16)), 3),
        far_edge=str(rng.choice(["top", "top", "top", "left", "right"])),
        angle_deg=round(float(rng.normal(0, 3.5)), 2),
        light=(
            round(float(rng.uniform(-0.3, 0.3)), 3),
            round(float(rng.uniform(-0.3, 0.3)), 3),
            round(float(rng.uniform(0.1, 0.4)), 3),
        ),
        shadow=bool(rng.random() < 0.4),
        tint=tint[str(cast)],
        exposure=round(float(rng.uniform(0.82, 1.0)), 3),
        defocus_px=round(float(rng.uniform(0.4, 1.5)), 2),
        shake_px=round(float(rng.choice([0.0, 0.0, rng.uniform(2, 6)])), 1),
        noise=round(float(rng.uniform(2, 6)), 2),
    )


def photograph(
    sheet: np.ndarray, shot: Shot, upside_down: bool, rng: np.random.Generator
) -> np.ndarray:
    """An RGB photograph of ``sheet`` (RGB, sheet pixels) lying on a desk."""
    h, w = sheet.shape[:2]
    frame_h = round(h / shot.fill)
    frame_w = round(frame_h * 3 / 4)
    size = (frame_w, frame_h)
    matrix = _view(w, h, frame_w, frame_h, shot, upside_down, rng)
    placed = cv2.warpPerspective(sheet, matrix, size, flags=cv2.INTER_LINEAR).astype(np.float32)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, size)
    # light and the desk vary slowly: drawn at an eighth of the size, then enlarged
    small = (max(2, frame_w // 8), max(2, frame_h // 8))
    small_mask = cv2.resize(mask, small, interpolation=cv2.INTER_AREA)
    drop = cv2.GaussianBlur(np.roll(small_mask, (1, 1), axis=(0, 1)), (0, 0), 1.2)
    desk = _desk(shot.desk, (small[1], small[0]), rng) * (1 - 0.45 * drop)[..., None]
    light = _light(shot, (small[1], small[0]), rng)
    desk = cv2.resize(desk, size, interpolation=cv2.INTER_LINEAR)
    light = cv2.resize(light, size, interpolation=cv2.INTER_LINEAR)
    alpha = cv2.merge([mask, mask, mask])
    img = cv2.add(cv2.multiply(desk, 1 - alpha), cv2.multiply(placed, alpha))
    gain = [float(t * shot.exposure) for t in shot.tint]
    img = cv2.multiply(img, cv2.merge([light * g for g in gain]))
    img = _optics(np.clip(img, 0, 255).astype(np.uint8), shot)
    noise = np.empty(img.shape, np.int16)
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    # OpenCV takes a scalar here; its stub types it as an array only
    cv2.randn(noise, 0, shot.noise)  # type: ignore[call-overload]
    img = np.clip(cv2.add(img.astype(np.int16), noise), 0, 255).astype(np.uint8)
    soft = cv2.GaussianBlur(img, (0, 0), 1.5)
    return cv2.addWeighted(img, 1.5, soft, -0.5, 0)  # the phone's sharpening, halos included


def _view(
    w: int,
    h: int,
    frame_w: int,
    frame_h: int,
    shot: Shot,
    upside_down: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sheet pixels → frame pixels: the sheet seen at an angle, turned, off centre."""
    t = shot.tilt
    quads = {
        "top": [[t / 2, 0], [1 - t / 2, 0], [1, 1], [0, 1]],
        "left": [[0, t / 2], [1, 0], [1, 1], [0, 1 - t / 2]],
        "right": [[0, 0], [1, t / 2], [1, 1 - t / 2], [0, 1]],
    }
    quad = np.array(quads[shot.far_edge], np.float32) * np.array([w, h], np.float32)
    quad += rng.normal(0, 0.008, size=(4, 2)).astype(np.float32) * np.array([w, h], np.float32)
    if upside_down:
        quad = np.roll(quad, 2, axis=0)
    a = math.radians(shot.angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], np.float32)
    quad = (quad - quad.mean(axis=0)) @ rot.T
    span = quad.max(axis=0) - quad.min(axis=0)
    room = np.array([frame_w, frame_h], np.float32) * 0.97
    quad *= min(1.0, float((room / span).min()))
    slack = (np.array([frame_w, frame_h], np.float32) - (quad.max(axis=0) - quad.min(axis=0))) / 2
    centre = np.array([frame_w, frame_h], np.float32) / 2 + rng.uniform(-1, 1, 2) * slack * 0.8
    quad += centre.astype(np.float32)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    return cv2.getPerspectiveTransform(src, quad.astype(np.float32))


def _desk(kind: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    base = {
        "wood": (150, 105, 70),
        "grey": (140, 140, 135),
        "white": (215, 212, 205),
        "dark": (50, 48, 52),
        "mat": (40, 105, 80),
    }[kind]
    img = np.empty((h, w, 3), np.float32)
    img[:] = np.array(base, np.float32) * rng.uniform(0.85, 1.1)
    texture = 1 + 0.05 * smooth_noise(rng, (h, w), 12)
    if kind == "wood":
        yy = np.arange(h, dtype=np.float32)[:, None]
        warp = h / 20 * smooth_noise(rng, (h, w), 4)
        texture = texture + 0.12 * np.sin((yy + warp) / (h / rng.uniform(60, 140)))
    elif kind == "mat":
        step = max(3, round(w / 30))
        grid = np.zeros((h, w), np.float32)
        grid[::step, :] = 1
        grid[:, ::step] = 1
        texture = texture + 0.35 * grid
    img *= texture[..., None]
    return img


def _light(shot: Shot, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xx / w - 0.5, yy / h - 0.5
    gx, gy, vignette = shot.light
    light = (1 + gx * u + gy * v) * (1 - vignette * (u**2 + v**2) * 2)
    if shot.shadow:  # the phone or a hand between the lamp and the sheet
        blob: np.ndarray = np.zeros((h, w), np.float32)
        centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        axes = (int(w * rng.uniform(0.15, 0.35)), int(h * rng.uniform(0.1, 0.3)))
        cv2.ellipse(blob, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        blob = cv2.GaussianBlur(blob, (0, 0), max(1.0, w / 25))
        light *= 1 - rng.uniform(0.2, 0.45) * blob
    return light


def _optics(img: np.ndarray, shot: Shot) -> np.ndarray:
    img = cv2.GaussianBlur(img, (0, 0), shot.defocus_px)
    if shot.shake_px > 0:
        n = max(3, round(shot.shake_px) | 1)
        kernel = np.zeros((n, n), np.float32)
        kernel[n // 2, :] = 1 / n
        a = (shot.angle_deg * 7) % 180
        rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), a, 1.0)
        kernel = np.asarray(cv2.warpAffine(kernel, rot, (n, n)), dtype=np.float32)
        kernel /= max(kernel.sum(), 1e-6)
        img = cv2.filter2D(img, -1, kernel)
    return img
