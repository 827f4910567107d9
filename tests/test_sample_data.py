"""The committed sample's side data is read by the importers without a single rejected line."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pipeline.payments.statements import read_statement
from pipeline.payments.store import import_statement
from pipeline.registry import import_register, parse_register
from pipeline.storage.models import BankTransaction, RegistryEntry

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def test_sample_statement_imports_every_row(engine: Engine) -> None:
    (path,) = sorted((SAMPLE / "statements").glob("*.csv"))
    parsed = read_statement(path)
    assert parsed.problems == []
    with Session(engine) as s:
        summary = import_statement(s, parsed)
        s.commit()
        assert summary.rows_rejected == 0
        assert s.scalar(select(func.count()).select_from(BankTransaction)) == parsed.rows_read


def test_sample_register_imports_every_line(engine: Engine) -> None:
    path = SAMPLE / "register" / "passers.csv"
    lines, problems = parse_register(path)
    assert problems == []
    with Session(engine) as s:
        result = import_register(s, path)
        s.commit()
        assert result.new == len(lines)
        again = import_register(s, path)
        s.commit()
        assert (again.new, again.updated, again.unchanged) == (0, 0, len(lines))
        assert s.scalar(select(func.count()).select_from(RegistryEntry)) == len(lines)
