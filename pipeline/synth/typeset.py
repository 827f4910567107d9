"""How applicants type their values: a font family, a size and a placement per envelope.

A word processor or PDF-form filler puts a value in its ruled box in the
document's font and size, aligned left, centred or right, at the top, middle or
bottom (Word's table cells align to the top, Excel's cells to the bottom), after
the cell's padding and sometimes after typed full-width spaces. A value too wide
(or too tall) for its box is shrunk to fit, as fit-to-box does. A value in
printed per-character cells is typed one character a cell, or as one string
across them. Records without a ``TypedStyle`` keep the old filler
(``fill.draw_typed``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from pipeline.forms.fonts import DEFAULT_TYPED_FAMILIES, check_families
from pipeline.forms.schema import Box, FieldSpec
from pipeline.forms.typeface import Typeface, typeface
from pipeline.synth.records import TypedStyle

SIZES_PT = ((8.0, 4), (9.0, 12), (10.0, 16), (10.5, 30), (11.0, 14), (12.0, 16), (14.0, 8))
ALIGNS = (("left", 60), ("center", 30), ("right", 10))
VALIGNS = (("middle", 50), ("top", 30), ("bottom", 20))
LEADING_SPACES = ((0, 75), (1, 15), (2, 10))
IN_CELLS_SHARE = 0.6
PAD_MM = (0.4, 2.5)
PAD_V_MM = 0.4  # above and below the line box
CELL_PAD_MM = 0.3
MIN_SIZE_PT = 5.0
IDEOGRAPHIC_SPACE = "\u3000"


def _pick(rng: random.Random, table: Sequence[tuple[object, int]]) -> object:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def choose_style(rng: random.Random, families: Sequence[str] | None = None) -> TypedStyle:
    """One applicant's way of typing, the family drawn evenly from ``families``.

    The family is drawn last, so the rest of the style does not depend on which
    families are asked for: the same applicant types the same way in any of them."""
    families = list(families or DEFAULT_TYPED_FAMILIES)
    check_families(families)
    size, align, valign = _pick(rng, SIZES_PT), _pick(rng, ALIGNS), _pick(rng, VALIGNS)
    pad, spaces = round(rng.uniform(*PAD_MM), 2), _pick(rng, LEADING_SPACES)
    in_cells = rng.random() < IN_CELLS_SHARE
    return TypedStyle(
        font_family=families[int(rng.random() * len(families))],
        size_pt=size,  # type: ignore[arg-type]
        align=align,  # type: ignore[arg-type]
        valign=valign,  # type: ignore[arg-type]
        pad_mm=pad,
        leading_spaces=spaces,  # type: ignore[arg-type]
        pass_number_in_cells=in_cells,
    )


def draw_styled(c: Canvas, spec: FieldSpec, text: str, page_h: float, style: TypedStyle) -> None:
    """One typed value in its field's ruled frame, as the style says."""
    face = typeface(style.font_family)
    frame = spec.frame_mm
    if spec.cells and style.pass_number_in_cells and len(text) <= spec.cells:
        step = frame.w / spec.cells
        for i, ch in enumerate(text):
            cell = Box(frame.x + i * step, frame.y, step, frame.h)
            place_line(
                c, face, ch, cell, page_h, style.size_pt, "center", style.valign, CELL_PAD_MM
            )
        return
    text = IDEOGRAPHIC_SPACE * style.leading_spaces + text
    place_line(c, face, text, frame, page_h, style.size_pt, style.align, style.valign, style.pad_mm)


def place_line(
    c: Canvas,
    face: Typeface,
    text: str,
    box: Box,
    page_h: float,
    size: float,
    align: str,
    valign: str,
    pad_mm: float,
) -> None:
    """One line in ``box`` (mm from the page's top-left), shrunk to fit, then aligned."""
    room = max(1.0, box.w - 2 * pad_mm) * mm
    width = face.width(text, size)
    if width > room:
        size = max(MIN_SIZE_PT, size * room / width)
    line_em = face.ascent + face.descent
    room_h = max(1.0, box.h - 2 * PAD_V_MM) * mm
    if size * line_em > room_h:
        size = max(MIN_SIZE_PT, room_h / line_em)
    width = face.width(text, size)
    left, right = (box.x + pad_mm) * mm, (box.right - pad_mm) * mm
    x = {"left": left, "center": (left + right - width) / 2, "right": right - width}[align]
    top, bottom = (page_h - box.y) * mm, (page_h - box.bottom) * mm
    if valign == "top":
        baseline = top - PAD_V_MM * mm - face.ascent * size
    elif valign == "bottom":
        baseline = bottom + PAD_V_MM * mm + face.descent * size
    else:
        baseline = (top + bottom) / 2 - (face.ascent - face.descent) * size / 2
    face.draw(c, text, x, baseline, size)
