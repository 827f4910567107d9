"""The nightly run's decide stage over stored applications."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline import stages
from pipeline.config import Settings, get_settings
from pipeline.storage import db
from pipeline.storage.models import Application, ReviewItem, Run
from tests.review_client import fast_hashing  # noqa: F401  (fixture)
from tests.review_support import build_world

TODAY = date(2024, 5, 12)


@pytest.fixture
def stored(fast_hashing: None) -> Iterator[tuple[Engine, Settings, int, int]]:  # noqa: F811
    settings = get_settings()
    url = settings.effective_database_url
    db.upgrade(url)
    engine = db.make_engine(url)
    world = build_world(engine, settings, today=TODAY)
    with Session(engine) as s:
        run = Run(kind="nightly", status="running")
        s.add(run)
        s.commit()
        run_id = run.id
    yield engine, settings, world.ineligible_application_id, run_id
    engine.dispose()


def _received_items(engine: Engine, application_id: int) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return [
            (i.status, i.title_ja)
            for i in s.scalars(
                select(ReviewItem).where(
                    ReviewItem.kind == "received_date", ReviewItem.application_id == application_id
                )
            )
        ]


def test_a_received_date_after_the_business_date_is_a_review_item_not_a_decision(
    stored: tuple[Engine, Settings, int, int],
) -> None:
    engine, settings, application_id, run_id = stored
    with Session(engine) as s:
        application = s.get(Application, application_id)
        assert application is not None and application.decision == "ineligible_proposed"
        application.received_on = date(2030, 5, 10)  # a scanner clock years ahead
        s.commit()

    stages.decide_applications(engine, settings, run_id=run_id, today=TODAY)
    with Session(engine) as s:
        application = s.get(Application, application_id)
        assert application is not None
        assert application.decision == "review"  # not "ineligible_proposed" (report "expired")
    items = _received_items(engine, application_id)
    assert [status for status, _ in items] == ["open"]
    assert "2030/05/10" in items[0][1] and "2024/05/12" in items[0][1]

    # the same night again: one item, not two
    stages.decide_applications(engine, settings, run_id=run_id, today=TODAY)
    assert len(_received_items(engine, application_id)) == 1

    # once the date has come (or staff corrected it), the item closes and the rules decide
    stages.decide_applications(engine, settings, run_id=run_id, today=date(2030, 5, 12))
    assert [status for status, _ in _received_items(engine, application_id)] == ["resolved"]
    with Session(engine) as s:
        application = s.get(Application, application_id)
        assert application is not None and application.decision == "ineligible_proposed"


def test_a_finding_whose_judgement_changed_is_saved_again(
    fast_hashing: None,  # noqa: F811
) -> None:
    """A run from before rulings stored 要確認 without the question; the next run asks it."""
    from pipeline.rules.store import current_decision, stored_findings
    from tests.review_support import certifier_from_elsewhere

    settings = get_settings()
    db.upgrade(settings.effective_database_url)
    engine = db.make_engine(settings.effective_database_url)
    world = build_world(engine, settings, today=TODAY)
    with Session(engine) as s:
        certifier_from_elsewhere(s, world)
        run = Run(kind="nightly", status="running")
        s.add(run)
        s.commit()
        run_id = run.id
    stages.decide_applications(engine, settings, run_id=run_id, today=TODAY)

    def same_org_details() -> dict:  # type: ignore[type-arg]
        with Session(engine) as s:
            current = current_decision(s, world.application_id)
            assert current is not None and current.evaluation_id
            found = stored_findings(s, current.evaluation_id)
            return next(f for f in found if f.rule_id == "attestation.same_organisation").details

    assert "judgement" in same_org_details()
    with Session(engine) as s:  # as an older run stored it: the same outcome, no question
        current = current_decision(s, world.application_id)
        assert current is not None
        for f in stored_findings(s, str(current.evaluation_id)):
            f.details = {k: v for k, v in (f.details or {}).items() if k != "judgement"}
        s.commit()
    stages.decide_applications(engine, settings, run_id=run_id, today=TODAY)
    assert "judgement" in same_org_details()
    engine.dispose()
