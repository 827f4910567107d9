"""Marks that look made by a pen: handwritten values, check marks, signatures, seals.

Handwritten text uses a pen-style font (Klee One / Kiloji, see ``forms.fonts``)
with per-glyph rotation, size, spacing and baseline jitter; without those fonts
it falls back to jittered IPA Gothic. Signatures are the name written in the
pen font as an image (so they never reach the PDF text layer), or a Bezier
scribble; check marks are jittered strokes; a seal is a red circle with the
surname read top to bottom.
"""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from pipeline.forms.fonts import GOTHIC, font_for, hand_font_path, hand_fonts, print_font_path
from pipeline.forms.schema import Box

INKS = [(0.06, 0.08, 0.32), (0.05, 0.05, 0.07), (0.10, 0.13, 0.45)]
SEAL_RED = (0.82, 0.12, 0.12)


def writer_font(index: int) -> str:
    fonts = hand_fonts()
    return fonts[index % len(fonts)] if fonts else GOTHIC


def draw_hand_text(
    c: Canvas,
    text: str,
    box: Box,
    page_h: float,
    *,
    font: str,
    size: float,
    rng: random.Random,
    ink: tuple[float, float, float],
) -> None:
    jitter = 1.0 if font != GOTHIC else 1.6
    size = size * rng.uniform(1.12, 1.3)
    width = sum(stringWidth(ch, font, size) * 1.06 for ch in text)
    room = (box.w - 2.5) * mm
    if width > room:
        size *= room / width
        width = room
    x = box.x * mm + rng.uniform(0.5, max(0.6, min(4.0, (room - width) / mm))) * mm
    base = (page_h - box.y - box.h / 2) * mm - size * 0.36 + rng.uniform(-0.6, 0.6) * mm
    slope = math.tan(math.radians(rng.uniform(-1.5, 1.5)))
    c.saveState()
    c.setFillColorRGB(*ink)
    x0 = x
    for ch in text:
        s = size * rng.uniform(0.93, 1.05)
        c.saveState()
        c.translate(x, base + (x - x0) * slope + rng.gauss(0, 0.25 * jitter) * mm)
        c.rotate(rng.gauss(0, 2.5 * jitter))
        c.setFont(font, s)
        c.drawString(0, 0, ch)
        c.restoreState()
        x += stringWidth(ch, font, s) * rng.uniform(0.98, 1.1)
    c.restoreState()


def draw_check(
    c: Canvas,
    box: Box,
    page_h: float,
    rng: random.Random,
    ink: tuple[float, float, float],
    style: str,
) -> None:
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    s = box.w * rng.uniform(0.9, 1.25)

    def pt(dx: float, dy: float) -> tuple[float, float]:
        return ((cx + dx * s + rng.gauss(0, 0.15)) * mm, (page_h - cy - dy * s) * mm)

    c.saveState()
    c.setStrokeColorRGB(*ink)
    c.setLineWidth(rng.uniform(0.8, 1.4))
    c.setLineCap(1)
    c.setLineJoin(1)
    path = c.beginPath()
    if style == "circle":
        r = s * 0.62
        start = rng.uniform(0, 360)
        for i in range(0, 345, 15):
            a = math.radians(start + i)
            q = ((cx + r * math.cos(a) * 1.1) * mm, (page_h - cy + r * math.sin(a)) * mm)
            path.moveTo(*q) if i == 0 else path.lineTo(*q)
    elif style == "cross":
        path.moveTo(*pt(-0.4, -0.4))
        path.lineTo(*pt(0.4, 0.45))
        path.moveTo(*pt(0.42, -0.4))
        path.lineTo(*pt(-0.38, 0.42))
    else:
        path.moveTo(*pt(-0.45, 0.05))
        path.curveTo(*pt(-0.3, 0.2), *pt(-0.15, 0.3), *pt(-0.08, 0.42))
        path.curveTo(*pt(0.1, 0.0), *pt(0.35, -0.45), *pt(0.6, -0.75))
    c.drawPath(path, stroke=1, fill=0)
    c.restoreState()


