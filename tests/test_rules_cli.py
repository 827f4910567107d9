"""``conken rules check`` and ``conken rules explain`` through the real console entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from pipeline.config import get_settings
from pipeline.rules.store import save_evaluation
from pipeline.storage import db
from pipeline.storage.models import Application, Envelope
from tests.rules_support import base_app, run, with_

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "fixtures" / "rules" / "eligible_cap.json"


def conken(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_check_example_file_as_json() -> None:
    result = conken("rules", "check", str(EXAMPLE), "--json", "--today", "2024-05-12")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["outcome"] == "eligible"
    assert payload["dates"]["valid_from"] == "2024-04-01"
    assert payload["dates"]["renewal_closes"] == "2027-02-28"
    rules = [f["rule_id"] for f in payload["findings"]]
    assert len(rules) == 14 and len(set(rules)) == 14
    total = next(f for f in payload["findings"] if f["rule_id"] == "experience.total_months")
    # 2016-04..2020-03 (48) + 2020-04..2024-05 (現在 = received month, 50) = 98
    assert total["details"]["experience_months"] == 98


def test_check_prints_japanese_trace_without_json(tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    path.write_text(json.dumps(with_(base_app(), oath_signed=False)), encoding="utf-8")
    result = conken("rules", "check", str(path), "--today", "2024-05-12")
    assert result.returncode == 0, result.stderr
    assert "判定: 保留" in result.stdout
    assert "[不適合] 宣誓書の署名" in result.stdout
    assert "宣誓書への署名依頼" in result.stdout


def test_check_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"qualification": "CAP",\n  "received_on": ,\n}', encoding="utf-8")
    result = conken("rules", "check", str(path))
    assert result.returncode == 8
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "invalid JSON at line 2, column 18" in lines[0]
    assert "Traceback" not in result.stderr


def test_check_missing_field_names_the_json_path(tmp_path: Path) -> None:
    app = base_app()
    del app["experience"][0]["from"]
    del app["payment"]
    path = tmp_path / "missing.json"
    path.write_text(json.dumps(app), encoding="utf-8")
    result = conken("rules", "check", str(path))
    assert result.returncode == 8
    message = result.stderr.strip()
    assert message.startswith("conken: error: ")
    assert "missing field experience[0].from" in message
    assert "missing field payment" in message
    assert len(message.splitlines()) == 1


def test_check_bad_value_names_the_json_path(tmp_path: Path) -> None:
    app = base_app()
    app["experience"][0]["to"] = "2024-13"
    app["experience"][0]["fields"] = [4, 9]
    path = tmp_path / "bad_value.json"
    path.write_text(json.dumps(app), encoding="utf-8")
    result = conken("rules", "check", str(path))
    assert result.returncode == 8
    assert "experience[0].to: month must be 1..12" in result.stderr
    assert "experience[0].fields" in result.stderr


def test_check_missing_file() -> None:
    result = conken("rules", "check", "/nonexistent/app.json")
    assert result.returncode == 4
    assert "no such file" in result.stderr


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("conken: error: "), result.stderr
    return lines[0]


def test_check_refuses_a_received_date_after_today(tmp_path: Path) -> None:
    # 2026-05-10 would have come out eligible and 2030-05-10 "expired": both are input errors
    for received in ("2026-05-10", "2030-05-10"):
        path = tmp_path / f"{received}.json"
        path.write_text(json.dumps(with_(base_app(), received_on=received)), encoding="utf-8")
        result = conken("rules", "check", str(path), "--today", "2024-05-12")
        assert result.returncode == 8, result.stdout
        line = _one_error_line(result)
        assert f"received date {received} is after the evaluation date 2024-05-12" in line
        assert result.stdout == ""


def test_check_refuses_a_huge_file_before_reading_it(tmp_path: Path) -> None:
    app = base_app()
    app["experience"] = app["experience"] * 60_000  # the independent run's 14 MB file
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(app), encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    started = time.monotonic()
    result = conken("rules", "check", str(path))
    assert result.returncode == 4
    assert "too large for one application (the limit is 262,144 bytes)" in _one_error_line(result)
    assert time.monotonic() - started < 20  # was 26.6 s and 580 MB of memory


def test_check_refuses_more_periods_than_a_form_can_hold(tmp_path: Path) -> None:
    app = base_app()
    app["experience"] = app["experience"] * 41
    path = tmp_path / "many.json"
    path.write_text(json.dumps(app), encoding="utf-8")
    result = conken("rules", "check", str(path))
    assert result.returncode == 8
    assert "experience has 41 entries; at most 40 are accepted" in _one_error_line(result)


def test_explain_stored_application() -> None:
    url = get_settings().effective_database_url  # SQLite under this test's data root
    db.upgrade(url)
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        envelope = Envelope(sha256="a" * 64, original_name="scan.pdf", size_bytes=1)
        session.add(envelope)
        session.flush()
        application = Application(
            envelope_id=envelope.id, qualification="CAP", received_on=date(2024, 5, 10)
        )
        session.add(application)
        session.flush()
        save_evaluation(session, application.id, run(with_(base_app(), register=None)))
        app_id = application.id
    engine.dispose()
    result = conken("rules", "explain", str(app_id))
    assert result.returncode == 0, result.stderr
    assert "判定: 要確認" in result.stdout
    assert "[要確認] 合格者名簿との照合" in result.stdout
    assert "exam.matches_register" not in result.stdout  # staff read words, not rule ids
    assert "合格者名簿に合格者番号 23010042 が見つかりません" in result.stdout

    missing = conken("rules", "explain", "4242")
    assert missing.returncode == 8
    assert "no application with id 4242" in missing.stderr
