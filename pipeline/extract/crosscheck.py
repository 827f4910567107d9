"""Cross-checks between the exam report, the forms and the passers register.

Disagreement is an exception naming both values and where each came from.
Agreement is evidence: a typed-looking field (its ink where the form prints,
``FieldRead.placement_fits``) whose value independently agrees with the
register is confirmed even when its own OCR confidence was middling, and the
source that confirmed it is recorded. Handwriting always goes to a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.extract.attested import confirm_attested_rows
from pipeline.extract.fields import CONFIDENT, FieldRead
from pipeline.extract.normalize import FieldInvalid, normalize, plain
from pipeline.extract.zeros import is_zero_slip, zero_candidates, zero_candidates_twice
from pipeline.storage.models import FieldStatus, RegistryEntry
from pipeline.text.kana import kana_match_key

REGISTER = "register"


@dataclass(frozen=True)
class Source:
    where: str  # "R.pass_number", "register"
    value: str | None
    status: str


@dataclass
class CrossCheck:
    item: str  # pass_number / name / kana / exam_type / issue_date / exam_date / exam_result / qualification
    outcome: str  # agree / mismatch / register_missing
    message_ja: str
    sources: list[Source] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "item": self.item,
            "outcome": self.outcome,
            "message_ja": self.message_ja,
            "sources": [s.__dict__ for s in self.sources],
        }


def _kana(text: str | None) -> str:
    return kana_match_key(text or "")


ITEM_JA = {
    "pass_number": "合格者番号",
    "name": "氏名",
    "kana": "フリガナ",
    "exam_type": "試験種別",
    "issue_date": "合格証明書（試験結果レポート）の発行日",
    "exam_date": "受験日",
    "exam_result": "試験結果",
    "qualification": "申請資格と試験種別",
}

DATES = ("issue_date", "exam_date")

# Which form fields carry each item.
ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "pass_number": ("R.pass_number", "A.pass_number"),
    "name": (
        "R.name_kanji",
        "A.name_kanji",
        "D.name_kanji",
        "B.applicant_name",
        "C.applicant_name",
    ),
    "kana": ("R.name_kana", "A.name_kana"),
    "exam_type": ("R.exam_type",),
    "issue_date": ("R.issue_date", "A.report_issue_date"),
    "exam_date": ("R.exam_date",),
    "exam_result": ("R.exam_result",),
}


def _register_value(item: str, entry: RegistryEntry) -> str | None:
    values = {
        "pass_number": entry.pass_number,
        "name": entry.name,
        "kana": entry.kana,
        "exam_type": entry.exam_type,
        "issue_date": entry.issue_date.isoformat() if entry.issue_date else None,
        "exam_date": entry.exam_date.isoformat() if entry.exam_date else None,
        "exam_result": entry.result,
    }
    return values[item]


# Katakana and kanji that print alike; a kanji name read with the katakana is the
# register's name (山本浩ニ for 山本浩二), and takes the register's spelling.
_PRINTED_ALIKE = str.maketrans("ニロカエトハターオ", "二口力工卜八夕一才")


def _name(text: str | None) -> str:
    return plain(text).translate(_PRINTED_ALIKE)


_COMPARE: dict[str, Callable[[str | None], str]] = {"name": _name, "kana": _kana}


def _same(item: str, a: str | None, b: str | None) -> bool:
    key = _COMPARE.get(item, plain)
    return bool(a) and bool(b) and key(a) == key(b)


def qualification_applied(fields: dict[str, list[FieldRead]]) -> tuple[str | None, bool]:
    """(CAP / OMP / None, confident) from form A's two checkboxes."""
    cap = (fields.get("A.qual_cap") or [None])[0]
    omp = (fields.get("A.qual_omp") or [None])[0]
    if cap is None or omp is None:
        return None, False
    confident = cap.status in CONFIDENT and omp.status in CONFIDENT
    ticked = [code for code, f in (("CAP", cap), ("OMP", omp)) if f.value == "true"]
    if len(ticked) != 1:
        return None, confident
    return ticked[0], confident


