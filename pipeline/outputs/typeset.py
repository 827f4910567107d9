"""Japanese text set into boxes on an A4 page: line breaking, fitting, drawing.

Positions are millimetres from the page's top-left corner (as a ruler on the
printed sheet measures them); reportlab's points from the bottom-left stay
inside this module. Lines break between any two Japanese characters but never
inside a run of ASCII (an e-mail address, ``11,000``, ``OMP-2025-00001``), and
follow the basic 禁則 rules: no line starts with a closing bracket, a
punctuation mark or a small kana, and none ends with an opening bracket.

Nothing is drawn outside its box: text that does not fit, even at the
smallest size allowed, raises :class:`TextDoesNotFit` naming what did not fit,
and the caller refuses the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from reportlab.pdfgen.canvas import Canvas

from pipeline.config import A4_MM
from pipeline.errors import ValidationError
from pipeline.outputs.fonts import Faces, FontChain, clean

MM = 72 / 25.4  # points per millimetre
ASCENT = 0.88  # baseline below the top of a line, in em (IPA fonts)
SIZE_STEP = 0.5

NO_START = frozenset(
    "、。，．,.・：；？！?!:;ー－‐…‥ゝゞヽヾ々〻）］｝〕〉》」』】〙〗〟’”)]}%％"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
)
NO_END = frozenset("（［｛〔〈《「『【〘〖〝‘“([{〒")
_TOKEN = re.compile(r"[!-~]+|.", re.DOTALL)

Align = Literal["left", "right", "center"]


class TextDoesNotFit(ValidationError):  # noqa: N818 - reads as the refusal it is
    """Text that would leave its box even at the smallest allowed size."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what}が枠に収まりません（{detail}）。")
        self.what = what


