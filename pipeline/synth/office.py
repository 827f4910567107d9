"""What the association's office puts on the paper: the received-date stamp and check marks.

A Japanese office stamps every incoming application with a dated 受付印 on its
first sheet, wherever there is room or not (often over the form's fields): a
round date stamp (organisation, date, 受付) or a rectangular one, in red ink
that takes unevenly. Staff tick what they checked in the margins with a red or
black pen. Both are drawn as ink laid over the sheet (``paper.lay_ink``), so a
grey scan shows red ink as grey and a bitonal one as black where it is dense.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.forms.fonts import GOTHIC, print_font_path
from pipeline.synth.paper import lay_ink, px, smooth_noise

STAMP_REDS = ((205, 40, 45), (220, 60, 50), (190, 30, 60), (225, 75, 60))
PEN_RED = (200, 30, 40)
PEN_BLACK = (25, 25, 30)


@dataclass(frozen=True)
class Stamp:
    shape: str  # "round" (data stamp) or "rect"
    centre_mm: tuple[float, float]
    size_mm: tuple[float, float]  # diameter twice for a round one
    angle_deg: float
    colour: tuple[int, int, int]
    density: float  # how much ink the stamp held
    lines: tuple[str, str, str]  # top, middle (the date), bottom


def draw_stamp(rng: np.random.Generator, received: date, page_mm: tuple[float, float]) -> Stamp:
    """Where and how the office stamped the first sheet."""
    r = received.year - 2018  # 令和
    y, m, d = received.year, received.month, received.day
    if rng.random() < 0.6:
        shape = "round"
        side = float(rng.uniform(20, 30))
        size = (side, side)
        dated = [f"{r}.{m}.{d}", f"R{r}.{m}.{d}", f"{y}.{m}.{d}", f"'{y % 100:02d}.{m}.{d}"]
        lines = (
            str(rng.choice(["コン検", "教育検定協会", "事務局"])),
            str(rng.choice(dated)),
            "受付",
        )
    else:
        shape = "rect"
        size = (float(rng.uniform(24, 32)), float(rng.uniform(15, 21)))
        dated = [f"令和{r}年{m}月{d}日", f"{y}年{m}月{d}日", f"{y}.{m:02d}.{d:02d}"]
        lines = (
            "受　付",
            str(rng.choice(dated)),
            str(rng.choice(["(一社)コン検", "コン検事務局"])),
        )
    w, h = page_mm
    if rng.random() < 0.35:  # where the date usually goes: the top right
        centre = (float(rng.uniform(w * 0.55, w - 18)), float(rng.uniform(15, h * 0.28)))
    else:
        centre = (float(rng.uniform(18, w - 18)), float(rng.uniform(18, h - 18)))
    return Stamp(
        shape=shape,
        centre_mm=(round(centre[0], 1), round(centre[1], 1)),
        size_mm=(round(size[0], 1), round(size[1], 1)),
        angle_deg=round(float(rng.normal(0, 8)), 1),
        colour=STAMP_REDS[int(rng.integers(len(STAMP_REDS)))],
        density=round(float(rng.uniform(0.7, 1.0)), 2),
        lines=lines,
    )


def stamp_sheet(img: np.ndarray, dpi: int, stamp: Stamp, rng: np.random.Generator) -> np.ndarray:
    alpha = _stamp_alpha(stamp, dpi, rng)
    x0 = round(px(stamp.centre_mm[0], dpi) - alpha.shape[1] / 2)
    y0 = round(px(stamp.centre_mm[1], dpi) - alpha.shape[0] / 2)
    return lay_ink(img.copy(), alpha, stamp.colour, y0, x0)


def _stamp_alpha(stamp: Stamp, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """The stamp's ink coverage: outline and text, turned, then uneven as real ink is."""
    w, h = (round(px(v, dpi)) for v in stamp.size_mm)
    side = int(math.hypot(w, h)) + 8
    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy = side / 2, side / 2
    stroke = max(2, round(px(0.7, dpi)))
    thin = max(1, round(px(0.4, dpi)))
    font_path = print_font_path(GOTHIC)
    if stamp.shape == "round":
        r = w / 2
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=stroke)
        band = 0.19 * w
        half_chord = math.sqrt(max(r**2 - band**2, 0)) - stroke
        for yy in (cy - band, cy + band):
            draw.line((cx - half_chord, yy, cx + half_chord, yy), fill=255, width=thin)
        rows = ((cy - band * 2.05, 0.17 * w), (cy, 0.2 * w), (cy + band * 2.0, 0.18 * w))
    else:
        box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        draw.rectangle(box, outline=255, width=stroke)
        top = cy - h / 2 + h * 0.33
        draw.line((box[0], top, box[2], top), fill=255, width=thin)
        rows = (
            (cy - h / 2 + h * 0.17, 0.22 * h),
            (cy + h * 0.02, 0.2 * h),
            (cy + h * 0.3, 0.16 * h),
        )
    for text, (yy, size) in zip(stamp.lines, rows, strict=True):
        room = (w if stamp.shape == "rect" else w * 0.78) - 2 * stroke
        font = _fitted(font_path, text, round(size), room)
        draw.text((cx, yy), text, font=font, fill=255, anchor="mm")
    mask = mask.rotate(stamp.angle_deg, resample=Image.Resampling.BILINEAR, center=(cx, cy))
    alpha = np.asarray(mask, dtype=np.float32) / 255.0
    return _inked(alpha, stamp.density, dpi, rng)