def find_register_entry(
    fields: dict[str, list[FieldRead]], lookup: Callable[[str], RegistryEntry | None]
) -> RegistryEntry | None:
    """The register line for the pass number read on the report or form A."""
    for key in ITEM_FIELDS["pass_number"]:
        for f in fields.get(key, []):
            if f.value:
                entry = lookup(f.value)
                if entry is not None:
                    return entry
    return None


def cross_check(
    fields: dict[str, list[FieldRead]], entry: RegistryEntry | None
) -> list[CrossCheck]:
    """Compare every item across its sources; confirm fields the register agrees with,
    and history rows (B) their attestations (C) agree with."""
    confirm_attested_rows(fields)
    results: list[CrossCheck] = []
    identity_agrees = entry is not None and _identity_agrees(fields, entry)
    for item, keys in ITEM_FIELDS.items():
        reads = [f for key in keys for f in fields.get(key, []) if f.value]
        register_value = _register_value(item, entry) if entry is not None else None
        if register_value is not None and (item != "pass_number" or identity_agrees):
            reads += [
                f
                for key in keys
                for f in fields.get(key, [])
                if not f.value and (register_value in f.alternatives or f.judge is not None)
            ]
            for f in reads:
                if f.value != register_value and _zero_slip_of(item, f, register_value):
                    # The ink re-draws as the register's value once a slashed-zero slip is
                    # undone (``zeros``), and the register line is this person's.
                    f.value = register_value
                    f.confirm(REGISTER)
                    continue
                if not _same(item, f.value, register_value):
                    if item in ("name", "pass_number") and _redraws_as(f, register_value):
                        continue
                    if item in DATES and identity_agrees and _redraws_as_slip(f, register_value):
                        continue
                    _doubt(f, f"合格者名簿の「{register_value}」と一致しません")
                    continue
                if f.status not in CONFIDENT and not f.placement_fits:
                    continue  # looks handwritten: a person reads it, even when it agrees
                if f.status not in CONFIDENT:
                    f.status = FieldStatus.CONFIRMED
                    f.reason = None
                f.confirmed_by = REGISTER
                if item in ("name", "kana"):
                    # Equal up to spacing and small kana: the register's spelling is the right one.
                    f.value = register_value
        # Sources as settled above (a slip undone is no longer a disagreement).
        sources = [
            Source(f.key, f.value, str(f.status))
            for key in keys
            for f in fields.get(key, [])
            if f.value
        ]
        if entry is not None:
            sources.append(Source(REGISTER, register_value, "register"))
        confident = [s for s in sources if s.status in ("ok", "confirmed", "register")]
        distinct = {(_COMPARE.get(item, plain))(s.value) for s in confident}
        if len(distinct) > 1:
            results.append(CrossCheck(item, "mismatch", _mismatch_ja(item, confident), sources))
        elif sources:
            results.append(CrossCheck(item, "agree", f"{ITEM_JA[item]}は一致しています", sources))
    if entry is None and any(
        f.value for k in ITEM_FIELDS["pass_number"] for f in fields.get(k, [])
    ):
        _doubt_unregistered_numbers(fields)
        results.append(
            CrossCheck(
                "pass_number",
                "register_missing",
                "合格者番号が合格者名簿に見つかりません（番号の読み取りまたは名簿の取り込みを確認してください）",
                [
                    Source(f.key, f.value, str(f.status))
                    for k in ITEM_FIELDS["pass_number"]
                    for f in fields.get(k, [])
                ],
            )
        )
    results.extend(_qualification_check(fields, entry))
    for reads in fields.values():
        for f in reads:
            f.judge = None  # the crops are no longer needed
    return results


def _redraws_as(read: FieldRead, register_value: str) -> bool:
    """A name or number read wrong (or not at all) whose crop re-draws as the register's,
    clearly better than as what was read: the register's value, confirmed. Agreeing
    readings are no exception (a 3 read as 8 by every rendition); a reading sure on its
    own is."""
    if read.judge is None or read.status == FieldStatus.OK:
        return False
    trial = read.judge.better(register_value)
    if trial is None:
        return False
    read.adopt(trial, REGISTER, register_value)
    return True


