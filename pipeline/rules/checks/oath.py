"""③ Oath: form (D) signed."""

from __future__ import annotations

from pipeline.rules.facts import ApplicationFacts
from pipeline.rules.findings import Finding, Used
from pipeline.rules.readings import LETTER_UNSIGNED_OATH, SECTION_OATH, Readings
from pipeline.vocabulary import FindingOutcome

RULE = "oath.signed"


def check_signed(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    signed = used.fact("oath_signed", app.oath_signed)
    if used.uncertain:
        return used.review_uncertain(RULE, SECTION_OATH)
    if signed:
        return used.finding(
            RULE, FindingOutcome.PASS, SECTION_OATH, "宣誓書 (D) に署名があります。"
        )
    return used.finding(
        RULE,
        FindingOutcome.FAIL,
        SECTION_OATH,
        "宣誓書 (D) に署名がありません。署名のうえ再送するよう依頼してください。",
        letter_kind=LETTER_UNSIGNED_OATH,
    )
