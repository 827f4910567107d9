"""Agreement between the work history (form B) and its attestations (form C).

Each attestation block on (C) names the history row it attests (``attN_row``)
and repeats that row's organisation and period. The two are printed on
different pages and read independently, so where an unsure reading on one form
equals a confident reading on the other, the agreement is evidence for it (the
extraction issue: "or with the same value on another form"). Both sides must
look typed (``placement_fits``); a handwritten value always goes to a person.
Two unsure readings that agree confirm nothing: one scan's systematic slips
(会社 read 会視 on every page) would agree with themselves.

Where the two differ, one may still settle both: an organisation read on one
crop that re-draws on the other crop clearly better than what was read there
(``CandidateJudge``), or that both crops show rather than the other reading
where the two differ (``verify.contrast``), or a period the other is but for
slashed-zero slips (``zeros``). Otherwise both go to staff, a sure reading too
(a lost handakuten re-draws well), unless both were read surely: an
attestation may cover part of a history row. Organisations too far apart to be
misreadings of one name (``names_another_org``) are left to the rules, each
reading standing on its own crop's evidence.

Whether the periods are what the rules need is the rules' business
(``pipeline/rules/checks/attestation.py``); this module only settles readings.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from pipeline.extract.fields import CONFIDENT, FieldRead
from pipeline.extract.normalize import plain
from pipeline.extract.zeros import ZERO_LOOK_ALIKES, is_zero_slip, zero_candidates
from pipeline.storage.models import FieldStatus

OTHER_FORM = "other_form"  # FieldRead.confirmed_by
PARTS = ("org", "from", "to")
_ROW = re.compile(r"^C\.att(\d+)_row$")
_HISTORY_FROM = re.compile(r"^B\.exp(\d+)_from$")
_DIFFER_JA = "様式Bと様式Cで値が異なります（確認してください）"


def _first(fields: dict[str, list[FieldRead]], key: str) -> FieldRead | None:
    reads = fields.get(key) or []
    return reads[0] if reads else None


def _confident(read: FieldRead) -> bool:
    return read.status in CONFIDENT


def _lean_on(unsure: FieldRead, sure: FieldRead) -> bool:
    """Confirm ``unsure`` by ``sure``; True when its status changed."""
    if _confident(unsure) or not _confident(sure):
        return False
    if not (unsure.placement_fits and sure.placement_fits):
        return False
    unsure.confirm(OTHER_FORM)
    return True


def _settles_zero_slips(read: FieldRead) -> bool:
    """A reading good enough to settle the other crop's slashed-zero slips: read surely on
    its own (``ok``); or confident, or re-drawing within the consensus distance, with no
    digit a slashed zero is misread as (a zero read as 0 was a zero; a 6, 8 or 9 that
    only agreeing readings vouch for may not have been)."""
    if read.status == FieldStatus.OK:
        return True
    if any(ch in ZERO_LOOK_ALIKES for ch in read.value or ""):
        return False
    if _confident(read):
        return True
    judge = read.judge
    return (
        judge is not None
        and read.verify_score is not None
        and read.verify_score <= judge.thresholds.consensus_max_score
    )


def _lend(history: FieldRead, attested: FieldRead, confirmed: list[str], *, redraw: bool) -> bool:
    """Two readings that differ. One free of zero look-alikes (``_zero_free``) that the
    other is but for slashed-zero slips settles both. For organisations (``redraw``, values printed as read), a
    reading that re-draws well on its own crop and also on the other's, clearly better
    than what was read there, shows on both crops; both are confirmed as that value."""
    for source, target in ((history, attested), (attested, history)):
        if not source.value:
            continue
        # The target read as this value once slashed-zero slips are undone: its own
        # candidates include it, or its reading is this one with zeros misread.
        slips = (
            source.value in target.alternatives
            or plain(source.raw_text) in zero_candidates(target.raw_text)
            or is_zero_slip(source.value, target.raw_text)
        )
        if source.placement_fits and slips and _settles_zero_slips(source):
            target.value = source.value
            target.confirm(OTHER_FORM)
            confirmed.append(target.key)
            return True
        if not redraw or source.judge is None or target.judge is None:
            continue
        if not source.judge.settles(source):
            continue
        trial = target.judge.better(source.value) or _shown_on_both(source, target)
        if trial is None:
            continue
        for read in (source, target):
            was_confident = _confident(read)
            if read is target:
                read.adopt(trial, OTHER_FORM, source.value)
            elif not was_confident:
                read.confirm(OTHER_FORM)
            if not was_confident:
                confirmed.append(read.key)
        return True
    return False


def _shown_on_both(source: FieldRead, target: FieldRead) -> FieldRead | None:
    """``target`` read as ``source``'s value when each crop shows that value rather than
    ``target``'s reading where the two differ (北斗 / 北キ on a heavy scan, where neither
    crop re-draws within the consensus distance), within twice that distance."""
    if source.judge is None or target.judge is None or not (source.value and target.raw_text):
        return None
    within = 2 * source.judge.thresholds.consensus_max_score
    if source.judge.shows(source.value, target.raw_text, within=within) is None:
        return None
    return target.judge.shows(source.value, target.raw_text, within=within)


# Organisations this far apart (edits, at least this share of the shorter name) are
# not two readings of one name: no scan turns 株式会社コンタクトプラス into
# 株式会社ネクストサービスデザイン. The forms name different employers, which is the
# rules' finding (an attestation from another organisation), not a reading to check.
OTHER_ORG_MIN_EDITS = 3
OTHER_ORG_MIN_SHARE = 0.5


def names_another_org(history: FieldRead, attested: FieldRead) -> bool:
    """The two forms' organisations differ too much for either to be a misreading."""
    a, b = plain(history.value or ""), plain(attested.value or "")
    if not (a and b):
        return False
    edits = Levenshtein.distance(a, b)
    return edits >= OTHER_ORG_MIN_EDITS and edits >= OTHER_ORG_MIN_SHARE * min(len(a), len(b))


