"""Shared fixtures.

``engine`` is parametrised over SQLite and PostgreSQL for tests marked
``@pytest.mark.postgres`` (or requesting ``any_engine``); each PostgreSQL test
gets a freshly created database that is dropped afterwards, so runs never see
each other's data. ``sqlite_engine`` is the fast default.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import get_settings
from pipeline.forms.schema import FormTemplate
from pipeline.storage import db
from tests.helpers.boxes import blank_page, form_b_template

PG_ADMIN_URL = os.environ.get(
    "CONKEN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own data root and no stray CONKEN_ variables."""
    for key in list(os.environ):
        if key.startswith("CONKEN_") and key != "CONKEN_TEST_PG_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("CONKEN_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    db.engine_for.cache_clear()
    umask = os.umask(0o022)  # the flow makes its process private; tests start from the usual
    yield
    os.umask(umask)
    get_settings.cache_clear()
    db.engine_for.cache_clear()


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = _sqlite_url(tmp_path)
    db.upgrade(url)
    return url


@contextmanager
def empty_postgres_database() -> Iterator[str]:
    """The URL of a freshly created PostgreSQL database with no tables; dropped after."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"conken_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # pragma: no cover - environment problem, say so loudly
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not usable: {e}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        db.engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, dropped after the test."""
    with empty_postgres_database() as url:
        db.upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database URL: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    eng = db.make_engine(sqlite_url)
    yield eng
    eng.dispose()


@pytest.fixture
def any_engine(any_db_url: str) -> Iterator[Engine]:
    eng = db.make_engine(any_db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with sessionmaker(bind=engine, expire_on_commit=False)() as s:
        yield s


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One temporary Prefect server (SQLite) for the whole session, isolated from ~/.prefect.

    Results are neither persisted nor cached: tasks of the flow are side-effecting
    pipeline steps and a cached result would hide a re-run.
    """
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] = "false"
    os.environ["PREFECT_TASKS_DEFAULT_NO_CACHE"] = "true"
    os.environ["PREFECT_LOGGING_TO_API_ENABLED"] = "false"
    os.environ.pop("PREFECT_API_URL", None)
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="module")
def form_b() -> FormTemplate:
    """Form B's page template (the checkboxes' tests draw on it)."""
    return form_b_template()


@pytest.fixture(scope="module")
def blank_b(form_b: FormTemplate) -> np.ndarray:
    """Form B's blank page at ``tests.helpers.boxes.DPI``."""
    return blank_page(form_b)
