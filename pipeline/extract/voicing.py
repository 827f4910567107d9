"""Voiced marks lost on one copy of a word: the envelope's other fields say so.

A dakuten or handakuten is a few pixels; a copy of a copy or a fax loses them, and
then both engines read the same wrong word (サービス as サーヒス, ジャパン as シャハン).
The same katakana word is usually written more than once in an envelope (an
organisation on forms B and C and in a supervisor's contact line; a name on
several forms): where one copy has marks another lacks, marks get lost, never
added, so the copy with more marks is proposed and every copy with fewer goes to
a person.
"""

from __future__ import annotations

import re
from collections import defaultdict

from pipeline.extract.book import FieldBook
from pipeline.extract.kana_marks import mark_count, unvoiced

_KATAKANA_WORD = re.compile("[\u30a1-\u30fa\u30fc]{3,}")
_MARKS_JA = "同じ語が別の欄では濁点・半濁点付きで読めています（読み落としの可能性）"


def hold_lost_voicing(book: FieldBook) -> list[str]:
    """Hold every field whose katakana word appears elsewhere in the envelope with more
    voiced marks; the word is proposed with them. Returns the keys held."""
    spellings: dict[str, set[str]] = defaultdict(set)
    for key in book.field_keys():
        for read in book.all(key):
            for word in _KATAKANA_WORD.findall(read.value or ""):
                spellings[unvoiced(word)].add(word)
    fullest = {
        bare: max(words, key=mark_count) for bare, words in spellings.items() if len(words) > 1
    }
    held: list[str] = []
    for key in book.field_keys():
        for read in book.all(key):
            value = read.value or ""
            fixed = _KATAKANA_WORD.sub(lambda m: fullest.get(unvoiced(m.group()), m.group()), value)
            if fixed != value and not read.handwritten:
                book.put(read.held(_MARKS_JA, proposal=fixed))
                held.append(key)
    return held
