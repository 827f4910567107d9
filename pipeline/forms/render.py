"""Print form pages: the blank forms the association publishes, as PDF or image.

Everything drawn comes from the template file: static items (labels, rulings,
paragraphs), each field's ruled frame (with per-digit cells, checkbox squares,
the 印 circle for seals), the four ArUco marks and the QR code.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from pipeline.errors import ExternalToolError
from pipeline.forms.fonts import font_for, register_print_fonts
from pipeline.forms.marks import draw_marker, draw_qr
from pipeline.forms.schema import Box, FieldKind, FieldSpec, FormTemplate, StaticItem

COLORS = {"black": (0, 0, 0), "red": (0.85, 0.1, 0.1), "gray": (0.35, 0.35, 0.35)}
NO_LINE_START = set("、。，．）」』・ーっゃゅょァィゥェォッャュョ")


def new_canvas(target: str | Path | io.BytesIO, title: str) -> Canvas:
    """A reportlab canvas with fixed metadata so the same input gives identical bytes."""
    if isinstance(target, Path):
        target = str(target)
    c = Canvas(target, pagesize=(210 * mm, 297 * mm), invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setAuthor("一般社団法人 日本コンタクトセンター教育検定協会")
    c.setCreator("conken-intake")
    c.setProducer("conken-intake")
    return c


def wrap_text(text: str, font: str, size: float, width_pt: float) -> list[str]:
    """Break Japanese text into lines of at most width_pt (no 、。） at a line start)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            if line and stringWidth(line + ch, font, size) > width_pt and ch not in NO_LINE_START:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    return lines


def draw_text_in_box(
    c: Canvas,
    text: str,
    box: Box,
    page_h: float,
    *,
    font: str,
    size: float,
    align: str = "left",
    valign: str = "middle",
    leading: float = 1.3,
    bold: bool = False,
    wrap: bool = False,
) -> None:
    lines = wrap_text(text, font, size, box.w * mm) if wrap else text.split("\n")
    line_h = size * leading
    block_h = line_h * (len(lines) - 1) + size
    top = (page_h - box.y) * mm
    if valign == "top":
        first_base = top - size * 0.88
    elif valign == "bottom":
        first_base = (page_h - box.bottom) * mm + block_h - size * 0.88
    else:
        first_base = top - (box.h * mm - block_h) / 2 - size * 0.88
    for i, line in enumerate(lines):
        width = stringWidth(line, font, size)
        if align == "center":
            x = box.x * mm + (box.w * mm - width) / 2
        elif align == "right":
            x = box.right * mm - width
        else:
            x = box.x * mm
        t = c.beginText(x, first_base - i * line_h)
        t.setFont(font, size)
        if bold:
            t.setTextRenderMode(2)
        c.setLineWidth(size * 0.035)
        t.textOut(line)
        c.drawText(t)


def _set_color(c: Canvas, name: str) -> None:
    r, g, b = COLORS[name]
    c.setFillColorRGB(r, g, b)
    c.setStrokeColorRGB(r, g, b)


def draw_static(c: Canvas, item: StaticItem, page_h: float) -> None:
    c.saveState()
    _set_color(c, item.color)
    c.setLineWidth(item.line_width)
    if item.kind == "line":
        x1, y1, x2, y2 = item.points_mm or (0, 0, 0, 0)
        c.line(x1 * mm, (page_h - y1) * mm, x2 * mm, (page_h - y2) * mm)
    elif item.box_mm is not None:
        box = item.box_mm
        if item.kind == "rect":
            if item.fill_gray is not None:
                c.setFillGray(item.fill_gray)
            c.rect(
                box.x * mm,
                (page_h - box.bottom) * mm,
                box.w * mm,
                box.h * mm,
                stroke=1 if item.line_width > 0 else 0,
                fill=item.fill_gray is not None,
            )
        elif item.kind in ("text", "paragraph"):
            draw_text_in_box(
                c,
                item.text or "",
                box,
                page_h,
                font=font_for(item.font),
                size=item.size_pt,
                align=item.align,
                valign=item.valign if item.kind == "paragraph" else "middle",
                leading=item.leading,
                bold=item.bold,
                wrap=item.kind == "paragraph",
            )
        elif item.kind == "checkbox_square":
            c.rect(box.x * mm, (page_h - box.bottom) * mm, box.w * mm, box.h * mm)
        elif item.kind == "seal_mark":
            _draw_square_seal(c, item, page_h)
    c.restoreState()


