"""Voiced and semi-voiced marks (dakuten, handakuten): what a scan loses first.

A mark is a few pixels. A copy of a copy or a fax loses it and then every engine
reads the bare kana (パ as ハ); marks get lost, not added, so the reading with more
of them is the one to propose, and any reading that saw a mark outweighs readings
that agree without it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher

from pipeline.extract.normalize import plain
from pipeline.extract.reading import EngineReading


def unvoiced(text: str) -> str:
    """``text`` with every voiced and semi-voiced mark taken off (ダ → タ, パ → ハ)."""
    decomposed = unicodedata.normalize("NFD", plain(text))
    return unicodedata.normalize("NFC", re.sub("[\u3099\u309a]", "", decomposed))


def differ_by_marks_only(a: str | None, b: str | None) -> bool:
    """Two values equal but for voiced marks: one scan lost a mark (the marks are small)."""
    if not (a and b):
        return False
    return plain(a) != plain(b) and unvoiced(a) == unvoiced(b)


def mark_count(text: str | None) -> int:
    """How many voiced and semi-voiced marks ``text`` carries (サービス: 1)."""
    return len(re.findall("[\u3099\u309a]", unicodedata.normalize("NFD", plain(text))))


def marks_another_reading_saw(agreed: str, readings: Sequence[EngineReading]) -> str | None:
    """The agreed value with a voiced mark some other reading of the crop shows and it
    lacks, or ``None`` when no reading shows more marks. A mark is a few pixels a copy
    loses: when two readings agree without it and a third (even a garbled one, サホポート)
    saw it, the agreement is no evidence that it is not there. The mark is proposed on
    the kana the reading saw it on, where that is known.

    The reading is set against the agreed value glyph by glyph (``_seen_marks``):
    Tesseract sometimes reads a marked kana twice (ブルー as プブルー), and that doubled
    glyph is no mark the agreed value lacks where the kana beside it carries one."""
    value = plain(agreed)
    # Where each glyph of ``value`` stands in ``agreed`` (which may keep a space).
    places = [k for k, c in enumerate(agreed) if not c.isspace()]
    if len(places) != len(value):
        agreed, places = value, list(range(len(value)))
    for r in readings:
        seen = _seen_marks(value, plain(r.text))
        if seen:
            proposed = list(agreed)
            for at, marked in seen:
                if at is not None:
                    proposed[places[at]] = marked
            return "".join(proposed)
    return None


def _seen_marks(value: str, text: str) -> list[tuple[int | None, str]]:
    """Where ``text`` shows a marked kana that ``value`` has bare: (index in ``value``,
    the marked kana). Glyphs are paired by aligning the two without their marks. A marked
    kana ``text`` has beyond what pairs with ``value`` counts, unless a kana of its kind
    beside it carries a mark (a glyph read twice, プブ); it is placed only where ``value``
    has that kana once, and bare (シジャン in システム, or トラベバル in ジャパン: seen, place
    unknown, index None)."""
    bare_value, bare_text = unvoiced(value), unvoiced(text)
    if len(bare_value) != len(value) or len(bare_text) != len(text):
        return []  # a mark without its kana (a lone ゛): nothing to pair
    seen: list[tuple[int | None, str]] = []
    matcher = SequenceMatcher(None, bare_text, bare_value, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in (i for i in range(i1, i2) if text[i] != bare_text[i]):
            if op == "equal":
                j = j1 + (i - i1)
                if value[j] != bare_value[j]:
                    continue
                place: int | None = j
                if _twice(bare_text, i) and not _twice(bare_value, j):
                    place = _only(bare_value, bare_text[i])  # a glyph read twice, once marked
                seen.append((place, text[i]))
                continue
            nearby = [j for j in range(j1 - 1, j2 + 1) if 0 <= j < len(value)]
            kind = [j for j in nearby if bare_value[j] == bare_text[i]]
            if any(value[j] != bare_value[j] for j in kind):
                continue
            if bare_text[i] in bare_value:
                place = _only(bare_value, bare_text[i])
                seen.append(
                    (place if place is not None and value[place] == bare_text[i] else None, text[i])
                )
    return seen


def _twice(bare: str, at: int) -> bool:
    """Whether the kana at ``at`` has one of its kind beside it."""
    return any(0 <= k < len(bare) and bare[k] == bare[at] for k in (at - 1, at + 1))


def _only(bare: str, kana: str) -> int | None:
    """Where ``kana`` is in ``bare`` if it is there once; None if more often."""
    return bare.index(kana) if bare.count(kana) == 1 else None
