"""Devices other than the office scanner: a fax line, and defects of the stored image.

A fax machine scans the sheet at 200 dpi across and 100 (standard) or 200 (fine)
lines per inch down, thresholds it, and sends it line by line: dirt on its glass
draws a streak down every page, a dead sensor element a white one, and a noisy
line garbles, repeats or drops a few rows. The sending machine prints its
identification (date, number, name, page) on a header line at the top, over the
sheet or above it. Salt-and-pepper speckle is what a dusty or ageing scanner adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.forms.fonts import GOTHIC, print_font_path
from pipeline.synth.paper import px


@dataclass(frozen=True)
class Streak:
    x_mm: float
    width_px: int
    black: bool  # dirt on the glass (black) or a dead element (white)
    from_y: float  # share of the page height where it starts


@dataclass(frozen=True)
class Fax:
    fine: bool  # 200 x 200 dpi; else standard 200 x 100
    threshold: int
    header_outside: bool  # the header pushed the sheet down rather than printed over it
    header: str
    streaks: tuple[Streak, ...]


def draw_fax(rng: np.random.Generator, sent_at: datetime, phone: str, sender: str) -> Fax:
    """One sender's fax machine: resolution, threshold, header, dirty glass (same on every page)."""
    streaks = tuple(
        Streak(
            x_mm=round(float(rng.uniform(15, 195)), 1),
            width_px=int(rng.integers(1, 4)),
            black=bool(rng.random() < 0.7),
            from_y=round(float(rng.choice([0.0, 0.0, rng.uniform(0, 0.7)])), 2),
        )
        for _ in range(int(rng.choice([0, 1, 1, 2, 3])))
    )
    number = phone.replace("-", "")
    header = f"{sent_at:%Y/%m/%d %H:%M}  FAX {number}  {sender}"
    return Fax(
        fine=bool(rng.random() < 0.4),
        threshold=int(rng.integers(115, 165)),
        header_outside=bool(rng.random() < 0.5),
        header=header,
        streaks=streaks,
    )


def transmit(
    img: np.ndarray, dpi: int, fax: Fax, page: int, pages: int, rng: np.random.Generator
) -> np.ndarray:
    """The page as the receiving end stores it: bitonal, 200 x 100 or 200 x 200 dpi."""
    g = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    header_h = round(px(4.0, dpi))
    if fax.header_outside:
        g = np.vstack([np.full((header_h, g.shape[1]), 255, np.uint8), g[:-header_h]])
    sharp = cv2.addWeighted(g, 1.6, cv2.GaussianBlur(g, (0, 0), 1.2), -0.6, 0)
    _, out = cv2.threshold(sharp, fax.threshold, 255, cv2.THRESH_BINARY)
    out = _header(out, dpi, f"{fax.header}  P.{page + 1:03d}/{pages:03d}")
    if not fax.fine:
        out = cv2.resize(out, (out.shape[1], out.shape[0] // 2), interpolation=cv2.INTER_AREA)
        out = np.where(out < 128, 0, 255).astype(np.uint8)
    out = _streaks(out, dpi, fax.streaks)
    return _line_errors(out, rng)


def _header(img: np.ndarray, dpi: int, text: str) -> np.ndarray:
    """The sending machine's identification line, in its coarse type, at the top."""
    height = round(px(2.6, dpi))
    font = ImageFont.truetype(print_font_path(GOTHIC), height)
    layer = Image.new("L", (img.shape[1], round(height * 1.5)), 0)
    ImageDraw.Draw(layer).text((round(px(6, dpi)), 0), text, font=font, fill=255)
    ink = np.asarray(layer) > 110
    top = round(px(1.0, dpi))
    band = img[top : top + ink.shape[0]]
    band[ink[: band.shape[0]]] = 0
    return img


def _streaks(img: np.ndarray, dpi: int, streaks: tuple[Streak, ...]) -> np.ndarray:
    h, w = img.shape
    for s in streaks:
        x = min(w - s.width_px, round(px(s.x_mm, dpi)))
        img[round(s.from_y * h) :, x : x + s.width_px] = 0 if s.black else 255
    return img


def _line_errors(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A noisy telephone line: a garbled row, a repeated one, a few dropped."""
    h, w = img.shape
    for _ in range(int(rng.choice([0, 1, 1, 2, 3]))):
        y = int(rng.integers(h // 10, h - 10))
        kind = rng.choice(["garbled", "repeat", "dropout"])
        start = int(rng.integers(0, w // 2))
        end = int(rng.integers(start + w // 8, w))
        if kind == "garbled":
            img[y, start:end] = np.where(rng.random(end - start) < 0.5, 0, 255)
        elif kind == "repeat":
            n = int(rng.integers(2, 8))
            img[y : y + n] = img[y]
        else:
            img[y : y + int(rng.integers(2, 7)), start:end] = 255
    return img


def speckle(img: np.ndarray, density: float, rng: np.random.Generator) -> np.ndarray:
    """Salt-and-pepper: isolated black and white pixels and small clusters."""
    out = img.copy()
    h, w = out.shape[:2]
    for value, share in ((0, 1.0), (255, 0.6)):
        n = int(h * w * density * share)
        ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
        out[ys, xs] = value
        clustered = rng.random(n) < 0.2
        out[np.minimum(ys[clustered] + 1, h - 1), xs[clustered]] = value
        out[ys[clustered], np.minimum(xs[clustered] + 1, w - 1)] = value
    return out
