"""Staff actions: confirm, re-assign, split a bulk payment, mark a refund."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.errors import ConcurrencyError, ValidationError
from pipeline.payments import actions
from pipeline.payments.statements import read_statement
from pipeline.payments.store import import_statement, reconcile
from pipeline.storage import db
from pipeline.storage.audit import history
from pipeline.storage.models import (
    Application,
    BankTransaction,
    PayerAlias,
    PaymentMatch,
    ReviewItem,
)
from tests.payments_support import Txn, add_application, mufg_csv, write

D = date(2023, 4, 3)
TODAY = D + timedelta(days=3)
S = Settings()


def _load(s: Session, tmp_path: Path, txns: list[Txn], name: str = "s.csv") -> None:
    import_statement(s, read_statement(write(tmp_path / name, mufg_csv(txns))))
    reconcile(s, today=TODAY, settings=S)


def _txn(s: Session, payer: str) -> BankTransaction:
    return s.scalars(select(BankTransaction).where(BankTransaction.payer_raw == payer)).one()


@pytest.fixture
def s(any_db_url: str):
    engine = db.make_engine(any_db_url)
    with db.session_scope(engine) as session:
        yield session
    engine.dispose()


def test_confirm_a_proposal_remembers_the_alias_for_later_statements(s: Session, tmp_path: Path):
    app = add_application(s, "23012222", "タナカ イチロウ")
    _load(s, tmp_path, [Txn(D, "タナカ イチロウ", 11_000)])
    txn = _txn(s, "タナカ イチロウ")
    proposal = s.scalars(select(PaymentMatch).where(PaymentMatch.transaction_id == txn.id)).one()
    assert (proposal.rule, proposal.status) == ("name_only", "proposed")
    assert s.get(Application, app.id).payment_status == "review"
    assert s.scalars(select(ReviewItem)).one().status == "open"

    actions.confirm_match(s, proposal.id, actor="user:7", transaction_version=txn.version)
    assert proposal.status == "confirmed" and proposal.decided_by == "user:7"
    assert txn.status == "matched"
    assert s.get(Application, app.id).payment_status == "paid"
    assert s.scalars(select(ReviewItem)).one().status == "resolved"
    assert s.scalars(select(PayerAlias)).one().pass_number == "23012222"
    assert [e.action for e in history(s, "bank_transaction", txn.id)] == ["payment.confirmed"]

    # another application from the same person later: no digits again, same name
    second = add_application(s, "24019999", "タナカ イチロウ")
    s.flush()
    _load(s, tmp_path, [Txn(D + timedelta(days=300), "タナカ イチロウ", 11_000)], "later.csv")
    later = s.scalars(select(PaymentMatch).where(PaymentMatch.rule == "alias")).all()
    # the alias points at the first pass number, whose application is already paid
    assert [m.application_id for m in later] == [app.id]
    assert later[0].outcome == "duplicate"
    assert s.get(Application, second.id).payment_status == "unpaid"


def test_a_stale_version_is_refused(s: Session, tmp_path: Path):
    add_application(s, "23012222", "タナカ イチロウ")
    _load(s, tmp_path, [Txn(D, "タナカ イチロウ", 11_000)])
    txn = _txn(s, "タナカ イチロウ")
    proposal = s.scalars(select(PaymentMatch)).one()
    with pytest.raises(ConcurrencyError, match="changed since"):
        actions.confirm_match(s, proposal.id, actor="user:1", transaction_version=txn.version - 1)
    assert proposal.status == "proposed"


def test_reassign_moves_the_payment_and_both_statuses_follow(s: Session, tmp_path: Path):
    taro = add_application(s, "23010123", "コンケン タロウ")
    other = add_application(s, "23010456", "サトウ キョウコ")
    _load(s, tmp_path, [Txn(D, "0123コンケンタロウ", 11_000)])
    txn = _txn(s, "0123コンケンタロウ")
    assert taro.payment_status == "paid"
    match = actions.reassign(
        s, txn.id, other.id, actor="user:2", transaction_version=txn.version, reason="spouse"
    )
    assert (match.rule, match.status, match.outcome) == ("manual", "confirmed", "paid")
    assert s.get(Application, taro.id).payment_status == "unpaid"
    assert s.get(Application, other.id).payment_status == "paid"
    rejected = s.scalars(select(PaymentMatch).where(PaymentMatch.rule == "suffix+name")).one()
    assert rejected.status == "rejected"


def test_split_a_bulk_payment_across_applications(s: Session, tmp_path: Path):
    apps = [
        add_application(s, f"2301{n:04d}", f"シャイン {k}")
        for n, k in [(1, "イチ"), (2, "ニ"), (3, "サン")]
    ]
    _load(s, tmp_path, [Txn(D, "カ）コンケンシヨウジ", 33_000)])
    txn = _txn(s, "カ）コンケンシヨウジ")
    assert txn.status == "bulk"
    assert s.scalars(select(ReviewItem)).one().kind == "payment_bulk"
    with pytest.raises(ValidationError, match="22,000円"):
        actions.split_bulk(
            s,
            txn.id,
            [(apps[0].id, 11_000), (apps[1].id, 11_000)],
            actor="u",
            transaction_version=txn.version,
        )
    parts = actions.split_bulk(
        s,
        txn.id,
        [(a.id, 11_000) for a in apps],
        actor="user:3",
        transaction_version=txn.version,
    )
    assert [p.outcome for p in parts] == ["paid"] * 3
    assert {s.get(Application, a.id).payment_status for a in apps} == {"paid"}
    assert s.scalars(select(PayerAlias)).all() == []  # companies pay for many: no alias
    assert s.scalars(select(ReviewItem)).one().status == "resolved"
    # the split is final: the next run leaves it alone
    summary = reconcile(s, today=TODAY, settings=S)
    assert summary.deposits_considered == 0 and summary.statuses_changed == 0


def test_refund_only_what_is_beyond_the_fee(s: Session, tmp_path: Path):
    app = add_application(s, "23010123", "コンケン タロウ")
    _load(
        s,
        tmp_path,
        [
            Txn(D, "0123コンケンタロウ", 11_000),
            Txn(D + timedelta(days=1), "0123コンケン タロウ", 11_000),
        ],
    )
    assert app.payment_status == "duplicate"
    first, second = _txn(s, "0123コンケンタロウ"), _txn(s, "0123コンケン タロウ")
    # the manual: once accepted, the fee is not refunded
    with pytest.raises(ValidationError, match="手数料は返金しません"):
        actions.mark_refund(
            s, first.id, actor="u", transaction_version=first.version, reason="x", amount_yen=22_000
        )
    rows = actions.mark_refund(
        s, second.id, actor="user:4", transaction_version=second.version, reason="二重入金"
    )
    assert [(r.amount_yen, r.status) for r in rows] == [(11_000, "refund")]
    assert s.get(Application, app.id).payment_status == "paid"
    # nothing more to refund now
    with pytest.raises(ValidationError):
        actions.mark_refund(s, first.id, actor="u", transaction_version=first.version, reason="x")


def test_refund_of_a_deposit_that_pays_nothing(s: Session, tmp_path: Path):
    _load(s, tmp_path, [Txn(D, "ミシラヌヒト", 3_000)])
    txn = _txn(s, "ミシラヌヒト")
    actions.mark_refund(s, txn.id, actor="u", transaction_version=txn.version, reason="誤入金")
    assert txn.status == "refund"
    assert reconcile(s, today=TODAY + timedelta(days=30), settings=S).deposits_considered == 0