def _draw_square_seal(c: Canvas, item: StaticItem, page_h: float) -> None:
    """An organisation's square seal (角印): characters in columns, read right to left."""
    box = item.box_mm
    assert box is not None
    c.setLineWidth(1.2)
    c.rect(box.x * mm, (page_h - box.bottom) * mm, box.w * mm, box.h * mm)
    c.setLineWidth(0.4)
    inner = box.inset(1.0)
    c.rect(inner.x * mm, (page_h - inner.bottom) * mm, inner.w * mm, inner.h * mm)
    chars = list(item.text or "印")
    cols = 2 if len(chars) > 2 else 1
    per_col = -(-len(chars) // cols)
    cell_w, cell_h = inner.w / cols, inner.h / per_col
    size = min(cell_w, cell_h) / 0.3528 * 0.85
    font = font_for("mincho")
    for i, ch in enumerate(chars):
        col, row = divmod(i, per_col)
        cx = inner.right - (col + 0.5) * cell_w
        cy = inner.y + (row + 0.5) * cell_h
        c.setFont(font, size)
        c.drawCentredString(cx * mm, (page_h - cy) * mm - size * 0.35, ch)


def draw_field_frame(c: Canvas, spec: FieldSpec, page_h: float) -> None:
    """The ruling a blank form shows for a field."""
    f = spec.frame_mm
    c.saveState()
    c.setStrokeGray(0)
    if spec.kind == FieldKind.SEAL:
        c.setDash(1.5, 1.5)
        c.setLineWidth(0.4)
        c.setStrokeGray(0.45)
        c.circle((f.x + f.w / 2) * mm, (page_h - f.y - f.h / 2) * mm, f.w / 2 * 0.92 * mm)
        c.setFillGray(0.55)
        c.setFont(font_for("gothic"), 9)
        c.drawCentredString((f.x + f.w / 2) * mm, (page_h - f.y - f.h / 2) * mm - 3.2, "印")
    else:
        c.setLineWidth(0.6 if spec.kind == FieldKind.CHECKBOX else 0.5)
        c.setFillGray(1)
        c.rect(f.x * mm, (page_h - f.bottom) * mm, f.w * mm, f.h * mm, stroke=1, fill=1)
        if spec.cells:
            c.setLineWidth(0.25)
            c.setDash(0.8, 0.8)
            step = f.w / spec.cells
            for i in range(1, spec.cells):
                x = (f.x + i * step) * mm
                c.line(x, (page_h - f.y) * mm, x, (page_h - f.bottom) * mm)
    c.restoreState()


def draw_blank_page(c: Canvas, template: FormTemplate) -> None:
    """Draw one blank page on the canvas (does not call showPage)."""
    register_print_fonts()
    page_h = template.page_size_mm[1]
    for item in template.static:
        draw_static(c, item, page_h)
    for spec in template.fields:
        draw_field_frame(c, spec, page_h)
    for marker in template.markers:
        draw_marker(c, marker, page_h, template.aruco_dictionary)
    draw_qr(c, template.qr.payload, template.qr.box_mm, page_h)


def render_blank_pdf(
    templates: Iterable[FormTemplate],
    target: str | Path | io.BytesIO,
    title: str = "資格認定申請フォーム",
) -> None:
    c = new_canvas(target, title)
    for template in templates:
        draw_blank_page(c, template)
        c.showPage()
    c.save()


def blank_pdf_bytes(template: FormTemplate) -> bytes:
    buf = io.BytesIO()
    render_blank_pdf([template], buf, title=template.title_ja)
    return buf.getvalue()


def rasterize_pdf(pdf: bytes, dpi: int, *, color: bool = False) -> list[np.ndarray]:
    """Every page of a PDF as a uint8 grayscale (or RGB) image via poppler's pdftoppm."""
    args = ["pdftoppm", "-r", str(dpi)] + ([] if color else ["-gray"])
    try:
        proc = subprocess.run(args, input=pdf, capture_output=True, check=True, timeout=300)
    except FileNotFoundError as e:
        raise ExternalToolError("pdftoppm not found; install poppler-utils") from e
    except subprocess.CalledProcessError as e:
        raise ExternalToolError(f"pdftoppm failed: {e.stderr.decode(errors='replace')}") from e
    return _split_pnm(proc.stdout)


def _split_pnm(data: bytes) -> list[np.ndarray]:
    """Parse concatenated binary PGM (P5) / PPM (P6) images."""
    images: list[np.ndarray] = []
    pos = 0
    while pos < len(data):
        tokens: list[bytes] = []
        while len(tokens) < 4:
            while data[pos : pos + 1].isspace():
                pos += 1
            if data[pos : pos + 1] == b"#":
                pos = data.index(b"\n", pos) + 1
                continue
            end = pos
            while not data[end : end + 1].isspace():
                end += 1
            tokens.append(data[pos:end])
            pos = end
        pos += 1
        magic, w, h = tokens[0], int(tokens[1]), int(tokens[2])
        channels = 1 if magic == b"P5" else 3
        size = w * h * channels
        arr = np.frombuffer(data[pos : pos + size], dtype=np.uint8)
        images.append(arr.reshape((h, w) if channels == 1 else (h, w, 3)).copy())
        pos += size
    return images


def render_blank_page_image(template: FormTemplate, dpi: int) -> np.ndarray:
    """The blank page as a uint8 grayscale image at ``dpi`` (for homography fallbacks)."""
    return rasterize_pdf(blank_pdf_bytes(template), dpi)[0]


def mm_to_px(value_mm: float, dpi: int) -> float:
    return value_mm * dpi / 25.4
