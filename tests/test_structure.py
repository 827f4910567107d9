"""Structure the code relies on: one vocabulary, one business date, one CSV rule.

Each test fails when a second definition (or a forbidden import) comes back.
"""

from __future__ import annotations

import enum
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import pipeline.vocabulary as vocabulary
from pipeline.clock import business_date_of, business_today, parse_date_option
from pipeline.config import get_settings
from pipeline.errors import ValidationError

ROOT = Path(__file__).resolve().parent.parent
# Packages being rewritten elsewhere; their vocabulary imports move with that work.
REWRITTEN = ("pipeline/synth/",)


def _sources(*skip: str) -> dict[str, str]:
    out = {}
    for folder in ("pipeline", "flows"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith((*REWRITTEN, *skip)):
                out[rel] = path.read_text(encoding="utf-8")
    return out


def test_rules_and_payment_matching_load_without_the_database() -> None:
    code = (
        "import sys; import pipeline.rules.evaluate, pipeline.payments.matching; "
        "print(sorted(m for m in sys.modules if m.startswith(('pipeline.storage', 'sqlalchemy'))))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def _vocabulary_values() -> set[str]:
    values: set[str] = set()
    for item in vars(vocabulary).values():
        if (
            isinstance(item, type)
            and issubclass(item, enum.Enum)
            and item is not vocabulary.StrEnum
        ):
            values |= {m.value for m in item}
    return values


def test_every_status_column_defaults_to_a_vocabulary_member() -> None:
    from pipeline.storage.models import Base

    known = _vocabulary_values()
    names = {"status", "payment_status", "outcome", "role", "kind", "trigger", "severity"}
    checked = []
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if column.name in names and column.default is not None:
                value = column.default.arg
                checked.append(f"{table.name}.{column.name}={value}")
                assert value in known, f"{table.name}.{column.name} defaults to {value!r}"
    assert len(checked) >= 9, checked


def test_models_still_export_the_vocabulary() -> None:
    import pipeline.storage.models as models

    for name in ("FieldStatus", "DecisionOutcome", "PaymentOutcome", "MatchStatus", "RunStatus"):
        assert getattr(models, name) is getattr(vocabulary, name)


def test_business_today_is_the_business_time_zone_date(monkeypatch: pytest.MonkeyPatch) -> None:
    # UTC+14: for ten hours a day its date differs from every host clock west of it.
    monkeypatch.setenv("CONKEN_TIMEZONE", "Pacific/Kiritimati")
    get_settings.cache_clear()
    settings = get_settings()
    assert business_today(settings) == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    late = datetime(2024, 5, 1, 11, 0, tzinfo=ZoneInfo("UTC"))
    assert business_date_of(late, settings).isoformat() == "2024-05-02"
    with pytest.raises(ValueError, match="naive"):
        business_date_of(datetime(2024, 5, 1, 11, 0), settings)


def test_command_line_dates_are_parsed_in_one_place() -> None:
    assert parse_date_option(None) is None
    assert parse_date_option("2024-05-12").isoformat() == "2024-05-12"
    with pytest.raises(ValidationError, match="--today must be a date like 2024-05-01"):
        parse_date_option("12/05/2024")


def test_no_code_takes_the_host_date() -> None:
    host_date = re.compile(r"date\.today\(\)|datetime\.now\([^)]*\)\.date\(\)")
    offenders = [p for p, text in _sources("pipeline/clock.py").items() if host_date.search(text)]
    assert offenders == []


def test_confident_statuses_are_defined_once() -> None:
    literal = re.compile(r"[({]\s*\"ok\",\s*\"confirmed\"\s*[)}]|CONFIDENT\w* = ")
    offenders = [
        p for p, text in _sources("pipeline/vocabulary.py").items() if literal.search(text)
    ]
    assert offenders == []


def test_csv_cells_are_neutralised_by_one_function() -> None:
    from pipeline.outputs import csvsafe as outputs_csv
    from pipeline.review import csvsafe as review_csv

    assert review_csv.neutralise is outputs_csv.neutralise
    definitions = [p for p, text in _sources().items() if "def neutralise(" in text]
    assert definitions == ["pipeline/outputs/csvsafe.py"]
    assert review_csv.to_csv(["a"], [["=1+1"]]) == "\ufeffa\r\n'=1+1\r\n"


def test_review_threshold_setting_that_nothing_read_is_gone() -> None:
    assert "field_review_confidence" not in type(get_settings()).model_fields


def test_only_the_web_app_and_its_command_import_the_web_package() -> None:
    """The queue is domain: no stage, extractor, payment or letter imports pipeline.review."""
    web_import = re.compile(r"^\s*(from pipeline\.review\b|import pipeline\.review\b)", re.M)
    allowed = (
        "pipeline/review/",
        "pipeline/cli/review.py",
        "pipeline/cli/users.py",
        "pipeline/bench/review.py",  # drives the web app in a browser
    )
    offenders = [p for p, text in _sources(*allowed).items() if web_import.search(text)]
    assert offenders == []
