"""From findings to a decision.

Precedence (first matching row wins)::

    #  condition                                                   decision
    0  the effective received date is after the business date      review
       (``evaluate.received_in_the_future``: nothing else is
       decided on a date that has not come)
    1  qualification.needs_certification says a confident SV /    not_required
       OP / EN needs no certification (exam pass alone grants it)
    2  any finding fails that is not an outstanding item           ineligible_proposed
       (exam, experience): a person confirms before anything       (the review notes
       is sent; nothing is ever rejected automatically             listed beside it)
    3  any finding is review (an uncertain input, a different      review
       attesting organisation, an unknown substitution, a
       register miss, the payments stage unsure, …)
    4  only outstanding items fail (fee, documents, oath,          pending
       attestation present) and the wait since the effective
       received date is within ``wait_days``
    5  as 4, but the wait is over                                  review
    6  everything else: every finding passes or does not apply     eligible

Why a failure outranks a review (row 2 before row 3): every check returns review
whenever one of its own inputs is not confident (ok / confirmed), and fails only
when nothing pending or uncertain could change its outcome — the total months
count an unknown substitution item at the full cap, the required-field months
never count substitution (※2), a rule whose document is missing is held back.
So a failure stands whatever a person decides about another finding's review;
hiding it behind that review would only delay a certain answer. The reviews are
listed in the reasons so the person confirming the proposal sees them too.

Rows 2 and 6 are only ever reached on confident inputs: no application is
proposed eligible or ineligible on a low-confidence or
corrected-but-unconfirmed value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.names_ja import reason_line
from pipeline.rules.checks.qualification import RULE as RULE_QUALIFICATION
from pipeline.rules.findings import Finding
from pipeline.rules.readings import Readings
from pipeline.vocabulary import DecisionOutcome, FindingOutcome


@dataclass(frozen=True)
class Decided:
    outcome: DecisionOutcome
    reasons: tuple[str, ...]


def is_not_required(finding: Finding) -> bool:
    """The qualification finding saying a confident SV / OP / EN needs no certification."""
    return (
        finding.rule_id == RULE_QUALIFICATION
        and finding.outcome == FindingOutcome.NOT_APPLICABLE
        and finding.details.get("certification_required") is False
    )


def _line(finding: Finding) -> str:
    # People read the reasons (screens, inbox, audit trail): the rule by its name; its
    # id stays with the stored finding, which the decision's evaluation id points to.
    return reason_line(finding.rule_id, finding.message_ja)


def decide(
    findings: list[Finding],
    readings: Readings,
    *,
    received_on: date,
    today: date,
    wait_days: int,
) -> Decided:
    """Apply the precedence table above."""
    by_outcome: dict[FindingOutcome, list[Finding]] = {o: [] for o in FindingOutcome}
    for finding in findings:
        by_outcome[finding.outcome].append(finding)

    not_required = [f for f in findings if is_not_required(f)]
    if not_required:
        return Decided(DecisionOutcome.NOT_REQUIRED, (_line(not_required[0]),))

    reviews = by_outcome[FindingOutcome.REVIEW]
    fails = by_outcome[FindingOutcome.FAIL]
    hard = [f for f in fails if f.rule_id not in readings.outstanding_rules]
    if hard:
        return Decided(
            DecisionOutcome.INELIGIBLE_PROPOSED,
            (
                *(_line(f) for f in hard),
                *(f"（あわせて要確認）{_line(f)}" for f in reviews),
                "不認定の案です。担当者が確認するまで通知は送付されません。",
            ),
        )

    if reviews:
        return Decided(DecisionOutcome.REVIEW, tuple(_line(f) for f in reviews))

    if fails:
        waited = (today - received_on).days
        lines = tuple(_line(f) for f in fails)
        if waited <= wait_days:
            return Decided(
                DecisionOutcome.PENDING,
                (
                    *lines,
                    f"受付から{max(waited, 0)}日（待機期間{wait_days}日以内）: 到着を待ちます。",
                ),
            )
        return Decided(
            DecisionOutcome.REVIEW,
            (
                *lines,
                f"受付から{waited}日が経過し、待機期間{wait_days}日を過ぎました。対応してください。",
            ),
        )

    return Decided(DecisionOutcome.ELIGIBLE, ("すべての認定基準を確定した情報で満たしています。",))
