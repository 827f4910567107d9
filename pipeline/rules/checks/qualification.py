"""Qualification: only CAP and OMP need certification ((イ) 各資格の資格取得の違い)."""

from __future__ import annotations

from pipeline.rules.facts import ApplicationFacts
from pipeline.rules.findings import Finding, Used
from pipeline.rules.readings import (
    LETTER_NO_CERTIFICATION_NEEDED,
    SECTION_QUALIFICATION,
    Readings,
)
from pipeline.vocabulary import FindingOutcome

RULE = "qualification.needs_certification"


def check_needs_certification(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    qualification = used.fact("qualification", app.qualification)
    if used.uncertain:
        return used.review_uncertain(RULE, SECTION_QUALIFICATION)
    if qualification in readings.certification_required:
        return used.finding(
            RULE,
            FindingOutcome.PASS,
            SECTION_QUALIFICATION,
            f"{qualification} はプロフェッショナル資格のため、認定審査が必要です。",
        )
    if qualification in readings.certification_not_required:
        return used.finding(
            RULE,
            FindingOutcome.NOT_APPLICABLE,
            SECTION_QUALIFICATION,
            f"{qualification} は検定試験の合格のみで資格を取得できるため、認定申請は不要です。"
            "申請者に認定不要の案内を送付してください。",
            details={"certification_required": False},
            letter_kind=LETTER_NO_CERTIFICATION_NEEDED,
        )
    return used.finding(
        RULE,
        FindingOutcome.REVIEW,
        SECTION_QUALIFICATION,
        f"資格区分「{qualification}」はこのルールセットに定義がありません。",
    )
