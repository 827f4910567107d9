"""Payments in the database: import idempotency, overlap, reconciliation across runs."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.payments.statements import parse_statement_bytes, read_statement
from pipeline.payments.store import import_statement, reconcile
from pipeline.storage import db
from pipeline.storage.models import (
    Application,
    AuditEvent,
    BankTransaction,
    PaymentMatch,
    ReviewItem,
    StatementImport,
)
from pipeline.workflow import evaluate_application
from tests.payments_support import Txn, add_application, mufg_csv, write

D = date(2023, 4, 3)


def _week(start: date, first: int) -> list[Txn]:
    return [
        Txn(start + timedelta(days=i), f"{first + i:04d}テスト", deposit=11_000) for i in range(7)
    ]


def _import(url: str, path: Path) -> dict:
    with db.session_scope(db.make_engine(url)) as s:
        return import_statement(s, read_statement(path)).as_dict()


def test_reimport_and_overlap_store_each_transaction_once(any_db_url: str, tmp_path: Path):
    # A month downloaded weekly: the second download repeats the first week.
    weeks = _week(D, 1) + _week(D + timedelta(days=7), 8) + _week(D + timedelta(days=14), 15)
    first = write(tmp_path / "w1.csv", mufg_csv(weeks[:14]))
    # the next download starts a week later: weeks 2 and 3, balances continuing
    second = write(
        tmp_path / "w2.csv", mufg_csv(weeks[7:21], opening_balance=1_000_000 + 7 * 11_000)
    )

    one = _import(any_db_url, first)
    assert (one["rows_read"], one["rows_new"], one["rows_duplicate"]) == (14, 14, 0)
    again = _import(any_db_url, first)
    assert (again["rows_new"], again["rows_duplicate"]) == (0, 14)
    overlap = _import(any_db_url, second)
    assert (overlap["rows_new"], overlap["rows_duplicate"]) == (7, 7)

    with db.session_scope(db.make_engine(any_db_url)) as s:
        assert s.scalar(select(func.count()).select_from(BankTransaction)) == 21
        imports = s.scalars(select(StatementImport).order_by(StatementImport.id)).all()
        assert [i.rows_new for i in imports] == [14, 0, 7]
        assert imports[0].file_sha256 == imports[1].file_sha256 != imports[2].file_sha256


def test_malformed_rows_are_reported_and_the_others_imported(sqlite_url: str, tmp_path: Path):
    data = mufg_csv([Txn(D, "0001アイウ", deposit=11_000), Txn(D, "0002カキク", deposit=11_000)])
    lines = data.decode("cp932").split("\r\n")
    lines.insert(2, '2023/4/3,振込,0003サシス,,"1,1000","1",,,入金')  # bad amount
    lines.insert(3, "2023/4/3,振込,0004タチツ,,,,,,入金")  # blank deposit
    path = write(tmp_path / "bad.csv", "\r\n".join(lines).encode("cp932"))
    summary = _import(sqlite_url, path)
    assert (summary["rows_read"], summary["rows_new"], summary["rows_rejected"]) == (4, 2, 2)
    assert [p["line"] for p in summary["problems"]] == [3, 4]
    assert all(p["file"] == str(path) for p in summary["problems"])
    assert "1,1000" in summary["problems"][0]["message"]


def _settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def _reconcile(url: str, today: date, **overrides: object) -> dict:
    with db.session_scope(db.make_engine(url)) as s:
        return reconcile(s, today=today, settings=_settings(**overrides)).as_dict()


def _setup_corpus(s: Session) -> dict[str, int]:
    apps = {
        "taro": add_application(s, "23010123", "コンケン タロウ"),
        "hanako": add_application(s, "23020123", "ヤマダ ハナコ"),  # shares 0123 with taro
        "kyoko": add_application(s, "23010456", "サトウ キョウコ"),
        "jiro": add_application(s, "23010789", None, register_kana="スズキ ジロー"),
        "unpaid": add_application(s, "23019999", "タナカ イチロウ"),
    }
    return {k: v.id for k, v in apps.items()}


CORPUS = [
    Txn(D, "０１２３コンケンタロウ", deposit=11_000),
    Txn(D, "ﾌﾘｺﾐ 0456 ｻﾄｳ ｷﾖｳｺ", deposit=10_560),  # transfer fee deducted
    Txn(D + timedelta(days=1), "スズキジロ－　０７８９", deposit=11_000),  # number after, no ー
    Txn(D + timedelta(days=2), "0123コンケン タロウ", deposit=11_000),  # second payment
    Txn(D + timedelta(days=2), "カ）コンケンシヨウジ", deposit=33_000),  # bulk
    Txn(D + timedelta(days=3), "0123サトウキヨウコ", deposit=11_000),  # digits vs name
    Txn(D + timedelta(days=3), "デンキダイ", withdrawal=5_000),
    Txn(D + timedelta(days=4), "ミシラヌ ヒト", deposit=3_000),
]


def test_reconcile_corpus_then_rerun_changes_nothing(any_db_url: str, tmp_path: Path):
    with db.session_scope(db.make_engine(any_db_url)) as s:
        ids = _setup_corpus(s)
    _import(any_db_url, write(tmp_path / "s.csv", mufg_csv(CORPUS)))

    first = _reconcile(any_db_url, D + timedelta(days=5))
    assert first["deposits_considered"] == 7
    assert first["accepted"] == 4  # taro twice, kyoko, jiro
    assert first["bulk"] == 1
    assert first["proposed"] == 1  # the conflict
    assert first["unmatched"] == 1

    with db.session_scope(db.make_engine(any_db_url)) as s:
        status = {a.id: a.payment_status for a in s.scalars(select(Application))}
        assert status[ids["taro"]] == "duplicate"
        # paid in full, then again: the application is paid (its fee finding passes, it is
        # not held pending), and the second deposit is the payment_duplicate item to refund
        evaluation = evaluate_application(
            s, ids["taro"], today=date(2023, 5, 1), settings=_settings()
        )
        fee = next(f for f in evaluation.findings if f.rule_id == "fee.paid")
        assert fee.outcome == "pass" and "返金" in fee.message_ja
        assert status[ids["kyoko"]] == "underpaid"
        assert status[ids["jiro"]] == "paid"
        assert status[ids["unpaid"]] == "unpaid"
        # hanako shares taro's digits and is named by nobody: the conflict names kyoko and
        # the two 0123 applications
        assert status[ids["hanako"]] == "review"
        conflict = s.scalars(
            select(PaymentMatch).where(PaymentMatch.rule == "suffix_conflict")
        ).one()
        assert conflict.application_id is None and conflict.status == "proposed"
        implicated = {c["application_id"] for c in conflict.candidates if c["implicated"]}
        assert implicated == {ids["taro"], ids["hanako"], ids["kyoko"]}
        kinds = sorted(i.kind for i in s.scalars(select(ReviewItem)))
        assert kinds == ["payment_bulk", "payment_duplicate", "payment_review", "payment_underpaid"]
        audit_before = s.scalar(select(func.count()).select_from(AuditEvent))
        withdrawal = s.scalars(
            select(BankTransaction).where(BankTransaction.withdrawal_yen > 0)
        ).one()
        assert withdrawal.status == "withdrawal"

    second = _reconcile(any_db_url, D + timedelta(days=5))
    for key in (
        "matches_written",
        "matches_superseded",
        "transactions_changed",
        "statuses_changed",
        "items_opened",
        "items_closed",
    ):
        assert second[key] == 0, key
    assert second["deposits_considered"] == 3  # accepted ones are not re-matched
    with db.session_scope(db.make_engine(any_db_url)) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == audit_before


def test_payment_before_documents_is_kept_and_matched_later(sqlite_url: str, tmp_path: Path):
    _import(sqlite_url, write(tmp_path / "s.csv", mufg_csv([Txn(D, "0123コンケンタロウ", 11_000)])))
    early = _reconcile(sqlite_url, D + timedelta(days=3))
    assert early["unmatched"] == 1 and early["items_opened"] == 0  # within the wait
    late = _reconcile(sqlite_url, D + timedelta(days=14))
    assert late["items_opened"] == 1
    with db.session_scope(db.make_engine(sqlite_url)) as s:
        assert s.scalars(select(ReviewItem)).one().kind == "payment_unmatched"
        app_id = add_application(s, "23010123", "コンケン タロウ", received_on=D + timedelta(20)).id
    docs = _reconcile(sqlite_url, D + timedelta(days=21))
    assert docs["accepted"] == 1 and docs["items_closed"] == 1
    with db.session_scope(db.make_engine(sqlite_url)) as s:
        assert s.get(Application, app_id).payment_status == "paid"
        assert s.scalars(select(ReviewItem)).one().status == "resolved"


@pytest.mark.parametrize("wait", [14, 3])
def test_unpaid_application_becomes_an_exception_after_the_wait(sqlite_url: str, wait: int):
    with db.session_scope(db.make_engine(sqlite_url)) as s:
        add_application(s, "23010123", "コンケン タロウ", received_on=D)
    before = _reconcile(sqlite_url, D + timedelta(days=wait - 1), unpaid_wait_days=wait)
    assert before["items_opened"] == 0
    after = _reconcile(sqlite_url, D + timedelta(days=wait), unpaid_wait_days=wait)
    assert after["items_opened"] == 1
    with db.session_scope(db.make_engine(sqlite_url)) as s:
        item = s.scalars(select(ReviewItem)).one()
        assert (item.kind, item.dedupe_key) == (
            "application_unpaid",
            f"unpaid:app:{item.application_id}",
        )
        assert "未入金" in item.title_ja


_ROWS = st.lists(
    st.builds(
        Txn,
        day=st.dates(min_value=date(2023, 4, 1), max_value=date(2023, 4, 30)),
        payer=st.text(alphabet="0123456789アイウエオカキクｱｲｳ　ー－=+-@ ", max_size=14),
        deposit=st.sampled_from([10_560, 11_000, 22_000, 1]),
    ),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_ROWS, cut=st.integers(0, 20))
def test_importing_twice_or_overlapping_changes_nothing(sqlite_url: str, rows: list[Txn], cut: int):
    engine = db.make_engine(sqlite_url)
    full = mufg_csv(rows)
    head = mufg_csv(rows[:cut])
    with db.session_scope(engine) as s:
        import_statement(s, parse_statement_bytes(head, "head.csv"))
        import_statement(s, parse_statement_bytes(full, "full.csv"))
        count = s.scalar(select(func.count()).select_from(BankTransaction))
        keys = set(s.scalars(select(BankTransaction.txn_key)))
        again = import_statement(s, parse_statement_bytes(full, "full.csv"))
        assert again.rows_new == 0 and again.rows_duplicate == len(rows)
        assert s.scalar(select(func.count()).select_from(BankTransaction)) == count
        assert set(s.scalars(select(BankTransaction.txn_key))) == keys
        assert keys >= {r.txn_key for r in parse_statement_bytes(full, "x").rows}
    engine.dispose()
