"""The readings: the bundled substitution table, its override and its validation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import ConfigurationError
from pipeline.rules.readings import DEFAULT_SUBSTITUTIONS_PATH, load_readings
from tests.rules_support import base_app, outcome_of, period, run, with_

ROOT = Path(__file__).resolve().parent.parent

TABLE = """\
version: 1
items:
  - code: X-ONE
    kind: training
    name_ja: 特別研修
    aliases: [特研]
    months: 24
"""


def test_bundled_table_loads_and_versions_the_ruleset() -> None:
    readings = load_readings()
    assert readings.substitutions, "the bundled table has entries"
    assert all(item.months > 0 for item in readings.substitutions)
    assert readings.ruleset_version.startswith("r3-")
    assert len(readings.ruleset_version) <= 16  # decisions.ruleset_version is String(16)


def test_names_match_by_code_name_or_alias_loosely(tmp_path: Path) -> None:
    path = tmp_path / "table.yaml"
    path.write_text(TABLE, encoding="utf-8")
    readings = load_readings(path)
    for name in ("X-ONE", "x-one", "特別研修", "特別 研修", "特研", "ｘ－ｏｎｅ"):
        item = readings.find_substitution(name)
        assert item is not None and item.code == "X-ONE", name
    assert readings.find_substitution("特別研修２") is None


def test_another_table_changes_the_version_and_the_outcome(tmp_path: Path) -> None:
    path = tmp_path / "table.yaml"
    path.write_text(TABLE, encoding="utf-8")
    custom = load_readings(path)
    assert custom.ruleset_version != load_readings().ruleset_version
    app = with_(
        base_app(),
        experience=[period("2021-04", "2024-03", [4, 6])],  # 36 months
        substitutions=[{"item": "特研"}],
    )
    assert run(app, readings=custom).outcome == "eligible"
    assert outcome_of(run(app, readings=load_readings()), "experience.substitution_recognised") == (
        "review"
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("items: [", "not valid YAML"),
        ("version: 1\n", "expected a mapping with 'items'"),
        ("items:\n  - code: A\n    kind: training\n    name_ja: a\n", "missing months"),
        ("items:\n  - {code: A, kind: other, name_ja: a, months: 3}\n", "kind must be"),
        ("items:\n  - {code: A, kind: training, name_ja: a, months: 0}\n", "positive integer"),
        (
            "items:\n  - {code: A, kind: training, name_ja: a, months: 3}\n"
            "  - {code: B, kind: training, name_ja: Ａ, months: 3}\n",
            "listed twice",
        ),
    ],
)
def test_invalid_tables_are_refused(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "table.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=match):
        load_readings(path)


def test_missing_table_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not readable"):
        load_readings(tmp_path / "nope.yaml")


def test_settings_override_the_table_path_in_the_cli(tmp_path: Path) -> None:
    table = tmp_path / "table.yaml"
    table.write_text(TABLE, encoding="utf-8")
    app_path = tmp_path / "app.json"
    app = with_(
        base_app(),
        experience=[period("2021-04", "2024-03", [4, 6])],
        substitutions=[{"item": "特別研修"}],
    )
    app_path.write_text(json.dumps(app, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CONKEN_RULES_SUBSTITUTIONS_PATH": str(table)}
    cmd = [sys.executable, "-m", "pipeline.cli.main", "rules", "check", str(app_path)]
    result = subprocess.run(
        [*cmd, "--json", "--today", "2024-05-12"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "eligible"
    assert DEFAULT_SUBSTITUTIONS_PATH.is_file()
