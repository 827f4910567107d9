"""A bank statement the nightly run cannot import is seen: item, reason file, report, console."""

from __future__ import annotations

import json
import stat
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import pipeline.stages as stages
from pipeline.config import get_settings
from pipeline.storage import db
from pipeline.storage.models import ReviewItem
from tests.payments_support import Txn, mufg_csv
from tests.test_flow_wiring import TODAY, FakeStages

pytestmark = pytest.mark.usefixtures("prefect_harness")

REAL_IMPORT = stages.import_statements


def _install(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fake stages except the statement import; returns the statements folder."""
    FakeStages([], bad_pages=set()).install(monkeypatch)
    monkeypatch.setattr(stages, "import_statements", REAL_IMPORT)
    folder = get_settings().effective_statements_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _items() -> list[ReviewItem]:
    engine = db.engine_for(get_settings().effective_database_url)
    with db.session_scope(engine) as s:
        return list(s.scalars(select(ReviewItem).where(ReviewItem.kind == "statement_rejected")))


def test_a_statement_that_cannot_be_imported_is_an_item_a_reason_and_a_headline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.nightly import nightly

    folder = _install(monkeypatch)
    bad = folder / "2024-05.csv"
    bad.write_text("this is not a bank statement\nat all\n", encoding="utf-8")

    out = nightly(today=TODAY)
    assert out["nothing_new"] is False  # was: 新しい入力はありませんでした
    (rejected,) = out["rejected_statements"]
    assert rejected["name"] == "2024-05.csv" and rejected["error"]
    html = Path(out["report_path"]).read_text(encoding="utf-8")
    assert "取り込めなかった入出金明細が 1 件あります" in html
    assert "2024-05.csv" in html and "新しい入力はありませんでした" not in html

    reason = folder / "2024-05.csv.reason.json"
    info = json.loads(reason.read_text(encoding="utf-8"))
    assert info["file"] == "2024-05.csv" and info["detail"] == rejected["error"]
    assert "置き換えて" in info["message_ja"]
    assert stat.S_IMODE(reason.stat().st_mode) == 0o600
    assert bad.exists()  # the file stays for staff to replace
    (item,) = _items()
    assert (item.status, item.severity) == ("open", "high")
    assert "2024-05.csv" in item.title_ja

    # the next night still says so, with the same one item
    again = nightly(today=TODAY)
    assert again["rejected_statements"] == out["rejected_statements"]
    assert [i.status for i in _items()] == ["open"]

    # a good export under the same name is imported; the item closes, the reason goes
    bad.write_bytes(mufg_csv([Txn(date(2024, 5, 1), "0123コンケンタロウ", deposit=11_000)]))
    fixed = nightly(today=TODAY)
    assert fixed["rejected_statements"] == []
    assert [i.status for i in _items()] == ["resolved"]
    assert not reason.exists()


def test_the_console_names_a_rejected_statement_instead_of_nothing_new(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.cli.main import app

    folder = _install(monkeypatch)
    (folder / "broken.csv").write_bytes(b"\x00\x01\x02 binary junk")
    result = CliRunner().invoke(app, ["run", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "bank statement broken.csv could not be imported" in result.stdout
    assert "Nothing new" not in result.stdout
