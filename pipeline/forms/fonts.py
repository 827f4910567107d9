"""Fonts for printing forms and filling them.

The association prints its forms' labels with the IPA TrueType fonts (Debian
``fonts-ipafont-gothic`` / ``fonts-ipafont-mincho``). Applicants type their
values in whatever their word processor offers: ``TYPED_FAMILIES`` are the
common Japanese document fonts Debian packages, by a stable key
(``pipeline.forms.typeface`` draws them). Values that should look handwritten
use a pen-style Japanese font when one is installed (Debian ``fonts-klee``:
Klee One, a pencil/pen script; ``fonts-kiloji``: longhand), and fall back to
IPA Gothic drawn with per-glyph jitter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from pipeline.errors import ConfigurationError, ValidationError

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


@dataclass(frozen=True)
class TypedFamily:
    """A font family an applicant may type their values in."""

    key: str
    name: str  # as people know it
    style: Literal["gothic", "mincho"]
    package: str  # the Debian package that installs it
    paths: tuple[str, ...]
    face_index: int = 0  # the face inside a font collection (.ttc)


TYPED_FAMILIES: dict[str, TypedFamily] = {
    f.key: f
    for f in (
        TypedFamily(
            "bizud-gothic",
            "BIZ UDゴシック",
            "gothic",
            "fonts-morisawa-bizud-gothic",
            ("/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Regular.ttf",),
        ),
        TypedFamily(
            "bizud-mincho",
            "BIZ UD明朝",
            "mincho",
            "fonts-morisawa-bizud-mincho",
            ("/usr/share/fonts/truetype/bizud-mincho/BIZUDMincho-Regular.ttf",),
        ),
        TypedFamily(
            "ipaex-gothic",
            "IPAexゴシック",
            "gothic",
            "fonts-ipaexfont-gothic",
            ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",),
        ),
        TypedFamily(
            "ipaex-mincho",
            "IPAex明朝",
            "mincho",
            "fonts-ipaexfont-mincho",
            ("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",),
        ),
        TypedFamily(
            "noto-sans",
            "Noto Sans CJK JP",
            "gothic",
            "fonts-noto-cjk",
            ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",),
            face_index=0,
        ),
        TypedFamily(
            "mplus",
            "M PLUS 1",
            "gothic",
            "fonts-mplus",
            ("/usr/share/fonts/opentype/mplus/Mplus1-Regular.otf",),
        ),
        TypedFamily(
            "vlgothic",
            "VL ゴシック",
            "gothic",
            "fonts-vlgothic",
            ("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf",),
        ),
        TypedFamily(
            "takao-gothic",
            "Takaoゴシック",
            "gothic",
            "fonts-takao-gothic",
            ("/usr/share/fonts/truetype/takao-gothic/TakaoGothic.ttf",),
        ),
        TypedFamily(
            "takao-mincho",
            "Takao明朝",
            "mincho",
            "fonts-takao-mincho",
            ("/usr/share/fonts/truetype/takao-mincho/TakaoMincho.ttf",),
        ),
        TypedFamily(
            "ipa-gothic",
            "IPAゴシック",
            "gothic",
            "fonts-ipafont-gothic",
            ("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",),
        ),
        TypedFamily(
            "ipa-mincho",
            "IPA明朝",
            "mincho",
            "fonts-ipafont-mincho",
            ("/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf",),
        ),
    )
}
# IPA Gothic / Mincho print the forms themselves and were what the extractor was first
# tuned on: they stay selectable but out of the default mix, as families never trained on.
# Takao Gothic / Mincho are forks of IPA's fonts that draw every glyph exactly as IPA's do
# (measured: not one pixel differs), so they stay out of the default mix with them.
DEFAULT_TYPED_FAMILIES: tuple[str, ...] = (
    "bizud-gothic",
    "bizud-mincho",
    "ipaex-gothic",
    "ipaex-mincho",
    "noto-sans",
    "mplus",
    "vlgothic",
)
LEGACY_TYPED_FAMILY = {"gothic": "ipa-gothic", "mincho": "ipa-mincho"}


def parse_families(text: str) -> list[str]:
    """Family keys from ``KEY[,KEY]`` or ``all``; unknown keys are a ValidationError."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    if keys == ["all"]:
        return list(TYPED_FAMILIES)
    check_families(keys)
    return keys


def check_families(keys: list[str]) -> None:
    known = f"known: {', '.join(TYPED_FAMILIES)} (or all)"
    if not keys:
        raise ValidationError(f"no font family given; {known}")
    unknown = [k for k in keys if k not in TYPED_FAMILIES]
    if unknown:
        raise ValidationError(f"unknown font family {', '.join(unknown)}; {known}")


def family_path(key: str) -> str:
    """The font file of a typed family; a ConfigurationError names its Debian package."""
    family = TYPED_FAMILIES[key]
    for path in family.paths:
        if Path(path).is_file():
            return path
    raise ConfigurationError(
        f"font {family.name} ({key}) not found (looked in {', '.join(family.paths)}); "
        f"install the Debian package {family.package}"
    )


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