def draw_signature(
    c: Canvas,
    name: str,
    box: Box,
    page_h: float,
    rng: random.Random,
    hand_font: str,
    ink: tuple[float, float, float],
) -> None:
    if rng.random() < 0.2:
        _draw_scribble(c, box, page_h, rng, ink)
        return
    path = hand_font_path(hand_font) or print_font_path(GOTHIC)
    px_h = 160
    font = ImageFont.truetype(path, px_h)
    text = name.replace("　", rng.choice(["", " ", "  "]))
    # FreeType's box is in whole pixels; Pillow's annotations only promise floats
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    w, h = right - left + 40, bottom - top + 40
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    draw.text(
        (20 - left, 20 - top),
        text,
        font=font,
        fill=255,
        stroke_width=rng.choice([0, 1, 2]),
        stroke_fill=255,
    )
    shear = rng.uniform(-0.25, 0.05)
    img = img.transform(
        (w + int(abs(shear) * h), h),
        Image.Transform.AFFINE,
        (1, shear, -abs(shear) * h if shear < 0 else 0, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    img = img.rotate(rng.uniform(-4, 4), resample=Image.Resampling.BILINEAR, expand=True)
    rgba = Image.new("RGBA", img.size, (*(int(v * 255) for v in ink), 0))
    rgba.putalpha(img)
    target_h = box.h * rng.uniform(0.7, 0.95)
    target_w = target_h * img.width / img.height
    if target_w > box.w * 0.95:
        target_w = box.w * 0.95
        target_h = target_w * img.height / img.width
    x = box.x + rng.uniform(0, max(0.0, box.w - target_w) * 0.5)
    y = box.y + (box.h - target_h) / 2 + rng.uniform(-1, 1)
    buf = io.BytesIO()
    rgba.save(buf, format="PNG")
    buf.seek(0)
    c.drawImage(
        ImageReader(buf),
        x * mm,
        (page_h - y - target_h) * mm,
        target_w * mm,
        target_h * mm,
        mask="auto",
    )


def _draw_scribble(
    c: Canvas, box: Box, page_h: float, rng: random.Random, ink: tuple[float, float, float]
) -> None:
    c.saveState()
    c.setStrokeColorRGB(*ink)
    c.setLineWidth(rng.uniform(0.7, 1.2))
    c.setLineCap(1)
    path = c.beginPath()
    x = box.x + rng.uniform(2, 8)
    mid = box.y + box.h / 2
    path.moveTo(x * mm, (page_h - mid) * mm)
    end = box.x + box.w * rng.uniform(0.5, 0.85)
    while x < end:
        step = rng.uniform(4, 9)
        amp = box.h * rng.uniform(0.15, 0.4)
        path.curveTo(
            (x + step * 0.3) * mm,
            (page_h - mid + amp) * mm,
            (x + step * 0.7) * mm,
            (page_h - mid - amp) * mm,
            (x + step) * mm,
            (page_h - mid + rng.uniform(-2, 2)) * mm,
        )
        x += step
    c.drawPath(path, stroke=1, fill=0)
    c.restoreState()


def draw_seal(c: Canvas, surname: str, box: Box, page_h: float, rng: random.Random) -> None:
    d = min(box.w, box.h) * rng.uniform(0.62, 0.8)
    cx = box.x + box.w / 2 + rng.uniform(-1.5, 1.5)
    cy = box.y + box.h / 2 + rng.uniform(-1.5, 1.5)
    c.saveState()
    c.translate(cx * mm, (page_h - cy) * mm)
    c.rotate(rng.uniform(-10, 10))
    c.setStrokeColorRGB(*SEAL_RED)
    c.setFillColorRGB(*SEAL_RED)
    c.setLineWidth(rng.uniform(0.9, 1.4))
    c.circle(0, 0, d / 2 * mm)
    chars = list(surname)[:3]
    size = (d * 0.78 / max(len(chars), 1.6)) / 0.3528
    font = font_for("mincho")
    total = len(chars) * size * 0.95
    for i, ch in enumerate(chars):
        y = total / 2 - (i + 1) * size * 0.95 + size * 0.12
        c.setFont(font, size)
        c.drawCentredString(0, y, ch)
    c.restoreState()
