"""Runs stopped from outside: recorded interrupted (not failed), reported, in the history."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.config import get_settings
from pipeline.runs import start_run
from pipeline.storage import db
from pipeline.storage.models import Run
from tests.test_flow_wiring import TODAY, FakeStages

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.usefixtures("prefect_harness")


def _runs(url: str) -> list[Run]:
    with db.session_scope(db.make_engine(url)) as s:
        return list(s.scalars(select(Run).order_by(Run.id)))


def test_sigterm_during_conken_run_records_interrupted_with_a_report(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    root = tmp_path / "data"
    marker = tmp_path / "marker"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONKEN_", "PREFECT_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        CONKEN_DATA_ROOT=str(root),
        CONKEN_FAULT_KILL_AT="stage.ingest.done",
        CONKEN_FAULT_ACTION="pause",
        CONKEN_FAULT_MARKER=str(marker),
        PREFECT_API_URL=PREFECT_API_URL.value(),
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli.main", "run", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), "the run never reached the end of its ingest stage"
        proc.send_signal(signal.SIGTERM)  # what conken serve's runner sends when stopped
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    # Prefect re-delivers the signal once the run is recorded: the process ends as killed
    # by SIGTERM (or, where the exception reaches the CLI, exits 128 + 15 with one line)
    assert proc.returncode in (-signal.SIGTERM, 128 + signal.SIGTERM), stderr
    (run,) = _runs(f"sqlite:///{root / 'conken.db'}")
    assert run.status == "interrupted"  # was: failed, error "TerminationSignal: "
    assert run.error is not None and run.error.startswith("stopped by SIGTERM")
    assert run.report_path == "reports/run-1.html"
    history = (root / "reports" / "history.html").read_text(encoding="utf-8")
    assert "run-1.html" in history and "中断" in history


def test_a_killed_run_gets_its_report_and_its_place_in_the_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.nightly import nightly

    url = get_settings().effective_database_url
    db.ensure_schema(url)
    killed = start_run(db.engine_for(url))  # a process that died: left running, no report
    FakeStages([], bad_pages=set()).install(monkeypatch)
    out = nightly(today=TODAY)
    runs = _runs(url)
    assert [(r.id, r.status) for r in runs] == [
        (killed, "interrupted"),
        (out["run_id"], "succeeded"),
    ]
    assert runs[0].report_path == f"reports/run-{killed}.html"
    reports = get_settings().reports_dir
    assert "中断" in (reports / f"run-{killed}.html").read_text(encoding="utf-8")
    assert f"run-{killed}.html" in (reports / "history.html").read_text(encoding="utf-8")
