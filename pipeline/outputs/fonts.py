"""Japanese fonts for printed outputs, with a fallback per character.

A font chain is a list of TrueType files from Debian packages (the settings
``print_fonts_mincho`` and ``print_fonts_gothic``). Each character is drawn in
the first font of the chain that has it: IPAex Mincho covers JIS X 0208 and
its usual extensions (髙, 﨑), IPAmj Mincho, of the same design lineage, the
rest of what names are written with (𠮷, the characters of the family
register). A character no font of the chain has is refused
(:class:`MissingGlyphError`) rather than printed as an empty box: a letter or
certificate with a hole in a name is not sent.

Variation selectors (IVS) are dropped: reportlab cannot select the variant
glyph, so the base character is printed (as most software prints it).

reportlab writes characters beyond U+FFFF into a font's ToUnicode map as five
hex digits, which PDF readers take for another character (𠮷 is drawn right
but copied and searched as ₻); :func:`_to_unicode_cmap` writes them as UTF-16
surrogate pairs, as the PDF reference requires, so a name outside the BMP is
found by search and by ``pdftotext``.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from pipeline.config import Settings
from pipeline.errors import ConfigurationError, ValidationError

_LOCK = threading.Lock()
_VARIATION_SELECTORS = {*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}


class MissingGlyphError(ValidationError):
    """A character none of the configured fonts can print."""

    def __init__(self, character: str, fonts: Sequence[str]) -> None:
        code = f"U+{ord(character):04X}"
        names = "、".join(Path(f).name for f in fonts)
        super().__init__(
            f"「{character}」（{code}）を印字できるフォントがありません（{names}）。"
            "文字を確認するか、その文字を持つフォントを設定に加えてください。"
        )
        self.character = character


def _utf16_hex(code: int) -> str:
    return chr(code).encode("utf-16-be").hex().upper()


def _to_unicode_cmap(fontname: str, subset: Sequence[int]) -> str:
    """reportlab's ToUnicode CMap of a font subset, with UTF-16 (surrogates) for every code."""
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *(f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)),
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # see the module's docstring


@cache
def _registered(path: str) -> tuple[str, frozenset[int]]:
    """Register the TrueType file once per process; its reportlab name and code points."""
    if not Path(path).is_file():
        raise ConfigurationError(
            f"font {path} is missing: install the Debian package that provides it "
            "(make install) or change print_fonts_mincho / print_fonts_gothic"
        )
    name = f"conken-{Path(path).stem}"
    with _LOCK:
        try:
            font = TTFont(name, path)
        except Exception as e:  # reportlab raises bare TTFError and others
            raise ConfigurationError(f"font {path} cannot be used for PDFs: {e}") from e
        pdfmetrics.registerFont(font)
    return name, frozenset(font.face.charToGlyph)


def clean(text: str) -> str:
    """Text as it will be printed: NFC, no variation selectors, no control characters."""
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        if ord(ch) in _VARIATION_SELECTORS:
            continue
        out.append(" " if ch in "\t\r\n" or unicodedata.category(ch) == "Cc" else ch)
    return "".join(out)


class FontChain:
    """Fonts tried in order for each character."""

    def __init__(self, paths: Sequence[str]) -> None:
        if not paths:
            raise ConfigurationError("a font list for printed outputs is empty")
        self.paths = tuple(paths)
        self._fonts = [_registered(p) for p in self.paths]
        self.primary = self._fonts[0][0]

    def font_for(self, ch: str) -> str:
        if ch == " ":
            return self.primary
        code = ord(ch)
        for name, cmap in self._fonts:
            if code in cmap:
                return name
        raise MissingGlyphError(ch, self.paths)

    def check(self, text: str) -> None:
        """Raise :class:`MissingGlyphError` for the first character no font has."""
        for ch in clean(text):
            self.font_for(ch)

    def runs(self, text: str) -> list[tuple[str, str]]:
        """``text`` cut into (font name, characters) runs."""
        out: list[tuple[str, str]] = []
        for ch in text:
            name = self.font_for(ch)
            if out and out[-1][0] == name:
                out[-1] = (name, out[-1][1] + ch)
            else:
                out.append((name, ch))
        return out

    def width(self, text: str, size: float) -> float:
        """Width in points at ``size``."""
        return sum(pdfmetrics.stringWidth(part, name, size) for name, part in self.runs(text))


@lru_cache(maxsize=8)
def chain(paths: tuple[str, ...]) -> FontChain:
    return FontChain(paths)


class Faces:
    """The two typefaces of printed outputs: Mincho for text, Gothic for headings."""

    def __init__(self, mincho: FontChain, gothic: FontChain) -> None:
        self.mincho = mincho
        self.gothic = gothic

    def of(self, face: str) -> FontChain:
        return self.gothic if face == "gothic" else self.mincho


def faces(settings: Settings) -> Faces:
    return Faces(
        chain(tuple(settings.print_fonts_mincho)), chain(tuple(settings.print_fonts_gothic))
    )
