"""The payments desk's domain: candidate scoring, search, splits in sittings, refunds."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.payments.allocation import AllocationRefusedError, allocate, withdraw_part
from pipeline.payments.desk import (
    DeskApplication,
    load_desk_applications,
    score_candidates,
    search_applications,
)
from pipeline.payments.notices import NoticeRefusedError, ask_for_payment
from pipeline.payments.refunds import mark_for_refund, refund_csv, refund_list
from pipeline.payments.statements import read_statement
from pipeline.payments.store import import_statement, reconcile
from pipeline.storage import db
from pipeline.storage.audit import history
from pipeline.storage.models import (
    Application,
    BankTransaction,
    FieldValue,
    PaymentMatch,
    ReviewItem,
)
from tests.payments_support import Txn, add_application, mufg_csv, write

D = date(2023, 4, 3)
TODAY = D + timedelta(days=3)
S = Settings()
FEE = S.fee_yen


def _app(id_: int, pass_number: str, kana: str, *, employers=(), paid=0) -> DeskApplication:  # type: ignore[no-untyped-def]
    return DeskApplication(
        id=id_,
        pass_number=pass_number,
        name=None,
        kana=(kana,),
        employers=tuple(employers),
        qualification="OMP",
        payment_status="paid" if paid else "unpaid",
        paid_yen=paid,
    )


def test_candidates_are_scored_by_digits_kana_and_employer_each_said_in_words() -> None:
    apps = [
        _app(1, "2301000123", "コンケン タロウ"),
        _app(2, "2301009999", "コンケン タロウ"),
        _app(3, "2302000123", "ヤマダ ハナコ"),
        _app(4, "2303004444", "スズキ イチロウ"),
    ]
    found = score_candidates("0123 コンケン タロウ", apps, FEE)
    assert [(c.application.id, c.score) for c in found] == [(1, 100), (2, 50), (3, 50)]
    assert found[0].reasons == (
        "振込名義の数字「0123」が合格者番号の下4桁と一致",
        "振込名義と氏名カナ「コンケン タロウ」の一致度 100%",
    )
    # The fee already covered: still listed (a second payment), but below the unpaid one.
    paid = [
        _app(1, "2301000123", "コンケン タロウ", paid=FEE),
        _app(2, "2301000123", "コンケン タロウ"),
    ]
    ranked = score_candidates("0123コンケンタロウ", paid, FEE)
    assert [(c.application.id, c.score) for c in ranked] == [(2, 100), (1, 85)]
    assert ranked[1].reasons[-1] == "手数料はすでに入金済み（11,000円）"


def test_a_company_payer_finds_the_applicants_it_employs() -> None:
    apps = [
        _app(1, "2301000001", "サトウ ケン", employers=["コンケンシヨウジ株式会社"]),
        _app(2, "2301000002", "タナカ ミキ", employers=["ベツノカイシヤ"]),
    ]
    found = score_candidates("カ）コンケンシヨウジ", apps, FEE)
    assert [c.application.id for c in found] == [1]
    assert found[0].reasons == ("法人名義と勤務先「コンケンシヨウジ株式会社」の一致度 100%",)
    assert found[0].score == 40


def test_search_finds_by_number_digits_kana_and_employer_several_words_at_once() -> None:
    apps = [
        _app(1, "2301000123", "コンケン タロウ", employers=["コンケンシヨウジ株式会社"]),
        _app(2, "2301000456", "ヤマダ ハナコ"),
        _app(12, "2301000789", "スズキ イチロウ"),
    ]
    ids = lambda q: [a.id for a in search_applications(apps, q)]  # noqa: E731
    assert ids("#12") == [12]
    assert ids("12") == [12]
    assert ids("0456") == [2]
    assert ids("ﾔﾏﾀﾞ") == [2]  # half-width kana, as a bank writes it
    assert ids("コンケンシヨウジ") == [1]
    assert ids("0123、0456 0789") == [1, 2, 12]
    assert ids("  ") == []


@pytest.fixture
def s(any_db_url: str):  # type: ignore[no-untyped-def]
    engine = db.make_engine(any_db_url)
    with db.session_scope(engine) as session:
        yield session
    engine.dispose()


def _load(s: Session, tmp_path: Path, txns: list[Txn], name: str = "s.csv") -> None:
    import_statement(s, read_statement(write(tmp_path / name, mufg_csv(txns))))
    reconcile(s, today=TODAY, settings=S)


def _txn(s: Session, payer: str) -> BankTransaction:
    return s.scalars(select(BankTransaction).where(BankTransaction.payer_raw == payer)).one()


def _item(s: Session, key: str) -> ReviewItem:
    return s.scalars(select(ReviewItem).where(ReviewItem.dedupe_key == key)).one()


def test_a_bulk_payment_is_split_over_ten_applications_in_two_sittings(
    s: Session, tmp_path: Path
) -> None:
    apps = [add_application(s, f"2301{n:06d}", f"シヤイン {n}") for n in range(1, 11)]
    s.add(
        FieldValue(
            application_id=apps[0].id,
            envelope_id=apps[0].envelope_id,
            form_code="B",
            name="exp1_org",
            kind="text",
            value="コンケンシヨウジ株式会社",
            status="ok",
        )
    )
    _load(s, tmp_path, [Txn(D, "カ）コンケンシヨウジ", 10 * FEE)])
    txn = _txn(s, "カ）コンケンシヨウジ")
    assert txn.status == "bulk"
    key = f"payment:txn:{txn.id}"

    first = allocate(
        s,
        txn.id,
        [(a.id, FEE) for a in apps[:4]],
        actor="user:1",
        transaction_version=txn.version,
        reason="会社の申込書どおり",
        settings=S,
    )
    assert (first.allocated_yen, first.remaining_yen, first.complete) == (44_000, 66_000, False)
    assert txn.status == "splitting"
    assert [s.get(Application, a.id).payment_status for a in apps[:5]] == ["paid"] * 4 + ["unpaid"]
    assert _item(s, key).status == "open"

    # The nightly run leaves a split in progress alone.
    reconcile(s, today=TODAY + timedelta(days=1), settings=S)
    assert txn.status == "splitting" and _item(s, key).status == "open"

    counted = s.scalar(
        select(func.count()).select_from(PaymentMatch).where(PaymentMatch.status == "confirmed")
    )
    with pytest.raises(AllocationRefusedError) as refused:
        allocate(
            s,
            txn.id,
            [(a.id, FEE) for a in apps[4:]] + [(apps[0].id + 100, FEE)],
            actor="user:1",
            transaction_version=txn.version,
            reason=None,
            settings=S,
        )
    assert refused.value.message.startswith(
        "割り当てが入金額を 11,000円 超えるため、保存していません"
    )
    assert "残り 66,000円" in refused.value.message
    with pytest.raises(AllocationRefusedError, match="すでに割り当てています"):
        allocate(
            s,
            txn.id,
            [(apps[0].id, 1_000)],
            actor="user:1",
            transaction_version=txn.version,
            reason=None,
            settings=S,
        )
    assert (
        s.scalar(
            select(func.count()).select_from(PaymentMatch).where(PaymentMatch.status == "confirmed")
        )
        == counted
    )

    last = allocate(
        s,
        txn.id,
        [(a.id, FEE) for a in apps[4:]],
        actor="user:2",
        transaction_version=txn.version,
        reason=None,
        settings=S,
    )
    assert last.complete and txn.status == "matched"
    assert {s.get(Application, a.id).payment_status for a in apps} == {"paid"}
    assert _item(s, key).status == "resolved"
    actions_done = [e.action for e in history(s, "bank_transaction", txn.id)]
    assert actions_done.count("payment.allocated") == 2

    # A part given by mistake is taken back; the application is unpaid again.
    part = s.scalars(
        select(PaymentMatch).where(
            PaymentMatch.application_id == apps[9].id, PaymentMatch.status == "confirmed"
        )
    ).one()
    back = withdraw_part(
        s,
        part.id,
        actor="user:2",
        transaction_version=txn.version,
        reason="別の会社の社員でした",
        settings=S,
    )
    assert back.remaining_yen == FEE and txn.status == "splitting"
    assert s.get(Application, apps[9].id).payment_status == "unpaid"


def test_a_duplicate_deposit_is_marked_for_refund_and_listed(s: Session, tmp_path: Path) -> None:
    app = add_application(s, "2301000123", "コンケン タロウ")
    _load(
        s,
        tmp_path,
        [
            Txn(D, "0123コンケンタロウ", FEE),
            Txn(D + timedelta(days=1), "0123 コンケン タロウ", FEE),
        ],
    )
    assert app.payment_status == "duplicate"
    item = _item(s, f"payment:app:{app.id}")
    assert item.kind == "payment_duplicate" and item.status == "open"
    second = _txn(s, "0123 コンケン タロウ")

    done = mark_for_refund(
        s,
        second.id,
        actor="user:3",
        transaction_version=second.version,
        reason="二重のお振込み",
        settings=S,
        dated=TODAY,
        with_letter=False,
    )
    assert [p.amount_yen for p in done.parts] == [FEE] and done.touched == {app.id}
    assert app.payment_status == "paid"
    assert item.status == "resolved"
    rows = refund_list(s)
    assert [(r.application_id, r.refund_yen, r.reason) for r in rows] == [
        (app.id, FEE, "二重のお振込み")
    ]
    text = refund_csv(rows, {"user:3": "佐藤"}, ZoneInfo("Asia/Tokyo")).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("記録日時,入金日,振込名義,入金額,返金額")
    assert "0123 コンケン タロウ,11000,11000" in text and text.rstrip().endswith("佐藤,未返金,,")
    with pytest.raises(AllocationRefusedError, match="返金できる金額はありません"):
        mark_for_refund(
            s,
            second.id,
            actor="user:3",
            transaction_version=second.version,
            reason="x",
            settings=S,
            dated=TODAY,
            with_letter=False,
        )


def test_no_reminder_for_an_application_that_has_paid(s: Session, tmp_path: Path) -> None:
    app = add_application(s, "2301000123", "コンケン タロウ")
    _load(s, tmp_path, [Txn(D, "0123コンケンタロウ", FEE)])
    with pytest.raises(NoticeRefusedError, match="未入金でも入金不足でもない"):
        ask_for_payment(s, S, app.id, actor="user:1", dated=TODAY)
    loaded = load_desk_applications(s, [app.id])
    assert loaded[0].paid_yen == FEE and loaded[0].owed_yen(FEE) == 0


def test_a_rules_match_taken_back_is_not_matched_again_by_the_next_run(
    s: Session, tmp_path: Path
) -> None:
    wrong = add_application(s, "2301000123", "コンケン タロウ")
    _load(s, tmp_path, [Txn(D, "0123コンケンタロウ", FEE)])
    txn = _txn(s, "0123コンケンタロウ")
    accepted = s.scalars(select(PaymentMatch).where(PaymentMatch.transaction_id == txn.id)).one()
    assert (accepted.status, wrong.payment_status) == ("accepted", "paid")
    withdraw_part(
        s,
        accepted.id,
        actor="user:1",
        transaction_version=txn.version,
        reason="同姓同名の別人の振込と確認",
        settings=S,
    )
    assert (txn.status, wrong.payment_status) == ("splitting", "unpaid")
    reconcile(s, today=TODAY + timedelta(days=1), settings=S)
    assert (txn.status, wrong.payment_status) == ("splitting", "unpaid")
