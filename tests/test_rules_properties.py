"""Property-based tests of the rules (hypothesis)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.rules.evaluate import evaluate
from pipeline.rules.facts import ApplicationFacts, iter_facts
from pipeline.rules.months import YearMonth
from pipeline.storage.models import FieldStatus
from tests.rules_support import TEST_READINGS, TODAY, WAIT_DAYS, base_app, period, run

RECEIVED_MONTH = YearMonth(2024, 5)
EARLIEST = YearMonth(2012, 1)
SPAN = RECEIVED_MONTH.index - EARLIEST.index  # months from EARLIEST to received month

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def periods(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(0, SPAN))
    length = draw(st.integers(1, 84))
    end = min(start + length - 1, SPAN)
    fields = draw(st.lists(st.integers(1, 7), min_size=0, max_size=4, unique=True))
    present = end == SPAN and draw(st.booleans())
    return period(
        str(EARLIEST.plus(start)),
        "現在" if present else str(EARLIEST.plus(end)),
        sorted(fields),
        org=draw(st.sampled_from(["株式会社A", "B有限会社", "C社"])),
    )


@st.composite
def applications(draw: st.DrawFn) -> dict[str, Any]:
    app = base_app()
    qualification = draw(st.sampled_from(["CAP", "OMP"]))
    app["qualification"] = qualification
    app["exam_report"]["exam_type"] = qualification
    app["register"]["exam_type"] = qualification
    app["experience"] = draw(st.lists(periods(), min_size=1, max_size=4))
    app["substitutions"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {"item": st.sampled_from(["資格十二", "十三", "研修二十四", "研修三十六"])},
                optional={"months": st.integers(1, 40)},
            ),
            max_size=2,
        )
    )
    app["payment"] = {"status": draw(st.sampled_from(["paid", "paid", "paid", "unpaid"]))}
    return app


def decision(app: dict[str, Any]) -> str:
    return run(app).outcome.value


@PROFILE
@given(applications(), st.data())
def test_extending_a_period_by_a_month_never_turns_eligible_into_ineligible(
    app: dict[str, Any], data: st.DataObject
) -> None:
    before = decision(app)
    extendable = [
        i
        for i, p in enumerate(app["experience"])
        if p["to"] != "現在" and YearMonth.parse(p["to"]) < RECEIVED_MONTH
    ]
    if not extendable:
        return
    i = data.draw(st.sampled_from(extendable))
    longer = copy.deepcopy(app)
    longer["experience"][i]["to"] = str(YearMonth.parse(app["experience"][i]["to"]).plus(1))
    after = decision(longer)
    if before == "eligible":
        assert after == "eligible"
    assert not (before == "eligible" and after == "ineligible_proposed")


@PROFILE
@given(applications(), st.integers(0, SPAN), st.lists(st.integers(1, 7), min_size=1, unique=True))
def test_adding_a_month_of_attested_experience_never_turns_eligible_into_ineligible(
    app: dict[str, Any], month: int, fields: list[int]
) -> None:
    before = decision(app)
    more = copy.deepcopy(app)
    ym = str(EARLIEST.plus(month))
    more["experience"].append(period(ym, ym, sorted(fields), org="新しい会社"))
    after = decision(more)
    if before == "eligible":
        assert after == "eligible"
    if before != "ineligible_proposed":  # more experience never creates a shortfall
        assert after != "ineligible_proposed"


@PROFILE
@given(applications(), st.randoms(use_true_random=False))
def test_order_of_periods_never_matters(app: dict[str, Any], rnd: Any) -> None:
    shuffled = copy.deepcopy(app)
    rnd.shuffle(shuffled["experience"])
    rnd.shuffle(shuffled["substitutions"])
    a, b = run(app), run(shuffled)
    assert a.outcome == b.outcome
    assert [(f.rule_id, f.outcome) for f in a.findings] == [
        (f.rule_id, f.outcome) for f in b.findings
    ]
    assert [f.details.get("total_months") for f in a.findings] == [
        f.details.get("total_months") for f in b.findings
    ]


@PROFILE
@given(
    applications(),
    st.data(),
    st.sampled_from(["low_confidence", "corrected", "invalid", "missing"]),
)
def test_an_uncertain_input_never_decides_an_application(
    app: dict[str, Any], data: st.DataObject, status: str
) -> None:
    """Never eligible on an uncertain input; ineligible only on a failure it cannot change."""
    facts = ApplicationFacts.model_validate(app)
    count = len(list(iter_facts(facts)))
    index = data.draw(st.integers(0, count - 1))
    target = list(iter_facts(facts))[index]
    target.status = FieldStatus(status)
    target.confidence = 0.3
    evaluation = evaluate(facts, TEST_READINGS, today=TODAY, wait_days=WAIT_DAYS)
    assert evaluation.outcome in ("review", "ineligible_proposed"), (
        target.field_id,
        evaluation.reasons,
    )
    if evaluation.outcome == "ineligible_proposed":
        certain = evaluate(
            ApplicationFacts.model_validate(app), TEST_READINGS, today=TODAY, wait_days=WAIT_DAYS
        )
        hard = {
            f.rule_id
            for f in evaluation.findings
            if f.outcome == "fail" and f.rule_id not in TEST_READINGS.outstanding_rules
        }
        # the failing rules did not read the uncertain input, and fail as well without it
        for f in evaluation.findings:
            if f.rule_id in hard:
                assert all(rec.field_id != target.field_id for rec in f.facts.values())
                assert all(rec.confident for rec in f.facts.values())
        assert certain.outcome == "ineligible_proposed"
        assert hard <= {f.rule_id for f in certain.findings if f.outcome == "fail"}
