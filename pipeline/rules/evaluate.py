"""Evaluate one application: run the checks, decide, compute the dates. No I/O."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from pipeline.names_ja import reason_line
from pipeline.rules.checks import CERTIFICATION_CHECKS, check_qualification
from pipeline.rules.checks.completeness import absent_documents
from pipeline.rules.checks.exam import record_received_on
from pipeline.rules.dates import CertificationDates, certification_dates
from pipeline.rules.decide import decide, is_not_required
from pipeline.rules.facts import ApplicationFacts
from pipeline.rules.findings import Finding, Used
from pipeline.rules.readings import DOCUMENT_NAMES, SECTION_EXAM_VALIDITY, Readings
from pipeline.rules.rulings import apply_rulings
from pipeline.vocabulary import DecisionOutcome, FindingOutcome

RULE_RECEIVED = "received.not_in_the_future"


class Evaluation(BaseModel):
    """The decision for one application, with every finding and the dates."""

    application_id: int | None = None
    ruleset_version: str
    outcome: DecisionOutcome
    reasons: list[str]
    findings: list[Finding]
    dates: CertificationDates | None = None
    received_on: date
    evaluated_on: date
    letters: list[str] = Field(default_factory=list)


def hold_back_for_absent_documents(
    findings: list[Finding], absent: list[str], readings: Readings
) -> list[Finding]:
    """A rule whose document has not arrived does not apply yet.

    Its inputs are missing (or empty) because the whole document is missing; the
    completeness finding already asks for it (pending), so the rule waits instead
    of failing or sending the application to review. A rule that passes anyway
    keeps its pass.
    """
    if not absent:
        return findings
    out = []
    for finding in findings:
        reads = readings.rule_documents.get(finding.rule_id, ())
        waiting_for = [k for k in reads if k in absent]
        if waiting_for and finding.outcome != FindingOutcome.PASS:
            names = "、".join(DOCUMENT_NAMES[k] for k in waiting_for)
            finding = finding.model_copy(
                update={
                    "outcome": FindingOutcome.NOT_APPLICABLE,
                    "message_ja": f"書類未着（{names}）のため、到着後に判定します。",
                    "details": {
                        **finding.details,
                        "held_back_for": waiting_for,
                        "outcome_before_hold": finding.outcome.value,
                    },
                    "letter_kind": None,
                }
            )
        out.append(finding)
    return out


def received_in_the_future(app: ApplicationFacts, today: date) -> Finding | None:
    """The review finding for a received date after the business date, else None.

    Validity on receipt, 現在 and the waits all count from the received date; one that
    has not happened yet is a wrong clock, a mistyped override or a wrong ``--today``,
    and nothing decided from it would mean anything.
    """
    received = app.effective_received_on
    if received <= today:
        return None
    used = Used()
    record_received_on(used, app)
    used.plain("today", today, "business_date")
    return used.finding(
        RULE_RECEIVED,
        FindingOutcome.REVIEW,
        SECTION_EXAM_VALIDITY,
        f"受付日（{received}）が判定日（{today}）より後になっています。未来の受付日では"
        "判定できません。封筒の受付日（消印）またはサーバーの日付を確認してください。",
        details={"received_on": received, "today": today},
    )


def evaluate(
    app: ApplicationFacts, readings: Readings, *, today: date, wait_days: int
) -> Evaluation:
    """Decide one application as of ``today`` (``wait_days``: how long to wait for items)."""
    future = received_in_the_future(app, today)
    if future is not None:
        return Evaluation(
            application_id=app.application_id,
            ruleset_version=readings.ruleset_version,
            outcome=DecisionOutcome.REVIEW,
            reasons=[reason_line(future.rule_id, future.message_ja)],
            findings=[future],
            received_on=app.effective_received_on,
            evaluated_on=today,
        )
    first = check_qualification(app, readings)
    findings = [first]
    if not is_not_required(first):
        findings += [check(app, readings) for check in CERTIFICATION_CHECKS]
        findings = hold_back_for_absent_documents(findings, absent_documents(app), readings)
        findings = apply_rulings(findings, app.rulings)
    decided = decide(
        findings,
        readings,
        received_on=app.effective_received_on,
        today=today,
        wait_days=wait_days,
    )
    return Evaluation(
        application_id=app.application_id,
        ruleset_version=readings.ruleset_version,
        outcome=decided.outcome,
        reasons=list(decided.reasons),
        findings=findings,
        dates=_dates(app, readings, decided.outcome),
        received_on=app.effective_received_on,
        evaluated_on=today,
        letters=sorted({f.letter_kind for f in findings if f.letter_kind}),
    )


def _dates(
    app: ApplicationFacts, readings: Readings, outcome: DecisionOutcome
) -> CertificationDates | None:
    """Dates follow from a confident issue date of a qualification needing certification."""
    if outcome == DecisionOutcome.NOT_REQUIRED or not app.exam_report.issue_date.confident:
        return None
    issued = app.exam_report.issue_date.value
    assert issued is not None
    return certification_dates(issued, readings)
