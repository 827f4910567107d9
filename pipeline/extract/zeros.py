"""Slashed zeros: the candidates a misread digit string could have been.

Common Japanese PC fonts (IPA Gothic among them) print 0 with a slash or a
dot inside. Tesseract's models were trained on plain zeros, so on a poor scan
the slashed 0 comes back as 6, 8 or 9, as two glyphs, or not at all; the bench
corpus showed 2019/04 read 2919/94 and 2312753024 read 231275324. A digit
field's reading, invalid or unsure, is then repaired by re-drawing: each
candidate made by undoing those slips is drawn in the form's font (which
draws its slashed zero) and compared with the ink, and a candidate is taken
only when it re-draws well and clearly better than every other candidate.
This module makes the candidates; ``fields`` judges them.
"""

from __future__ import annotations

from itertools import combinations

ZERO_LOOK_ALIKES = "689"
DIGIT_FIELD_CHARS = frozenset("0123456789年月日/.-()現在")
MAX_SUBSTITUTIONS = 2


def is_digit_field(whitelist: str | None) -> bool:
    """Fields read with a digits-and-separators whitelist (numbers, dates, year-months)."""
    if not whitelist:
        return False
    chars = {ch for ch in whitelist if not ch.isspace()}
    return bool(chars) and chars <= DIGIT_FIELD_CHARS and any(ch.isdigit() for ch in chars)


def zero_candidates(raw: str) -> list[str]:
    """Readings ``raw`` may stand for if some slashed zeros were misread, ``raw`` excluded.

    Up to two look-alikes turned back into 0, or one 0 restored where it
    vanished between two characters, or one look-alike dropped where the slash
    was read as a digit of its own; and the year's slash restored where it was
    read as a digit or lost.
    """
    text = "".join(raw.split())
    found: dict[str, None] = {}
    spots = [i for i, ch in enumerate(text) if ch in ZERO_LOOK_ALIKES]
    for count in range(1, MAX_SUBSTITUTIONS + 1):
        for chosen in combinations(spots, count):
            chars = list(text)
            for i in chosen:
                chars[i] = "0"
            found["".join(chars)] = None
    for i in range(1, len(text) + 1):
        if text[i - 1].isdigit() or (i < len(text) and text[i].isdigit()):
            found[text[:i] + "0" + text[i:]] = None
    for i in spots:
        found[text[:i] + text[i + 1 :]] = None
    # The slash between year and month read as 7 or 1, or lost (2016/07 -> 2016707, 20133).
    if len(text) > 4 and text[:5].isdigit():
        found[text[:4] + "/" + text[4:]] = None
        if text[4] in "71":
            found[text[:4] + "/" + text[5:]] = None
    found.pop(text, None)
    return list(found)


def zero_candidates_twice(raw: str) -> list[str]:
    """``zero_candidates`` of ``raw`` and of each of those: a date can carry two kinds of
    slip at once (20290年16月 for 2020年10月: a zero read as two glyphs, another as 6)."""
    first = zero_candidates(raw)
    found = dict.fromkeys(first)
    for text in first:
        found.update(dict.fromkeys(zero_candidates(text)))
    found.pop("".join(raw.split()), None)
    return list(found)


def is_zero_slip(true: str, misread: str) -> bool:
    """The digits of ``misread`` are those of ``true`` with any number of zeros read as 6,
    8 or 9 (digit for digit, unlike ``zero_candidates``, which also shifts digits but
    undoes at most two). Separators are ignored: a value (2020-12) against a reading."""
    a, b = "".join(filter(str.isdigit, true)), "".join(filter(str.isdigit, misread))
    pairs = [(x, y) for x, y in zip(a, b, strict=False) if x != y]
    return (
        len(a) == len(b)
        and bool(pairs)
        and all(x == "0" and y in ZERO_LOOK_ALIKES for x, y in pairs)
    )
