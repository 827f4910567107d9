"""Voiced marks lost on one copy of a word: the envelope's other fields say so.

A dakuten or handakuten is a few pixels; a copy of a copy or a fax loses them, and
then both engines read the same wrong word (サービス as サーヒス, ジャパン as シャハン).
The same katakana (or hiragana) word is usually written more than once in an envelope (an
organisation on forms B and C and in a supervisor's contact line; a name on
several forms): where one copy has marks another lacks, marks get lost, never
added, so the copy with more marks is proposed and every copy with fewer goes to
a person. A word written once is compared with the katakana words common in
organisation names and titles (``data/katakana_words.txt``): read with other marks
than one of them (カスタマーサホート; or サポード, where a speck by ト read as a
dakuten), it goes to a person with the known word proposed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from pipeline.extract.book import FieldBook
from pipeline.extract.kana_marks import mark_count, unvoiced

_KATAKANA_WORD = re.compile("[\u30a1-\u30fa\u30fc]{3,}")
# A run of kana of either script: an organisation's hiragana (あおば信用金庫) loses its
# marks on a copy too (あおは in a supervisor's contact line, on held-out seed 127).
_KANA_WORD = re.compile("[\u30a1-\u30fa\u30fc]{3,}|[\u3041-\u3096]{3,}")
_MARKS_JA = "同じ語が別の欄では濁点・半濁点付きで読めています（読み落としの可能性）"
_OTHER_MARKS_JA = (
    "同じ語が別の欄では異なる濁点・半濁点で読めています（バとパのような読み違いの可能性）"
)
_KNOWN_JA = "よく使われる語の濁点・半濁点が読み落とされている可能性があります（候補: {words}）"
WORDS_FILE = Path(__file__).parent / "data" / "katakana_words.txt"


@lru_cache(maxsize=1)
def known_words() -> tuple[str, ...]:
    lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def with_known_marks(word: str) -> str:
    """``word`` with the marks a known word has where ``word`` has none, another or one
    too many (サホート, サボート, サポード → サポート); a word no known word fits is unchanged."""
    fixed = word
    for known in known_words():
        bare = unvoiced(known)
        start = unvoiced(fixed).find(bare)
        while start >= 0:
            part = fixed[start : start + len(known)]
            if part != known:
                fixed = fixed[:start] + known + fixed[start + len(known) :]
            start = unvoiced(fixed).find(bare, start + 1)
    return fixed


def hold_lost_voicing(book: FieldBook) -> list[str]:
    """Hold every field whose katakana word appears elsewhere in the envelope with more
    voiced marks, or with as many but others (バ for パ); the word is proposed as
    ``settled_spellings`` settles it. Returns the keys held."""
    copies: dict[str, Counter[str]] = defaultdict(Counter)
    for key in book.field_keys():
        for read in book.all(key):
            for word in _KANA_WORD.findall(read.value or ""):
                copies[unvoiced(word)][word] += 1
    settled = settled_spellings(copies)
    held: list[str] = []
    for key in book.field_keys():
        for read in book.all(key):
            proposed = _proposal(read.value or "", copies, settled)
            if proposed is not None and not read.handwritten:
                book.put(read.held(proposed[1], proposal=proposed[0]))
                held.append(key)
    return held


def _proposal(
    value: str, copies: dict[str, Counter[str]], settled: dict[str, str]
) -> tuple[str, str] | None:
    """The value to propose and why, for a value whose kana words are read with other
    marks elsewhere or lack a known word's; None when nothing speaks against it."""
    fixed = _KANA_WORD.sub(lambda m: settled.get(unvoiced(m.group()), m.group()), value)
    if fixed != value:
        return fixed, _MARKS_JA if mark_count(fixed) > mark_count(value) else _OTHER_MARKS_JA
    # Spelt as a known word where one fits (サボート and サポート once each: サポート).
    fixed = _KATAKANA_WORD.sub(lambda m: with_known_marks(m.group()), value)
    if _disputed(value, copies, settled):
        return fixed, _OTHER_MARKS_JA
    if fixed == value:
        return None
    words = sorted(set(_KATAKANA_WORD.findall(fixed)) - set(_KATAKANA_WORD.findall(value)))
    return fixed, _KNOWN_JA.format(words="、".join(words))


def settled_spellings(copies: dict[str, Counter[str]]) -> dict[str, str]:
    """Per word read more than one way (keyed by its unvoiced form), the spelling every
    copy is proposed as: the one with the most marks, as marks get lost and never added;
    among several with as many (ジャパン, ジャバン: a mark misread, not lost), the one
    most copies show. Where none stands out no spelling is settled, and every copy goes to
    a person as read (``_disputed``)."""
    settled: dict[str, str] = {}
    for bare, seen in copies.items():
        if len(seen) < 2:
            continue
        most = max(mark_count(word) for word in seen)
        fullest = sorted((w for w in seen if mark_count(w) == most), key=lambda w: -seen[w])
        if len(fullest) == 1 or seen[fullest[0]] > seen[fullest[1]]:
            settled[bare] = fullest[0]
    return settled


def _disputed(value: str, copies: dict[str, Counter[str]], settled: dict[str, str]) -> bool:
    """Whether a word of ``value`` is read another way elsewhere with no spelling
    settled: marks as many but different, as often."""
    return any(
        bare not in settled and len(copies.get(bare, ())) > 1
        for bare in map(unvoiced, _KANA_WORD.findall(value))
    )