def _disagree(history: FieldRead, attested: FieldRead) -> None:
    """Two readings that differ and settle nothing. Both read surely: the forms say
    different things (an attestation may cover part of a row; the rules judge that).
    One unsure: the sure one may be the slip (パ read ハ re-draws within
    ``verify_max_score``), so both go to staff. Otherwise what the crop alone settled is
    undone."""
    both_sure = history.status == FieldStatus.OK and attested.status == FieldStatus.OK
    dispute = bool(history.value and attested.value) and not both_sure
    for read in (history, attested):
        if dispute:
            read.dispute(_DIFFER_JA)
        else:
            read.doubt(_DIFFER_JA)


def confirm_attested_rows(fields: dict[str, list[FieldRead]]) -> list[str]:
    """Confirm unsure B / C readings that equal a confident reading on the other form.

    Returns the keys of the fields confirmed. The attestation's row number is
    confirmed when its organisation and both dates equal that history row's
    (three independent readings point at the same row), or when its period, read
    surely, equals that row's and no other row's (the organisation may be another
    employer's: the rules' finding, not a doubt about the row).
    """
    confirmed: list[str] = []
    for key in sorted(fields):
        match = _ROW.match(key)
        row = _first(fields, key)
        if match is None or row is None or not (row.value or "").isdigit():
            continue
        n, k = match.group(1), int(row.value or "0")
        agreed: set[str] = set()
        for part in PARTS:
            history = _first(fields, f"B.exp{k}_{part}")
            attested = _first(fields, f"C.att{n}_{part}")
            if history is None or attested is None or not (history.value or attested.value):
                continue
            if plain(history.value) != plain(attested.value):
                if _lend(history, attested, confirmed, redraw=part == "org"):
                    agreed.add(part)
                    continue
                if part == "org" and names_another_org(history, attested):
                    continue  # each reading stands on its own crop's evidence
                _disagree(history, attested)
                continue
            agreed.add(part)
            for unsure, sure in ((history, attested), (attested, history)):
                if _lean_on(unsure, sure):
                    confirmed.append(unsure.key)
        points_here = agreed == set(PARTS) or _period_points_at(fields, n, k)
        if points_here and not _confident(row) and row.placement_fits:
            row.confirm(OTHER_FORM)
            confirmed.append(row.key)
    return confirmed


def _period_points_at(fields: dict[str, list[FieldRead]], n: str, k: int) -> bool:
    """Attestation ``n``'s period, read surely on both forms, is history row ``k``'s and
    no other row's."""
    period = []
    for part in ("from", "to"):
        history = _first(fields, f"B.exp{k}_{part}")
        attested = _first(fields, f"C.att{n}_{part}")
        if history is None or attested is None or not history.value:
            return False
        if not (_confident(history) and _confident(attested)):
            return False
        if plain(history.value) != plain(attested.value):
            return False
        period.append(plain(history.value))
    for key in fields:
        other = _HISTORY_FROM.match(key)
        if other is None or int(other.group(1)) == k:
            continue
        since, until = _first(fields, key), _first(fields, f"B.exp{other.group(1)}_to")
        values = [plain(r.value) if r is not None and r.value else None for r in (since, until)]
        if values == period:
            return False
    return True
