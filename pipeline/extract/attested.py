"""Agreement between the work history (form B) and its attestations (form C).

Each attestation block on (C) names the history row it attests (``attN_row``)
and repeats that row's organisation and period. The two are printed on
different pages and read independently, so an unsure field on one form is
confirmed by the other form when the other is sure (both engines agreed there)
and one of the engines read the same value on this crop too. Two unsure
readings that agree confirm nothing (one engine's habit repeats on both pages),
and a handwritten value always goes to a person.

Where the two forms differ and neither side settles it, both go to staff, a
sure reading too: a voiced mark lost on one scan (サービス read サーヒス by both
engines) makes a sure reading wrong. Both sure and far apart is no misreading
but the forms saying different things (an attestation from another employer, a
part of the row): that is the rules' finding (``pipeline/rules/checks/
attestation.py``), so each reading stands.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from pipeline.extract.book import FieldBook
from pipeline.extract.kana_marks import (
    differ_by_marks_only,
    mark_count,
    marks_another_reading_saw,
)
from pipeline.extract.normalize import plain
from pipeline.extract.reading import Evidence, FieldRead

PARTS = ("org", "from", "to")
_ROW = re.compile(r"^C\.att(\d+)_row$")
_HISTORY_FROM = re.compile(r"^B\.exp(\d+)_from$")


def _differ_ja(history: FieldRead, attested: FieldRead) -> str:
    """Both readings named, so staff compare them with the two crops without opening the
    other form."""
    return (
        f"様式Bでは「{history.value}」、様式Cでは「{attested.value}」と読めました。"
        "どちらかの読み取りの誤りか、記入の違いです（確認してください）"
    )


def _lends_to(sure: FieldRead, unsure: FieldRead) -> bool:
    """``unsure`` takes ``sure``'s value: the other form read it surely, and an engine
    read that value on this crop too, and no reading of this crop shows a voiced mark
    the sure value lacks (both engines read あおは信用金庫 on (B), PP-OCR あおば on (C):
    the mark was lost on (B), not added on (C))."""
    return (
        sure.confident
        and not unsure.confident
        and not unsure.handwritten
        and not sure.handwritten
        and sure.value is not None
        and plain(sure.value) in {plain(v) for v in unsure.values_read()}
        and marks_another_reading_saw(sure.value, unsure.readings) is None
    )


# Organisations this far apart (edits, at least this share of the shorter name) are
# not two readings of one name: no scan turns 株式会社コンタクトプラス into
# 株式会社ネクストサービスデザイン. The forms name different employers, which is the
# rules' finding (an attestation from another organisation), not a reading to check.
OTHER_ORG_MIN_EDITS = 3
OTHER_ORG_MIN_SHARE = 0.5


def _alike_organisations(history: FieldRead, attested: FieldRead) -> bool:
    """Two organisations nearer than two employers' names are (みらいカスタマーサポート and
    みら、カスタマーサホート, both engines agreeing on a copied (C)): a reading to check
    before the rules judge an attestation from another organisation."""
    both = bool(plain(history.value) and plain(attested.value))
    return both and history.key.endswith("_org") and not names_another_org(history, attested)


def names_another_org(history: FieldRead, attested: FieldRead) -> bool:
    """The two forms' organisations differ too much for either to be a misreading."""
    a, b = plain(history.value or ""), plain(attested.value or "")
    if not (a and b):
        return False
    edits = Levenshtein.distance(a, b)
    return edits >= OTHER_ORG_MIN_EDITS and edits >= OTHER_ORG_MIN_SHARE * min(len(a), len(b))


def _settle_part(book: FieldBook, history: FieldRead, attested: FieldRead) -> bool:
    """Settle one part (organisation or date) of a row on both forms; True when the two
    forms say the same thing once settled."""
    if plain(history.value) == plain(attested.value):
        for sure, unsure in ((history, attested), (attested, history)):
            if sure.confident and not unsure.confident and not unsure.handwritten:
                book.put(unsure.confirmed(Evidence.OTHER_FORM))
        return True
    for sure, unsure in ((history, attested), (attested, history)):
        if _lends_to(sure, unsure):
            book.put(unsure.confirmed(Evidence.OTHER_FORM, sure.value))
            return True
    both_sure = history.confident and attested.confident
    slip = (
        differ_by_marks_only(history.value, attested.value)
        or one_character_apart(history, attested)
        or _alike_organisations(history, attested)
    )
    if both_sure and not slip:
        return False  # the forms say different things: the rules judge that
    if names_another_org(history, attested) and history.key.endswith("_org"):
        return False
    if history.value and attested.value:
        # Marks get lost, not added: the reading with more of them is proposed.
        proposal = None
        if differ_by_marks_only(history.value, attested.value):
            proposal = max((history, attested), key=lambda r: mark_count(r.value)).value
        for read in (history, attested):
            book.put(read.held(_differ_ja(history, attested), proposal=proposal))
    return False


def one_character_apart(history: FieldRead, attested: FieldRead) -> bool:
    """Two values one character apart, by one changed, added or left out (2023-12 and
    2025-12; 株式会社 and 株式会礼; 中央電力 and 中央力): as likely one engine pair's slip
    on a poor scan as the forms differing, so a person looks rather than either reading
    standing as sure."""
    a, b = plain(history.value), plain(attested.value)
    return bool(a and b) and Levenshtein.distance(a, b) == 1


def confirm_attested_rows(book: FieldBook) -> list[str]:
    """Settle B / C readings against each other; returns the keys confirmed.

    The attestation's row number is confirmed when its organisation and both
    dates equal that history row's (three independent readings point at the same
    row), or when its period, read surely, equals that row's and no other row's
    (the organisation may be another employer's: the rules' finding, not a doubt
    about the row).
    """
    before = {key: read.confident for key in book.field_keys() if (read := book.first(key))}
    for key in sorted(book.field_keys()):
        match = _ROW.match(key)
        row = book.first(key)
        if match is None or row is None or not (row.value or "").isdigit():
            continue
        n, k = match.group(1), int(row.value or "0")
        agreed: set[str] = set()
        for part in PARTS:
            history = book.first(f"B.exp{k}_{part}")
            attested = book.first(f"C.att{n}_{part}")
            if history is None or attested is None or not (history.value or attested.value):
                continue
            if _settle_part(book, history, attested):
                agreed.add(part)
        row = book.first(key)
        points_here = agreed == set(PARTS) or _period_points_at(book, n, k)
        if row is not None and points_here and not row.confident and not row.handwritten:
            book.put(row.confirmed(Evidence.OTHER_FORM))
    return [
        key
        for key in book.field_keys()
        if (read := book.first(key)) and read.confident and not before.get(key, False)
    ]


def _period_points_at(book: FieldBook, n: str, k: int) -> bool:
    """Attestation ``n``'s period, read surely on both forms, is history row ``k``'s and
    no other row's."""
    period = []
    for part in ("from", "to"):
        history = book.first(f"B.exp{k}_{part}")
        attested = book.first(f"C.att{n}_{part}")
        if history is None or attested is None or not history.value:
            return False
        if not (history.confident and attested.confident):
            return False
        if plain(history.value) != plain(attested.value):
            return False
        period.append(plain(history.value))
    for key in book.field_keys():
        other = _HISTORY_FROM.match(key)
        if other is None or int(other.group(1)) == k:
            continue
        since, until = book.first(key), book.first(f"B.exp{other.group(1)}_to")
        values = [plain(r.value) if r is not None and r.value else None for r in (since, until)]
        if values == period:
            return False
    return True
