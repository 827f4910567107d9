"""Cross-checks between the exam report, the forms and the passers register.

Disagreement is an exception naming both values and where each came from.
Agreement is evidence: a typed field whose value, as either engine read it,
agrees with the register is confirmed even when the engines disagreed, and the
register's spelling is taken; the source that confirmed it is recorded. A
register that says otherwise than a sure reading puts it before a person.
Handwriting always goes to a person, agreeing or not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pipeline.extract.attested import confirm_attested_rows
from pipeline.extract.book import FieldBook
from pipeline.extract.kana_marks import differ_by_marks_only
from pipeline.extract.normalize import plain
from pipeline.extract.postcodes import hold_address_of_no_prefecture, hold_postcode_off_its_address
from pipeline.extract.reading import Evidence, FieldRead
from pipeline.extract.voicing import hold_lost_voicing
from pipeline.storage.models import RegistryEntry
from pipeline.text.kana import kana_match_key
from pipeline.vocabulary import CrossCheckOutcome

REGISTER = str(Evidence.REGISTER)


@dataclass(frozen=True)
class Source:
    where: str  # "R.pass_number", "register"
    value: str | None
    status: str


@dataclass
class CrossCheck:
    item: str  # pass_number / name / kana / exam_type / issue_date / exam_date / exam_result / qualification
    outcome: CrossCheckOutcome
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
# register's name (山本浩ニ for 山本浩二), and takes the register's spelling. A middle
# dot parts a name as a space does (a copy's speck in the space was read as one): no
# name holds one as a character.
_PRINTED_ALIKE = str.maketrans("ニロカエトハターオ", "二口力工卜八夕一才", "・·･")


def _name(text: str | None) -> str:
    return plain(text).translate(_PRINTED_ALIKE)


_COMPARE: dict[str, Callable[[str | None], str]] = {"name": _name, "kana": _kana}


def _same(item: str, a: str | None, b: str | None) -> bool:
    key = _COMPARE.get(item, plain)
    return bool(a) and bool(b) and key(a) == key(b)


def _first(fields: dict[str, list[FieldRead]], key: str) -> FieldRead | None:
    found = fields.get(key)
    return found[0] if found else None


def qualification_applied(fields: dict[str, list[FieldRead]]) -> tuple[str | None, bool]:
    """(CAP / OMP / None, confident) from form A's two checkboxes."""
    cap = _first(fields, "A.qual_cap")
    omp = _first(fields, "A.qual_omp")
    if cap is None or omp is None:
        return None, False
    confident = cap.confident and omp.confident
    ticked = [code for code, f in (("CAP", cap), ("OMP", omp)) if f.value == "true"]
    if len(ticked) != 1:
        return None, confident
    return ticked[0], confident


def find_register_entry(
    fields: dict[str, list[FieldRead]], lookup: Callable[[str], RegistryEntry | None]
) -> RegistryEntry | None:
    """The register line for the pass number read on the report or form A (as settled,
    or as either engine read it)."""
    for key in ITEM_FIELDS["pass_number"]:
        for f in fields.get(key, []):
            for number in dict.fromkeys([f.value, *sorted(f.values_read())]):
                entry = lookup(number) if number else None
                if entry is not None:
                    return entry
    return None


@dataclass
class CheckedFields:
    """An envelope's fields once the register and the other form have spoken."""

    fields: list[FieldRead]
    checks: list[CrossCheck] = field(default_factory=list)

    def field_map(self) -> dict[str, list[FieldRead]]:
        return FieldBook(self.fields).as_map()


def cross_check(fields: list[FieldRead], entry: RegistryEntry | None) -> CheckedFields:
    """Compare every item across its sources; confirm fields the register agrees with,
    and history rows (B) their attestations (C) agree with."""
    book = FieldBook(fields)
    confirm_attested_rows(book)
    hold_lost_voicing(book)
    hold_postcode_off_its_address(book)
    hold_address_of_no_prefecture(book)
    identity_agrees = entry is not None and _identity_agrees(book.as_map(), entry)
    results: list[CrossCheck] = []
    for item, keys in ITEM_FIELDS.items():
        register_value = _register_value(item, entry) if entry is not None else None
        if register_value is not None and (item != "pass_number" or identity_agrees):
            for key in keys:
                for read in book.all(key):
                    settled = _against_register(item, read, register_value)
                    if settled is not read:
                        book.put(settled)
        results.extend(_item_check(item, book, entry, register_value))
    if entry is None and any(f.value for k in ITEM_FIELDS["pass_number"] for f in book.all(k)):
        results.append(
            CrossCheck(
                "pass_number",
                CrossCheckOutcome.REGISTER_MISSING,
                "合格者番号が合格者名簿に見つかりません（番号の読み取りまたは名簿の取り込みを確認してください）",
                [
                    Source(f.key, f.value, str(f.status))
                    for k in ITEM_FIELDS["pass_number"]
                    for f in book.all(k)
                ],
            )
        )
    results.extend(_qualification_check(book.as_map(), entry))
    return CheckedFields(book.fields(), results)


def _against_register(item: str, read: FieldRead, register_value: str) -> FieldRead:
    """``read`` as the register leaves it: confirmed when it (or what an engine read on
    its crop) is the register's value; put before a person when it says otherwise."""
    spelling = register_value if item in ("name", "kana") else None
    if read.value and _same(item, read.value, register_value):
        if read.handwritten:
            return read  # a person reads handwriting, even when it agrees
        if read.confident:
            return replace(read, confirmed_by=REGISTER, value=spelling or read.value)
        return read.confirmed(Evidence.REGISTER, spelling or read.value)
    read_as = [v for v in read.values_read() if _same(item, v, register_value)]
    if read_as and not read.handwritten:
        # One engine read the register's value, the other something else.
        return read.confirmed(Evidence.REGISTER, spelling or read_as[0])
    if not read.value and not read.values_read():
        return read
    why = f"合格者名簿の「{register_value}」と一致しません"
    if differ_by_marks_only(read.value, register_value):
        why += "（濁点・半濁点の読み落としの可能性）"
    return read.held(why)


def _item_check(
    item: str, book: FieldBook, entry: RegistryEntry | None, register_value: str | None
) -> list[CrossCheck]:
    sources = [
        Source(f.key, f.value, str(f.status))
        for k in ITEM_FIELDS[item]
        for f in book.all(k)
        if f.value
    ]
    if entry is not None:
        sources.append(Source(REGISTER, register_value, "register"))
    confident = [s for s in sources if s.status in ("ok", "confirmed", "register")]
    distinct = {(_COMPARE.get(item, plain))(s.value) for s in confident}
    if len(distinct) > 1:
        return [
            CrossCheck(item, CrossCheckOutcome.MISMATCH, _mismatch_ja(item, confident), sources)
        ]
    if sources:
        return [
            CrossCheck(item, CrossCheckOutcome.AGREE, f"{ITEM_JA[item]}は一致しています", sources)
        ]
    return []


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
    report = _first(fields, "R.exam_type")
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
                CrossCheckOutcome.MISMATCH,
                f"申請資格（{applied}）と合格した試験種別（{exam}）が一致しません",
                sources,
            )
        ]
    return [
        CrossCheck(
            "qualification", CrossCheckOutcome.AGREE, "申請資格と試験種別は一致しています", sources
        )
    ]
