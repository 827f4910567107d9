"""Already certified: one certification per candidate and qualification ((イ) C).

Supersession only replaces applications that are not final, so a new envelope
from someone whose earlier application was approved becomes an application of
its own. Approving it would number a second certificate for the same person and
qualification: a person decides instead (a judgement, see ``rulings.py``).
認める lets the application be decided on its other criteria; 認めない makes it
不認定（案）for a manager.
"""

from __future__ import annotations

from pipeline.rules.facts import ApplicationFacts, EarlierApproval
from pipeline.rules.findings import Finding, Used
from pipeline.rules.readings import DOCUMENT_NAMES, SECTION_ALREADY_CERTIFIED, Readings
from pipeline.rules.rulings import judgement
from pipeline.vocabulary import FindingOutcome

RULE = "certification.not_already_certified"


def earlier_words(earlier: EarlierApproval) -> str:
    """申請 #3 で既に認定済みです（認定番号 CAP-2023-00012、2023年6月1日 認定）."""
    parts = []
    if earlier.certificate_number:
        parts.append(f"認定番号 {earlier.certificate_number}")
    if earlier.approved_on:
        day = earlier.approved_on
        parts.append(f"{day.year}年{day.month}月{day.day}日 認定")
    told = f"（{'、'.join(parts)}）" if parts else ""
    return f"申請 #{earlier.application_id} で既に認定済みです{told}"


def check_not_already_certified(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    number = used.fact("pass_number", app.exam_report.pass_number)
    earlier = app.earlier_approval
    if earlier is not None:
        # Found by a sure reading (R or A) even if this one is not: staff should know at
        # once, before anything is asked of the applicant. That is also why this rule is
        # not in ``readings.rule_documents``: a missing document must not hold it back.
        used.plain("earlier_approval", earlier.application_id, "applications.approved")
        return _already_certified(used, app, earlier)
    if used.uncertain and not app.documents.report.value and app.documents.report.confident:
        # The report copy has not arrived: looked up again when it has (as held back).
        return used.finding(
            RULE,
            FindingOutcome.NOT_APPLICABLE,
            SECTION_ALREADY_CERTIFIED,
            f"書類未着（{DOCUMENT_NAMES['report']}）のため、到着後に照合します。",
            details={"held_back_for": ["report"]},
        )
    if used.uncertain:
        # Without a sure number nobody can say the candidate was not certified before.
        return used.review_uncertain(RULE, SECTION_ALREADY_CERTIFIED)
    return used.finding(
        RULE,
        FindingOutcome.PASS,
        SECTION_ALREADY_CERTIFIED,
        f"合格番号 {number} で、同じ資格の認定済みの申請はありません。",
    )


def _already_certified(used: Used, app: ApplicationFacts, earlier: EarlierApproval) -> Finding:
    qualification = app.qualification.value or "—"
    facts_ja = f"この合格番号・資格（{qualification}）は{earlier_words(earlier)}"
    judged = {
        "application_id": earlier.application_id,
        "certificate_number": earlier.certificate_number,
        "qualification": app.qualification.value,
    }
    return used.finding(
        RULE,
        FindingOutcome.REVIEW,
        SECTION_ALREADY_CERTIFIED,
        f"{facts_ja}。二重認定にならないよう、担当者が確認してください。",
        details={
            "earlier_approval": earlier.model_dump(mode="json"),
            "judgement": judgement(
                RULE,
                judged,
                facts_ja,
                [app.exam_report.pass_number.field_id, app.qualification.field_id],
            ),
        },
    )
