"""A SIGKILLed ``conken run`` leaves no helper process behind (its temporary Prefect server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _processes_with(home: str) -> list[int]:
    """Processes started with PREFECT_HOME=``home`` (only this test's runs use it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"PREFECT_HOME={home}".encode() in environ:
            found.append(int(entry.name))
    return found


def test_sigkilled_run_takes_its_temporary_prefect_server_with_it(tmp_path: Path) -> None:
    home = str(tmp_path / "prefect-home")
    marker = tmp_path / "marker"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONKEN_", "PREFECT_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        CONKEN_DATA_ROOT=str(tmp_path / "data"),
        CONKEN_FAULT_KILL_AT="stage.ingest.done",  # SIGKILL itself mid-run, as cron's timeout
        CONKEN_FAULT_MARKER=str(marker),
        PREFECT_HOME=home,  # no PREFECT_API_URL: Prefect's temporary local server
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    try:
        # output to a file: an orphan holding a pipe would keep a reader waiting forever
        with (tmp_path / "run.log").open("w") as log:
            proc = subprocess.run(
                [sys.executable, "-m", "pipeline.cli.main", "run", "--json"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=300,
                check=False,
            )
        assert proc.returncode == -signal.SIGKILL, (tmp_path / "run.log").read_text()
        assert marker.read_text() == "stage.ingest.done:1\n"
        deadline = time.monotonic() + 60  # the watchdog allows 10 s for SIGTERM, then kills
        while _processes_with(home) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _processes_with(home) == []  # was: uvicorn (~230 MB) parented to init
    finally:
        for pid in _processes_with(home):  # only what this test started
            os.kill(pid, signal.SIGKILL)
