"""The expected decision for a synthetic envelope, from the manual's rules.

This labels ground truth; it is deliberately small and literal so tests can
check it against an independent count. Readings (manual 基準①–④):

* CAP and OMP need certification; SV / OP / EN do not (``not_required``).
* The exam report is valid through the day before the 3rd anniversary of its
  issue date, judged at the received date.
* Months are inclusive year-month ranges; ``present`` ends at the received month;
  overlapping periods count once. Only periods with at least one of the seven
  fields count. Total ≥ 60 months where substitution counts at most 24;
  ≥ 2 distinct fields; ≥ 24 months (union, no substitution) in periods that
  include a required field (OMP: 4, 5; CAP: 6, 7).
* Every experience row needs a signed (C) block naming the same organisation;
  a different organisation goes to review. (D) must be signed.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from pipeline.synth.records import ApplicantRecord

REQUIRED_FIELDS = {"OMP": {4, 5}, "CAP": {6, 7}}
MIN_TOTAL_MONTHS = 60
MAX_SUBSTITUTION_MONTHS = 24
MIN_REQUIRED_MONTHS = 24
MIN_FIELDS = 2

INELIGIBLE = (
    "exam_expired",
    "exam_not_passed",
    "short_total_months",
    "single_field",
    "short_required_field_months",
)
INCOMPLETE = ("attestation_missing", "oath_unsigned", "document_missing")
REVIEW = ("attestation_other_org",)


class Eligibility(BaseModel):
    outcome: str  # eligible | not_required | ineligible | incomplete | review
    reasons: list[str]
    experience_months: int
    substitution_months: int
    total_months: int
    required_field_months: int
    fields: list[int]
    exam_valid_until: date


def month_index(ym: str, received: date) -> int:
    if ym == "present":
        return received.year * 12 + received.month - 1
    year, month = ym.split("-")
    return int(year) * 12 + int(month) - 1


def months_of(start: str, end: str, received: date) -> set[int]:
    a, b = month_index(start, received), month_index(end, received)
    return set(range(a, b + 1)) if b >= a else set()


def exam_valid_until(issue: date) -> date:
    """Last valid day: the day before the 3rd anniversary (29 Feb → 28 Feb)."""
    try:
        anniversary = issue.replace(year=issue.year + 3)
    except ValueError:
        anniversary = date(issue.year + 3, 3, 1)
    return date.fromordinal(anniversary.toordinal() - 1)


def assess(record: ApplicantRecord, pages_present: set[str]) -> Eligibility:
    """Expected outcome and reasons for a record whose envelope holds ``pages_present`` forms."""
    received = record.received_date
    report = record.report
    valid_until = exam_valid_until(report.issue_date)
    counted = [e for e in record.experiences if e.fields]
    union: set[int] = set()
    required: set[int] = set()
    fields: set[int] = set()
    qual = record.qualification or report.exam_type
    need = REQUIRED_FIELDS.get(qual, set())
    for exp in counted:
        months = months_of(exp.start, exp.end, received)
        union |= months
        fields.update(exp.fields)
        if need & set(exp.fields):
            required |= months
    sub_months = min(
        MAX_SUBSTITUTION_MONTHS, round(sum(s.years for s in record.substitutions) * 12)
    )
    total = len(union) + sub_months
    result = Eligibility(
        outcome="eligible",
        reasons=[],
        experience_months=len(union),
        substitution_months=sub_months,
        total_months=total,
        required_field_months=len(required),
        fields=sorted(fields),
        exam_valid_until=valid_until,
    )
    if report.exam_type not in ("CAP", "OMP"):
        result.outcome, result.reasons = "not_required", ["not_required"]
        return result
    reasons: list[str] = []
    if not report.passed:
        reasons.append("exam_not_passed")
    if received > valid_until:
        reasons.append("exam_expired")
    if total < MIN_TOTAL_MONTHS:
        reasons.append("short_total_months")
    if len(fields) < MIN_FIELDS:
        reasons.append("single_field")
    if len(required) < MIN_REQUIRED_MONTHS:
        reasons.append("short_required_field_months")
    if not {"R", "A", "B", "C", "D"} <= pages_present:
        reasons.append("document_missing")
    reasons += _attestation_reasons(record, "C" in pages_present)
    if "D" in pages_present and not record.oath_signed:
        reasons.append("oath_unsigned")
    result.reasons = reasons or ["eligible"]
    if any(r in INELIGIBLE for r in reasons):
        result.outcome = "ineligible"
    elif any(r in INCOMPLETE for r in reasons):
        result.outcome = "incomplete"
    elif any(r in REVIEW for r in reasons):
        result.outcome = "review"
    return result


def _attestation_reasons(record: ApplicantRecord, c_present: bool) -> list[str]:
    reasons: set[str] = set()
    by_row = {a.row: a for a in record.attestations} if c_present else {}
    for i, exp in enumerate(record.experiences, start=1):
        att = by_row.get(i)
        if att is None or not att.signed:
            reasons.add("attestation_missing")
        elif _norm_org(att.org) != _norm_org(exp.org):
            reasons.add("attestation_other_org")
    return [r for r in ("attestation_missing", "attestation_other_org") if r in reasons]


def _norm_org(name: str) -> str:
    return name.replace(" ", "").replace("　", "")
