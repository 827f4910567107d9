"""A ruling kept in ``rule_rulings`` (migration 0006_rule_rulings), on SQLite and PostgreSQL:
recorded on the stored finding, audited, read back into the rules with who and when."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import get_settings
from pipeline.errors import ValidationError
from pipeline.rules import store
from pipeline.rules.from_db import load_rulings
from pipeline.storage import db
from pipeline.storage.models import Application, AuditEvent, RuleRuling
from pipeline.workflow import reevaluate_application
from tests.review_client import fast_hashing  # noqa: F401 - fixture
from tests.review_support import build_world, certifier_from_elsewhere


def _same_org(session: Session, application_id: int):  # type: ignore[no-untyped-def]
    current = store.current_decision(session, application_id)
    assert current is not None and current.evaluation_id
    found = store.stored_findings(session, current.evaluation_id)
    return next(f for f in found if f.rule_id == "attestation.same_organisation")


def test_a_ruling_is_kept_audited_and_read_back(any_db_url: str, fast_hashing: None) -> None:
    db.upgrade(any_db_url)
    engine = db.make_engine(any_db_url)
    world = build_world(engine, get_settings())
    with Session(engine) as s:
        certifier_from_elsewhere(s, world)
        finding = _same_org(s, world.application_id)
        with pytest.raises(ValidationError):  # only a person rules
            store.record_ruling(s, finding, accepted=True, actor="run:1", reason=None)
        with pytest.raises(ValidationError):  # 認めない says why
            store.record_ruling(s, finding, accepted=False, actor="user:1", reason=" ")
        store.record_ruling(s, finding, accepted=True, actor=f"user:{world.staff_id}", reason="")
        s.commit()
    with Session(engine) as s:
        ruling = s.scalars(select(RuleRuling)).one()
        assert ruling.accepted and ruling.reason is None
        assert ruling.judged == [[1, "株式会社サンプル", "現在の勤務先株式会社"]]
        event = s.scalars(select(AuditEvent).where(AuditEvent.entity_type == "rule_ruling")).one()
        assert event.action == "rule.ruled" and event.entity_id == ruling.id
        (read,) = load_rulings(s, world.application_id, ZoneInfo("Asia/Tokyo"))
        assert read["by"] == "佐藤" and read["at"].utcoffset().total_seconds() == 9 * 3600
        reevaluate_application(s, world.application_id, actor="system")
        assert s.get(Application, world.application_id).decision == "eligible"
        # a finding that passes asks nothing: there is nothing to rule on
        with pytest.raises(ValidationError):
            store.record_ruling(
                s, _same_org(s, world.application_id), accepted=True, actor="user:1", reason=""
            )
    engine.dispose()
