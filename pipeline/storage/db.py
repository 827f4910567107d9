"""Engines, sessions and migrations.

Migrations run under a lock, so that two processes starting together on a new or
just-upgraded database (two runs, a run and ``conken db upgrade``) never both
create the tables: on PostgreSQL a transaction-level advisory lock, on SQLite an
exclusive transaction. The second process waits for the first, then finds the
schema at head and has nothing to do.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key of conken's migrations (any fixed 64-bit number; "conken").
MIGRATION_LOCK_KEY = 0x636F6E6B656E
# SQLite may answer "database is locked" at once instead of waiting out busy_timeout
# (a new file switching to WAL while another process begins its migration): what is
# safe to repeat is tried again for this long.
SQLITE_LOCKED_RETRY_SECONDS = 60.0


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the review app read while the nightly run writes. Switching a new file to
    # WAL while another process writes it may answer "locked" at once, busy_timeout
    # or not: the switch is tried again.
    deadline = time.monotonic() + SQLITE_LOCKED_RETRY_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; creates the SQLite file's folder (0700) when needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            database = Path(parsed.database)
            database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # The database holds personal data: create it private (SQLite would follow the umask).
            if not database.exists():
                os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


def dialect_insert(session: Session) -> Callable[..., Any]:
    """``insert`` of the session's database, with ``on_conflict_do_*`` (an upsert)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise StorageError(f"no upsert for {dialect}; use SQLite or PostgreSQL")  # pragma: no cover


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def default_engine() -> Engine:
    from pipeline.config import get_settings

    return engine_for(get_settings().effective_database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(bind=engine or default_engine(), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; escape it in passwords.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    _migrate(url, command.upgrade, revision)


def downgrade(url: str, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` empties the schema)."""
    _migrate(url, command.downgrade, revision)


def _migrate(url: str, step: Callable[[AlembicConfig, str], None], revision: str) -> None:
    deadline = time.monotonic() + SQLITE_LOCKED_RETRY_SECONDS
    while True:
        try:
            _migrate_once(url, step, revision)
            return
        except OperationalError as e:
            locked = make_url(url).get_backend_name() == "sqlite" and "locked" in str(e.orig)
            if not locked or time.monotonic() > deadline:
                raise StorageError(f"cannot reach the database: {e.orig}") from e
            time.sleep(0.5)


def _migrate_once(url: str, step: Callable[[AlembicConfig, str], None], revision: str) -> None:
    cfg = _alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            _lock_for_migration(connection)
            # Alembic reads the current revision inside the lock: what another
            # process migrated meanwhile is not migrated again.
            cfg.attributes["connection"] = connection
            step(cfg, revision)
    finally:
        engine.dispose()


def _lock_for_migration(connection: Connection) -> None:
    """Hold the migration lock until this transaction ends (waits for another holder)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif dialect == "sqlite":
        # The driver has not begun a transaction yet (it does so lazily, and never for
        # DDL): begin one that takes the write lock now, waiting up to busy_timeout.
        connection.exec_driver_sql("BEGIN EXCLUSIVE")


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as e:
        raise StorageError(f"cannot reach the database: {e.orig}") from e
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()


def ensure_schema(url: str) -> None:
    """Bring the database to head if it is not there yet (cheap when it is)."""
    if current_revision(url) != head_revision():
        upgrade(url)
