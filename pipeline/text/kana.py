"""Katakana normalisation for names written by people, OCR and banks.

The same person's name reaches us as furigana on form A (hiragana or
katakana, often with a space between family and given name), as a line of the
passers register, and as a bank transfer name in the banks' restricted
character set: half-width katakana with the voiced marks split off (ﾀﾞ), no
small kana (キョウ arrives as キヨウ), the long vowel as ー, ｰ, −, －, ‐ or
missing, full-width spaces. Every function here is total: it never raises on
arbitrary text and is idempotent (applying it twice changes nothing more).

``normalize_kana`` gives a readable canonical form; ``kana_match_key`` gives a
comparison key that also drops long vowels, spaces and punctuation, since
banks and people omit or vary them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

SpaceMode = Literal["single", "remove", "keep"]

# Spacing voiced marks (゛゜) become the combining ones before NFKC: NFKC would
# otherwise turn them into a space plus a combining mark.
_SPACING_MARKS = str.maketrans({"\u309b": "\u3099", "\u309c": "\u309a"})
_COMBINING_MARKS = re.compile("[\u3099\u309a]")

_SMALL = "ァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
_LARGE = "アイウエオツヤユヨワカケクシストヌハヒフヘホムラリルレロ"
_SMALL_TO_LARGE = str.maketrans(_SMALL, _LARGE)

#: Every character that stands for a long vowel or a hyphen in the wild:
#: ASCII and full-width hyphen-minus, the Unicode hyphens and dashes, the
#: minus sign (cp932 0x817C decodes to U+FF0D, Shift_JIS to U+2212), box
#: drawing lines that OCR produces, and the half-width prolonged sound mark.
DASHES = frozenset(
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe63\uff0d\u2500\u2501\u30fc\uff70\u2e3a"
)
LONG_VOWEL = "ー"
_ANY_DASH = re.compile("[" + re.escape("".join(sorted(DASHES))) + "]")
_WHITESPACE = re.compile(r"\s+")
_PLAIN = re.compile("[\u30a1-\u30fa0-9A-Za-z]*")


_HIRA_TO_KATA = {c: c + 0x60 for c in (*range(0x3041, 0x3097), 0x309D, 0x309E)}


def hiragana_to_katakana(text: str) -> str:
    """Hiragana (ぁ..ゖ, ゝ, ゞ) to the corresponding katakana; everything else unchanged."""
    return text.translate(_HIRA_TO_KATA)


def halfwidth_to_fullwidth(text: str) -> str:
    """Half-width katakana (U+FF61..U+FF9F) to full width, joining split voiced marks.

    Only that block is touched (ﾀﾞ becomes ダ, ｶﾞｷﾞ becomes ガギ); other
    characters are left as they are. A voiced mark that cannot combine with
    the character before it (ｱﾞ) is dropped.
    """
    if not any("\uff61" <= c <= "\uff9f" for c in text):
        return text
    pieces = re.split("([\uff61-\uff9f]+)", text)
    joined = "".join(
        _COMBINING_MARKS.sub("", unicodedata.normalize("NFKC", p)) if i % 2 else p
        for i, p in enumerate(pieces)
    )
    # a half-width mark may follow a full-width kana: compose across the seam
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFC", joined))


def small_to_large(text: str) -> str:
    """Small katakana to large (ァ→ア, ッ→ツ, ャ→ヤ, ョ→ヨ, ヵ→カ, ヶ→ケ).

    The banks' character set has no small kana: キョウ arrives as キヨウ."""
    return text.translate(_SMALL_TO_LARGE)


def normalize_spaces(text: str, mode: SpaceMode = "single") -> str:
    """Whitespace of any width: ``single`` collapses runs to one ASCII space and
    strips the ends, ``remove`` deletes it, ``keep`` leaves it alone."""
    if mode == "remove":
        return _WHITESPACE.sub("", text)
    if mode == "single":
        return _WHITESPACE.sub(" ", text).strip()
    return text


def _is_kana(char: str) -> bool:
    return bool(char) and ("\u30a1" <= char <= "\u30fa" or char in "ーヽヾ")


def unify_long_vowels(text: str) -> str:
    """Every dash-like character becomes ー after a katakana (spaces ignored), ``-`` elsewhere.

    So コ−ヒ−, コ－ヒ－, ｺｰﾋｰ (once widened) and コ‐ヒ‐ all read コーヒー,
    while a dash between digits or at the start stays an ASCII hyphen.
    """
    if not _ANY_DASH.search(text):
        return text
    out: list[str] = []
    previous = ""
    for char in text:
        if char in DASHES:
            char = LONG_VOWEL if _is_kana(previous) else "-"
        out.append(char)
        if not char.isspace():
            previous = char
    return "".join(out)


def normalize_kana(text: str, *, spaces: SpaceMode = "single", nfkc: bool = True) -> str:
    """The canonical readable form of a kana name.

    Steps: spacing voiced marks made combining; NFKC (half-width katakana to
    full width with voiced marks joined, full-width digits and letters to
    ASCII, ideographic space to space; with ``nfkc=False`` only the half-width
    katakana block is widened); hiragana to katakana; small kana to large;
    stray voiced marks dropped; spaces per ``spaces``; long-vowel variants to
    ー (after kana) or ``-``.
    """
    text = text.translate(_SPACING_MARKS)
    text = unicodedata.normalize("NFKC", text) if nfkc else halfwidth_to_fullwidth(text)
    text = hiragana_to_katakana(text)
    text = small_to_large(text)
    text = _COMBINING_MARKS.sub("", text)
    text = normalize_spaces(text, spaces)
    if spaces == "remove":  # marks that spaces kept apart may now need reordering
        text = unicodedata.normalize("NFC", text)
    return unify_long_vowels(text)


def kana_match_key(text: str) -> str:
    """A key for comparing names: ``normalize_kana`` without spaces, long vowels,
    punctuation or symbols, case-folded. コンケン・タロウ, こんけん たろう and
    ｺﾝｹﾝﾀﾛｳ compare equal; digits and letters are kept."""
    return match_key_of_normalized(normalize_kana(text, spaces="remove"))


def match_key_of_normalized(text: str) -> str:
    """``kana_match_key`` of a text already passed through ``normalize_kana``."""
    plain = _WHITESPACE.sub("", text).replace(LONG_VOWEL, "")
    if _PLAIN.fullmatch(plain):  # the common case: katakana, digits, ASCII letters
        return plain.casefold()
    # Arbitrary text: keep letters and digits only, case-folded and NFKC, until stable
    # (case folding or removing a mark can make NFKC compose something new).
    for _ in range(5):
        folded = unicodedata.normalize("NFKC", plain.casefold())
        kept = "".join(c for c in folded if c != LONG_VOWEL and unicodedata.category(c)[0] in "LN")
        if kept == plain:
            break
        plain = kept
    return plain