@dataclass(frozen=True)
class Box:
    """A rectangle on the page, in mm from the top-left corner."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def inset(self, by: float) -> Box:
        return Box(self.left + by, self.top + by, self.width - 2 * by, self.height - 2 * by)


def tokens(text: str) -> list[str]:
    """Unbreakable pieces: one Japanese character, or a run of visible ASCII."""
    return _TOKEN.findall(text)


def _break_before(line: list[str], nxt: str) -> tuple[list[str], list[str]]:
    """Where to end ``line`` when ``nxt`` no longer fits: (kept, carried to the next line)."""
    kept, carried = list(line), list[str]()
    while len(kept) > 1:
        first = next((t for t in [*carried, nxt] if t != " "), nxt)  # spaces are dropped there
        if first[0] in NO_START or kept[-1][-1] in NO_END or kept[-1] == " ":
            carried.insert(0, kept.pop())
        else:
            break
    return kept, carried


def wrap(
    text: str, fonts: FontChain, size: float, width_mm: float, hanging_mm: float = 0.0
) -> list[str]:
    """``text`` broken into lines at most ``width_mm`` wide; lines after the first are
    ``hanging_mm`` narrower (they are drawn indented by that much)."""
    text = clean(text)
    lines: list[list[str]] = [[]]

    def room() -> float:
        return (width_mm - (hanging_mm if len(lines) > 1 else 0.0)) * MM

    def width_of(parts: list[str]) -> float:
        return fonts.width("".join(parts), size)

    def place(tok: str) -> None:
        current = lines[-1]
        if current and width_of([*current, tok]) > room():
            kept, carried = _break_before(current, tok)
            if (
                width_of([*_strip_spaces(carried, leading=True), tok])
                > (width_mm - hanging_mm) * MM
            ):
                kept, carried = current, []  # the width is a must, 禁則 only a should
            lines[-1] = _strip_spaces(kept)
            lines.append(_strip_spaces(carried, leading=True))
            current = lines[-1]
        if tok == " " and not current:
            return
        current.append(tok)

    for tok in tokens(text):
        if fonts.width(tok, size) > room():  # longer than a whole line: break anywhere
            for ch in tok:
                place(ch)
        else:
            place(tok)
    return ["".join(_strip_spaces(line)) for line in lines]


def wrap_at_spaces(text: str, fonts: FontChain, size: float, width_mm: float) -> list[str]:
    """Like :func:`wrap`, but text that needs more than one line breaks first at its first
    space: an address puts its building on a line of its own, the association its legal form."""
    text = " ".join(clean(text).replace("　", " ").split())
    if fonts.width(text, size) <= width_mm * MM or " " not in text:
        return wrap(text, fonts, size, width_mm)
    head, rest = text.split(" ", 1)
    return wrap(head, fonts, size, width_mm) + wrap(rest, fonts, size, width_mm)


def _strip_spaces(parts: list[str], *, leading: bool = False) -> list[str]:
    out = list(parts)
    while out and out[-1] == " ":
        out.pop()
    while leading and out and out[0] == " ":
        out.pop(0)
    return out


def line_pitch(size: float, leading: float) -> float:
    """Distance between two baselines, in mm."""
    return size * leading / MM


@dataclass(frozen=True)
class Fitted:
    size: float
    lines: list[str]
    hanging_from: int = 1  # lines from this index on are indented (hanging)


def fit_paragraphs(
    paragraphs: list[str],
    fonts: FontChain,
    box: Box,
    *,
    size: float,
    min_size: float,
    leading: float,
    what: str,
) -> tuple[float, list[str]]:
    """The largest size (down to ``min_size``) at which the paragraphs fit ``box``."""
    current = size
    while current >= min_size - 1e-9:
        lines = [line for p in paragraphs for line in wrap(p, fonts, current, box.width)]
        if len(lines) * line_pitch(current, leading) <= box.height + 1e-6:
            return current, lines
        current -= SIZE_STEP
    raise TextDoesNotFit(
        what, f"{box.width:.0f} × {box.height:.0f} mm、{min_size} pt でも入りません"
    )


def fit_line(
    text: str, fonts: FontChain, width_mm: float, *, size: float, min_size: float
) -> float | None:
    """The largest size (down to ``min_size``) at which ``text`` fits one line, else None."""
    current = size
    while current >= min_size - 1e-9:
        if fonts.width(clean(text), current) <= width_mm * MM + 1e-6:
            return current
        current -= SIZE_STEP
    return None


@dataclass(frozen=True)
class Line:
    """One line of text, placed: ``x`` is its left, right or centre as ``align`` says."""

    text: str
    face: str  # mincho, gothic
    size: float
    x: float
    top: float
    align: Align = "left"
    max_width: float | None = None
    what: str = "本文"  # what it is, for the message when it does not fit
    spacing: float = 0.0


class Page:
    """Drawing on a canvas in mm from the top-left corner of an A4 page."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.height_mm = A4_MM[1]

    def text(
        self,
        text: str,
        fonts: FontChain,
        size: float,
        *,
        x: float,
        top: float,
        align: Align = "left",
        spacing: float = 0.0,
        max_width: float | None = None,
        what: str = "文字",
    ) -> float:
        """Draw one line whose top is at ``top``; ``x`` is its left, right or centre.

        Returns the line's width in mm. Raises :class:`TextDoesNotFit` when the
        line is wider than ``max_width`` or would leave the page.
        """
        text = clean(text)
        width = (fonts.width(text, size) + spacing * max(0, len(text) - 1)) / MM
        if max_width is not None and width > max_width + 1e-3:
            raise TextDoesNotFit(what, f"幅 {width:.1f} mm > {max_width:.1f} mm")
        left = {"left": x, "right": x - width, "center": x - width / 2}[align]
        if left < -1e-6 or left + width > A4_MM[0] + 1e-6:
            raise TextDoesNotFit(what, "用紙の外にはみ出します")
        baseline = (self.height_mm - top) * MM - ASCENT * size
        obj = self.canvas.beginText(left * MM, baseline)
        obj.setCharSpace(spacing)
        for name, part in fonts.runs(text):
            obj.setFont(name, size)
            obj.textOut(part)
        self.canvas.drawText(obj)
        return width

    def line(self, line: Line, faces: Faces) -> float:
        return self.text(
            line.text,
            faces.of(line.face),
            line.size,
            x=line.x,
            top=line.top,
            align=line.align,
            spacing=line.spacing,
            max_width=line.max_width,
            what=line.what,
        )

    def rule(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.5) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.line(x1 * MM, (self.height_mm - y1) * MM, x2 * MM, (self.height_mm - y2) * MM)

    def rect(self, box: Box, *, width: float = 0.5) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.rect(
            box.left * MM, (self.height_mm - box.bottom) * MM, box.width * MM, box.height * MM
        )
