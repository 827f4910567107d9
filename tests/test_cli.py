"""The conken console script: help, db upgrade on both databases, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import _GROUPS
from pipeline.sample_inbox import SAMPLE_DIR
from pipeline.storage import db

SAMPLE_ENVELOPE = SAMPLE_DIR / "envelopes" / "E2024-0001.pdf"


def conken(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


def test_help_lists_every_subcommand_with_a_description() -> None:
    result = conken("--help")
    assert result.returncode == 0, result.stderr
    for _module, name, help_text in _GROUPS:
        line = next((ln for ln in result.stdout.splitlines() if f" {name} " in ln), None)
        assert line is not None, f"{name} missing from --help"
        assert help_text.split()[0] in line


def test_db_upgrade_on_empty_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = conken("db", "upgrade", env={"CONKEN_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "empty -> " in result.stdout
    assert db.current_revision(url) == db.head_revision()
    again = conken("db", "upgrade", env={"CONKEN_DATABASE_URL": url})
    assert "nothing to do" in again.stdout


@pytest.mark.postgres
def test_db_upgrade_on_empty_postgres() -> None:
    from sqlalchemy import create_engine, text

    from tests.conftest import PG_ADMIN_URL

    name = f"conken_cli_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        assert db.current_revision(url) is None
        result = conken("db", "upgrade", env={"CONKEN_DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        assert db.current_revision(url) == db.head_revision()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_config_prints_effective_settings_as_json() -> None:
    result = conken("config", "--json", env={"CONKEN_OCR_DPI": "400"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["ocr_dpi"] == 400
    assert values["fee_yen"] == 11000


@pytest.mark.parametrize(
    ("args", "env", "code", "fragment"),
    [
        (["config"], {"CONKEN_OCR_DPI": "5"}, 3, "ocr_dpi"),
        (
            ["db", "upgrade"],
            {"CONKEN_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
            6,
            "cannot reach the database",
        ),
        (
            ["extract", str(SAMPLE_ENVELOPE), "--register", "MISSING.csv"],
            {},
            4,
            "MISSING.csv: no such register file",  # was a Python traceback
        ),
        (["registry", "import", "MISSING.csv"], {}, 4, "no such file: MISSING.csv"),
    ],
)
def test_user_errors_are_one_line_without_traceback(
    args: list[str], env: dict[str, str], code: int, fragment: str
) -> None:
    result = conken(*args, env=env)
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    error_lines = [ln for ln in result.stderr.splitlines() if ln.startswith("conken: error:")]
    assert len(error_lines) == 1
    assert fragment in error_lines[0]


def test_unknown_command_is_a_usage_error() -> None:
    result = conken("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
