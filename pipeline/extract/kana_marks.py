"""Voiced and semi-voiced marks (dakuten, handakuten): what a scan loses first.

A mark is a few pixels. A copy of a copy or a fax loses it and then every engine
reads the bare kana (パ as ハ); marks get lost, not added, so the reading with more
of them is the one to propose, and any reading that saw a mark outweighs readings
that agree without it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

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


def _marked_kana(text: str) -> dict[str, int]:
    """How many kana of each bare form (ホ for ボ and ポ) carry a voiced mark."""
    counts: dict[str, int] = defaultdict(int)
    for char in plain(text):
        bare = unvoiced(char)
        if bare != char:
            counts[bare] += 1
    return counts


def marks_another_reading_saw(agreed: str, readings: Sequence[EngineReading]) -> str | None:
    """The agreed value with a voiced mark some other reading of the crop shows and it
    lacks, or ``None`` when no reading shows more marks. A mark is a few pixels a copy
    loses: when two readings agree without it and a third (even a garbled one, サホポート)
    saw it, the agreement is no evidence that it is not there. The mark is proposed
    where the bare kana occurs once; else the agreed value is."""
    have = _marked_kana(agreed)
    for r in readings:
        for bare, count in _marked_kana(r.text).items():
            if count <= have.get(bare, 0):
                continue
            with_mark = next((c for c in plain(r.text) if c != bare and unvoiced(c) == bare), bare)
            return agreed.replace(bare, with_mark) if agreed.count(bare) == 1 else agreed
    return None
