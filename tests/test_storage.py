"""Storage: migrations, time zones, optimistic locking, uniqueness — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from pipeline import queue
from pipeline.storage import audit, db
from pipeline.storage.models import (
    Application,
    Base,
    Envelope,
    ExceptionStatus,
    ReviewItem,
    Run,
)

EXPECTED_TABLES = {
    "envelopes",
    "pages",
    "fields",
    "applicants",
    "applications",
    "bank_transactions",
    "payment_matches",
    "rule_findings",
    "decisions",
    "exceptions",
    "audit_events",
    "users",
    "runs",
    "statement_imports",
    "payer_aliases",
    "registry_entries",
    "letters",
    "run_locks",
    "certificate_sequences",
}


def _session(engine: Engine) -> Session:
    return sessionmaker(bind=engine, expire_on_commit=False)()


def test_upgrade_brings_empty_database_to_head(any_db_url: str) -> None:
    assert db.current_revision(any_db_url) == db.head_revision()
    tables = set(inspect(db.make_engine(any_db_url)).get_table_names())
    assert tables >= EXPECTED_TABLES
    db.upgrade(any_db_url)  # second time: nothing to do, no error
    assert db.current_revision(any_db_url) == db.head_revision()


def test_migrations_match_the_models(any_engine: Engine) -> None:
    """The migrations create exactly what the ORM models describe (no drift)."""
    with any_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_back(sqlite_url: str) -> None:
    db.downgrade(sqlite_url, "base")
    assert db.current_revision(sqlite_url) is None
    assert "envelopes" not in inspect(db.make_engine(sqlite_url)).get_table_names()
    db.upgrade(sqlite_url)
    assert db.current_revision(sqlite_url) == db.head_revision()


def test_timestamps_round_trip_timezone_aware(any_engine: Engine) -> None:
    jst = timezone(timedelta(hours=9))
    started = datetime(2024, 4, 1, 2, 0, tzinfo=jst)
    with _session(any_engine) as s:
        run = Run(started_at=started)
        s.add(run)
        s.commit()
        run_id = run.id
    with _session(any_engine) as s:
        loaded = s.get(Run, run_id)
        assert loaded is not None
        assert loaded.started_at.tzinfo is not None
        assert loaded.started_at == started
        assert loaded.started_at.astimezone(UTC).hour == 17  # 02:00 JST is 17:00 UTC


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with _session(engine) as s:
        s.add(Run(started_at=datetime(2024, 4, 1, 2, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            s.commit()


def _envelope(sha: str, **kw: object) -> Envelope:
    return Envelope(sha256=sha, original_name="scan.pdf", size_bytes=10, **kw)


def test_one_original_envelope_per_hash_but_duplicates_may_point_to_it(any_engine: Engine) -> None:
    with _session(any_engine) as s:
        first = _envelope("a" * 64)
        s.add(first)
        s.commit()
        s.add(_envelope("a" * 64, duplicate_of_id=first.id, status="duplicate"))
        s.commit()  # a recorded duplicate is fine
        s.add(_envelope("a" * 64))
        with pytest.raises(IntegrityError):
            s.commit()


def test_review_item_optimistic_locking(any_engine: Engine) -> None:
    with _session(any_engine) as s:
        item, created = queue.open_or_update(
            s, kind="field_low_confidence", dedupe_key="field:1", title_ja="氏名の確認"
        )
        s.commit()
        assert created and item.version == 1
        item_id = item.id
    first, second = _session(any_engine), _session(any_engine)
    a = first.get(ReviewItem, item_id)
    b = second.get(ReviewItem, item_id)
    assert a is not None and b is not None
    a.resolution = "first reviewer"
    first.commit()
    b.resolution = "second reviewer, stale"
    with pytest.raises(StaleDataError):
        second.commit()
    second.rollback()
    with _session(any_engine) as s:
        fresh = s.get(ReviewItem, item_id)
        assert fresh is not None
        assert fresh.resolution == "first reviewer"
        assert fresh.version == 2
    first.close()
    second.close()


def test_queue_is_idempotent_and_closes(any_engine: Engine) -> None:
    with _session(any_engine) as s:
        _, created1 = queue.open_or_update(s, kind="k", dedupe_key="x:1", title_ja="確認")
        _, created2 = queue.open_or_update(s, kind="k", dedupe_key="x:1", title_ja="確認")
        s.commit()
        assert (created1, created2) == (True, False)
        assert len(s.scalars(select(ReviewItem)).all()) == 1
        closed = queue.close_if_open(s, "x:1", resolution="原因が解消されました")
        s.commit()
        assert closed is not None and closed.status == ExceptionStatus.RESOLVED.value
        # The cause comes back: a new item opens; the closed one stays as history.
        _, created3 = queue.open_or_update(s, kind="k", dedupe_key="x:1", title_ja="確認")
        s.commit()
        assert created3
        assert len(s.scalars(select(ReviewItem)).all()) == 2
        events = audit.history(s, "exception", closed.id)
        assert [e.action for e in events] == ["exception.opened", "exception.closed"]


def test_two_open_items_with_one_key_are_impossible(any_engine: Engine) -> None:
    with _session(any_engine) as s:
        s.add(ReviewItem(kind="k", dedupe_key="dup", title_ja="a"))
        s.add(ReviewItem(kind="k", dedupe_key="dup", title_ja="b"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_money_is_integer_yen_and_received_override(any_engine: Engine) -> None:
    with _session(any_engine) as s:
        env = _envelope("b" * 64)
        s.add(env)
        s.flush()
        app = Application(envelope_id=env.id, received_on=date(2024, 6, 15))
        s.add(app)
        s.commit()
        assert app.effective_received_on == date(2024, 6, 15)
        app.received_on_override = date(2024, 6, 14)  # the postmark
        s.commit()
        assert app.effective_received_on == date(2024, 6, 14)
        assert app.version == 2


def test_sqlite_file_is_created_private(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import stat

    url = f"sqlite:///{tmp_path / 'private' / 'conken.db'}"
    db.upgrade(url)
    path = tmp_path / "private" / "conken.db"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
