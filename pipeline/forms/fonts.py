"""Fonts for printing forms and filling them.

Printed labels and typed values use the IPA TrueType fonts (Debian
``fonts-ipafont-gothic`` / ``fonts-ipafont-mincho``). Values that should look
handwritten use a pen-style Japanese font when one is installed (Debian
``fonts-klee``: Klee One, a pencil/pen script; ``fonts-kiloji``: longhand), and
fall back to IPA Gothic drawn with per-glyph jitter.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from pipeline.errors import ConfigurationError

GOTHIC = "IPAGothic"
MINCHO = "IPAMincho"

_PRINT_FONTS: dict[str, list[str]] = {
    GOTHIC: [
        "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
        "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    ],
    MINCHO: [
        "/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf",
        "/usr/share/fonts/truetype/fonts-japanese-mincho.ttf",
    ],
}

_HAND_FONTS: dict[str, str] = {
    "KleeOne": "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf",
    "KleeOneSemiBold": "/usr/share/fonts/truetype/klee/KleeOne-SemiBold.ttf",
    "Kiloji": "/usr/share/fonts/truetype/kiloji/kiloji.ttf",
}


_REGISTERED: set[str] = set()


def _register(name: str, path: str) -> bool:
    if name in _REGISTERED:
        return True
    if not Path(path).is_file():
        return False
    pdfmetrics.registerFont(TTFont(name, path))
    _REGISTERED.add(name)
    return True


@lru_cache(maxsize=1)
def register_print_fonts() -> tuple[str, str]:
    """Register IPA Gothic and Mincho; returns their reportlab names."""
    for name, candidates in _PRINT_FONTS.items():
        if not any(_register(name, p) for p in candidates):
            raise ConfigurationError(
                f"font {name} not found (looked in {', '.join(candidates)}); "
                "install the Debian packages fonts-ipafont-gothic and fonts-ipafont-mincho"
            )
    return GOTHIC, MINCHO


@lru_cache(maxsize=1)
def hand_fonts() -> tuple[str, ...]:
    """Registered pen-style fonts (may be empty: then handwriting falls back to jittered Gothic)."""
    register_print_fonts()
    return tuple(name for name, path in _HAND_FONTS.items() if _register(name, path))


def hand_font_path(name: str) -> str | None:
    return _HAND_FONTS.get(name) if name in hand_fonts() else None


def print_font_path(name: str) -> str:
    register_print_fonts()
    return next(p for p in _PRINT_FONTS[name] if Path(p).is_file())


def font_for(kind: str) -> str:
    gothic, mincho = register_print_fonts()
    return mincho if kind == "mincho" else gothic
