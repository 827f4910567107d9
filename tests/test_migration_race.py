"""Processes started together on a new database: migrations under a lock, one clean loser.

Each test starts two real ``conken`` processes that import everything first and
then wait for the same instant before running the command, so both reach the
migration (and the run lock) together, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.storage import db
from tests.conftest import empty_postgres_database

ROOT = Path(__file__).resolve().parent.parent
TOGETHER = (
    "import sys, time\n"
    "from pipeline.cli.main import run\n"
    "at = float(sys.argv[1])\n"
    "sys.argv = ['conken', *sys.argv[2:]]\n"
    "time.sleep(max(0.0, at - time.time()))\n"
    "run()\n"
)

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    with empty_postgres_database() as url:
        yield url


def _env(tmp_path: Path, url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONKEN_", "PREFECT_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        CONKEN_DATA_ROOT=str(tmp_path / "data"),
        CONKEN_DATABASE_URL=url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        **(extra or {}),
    )
    return env


def _together(env: dict[str, str], *args: str) -> list[subprocess.CompletedProcess[str]]:
    at = f"{time.time() + 5:.3f}"  # after both have imported everything (a loaded machine)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TOGETHER, at, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        out.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    return out


def test_two_upgrades_together_both_succeed(new_database: str, tmp_path: Path) -> None:
    results = _together(_env(tmp_path, new_database), "db", "upgrade")
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "already exists" not in result.stderr and "Traceback" not in result.stderr
    assert db.current_revision(new_database) == db.head_revision()


def test_two_runs_together_on_a_new_database_one_runs_one_exits_9(
    new_database: str, tmp_path: Path, prefect_harness: None
) -> None:
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    env = _env(tmp_path, new_database, {"PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path)})
    results = sorted(_together(env, "run", "--json"), key=lambda r: r.returncode)
    assert [r.returncode for r in results] == [0, 9], [r.stderr[-2000:] for r in results]
    loser = results[1].stderr.strip().splitlines()
    assert len(loser) == 1, results[1].stderr  # one line, no Prefect traceback
    assert loser[0].startswith("conken: error: another run is in progress")
    assert db.current_revision(new_database) == db.head_revision()


def test_two_runs_together_on_a_ready_database_print_one_line(
    tmp_path: Path, prefect_harness: None
) -> None:
    from prefect.settings import PREFECT_API_URL

    ready = f"sqlite:///{tmp_path / 'ready.db'}"
    db.upgrade(ready)
    env = _env(
        tmp_path,
        ready,
        {"PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_HOME": str(tmp_path)},
    )
    results = sorted(_together(env, "run", "--json"), key=lambda r: r.returncode)
    assert [r.returncode for r in results] == [0, 9], [r.stderr[-2000:] for r in results]
    assert len(results[1].stderr.strip().splitlines()) == 1, results[1].stderr


def test_sqlite_answering_locked_at_once_is_waited_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite may say "database is locked" without waiting (a new file switching to WAL
    while another process migrates): the migration is tried again, not given up."""
    from sqlalchemy.exc import OperationalError

    calls: list[int] = []
    real = db._migrate_once

    def locked_once(url: str, step, revision: str) -> None:  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("BEGIN EXCLUSIVE", {}, Exception("database is locked"))
        real(url, step, revision)

    monkeypatch.setattr(db, "_migrate_once", locked_once)
    url = f"sqlite:///{tmp_path / 'new.db'}"
    db.upgrade(url)
    assert len(calls) == 2 and db.current_revision(url) == db.head_revision()
