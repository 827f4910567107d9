"""``conken run``, ``conken report`` and ``conken serve``'s schedule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.config import get_settings
from pipeline.runs import HeldLock, finish_run, start_run
from pipeline.storage import db
from pipeline.storage.models import RunStatus
from tests.test_flow_wiring import FakeStages


def _engine():
    url = get_settings().effective_database_url
    db.ensure_schema(url)
    return db.engine_for(url)


@pytest.mark.usefixtures("prefect_harness")
def test_run_json_prints_result_and_writes_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.cli.main import app

    FakeStages([(1, 2)], bad_pages=set()).install(monkeypatch)
    result = CliRunner().invoke(app, ["run", "--json", "--today", "2024-05-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout[result.stdout.index("{") :])
    assert Path(data["report_path"]).is_file()
    assert data["summary"]["pages"] == 2


@pytest.mark.usefixtures("prefect_harness")
def test_run_shows_stages_summary_and_report_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.cli.main import app

    FakeStages([(1, 1)], bad_pages=set()).install(monkeypatch)
    result = CliRunner().invoke(app, ["run", "--today", "2024-05-01"])
    assert result.exit_code == 0, result.output
    assert "読取（OCR）" in result.stdout
    assert "straight-through" in result.stdout
    assert "report: " in result.stdout and "run-1.html" in result.stdout


def test_run_refuses_bad_date() -> None:
    from pipeline.cli.main import app

    result = CliRunner().invoke(app, ["run", "--today", "21/06/2024"])
    assert result.exit_code != 0
    assert "--today must be a date" in str(result.exception)


def test_second_run_exits_cleanly_with_code_9(tmp_path: Path) -> None:
    engine = _engine()
    with HeldLock(engine) as held:
        held.attach_run(start_run(engine))
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline.cli.main", "run"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
            timeout=120,
            check=False,
        )
    assert proc.returncode == 9, proc.stderr
    assert "conken: error: another run is in progress (run 1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_report_regenerates_latest_and_named_run() -> None:
    from pipeline.cli.main import app

    engine = _engine()
    first = start_run(engine)
    finish_run(engine, first, status=RunStatus.SUCCEEDED)
    second = start_run(engine)
    finish_run(engine, second, status=RunStatus.FAILED, error="boom")
    runner = CliRunner()
    latest = runner.invoke(app, ["report"])
    assert latest.exit_code == 0, latest.output
    assert f"run-{second}.html" in latest.stdout
    html = (get_settings().reports_dir / f"run-{second}.html").read_text(encoding="utf-8")
    assert "異常終了" in html and "boom" in html
    named = runner.invoke(app, ["report", str(first)])
    assert named.exit_code == 0 and f"run-{first}.html" in named.stdout
    missing = runner.invoke(app, ["report", "99"])
    assert missing.exit_code != 0
    assert "no run with id 99" in str(missing.exception)


def test_schedule_is_cron_in_tokyo_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.serve import schedule_for

    schedule = schedule_for(get_settings())
    assert (schedule.cron, schedule.timezone) == ("0 2 * * *", "Asia/Tokyo")
    monkeypatch.setenv("CONKEN_SCHEDULE_CRON", "30 1 * * 1-5")
    get_settings.cache_clear()
    assert schedule_for(get_settings()).cron == "30 1 * * 1-5"


def test_bad_cron_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.serve import schedule_for
    from pipeline.errors import ConfigurationError

    monkeypatch.setenv("CONKEN_SCHEDULE_CRON", "every night")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="not a valid cron"):
        schedule_for(get_settings())


def test_deployment_carries_the_timezone() -> None:
    from flows.nightly import nightly
    from flows.serve import schedule_for

    deployment = nightly.to_deployment(name="nightly", schedules=[schedule_for(get_settings())])
    (sched,) = deployment.schedules
    assert sched.schedule.cron == "0 2 * * *"
    assert sched.schedule.timezone == "Asia/Tokyo"


def test_flows_disable_analytics_before_prefect() -> None:
    code = (
        "import os, sys; import flows; "
        "assert 'prefect' not in sys.modules; "
        "print(os.environ['PREFECT_SERVER_ANALYTICS_ENABLED'], os.environ['DO_NOT_TRACK'], "
        "os.environ['OMP_THREAD_LIMIT'], os.environ['PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS'])"
    )
    ours = (
        "PREFECT_SERVER_ANALYTICS_ENABLED",
        "DO_NOT_TRACK",
        "OMP_THREAD_LIMIT",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
    )
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["false", "1", "1", "120"]


def test_pipeline_never_imports_prefect() -> None:
    root = Path(__file__).resolve().parent.parent / "pipeline"
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if any(
            line.startswith(("import prefect", "from prefect"))
            for line in p.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []


def test_flow_parameters_validate_as_a_served_run_does() -> None:
    from datetime import date

    from flows.nightly import nightly

    params = nightly.validate_parameters({"today": "2024-05-01", "trigger": "schedule"})
    assert params["today"] == date(2024, 5, 1)
    assert params["trigger"] == "schedule"


def test_the_trigger_comes_from_prefects_record_of_the_run_not_a_parameter() -> None:
    from types import SimpleNamespace
    from uuid import uuid4

    from flows.nightly import trigger_of

    deployment = uuid4()
    assert trigger_of(None) == "manual"  # called directly (conken run passes it anyway)
    assert trigger_of(SimpleNamespace(deployment_id=None, auto_scheduled=False)) == "manual"
    scheduled = SimpleNamespace(deployment_id=deployment, auto_scheduled=True)
    assert trigger_of(scheduled) == "schedule"
    # `prefect deployment run` or the UI: it was recorded as "schedule" (the served
    # deployment's default parameter)
    by_hand = SimpleNamespace(deployment_id=deployment, auto_scheduled=False)
    assert trigger_of(by_hand) == "deployment"


def test_serve_names_the_server_and_how_to_start_a_run_by_hand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows import nightly, serve

    assert serve.FLOW_NAME == nightly.FLOW_NAME
    monkeypatch.setattr(serve, "configured_api_url", lambda: None)
    monkeypatch.setenv("CONKEN_PREFECT_PORT", "4321")
    get_settings.cache_clear()
    lines = serve.banner(get_settings())
    assert "a local Prefect server on http://127.0.0.1:4321/api (started now)" in lines[0]
    # the port is fixed (it was random), and the command says where the deployment is
    assert lines[1].endswith(
        "PREFECT_API_URL=http://127.0.0.1:4321/api prefect deployment run 'conken-nightly/nightly'"
    )
    monkeypatch.setattr(serve, "configured_api_url", lambda: "http://prefect:4200/api")
    assert "PREFECT_API_URL=http://prefect:4200/api prefect" in serve.banner(get_settings())[1]


def test_serve_refuses_a_busy_port_with_what_to_do() -> None:
    import socket

    from flows.serve import LocalPrefectServer
    from pipeline.errors import ExternalToolError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ExternalToolError, match=f"port {port} is in use.*PREFECT_API_URL"):
            LocalPrefectServer.start(port)