def _redraws_as_slip(read: FieldRead, register_value: str) -> bool:
    """A date read as the register's but for slashed-zero slips (2024年4月16日 for the
    10th, ``zeros.zero_candidates_twice``) whose crop re-draws as the register's date clearly better
    than as read (or, read as no date at all, within the consensus distance)."""
    if read.judge is None or read.status == FieldStatus.OK:
        return False
    if read.value and not is_zero_slip(register_value, read.value):
        return False
    validator = read.judge.item.spec.validator
    for text in zero_candidates_twice(read.raw_text):
        if _normalised(validator, text) != register_value:
            continue
        trial = read.judge.better(text)
        if trial is not None and trial.value == register_value:
            read.adopt(trial, REGISTER)
            return True
    return False


def _normalised(validator: str | None, text: str) -> str | None:
    try:
        return normalize(validator, text)
    except FieldInvalid:
        return None


def _zero_slip_of(item: str, read: FieldRead, register_value: str) -> bool:
    """The reading is the register's number but for slashed-zero slips (``zeros``)."""
    if register_value in read.alternatives:
        return True
    return (
        item == "pass_number"
        and read.placement_fits
        and register_value in zero_candidates(read.raw_text)
    )


def _doubt_unregistered_numbers(fields: dict[str, list[FieldRead]]) -> None:
    """A pass number the register does not know is not settled by readings agreeing.

    The register's silence outweighs that agreement: the corpus showed a final 0
    read as 8 by two renditions alike. A number read confidently on its own stays
    as read; the register_missing finding shows it to staff either way.
    """
    for key in ITEM_FIELDS["pass_number"]:
        for f in fields.get(key, []):
            _doubt(f, "合格者名簿にない番号です")


def _doubt(read: FieldRead, why_ja: str) -> None:
    """Undo a confirmation by agreeing readings that the register contradicts."""
    read.doubt(f"{why_ja}（2回の読み取りは一致しましたが、確認してください）")


def _identity_agrees(fields: dict[str, list[FieldRead]], entry: RegistryEntry) -> bool:
    """The register line belongs to this person: a name or furigana read agrees with it."""
    names = [f.value for k in ITEM_FIELDS["name"] for f in fields.get(k, [])]
    kanas = [f.value for k in ITEM_FIELDS["kana"] for f in fields.get(k, [])]
    return any(_same("name", n, entry.name) for n in names) or any(
        _same("kana", k, entry.kana) for k in kanas
    )


def _mismatch_ja(item: str, sources: list[Source]) -> str:
    shown = "、".join(f"{_where_ja(s.where)}「{s.value}」" for s in sources)
    return f"{ITEM_JA[item]}が一致しません: {shown}"


def _where_ja(where: str) -> str:
    if where == REGISTER:
        return "合格者名簿"
    form = where.split(".")[0]
    return {"R": "試験結果レポート", "A": "様式A", "B": "様式B", "C": "様式C", "D": "様式D"}.get(
        form, where
    )


def _qualification_check(
    fields: dict[str, list[FieldRead]], entry: RegistryEntry | None
) -> list[CrossCheck]:
    applied, confident = qualification_applied(fields)
    report = (fields.get("R.exam_type") or [None])[0]
    exam = entry.exam_type if entry is not None else (report.value if report else None)
    if applied is None or exam is None:
        return []
    sources = [Source("A.qual", applied, "ok" if confident else "low_confidence")]
    if report is not None:
        sources.append(Source(report.key, report.value, str(report.status)))
    if entry is not None:
        sources.append(Source(REGISTER, entry.exam_type, "register"))
    if applied != exam:
        return [
            CrossCheck(
                "qualification",
                "mismatch",
                f"申請資格（{applied}）と合格した試験種別（{exam}）が一致しません",
                sources,
            )
        ]
    return [CrossCheck("qualification", "agree", "申請資格と試験種別は一致しています", sources)]
