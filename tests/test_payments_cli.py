"""``conken payments`` and ``conken bench payments`` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.payments_support import Txn, mufg_csv, write

D = date(2023, 4, 3)
ROOT = Path(__file__).resolve().parent.parent


def conken(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", *args],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


APPS = [
    {"id": "A1", "pass_number": "23010123", "kana": "コンケン タロウ"},
    {"id": "A2", "pass_number": "23020123", "kana": ["ヤマダ ハナコ", "やまだ はなこ"]},
    {"id": "A3", "pass_number": "23010456", "kana": "サトウ キョウコ", "employer": None},
    {"id": "A4", "pass_number": "23010789", "kana": "スズキ ジロー"},
    {"id": "A5", "pass_number": "23019999", "kana": "タナカ イチロウ"},
    {"id": "A6", "pass_number": "23015555", "kana": "ミナミ サクラ"},
]


def _statements(tmp_path: Path) -> list[Path]:
    week1 = [
        Txn(D, "０１２３コンケンタロウ", 11_000),
        Txn(D, "ﾌﾘｺﾐ 0456ｻﾄｳｷﾖｳｺ", 10_560),
        Txn(D + timedelta(1), "スズキジロ　０７８９", 11_000),
    ]
    week2 = [
        Txn(D + timedelta(8), "0123コンケン タロウ", 11_000),
        Txn(D + timedelta(8), "0123ヤマダタロウ", 11_000),
        Txn(D + timedelta(9), "ミナミサクラ", 11_000),
        Txn(D + timedelta(9), "デンキダイ", withdrawal=4_000),
    ]
    first = write(tmp_path / "w1.csv", mufg_csv(week1))
    # the second download overlaps the first completely
    both = write(tmp_path / "w12.csv", mufg_csv(week1 + week2))
    return [first, both]


def test_standalone_match_reports_each_application(tmp_path: Path):
    apps = tmp_path / "apps.json"
    apps.write_text(json.dumps(APPS, ensure_ascii=False), encoding="utf-8")
    files = _statements(tmp_path)
    result = conken(
        "payments", "match", "--applications", str(apps),
        "--statement", str(files[0]), "--statement", str(files[1]), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    status = {a["id"]: a["status"] for a in out["applications"]}
    assert status == {
        "A1": "duplicate",
        "A2": "review",  # 0123 + a name that fits neither A1 nor A2
        "A3": "underpaid",
        "A4": "paid",
        "A5": "unpaid",
        "A6": "review",  # no digits: proposed, never accepted
    }
    assert out["statements"][1]["rows_duplicate"] == 3 and out["statements"][1]["rows_new"] == 4
    assert out["summary"]["deposits"] == 6
    a1 = next(a for a in out["applications"] if a["id"] == "A1")
    assert a1["paid_yen"] == 22_000
    assert [t["outcome"] for t in a1["transactions"]][:2] == ["paid", "duplicate"]
    unmatched_rules = sorted(t["rule"] for t in out["unmatched"])
    assert unmatched_rules == ["suffix_ambiguous"]
    assert not (tmp_path / "data" / "conken.db").exists()


def test_standalone_mode_needs_both_inputs_and_valid_json(tmp_path: Path):
    result = conken("payments", "match", "--statement", "x.csv", "--json")
    assert result.returncode == 8 and "needs both" in result.stderr
    bad = tmp_path / "apps.json"
    bad.write_text(json.dumps([{"id": 1, "kana": "ア"}]), encoding="utf-8")
    statement = _statements(tmp_path)[0]
    result = conken("payments", "match", "--applications", str(bad), "--statement", str(statement))
    assert result.returncode == 8
    assert "pass_number" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("as_json", [True, False])
def test_import_then_match_in_the_database(tmp_path: Path, as_json: bool):
    files = _statements(tmp_path)
    flag = ["--json"] if as_json else []
    first = conken("payments", "import", *map(str, files), *flag)
    assert first.returncode == 0, first.stderr
    if as_json:
        records = json.loads(first.stdout)
        assert [(r["rows_new"], r["rows_duplicate"]) for r in records] == [(3, 0), (4, 3)]
    else:
        assert "4 new, 3 already known" in first.stdout
    again = conken("payments", "import", str(files[1]), "--json")
    assert json.loads(again.stdout)[0]["rows_new"] == 0
    match = conken("payments", "match", "--today", "2023-05-01", "--json")
    assert match.returncode == 0, match.stderr
    summary = json.loads(match.stdout)
    assert summary["deposits_considered"] == 6
    assert summary["statuses"] == {}  # no applications stored yet
    assert summary["unmatched"] == 6


def test_import_reports_a_bad_file_and_keeps_the_good_one(tmp_path: Path):
    good = _statements(tmp_path)[0]
    junk = write(tmp_path / "junk.csv", b"\x00\x01" * 100)
    result = conken("payments", "import", str(junk), str(good))
    assert result.returncode == 4
    assert (
        "テキストでない" in result.stderr and "1 of 2 statement files not imported" in result.stderr
    )
    assert "3 new" in result.stdout


def test_bench_payments_runs_small(tmp_path: Path):
    result = conken(
        "bench", "payments", "--transactions", "2000", "--applications", "200", "--json"
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["transactions"] == 2000 and figures["accepted_wrong_application"] == 0
    assert figures["accepted"] > 100
