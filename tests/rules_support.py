"""Builders shared by the rules tests: a clearly eligible CAP application as JSON.

Every test starts from ``base_app()`` and changes only what it is about, so a
test's expectation follows from the change and the manual, not from the code.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from pipeline.rules.evaluate import Evaluation, evaluate
from pipeline.rules.facts import ApplicationFacts
from pipeline.rules.readings import Readings, SubstitutionItem

RECEIVED = "2024-05-10"
TODAY = date(2024, 5, 12)
WAIT_DAYS = 14

# A test table independent of the bundled placeholder list.
TEST_READINGS = Readings(
    substitutions=(
        SubstitutionItem("Q12", "qualification", "資格十二", 12),
        SubstitutionItem("Q13", "qualification", "資格十三", 13, aliases=("十三",)),
        SubstitutionItem("T24", "training", "研修二十四", 24),
        SubstitutionItem("T36", "training", "研修三十六", 36),
    ),
    substitutions_digest="test0000",
)


def period(
    start: str,
    end: str,
    fields: list[int] | dict[str, Any],
    org: str = "株式会社サンプル",
    *,
    attesting_org: str | None = None,
    signed: Any = True,
    attested: bool = True,
) -> dict[str, Any]:
    return {
        "organisation": org,
        "from": start,
        "to": end,
        "fields": fields,
        "attestation": (
            {"organisation": attesting_org or org, "signed": signed} if attested else None
        ),
    }


def base_app() -> dict[str, Any]:
    """CAP, passed 2023-04-01, 60 months 2019-04..2024-03 in fields 4 and 6, all in order."""
    return {
        "qualification": "CAP",
        "received_on": RECEIVED,
        "exam_report": {
            "pass_number": "23010042",
            "exam_type": "CAP",
            "result": "合格",
            "issue_date": "2023-04-01",
        },
        "register": {
            "pass_number": "23010042",
            "exam_type": "CAP",
            "result": "pass",
            "issue_date": "2023-04-01",
        },
        "experience": [period("2019-04", "2024-03", [4, 6])],
        "substitutions": [],
        "oath_signed": True,
        "payment": {"status": "paid", "amount_yen": 11000},
    }


def with_(app: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(app)
    out.update(changes)
    return out


def run(
    app: dict[str, Any],
    *,
    readings: Readings = TEST_READINGS,
    today: date = TODAY,
    wait_days: int = WAIT_DAYS,
) -> Evaluation:
    return evaluate(
        ApplicationFacts.model_validate(app), readings, today=today, wait_days=wait_days
    )


def outcome_of(evaluation: Evaluation, rule_id: str) -> str:
    matches = [f for f in evaluation.findings if f.rule_id == rule_id]
    assert len(matches) == 1, f"expected one finding {rule_id}, got {len(matches)}"
    return matches[0].outcome.value


def finding(evaluation: Evaluation, rule_id: str):  # type: ignore[no-untyped-def]
    return next(f for f in evaluation.findings if f.rule_id == rule_id)
