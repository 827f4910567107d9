"""Typed values in any family of ``fonts.TYPED_FAMILIES``, drawn as vector glyphs.

TrueType families are embedded by reportlab as usual (subset, with a text layer).
reportlab cannot embed fonts with CFF outlines (OpenType ``.otf`` such as M PLUS,
and Noto Sans CJK's ``.ttc``): their glyphs are read with fontTools and drawn as
filled vector paths, and the same text is written invisibly in IPA Gothic over
them, so the PDF's text layer still holds every typed value. A character a
family lacks is drawn in IPA Gothic or Mincho of the family's style, as a word
processor substitutes a system font.

Vertical metrics are the OS/2 table's Windows ascent and descent, the line box a
Windows word processor lays a line out in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cache
from typing import Any

from fontTools.pens.basePen import BasePen
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont as ToolsFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from pipeline.forms.fonts import TYPED_FAMILIES, family_path, font_for


class Typeface(ABC):
    """One typed family at any size: measure a line, draw it on a baseline."""

    def __init__(self, key: str, tools: ToolsFont) -> None:
        self.key = key
        self.fallback = font_for(TYPED_FAMILIES[key].style)
        os2 = tools["OS/2"]
        upm = tools["head"].unitsPerEm
        self.ascent = os2.usWinAscent / upm  # em fractions, both positive
        self.descent = os2.usWinDescent / upm

    @abstractmethod
    def has(self, ch: str) -> bool: ...

    @abstractmethod
    def _own_width(self, ch: str) -> float:
        """Advance of one character the face has, in em."""

    @abstractmethod
    def _draw_own(self, c: Canvas, run: str, x: float, baseline: float, size: float) -> float:
        """Draw a run of characters the face has; returns the x after it."""

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at ``size`` pt, in pt."""
        return sum(
            self._own_width(ch) * size
            if self.has(ch)
            else pdfmetrics.stringWidth(ch, self.fallback, size)
            for ch in text
        )

    def draw(self, c: Canvas, text: str, x: float, baseline: float, size: float) -> None:
        """Draw ``text`` with its advance starting at ``x`` (pt) on ``baseline`` (pt)."""
        for own, run in _runs(text, self.has):
            if own:
                x = self._draw_own(c, run, x, baseline, size)
            else:
                _text_out(c, run, x, baseline, self.fallback, size)
                x += pdfmetrics.stringWidth(run, self.fallback, size)


class TrueTypeFace(Typeface):
    """A TrueType family reportlab embeds itself."""

    def __init__(self, key: str) -> None:
        path = family_path(key)
        family = TYPED_FAMILIES[key]
        super().__init__(key, ToolsFont(path, fontNumber=family.face_index, lazy=True))
        self.name = f"typed-{key}"
        if self.name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(self.name, path, subfontIndex=family.face_index))
        self._glyphs = pdfmetrics.getFont(self.name).face.charToGlyph

    def has(self, ch: str) -> bool:
        return ord(ch) in self._glyphs

    def _own_width(self, ch: str) -> float:
        return pdfmetrics.stringWidth(ch, self.name, 1.0)

    def _draw_own(self, c: Canvas, run: str, x: float, baseline: float, size: float) -> float:
        _text_out(c, run, x, baseline, self.name, size)
        return x + pdfmetrics.stringWidth(run, self.name, size)


class OutlineFace(Typeface):
    """A CFF-outline family: glyphs drawn as filled paths, text layer written invisibly."""

    def __init__(self, key: str) -> None:
        family = TYPED_FAMILIES[key]
        tools = ToolsFont(family_path(key), fontNumber=family.face_index, lazy=True)
        super().__init__(key, tools)
        self._upm = tools["head"].unitsPerEm
        self._cmap = tools.getBestCmap()
        self._glyph_set = tools.getGlyphSet()
        self._outlines: dict[str, RecordingPen] = {}

    def has(self, ch: str) -> bool:
        return ord(ch) in self._cmap

    def _own_width(self, ch: str) -> float:
        return self._glyph_set[self._cmap[ord(ch)]].width / self._upm

    def _outline(self, ch: str) -> RecordingPen:
        name = self._cmap[ord(ch)]
        if name not in self._outlines:
            pen = RecordingPen()
            self._glyph_set[name].draw(pen)
            self._outlines[name] = pen
        return self._outlines[name]

    def _draw_own(self, c: Canvas, run: str, x: float, baseline: float, size: float) -> float:
        start, scale = x, size / self._upm
        for ch in run:
            c.saveState()
            c.translate(x, baseline)
            c.scale(scale, scale)
            pen = _PathPen(c.beginPath())
            self._outline(ch).replay(pen)
            c.drawPath(pen.path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
            c.restoreState()
            x += self._own_width(ch) * size
        _invisible_text(c, run, start, baseline, size, x - start)
        return x


class _PathPen(BasePen):
    """Replays a glyph outline into a reportlab path (quadratics become cubics)."""

    def __init__(self, path: PDFPathObject) -> None:
        super().__init__(None)
        self.path = path

    def _moveTo(self, pt: tuple[float, float]) -> None:  # noqa: N802 - fontTools' pen protocol
        self.path.moveTo(*pt)

    def _lineTo(self, pt: tuple[float, float]) -> None:  # noqa: N802
        self.path.lineTo(*pt)

    def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:  # noqa: N802
        self.path.curveTo(*p1, *p2, *p3)

    def _closePath(self) -> None:  # noqa: N802
        self.path.close()


def _runs(text: str, has: Any) -> list[tuple[bool, str]]:
    runs: list[tuple[bool, str]] = []
    for ch in text:
        own = bool(has(ch))
        if runs and runs[-1][0] == own:
            runs[-1] = (own, runs[-1][1] + ch)
        else:
            runs.append((own, ch))
    return runs


def _text_out(c: Canvas, run: str, x: float, baseline: float, font: str, size: float) -> None:
    t = c.beginText(x, baseline)
    t.setFont(font, size)
    t.textOut(run)
    c.drawText(t)


def _invisible_text(
    c: Canvas, run: str, x: float, baseline: float, size: float, width: float
) -> None:
    """The run in IPA Gothic, invisible (render mode 3), stretched to the drawn width."""
    font = font_for("gothic")
    natural = pdfmetrics.stringWidth(run, font, size)
    c.saveState()  # render mode and horizontal scale are graphics state: keep them here
    t = c.beginText(x, baseline)
    t.setTextRenderMode(3)
    t.setFont(font, size)
    if natural > 0:
        t.setHorizScale(100.0 * width / natural)
    t.textOut(run)
    c.drawText(t)
    c.restoreState()


@cache
def typeface(key: str) -> Typeface:
    """The typeface of a family key (loaded once per process)."""
    path = family_path(key)
    with open(path, "rb") as f:
        tag = f.read(4)
    if tag == b"ttcf":
        tools = ToolsFont(path, fontNumber=TYPED_FAMILIES[key].face_index, lazy=True)
        cff = "CFF " in tools
    else:
        cff = tag == b"OTTO"
    return OutlineFace(key) if cff else TrueTypeFace(key)