def _fitted(path: str, text: str, size: int, room: float) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(path, max(8, size))
    width = font.getlength(text)
    if width > room > 0:
        font = ImageFont.truetype(path, max(8, int(size * room / width)))
    return font


def _inked(alpha: np.ndarray, density: float, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """Real stamp ink: spread a little, pressed harder on one side, blotchy, grainy."""
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.4, px(0.06, dpi)))
    h, w = alpha.shape
    a = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = ((xx - w / 2) * math.cos(a) + (yy - h / 2) * math.sin(a)) / max(h, w)
    pressure = np.clip(1 - rng.uniform(0.1, 0.55) * (ramp + 0.5), 0.3, 1)
    blotch = 0.8 + 0.25 * smooth_noise(rng, (h, w), 7)
    grain = np.where(rng.random((h, w)) < rng.uniform(0.05, 0.3), 0.25, 1.0)
    grain = cv2.GaussianBlur(grain.astype(np.float32), (0, 0), max(0.5, px(0.05, dpi)))
    return np.clip(alpha * density * pressure * blotch * grain * 1.2, 0, 1).astype(np.float32)


@dataclass(frozen=True)
class Tick:
    page: int
    centre_mm: tuple[float, float]
    size_mm: float
    angle_deg: float
    kind: str  # "tick", "circle" or "dash"
    colour: tuple[int, int, int]


def draw_ticks(rng: np.random.Generator, pages: int, page_mm: tuple[float, float]) -> list[Tick]:
    """A member of staff's check marks in the margins, with one pen for the envelope."""
    colour = PEN_RED if rng.random() < 0.65 else PEN_BLACK
    w, h = page_mm
    ticks: list[Tick] = []
    for page in range(pages):
        if rng.random() >= 0.5 and not (page == pages - 1 and not ticks):
            continue
        for _ in range(int(rng.integers(1, 4))):
            left = rng.random() < 0.6
            x = rng.uniform(4, 21) if left else rng.uniform(w - 21, w - 4)
            ticks.append(
                Tick(
                    page=page,
                    centre_mm=(round(float(x), 1), round(float(rng.uniform(35, h - 35)), 1)),
                    size_mm=round(float(rng.uniform(4, 8)), 1),
                    angle_deg=round(float(rng.normal(0, 12)), 1),
                    kind=str(rng.choice(["tick", "tick", "tick", "circle", "dash"])),
                    colour=colour,
                )
            )
    return ticks


def tick_sheet(
    img: np.ndarray, dpi: int, ticks: list[Tick], rng: np.random.Generator
) -> np.ndarray:
    out = img.copy()
    for tick in ticks:
        size = round(px(tick.size_mm * 1.6, dpi))
        layer = np.zeros((size, size), np.float32)
        s = px(tick.size_mm, dpi)
        c = size / 2
        points = _pen_path(tick.kind, s, rng)
        a = math.radians(tick.angle_deg)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        pts = (points @ rot.T + c).round().astype(np.int32)
        width = max(1, round(px(rng.uniform(0.35, 0.6), dpi)))
        cv2.polylines(layer, [pts], tick.kind == "circle", 1.0, width, cv2.LINE_AA)
        layer *= float(rng.uniform(0.75, 1.0))
        x0 = round(px(tick.centre_mm[0], dpi) - c)
        y0 = round(px(tick.centre_mm[1], dpi) - c)
        out = lay_ink(out, layer, tick.colour, y0, x0)
    return out


def _pen_path(kind: str, s: float, rng: np.random.Generator) -> np.ndarray:
    jitter = rng.normal(0, 0.04 * s, size=(24, 2))
    if kind == "circle":
        t = np.linspace(0, 2 * math.pi * rng.uniform(0.9, 1.1), 24)
        pts = np.stack([np.cos(t) * s * 0.45, np.sin(t) * s * 0.35], axis=1)
    elif kind == "dash":
        t = np.linspace(-0.5, 0.5, 24)
        pts = np.stack([t * s, 0.05 * s * np.sin(t * 3)], axis=1)
    else:  # a check mark: short stroke down, long stroke up
        t = np.linspace(0, 1, 24)
        down = t < 0.3
        xs = np.where(down, -0.45 + t / 0.3 * 0.3, -0.15 + (t - 0.3) / 0.7 * 0.65)
        ys = np.where(down, -0.05 + t / 0.3 * 0.35, 0.3 - (t - 0.3) / 0.7 * 0.85)
        pts = np.stack([xs * s, ys * s], axis=1)
    return pts + jitter * 0.3
