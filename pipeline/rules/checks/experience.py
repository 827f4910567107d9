"""② Experience: 60 months in the 7 fields, 2 fields, 24 months in a required field.

All readings (thresholds, the substitution cap and table, required fields) come
from ``readings.py``; month arithmetic from ``months.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.rules.facts import ApplicationFacts, Ruling, period_row
from pipeline.rules.findings import Finding, Used
from pipeline.rules.months import YearMonth, resolve_end, union_months
from pipeline.rules.readings import (
    FIELD_NAMES,
    SECTION_EXPERIENCE_FIELDS,
    SECTION_EXPERIENCE_TOTAL,
    Readings,
)
from pipeline.rules.rulings import find_ruling, fingerprint, judgement
from pipeline.vocabulary import FindingOutcome

RULE_TOTAL = "experience.total_months"
RULE_FIELDS = "experience.field_count"
RULE_REQUIRED = "experience.required_field_months"
RULE_SUBSTITUTION = "experience.substitution_recognised"

ALL_FIELDS = tuple(FIELD_NAMES)


@dataclass(frozen=True)
class PeriodView:
    row: int
    start: YearMonth
    end: YearMonth  # 現在 resolved to the received month
    ticked: frozenset[int]


@dataclass(frozen=True)
class Credit:
    """What substitution is worth: credited months (capped) and unknown items."""

    claimed_months: int
    credited_months: int
    unknown_items: tuple[str, ...]
    lines: tuple[str, ...]
    # Items not on the list, as judged by a person (or still to be judged): [name, months].
    judged: tuple[tuple[str, int | None], ...] = ()
    ruling: Ruling | None = None
    read_from: tuple[str | None, ...] = ()  # the readings of the items judged

    @property
    def facts_ja(self) -> str:
        items = "、".join(
            f"「{name}」{f'{months}か月' if months else '（月数の記入なし）'}"
            for name, months in self.judged
        )
        return f"代替として認められた一覧にない項目があります: {items}"

    def judgement(self) -> dict[str, Any]:
        judged = [list(j) for j in self.judged]
        return judgement(RULE_SUBSTITUTION, judged, self.facts_ja, self.read_from)


def read_periods(
    app: ApplicationFacts, used: Used, fields: Iterable[int], *, dates: bool = True
) -> tuple[list[PeriodView], list[str]]:
    """Record each period's facts; return the confident views and data problems.

    Only meaningful when ``used.uncertain`` is empty afterwards.
    """
    wanted = tuple(fields)
    received = YearMonth.of(app.effective_received_on)
    views: list[PeriodView] = []
    problems: list[str] = []
    for position, period in enumerate(app.experience):
        n = period_row(period, position)
        start = used.fact(f"exp{n}.from", period.start) if dates else None
        end = used.fact(f"exp{n}.to", period.end) if dates else None
        ticked = set()
        for number in wanted:
            tick = period.fields.get(number)
            if tick is not None and used.fact(f"exp{n}.field_{number}", tick):
                ticked.add(number)
        if not dates:
            views.append(PeriodView(n, received, received, frozenset(ticked)))
            continue
        if start is None or end is None:
            continue
        last = resolve_end(end, received)
        if start > last:
            problems.append(f"経歴{n}: 開始年月 {start} が終了年月 {last} より後です")
            continue
        if last > received:
            problems.append(f"経歴{n}: 終了年月 {last} が受付月 {received} より後です")
            continue
        views.append(PeriodView(n, start, last, frozenset(ticked)))
    return views, problems


def months_of(views: Iterable[PeriodView]) -> set[int]:
    return union_months((v.start, v.end) for v in views)


def read_substitutions(app: ApplicationFacts, used: Used, readings: Readings) -> Credit:
    """What substitution is worth; items not on the list count as a person ruled on them.

    A ruling on the unknown items (all of them at once, with their months: the facts the
    person saw) credits them at the months written (認める) or not at all (認めない).
    Without one they stay unknown and the checks that depend on them ask.
    """
    claimed = 0
    unknown: list[tuple[str, int | None]] = []
    read_from: list[str | None] = []
    lines: list[str] = []
    for position, sub in enumerate(app.substitutions, start=1):
        name = used.fact(f"sub{position}.item", sub.item)
        months = used.fact(f"sub{position}.months", sub.months) if sub.months is not None else None
        if name is None:
            continue
        item = readings.find_substitution(name)
        if item is None:
            unknown.append((name, months))
            read_from += [sub.item.field_id, sub.months.field_id if sub.months else None]
            continue
        worth = min(months, item.months) if months else item.months
        claimed += worth
        lines.append(f"{item.name_ja} {worth}か月")
    key = fingerprint(RULE_SUBSTITUTION, [list(u) for u in unknown])
    ruling = find_ruling(app.rulings, RULE_SUBSTITUTION, key) if unknown else None
    if ruling is not None and ruling.accepted:
        for name, months in unknown:
            claimed += months or 0
            lines.append(f"{name} {months or 0}か月（担当者が認めた項目）")
    still_unknown = tuple(name for name, _ in unknown) if ruling is None else ()
    credited = min(claimed, readings.substitution_cap_months)
    return Credit(
        claimed, credited, still_unknown, tuple(lines), tuple(unknown), ruling, tuple(read_from)
    )


def check_total_months(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    views, problems = read_periods(app, used, ALL_FIELDS)
    credit = read_substitutions(app, used, readings)
    if used.uncertain:
        return used.review_uncertain(RULE_TOTAL, SECTION_EXPERIENCE_TOTAL)
    if problems:
        return used.finding(
            RULE_TOTAL, FindingOutcome.REVIEW, SECTION_EXPERIENCE_TOTAL, "；".join(problems)
        )
    counted = [v for v in views if v.ticked]
    experience = len(months_of(counted))
    total = experience + credit.credited_months
    need = readings.min_total_months
    details = {
        "experience_months": experience,
        "substitution_claimed_months": credit.claimed_months,
        "substitution_credited_months": credit.credited_months,
        "total_months": total,
        "required_months": need,
        "rows_without_field": [v.row for v in views if not v.ticked],
    }
    summary = (
        f"7分野の業務経験 {experience}か月（重複期間は1回）＋代替 {credit.credited_months}か月"
        f"（上限{readings.substitution_cap_months}か月）＝ {total}か月"
    )
    if details["rows_without_field"]:
        summary += f"（分野の記入がない経歴{details['rows_without_field']}は数えていません）"
    if total >= need:
        return used.finding(
            RULE_TOTAL,
            FindingOutcome.PASS,
            SECTION_EXPERIENCE_TOTAL,
            f"{summary}。必要な{need}か月以上を満たします。",
            details=details,
        )
    if credit.unknown_items and experience + readings.substitution_cap_months >= need:
        return used.finding(
            RULE_TOTAL,
            FindingOutcome.REVIEW,
            SECTION_EXPERIENCE_TOTAL,
            f"{summary}。未登録の代替項目（{'、'.join(credit.unknown_items)}）の扱いによって"
            f"{need}か月に届く可能性があります。",
            details=details,
        )
    return used.finding(
        RULE_TOTAL,
        FindingOutcome.FAIL,
        SECTION_EXPERIENCE_TOTAL,
        f"{summary}。必要な{need}か月に{need - total}か月足りません。",
        details=details,
    )


def check_field_count(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    views, _ = read_periods(app, used, ALL_FIELDS, dates=False)
    if used.uncertain:
        return used.review_uncertain(RULE_FIELDS, SECTION_EXPERIENCE_FIELDS)
    distinct = sorted(set().union(*(v.ticked for v in views)) if views else set())
    names = "、".join(f"{k}.{FIELD_NAMES[k]}" for k in distinct) or "なし"
    need = readings.min_distinct_fields
    details = {"fields": distinct, "required_count": need}
    if len(distinct) >= need:
        return used.finding(
            RULE_FIELDS,
            FindingOutcome.PASS,
            SECTION_EXPERIENCE_FIELDS,
            f"業務経験の分野は{len(distinct)}分野（{names}）で、最低{need}分野を満たします。",
            details=details,
        )
    return used.finding(
        RULE_FIELDS,
        FindingOutcome.FAIL,
        SECTION_EXPERIENCE_FIELDS,
        f"業務経験の分野は{len(distinct)}分野（{names}）のみです。最低{need}分野が必要です。",
        details=details,
    )


def check_required_field_months(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    qualification = used.fact("qualification", app.qualification)
    required = readings.required_fields.get(qualification or "", ())
    views, problems = read_periods(app, used, required)
    if used.uncertain:
        return used.review_uncertain(RULE_REQUIRED, SECTION_EXPERIENCE_FIELDS)
    if not required:
        return used.finding(
            RULE_REQUIRED,
            FindingOutcome.NOT_APPLICABLE,
            SECTION_EXPERIENCE_FIELDS,
            f"{qualification} には必須分野の定めがありません。",
        )
    if problems:
        return used.finding(
            RULE_REQUIRED, FindingOutcome.REVIEW, SECTION_EXPERIENCE_FIELDS, "；".join(problems)
        )
    months = len(months_of(v for v in views if v.ticked))
    need = readings.min_required_field_months
    names = "または".join(f"{k}.{FIELD_NAMES[k]}" for k in required)
    details = {"required_fields": list(required), "months": months, "required_months": need}
    if months >= need:
        return used.finding(
            RULE_REQUIRED,
            FindingOutcome.PASS,
            SECTION_EXPERIENCE_FIELDS,
            f"{qualification} の必須分野（{names}）を含む経歴は{months}か月で、"
            f"{need}か月以上を満たします。",
            details=details,
        )
    return used.finding(
        RULE_REQUIRED,
        FindingOutcome.FAIL,
        SECTION_EXPERIENCE_FIELDS,
        f"{qualification} の必須分野（{names}）を含む経歴は{months}か月です。"
        f"{need}か月以上が必要です（資格・研修による代替は数えません）。",
        details=details,
    )


def check_substitution_recognised(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    credit = read_substitutions(app, used, readings)
    if not app.substitutions:
        return used.finding(
            RULE_SUBSTITUTION,
            FindingOutcome.NOT_APPLICABLE,
            SECTION_EXPERIENCE_TOTAL,
            "資格取得・研修受講による代替の申請はありません。",
        )
    if used.uncertain:
        return used.review_uncertain(RULE_SUBSTITUTION, SECTION_EXPERIENCE_TOTAL)
    details = {
        "claimed_months": credit.claimed_months,
        "credited_months": credit.credited_months,
        "unknown_items": list(credit.unknown_items),
    }
    if credit.unknown_items:
        return used.finding(
            RULE_SUBSTITUTION,
            FindingOutcome.REVIEW,
            SECTION_EXPERIENCE_TOTAL,
            f"{credit.facts_ja}。認めるかどうか判断してください。",
            details={**details, "judgement": credit.judgement()},
        )
    if credit.ruling is not None:
        return _ruled_substitution(used, credit, details)
    capped = (
        f"（上限{readings.substitution_cap_months}か月を適用）"
        if credit.claimed_months > credit.credited_months
        else ""
    )
    return used.finding(
        RULE_SUBSTITUTION,
        FindingOutcome.PASS,
        SECTION_EXPERIENCE_TOTAL,
        f"代替: {'、'.join(credit.lines)}。算入 {credit.credited_months}か月{capped}。",
        details=details,
    )


def _ruled_substitution(used: Used, credit: Credit, details: dict[str, Any]) -> Finding:
    """Items off the list as a person ruled on them.

    認める: counted at the months written (pass). 認めない: not counted, and the finding
    no longer applies — why not a failure: the manual makes substitution a way to reach
    the 60 months, not a criterion of its own, so an item not recognised only stops
    counting; whether the months still suffice is the total-months rule's to say.
    """
    ruling = credit.ruling
    assert ruling is not None
    message = f"{credit.facts_ja}。担当者の判断{ruling.words()}により、"
    extra = {**details, "judgement": credit.judgement(), "ruling": ruling.model_dump(mode="json")}
    if ruling.accepted:
        message += f"{SECTION_EXPERIENCE_TOTAL}の代替として算入します（算入 {credit.credited_months}か月）。"
        outcome = FindingOutcome.PASS
    else:
        message += (
            f"{SECTION_EXPERIENCE_TOTAL}の代替として算入しません"
            "（必要な月数は通算月数の基準で判定します）。"
        )
        outcome = FindingOutcome.NOT_APPLICABLE
    return used.finding(
        RULE_SUBSTITUTION, outcome, SECTION_EXPERIENCE_TOTAL, message, details=extra
    )
