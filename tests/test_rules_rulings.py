"""A person's ruling on a finding only a person can judge: how the rules read it.

Each test starts from an application whose decision waits for a judgement
(another organisation's certifier, a substitution item off the list, a pass
number the register does not hold), adds a ruling, and checks what the manual
makes of it — and that the ruling stops applying when the facts it judged change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.rules.evaluate import Evaluation
from tests.rules_support import base_app, finding, outcome_of, period, run, with_

TOKYO = ZoneInfo("Asia/Tokyo")


def _other_org(attesting: str = "現在の勤務先株式会社") -> dict[str, Any]:
    return with_(
        base_app(), experience=[period("2019-04", "2024-03", [4, 6], attesting_org=attesting)]
    )


def _ruling(evaluation: Evaluation, rule_id: str, accepted: bool, reason: str | None = None):  # type: ignore[no-untyped-def]
    asked = finding(evaluation, rule_id).details["judgement"]
    return {
        "rule_id": rule_id,
        "key": asked["key"],
        "accepted": accepted,
        "by": "佐藤",
        "at": datetime(2024, 5, 12, 10, 30, tzinfo=TOKYO),
        "reason": reason,
    }


def test_an_accepted_other_organisation_certifier_makes_the_application_eligible() -> None:
    app = _other_org()
    before = run(app)
    assert before.outcome == "review"
    asked = finding(before, "attestation.same_organisation").details["judgement"]
    assert "現在の勤務先株式会社" in asked["facts_ja"] and asked["question_ja"]
    ruled = run(with_(app, rulings=[_ruling(before, "attestation.same_organisation", True)]))
    same_org = finding(ruled, "attestation.same_organisation")
    assert same_org.outcome == "pass"
    # the message cites the facts, the person, when, and the manual's section
    assert "現在の勤務先株式会社" in same_org.message_ja
    assert "佐藤" in same_org.message_ja and "2024-05-12 10:30" in same_org.message_ja
    assert same_org.manual_section in same_org.message_ja
    assert ruled.outcome == "eligible"


def test_a_rejected_certifier_proposes_ineligible_never_rejects() -> None:
    app = _other_org()
    before = run(app)
    ruling = _ruling(before, "attestation.same_organisation", False, "別会社の上司のため")
    ruled = run(with_(app, rulings=[ruling]))
    assert outcome_of(ruled, "attestation.same_organisation") == "fail"
    assert "別会社の上司のため" in finding(ruled, "attestation.same_organisation").message_ja
    assert ruled.outcome == "ineligible_proposed"  # a manager confirms or not


def test_a_ruling_stops_applying_when_the_judged_organisation_changes() -> None:
    before = run(_other_org("現在の勤務先株式会社"))
    ruling = _ruling(before, "attestation.same_organisation", True)
    corrected = run(with_(_other_org("別の勤務先株式会社"), rulings=[ruling]))
    assert outcome_of(corrected, "attestation.same_organisation") == "review"
    assert corrected.outcome == "review"


def test_the_latest_ruling_on_the_same_facts_wins() -> None:
    app = _other_org()
    before = run(app)
    first = _ruling(before, "attestation.same_organisation", False, "最初は認めない")
    second = _ruling(before, "attestation.same_organisation", True)
    assert run(with_(app, rulings=[first, second])).outcome == "eligible"


def _with_unknown_item(start: str) -> dict[str, Any]:
    return with_(
        base_app(),
        experience=[period(start, "2024-03", [4, 6])],
        substitutions=[{"item": "どこかの民間資格", "months": 24}],
    )


def test_an_accepted_substitution_item_counts_its_months() -> None:
    app = _with_unknown_item("2021-04")  # 36 months + 24 = 60
    before = run(app)
    assert before.outcome == "review"
    ruled = run(with_(app, rulings=[_ruling(before, "experience.substitution_recognised", True)]))
    assert outcome_of(ruled, "experience.substitution_recognised") == "pass"
    assert finding(ruled, "experience.total_months").details["total_months"] == 60
    assert ruled.outcome == "eligible"


def test_a_rejected_substitution_item_stops_counting_and_the_months_decide() -> None:
    app = _with_unknown_item("2021-04")
    before = run(app)
    ruling = _ruling(before, "experience.substitution_recognised", False, "協会の一覧にない")
    ruled = run(with_(app, rulings=[ruling]))
    # not counted: 36 months alone fall short, so the total fails (a manager confirms)
    assert outcome_of(ruled, "experience.substitution_recognised") == "not_applicable"
    assert outcome_of(ruled, "experience.total_months") == "fail"
    assert ruled.outcome == "ineligible_proposed"
    # with enough experience of its own, the application stays eligible without the item
    enough = _with_unknown_item("2019-04")
    first = run(enough)
    ruled = run(
        with_(enough, rulings=[_ruling(first, "experience.substitution_recognised", False, "x")])
    )
    assert ruled.outcome == "eligible"


def test_a_substitution_ruling_stops_applying_when_the_months_written_change() -> None:
    app = _with_unknown_item("2021-04")
    ruling = _ruling(run(app), "experience.substitution_recognised", True)
    changed = with_(app, substitutions=[{"item": "どこかの民間資格", "months": 36}])
    assert run(with_(changed, rulings=[ruling])).outcome == "review"


def test_a_pass_number_missing_from_the_register_can_be_ruled() -> None:
    app = with_(base_app(), register=None)
    before = run(app)
    assert outcome_of(before, "exam.matches_register") == "review"
    ruled = run(with_(app, rulings=[_ruling(before, "exam.matches_register", True, "照会済み")]))
    assert outcome_of(ruled, "exam.matches_register") == "pass"
    assert ruled.outcome == "eligible"


def test_an_uncertain_reading_is_not_a_judgement() -> None:
    # a certifier's organisation read at 40 %: the reading is confirmed, not judged
    app = _other_org({"value": "別会社", "confidence": 0.4})  # type: ignore[arg-type]
    review = finding(run(app), "attestation.same_organisation")
    assert review.outcome == "review" and "judgement" not in review.details
