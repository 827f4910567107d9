"""The payments desk over HTTP, and the item page's payment actions on a duplicate payment."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.clock import business_today
from pipeline.payments.statements import read_statement
from pipeline.payments.store import import_statement, reconcile
from pipeline.storage.models import Application, BankTransaction, Letter, PaymentMatch, ReviewItem
from tests.payments_support import Txn, add_application, mufg_csv, write
from tests.review_client import Env, csrf_of, env, fast_hashing, form_fields  # noqa: F401

FIRST, SECOND = "0777ヤマモトユウコ", "0777 ヤマモト ユウコ"


def _two_payments(env: Env, tmp_path: Path) -> tuple[int, int]:
    """One applicant paid twice; a colleague (whose fee the second payment really was) none."""
    day = business_today(env.settings) - timedelta(days=2)
    fee = env.settings.fee_yen
    with env.session() as s:
        twice = add_application(s, "2405000777", "ヤマモト ユウコ")
        colleague = add_application(s, "2405000888", "ヤマモト ケン")
        txns = [Txn(day, FIRST, fee), Txn(day + timedelta(days=1), SECOND, fee)]
        import_statement(s, read_statement(write(tmp_path / "s.csv", mufg_csv(txns))))
        reconcile(s, today=day + timedelta(days=2), settings=env.settings)
        s.commit()
        return twice.id, colleague.id


def test_a_duplicate_payments_item_acts_on_its_deposit_instead_of_failing(
    env: Env, tmp_path: Path
) -> None:
    twice, colleague = _two_payments(env, tmp_path)
    with env.session() as s:
        item = s.scalars(
            select(ReviewItem).where(ReviewItem.dedupe_key == f"payment:app:{twice}")
        ).one()
        assert item.kind == "payment_duplicate" and item.transaction_id is None
        second = s.scalars(select(BankTransaction).where(BankTransaction.payer_raw == SECOND)).one()
    client = env.login("sato")
    html = client.get(f"/items/{item.id}").text
    assert f'href="/payments/deposits/{second.id}"' in html  # the desk is one click away
    # The second payment's section: give that deposit to the colleague it was meant for.
    section = html[html.index(f'id="payment-{second.id}"') :]
    action = f"/items/{item.id}/payment/reassign"
    fields = form_fields(section, action)
    assert fields["transaction_id"] == str(second.id)
    fields.update(target="2405000888", reason="同僚の分の振込と電話で確認")
    response = client.post(action, data=fields)
    assert response.status_code == 303, re.findall(r"notice-error.*?</p>", response.text, re.S)
    page = client.get(f"/items/{item.id}").text
    assert "この項目には入金が結びついていません" not in page
    with env.session() as s:
        assert s.get(Application, twice).payment_status == "paid"
        assert s.get(Application, colleague).payment_status == "paid"
        moved = s.scalars(
            select(PaymentMatch).where(
                PaymentMatch.transaction_id == second.id, PaymentMatch.status == "confirmed"
            )
        ).one()
        assert moved.application_id == colleague
        assert s.get(ReviewItem, item.id).status == "resolved"


def test_over_allocation_is_refused_in_japanese_and_nothing_is_saved(
    env: Env, tmp_path: Path
) -> None:
    _twice, colleague = _two_payments(env, tmp_path)
    with env.session() as s:
        first = s.scalars(select(BankTransaction).where(BankTransaction.payer_raw == FIRST)).one()
    client = env.login("sato")
    page = client.get(f"/payments/deposits/{first.id}?q=2405000888").text
    assert 'id="allocate-form"' not in page  # fully placed: nothing is offered...
    response = client.post(
        f"/payments/deposits/{first.id}/allocate",
        data={
            "csrf_token": csrf_of(page),
            "txn_version": str(first.version),
            "app": [str(colleague)],
            f"amount_{colleague}": "5,000",
        },
    )
    assert response.status_code == 422  # ...and a form posted anyway is refused
    assert "割り当てが入金額を 5,000円 超えるため、保存していません" in response.text
    with env.session() as s:
        assert s.get(Application, colleague).payment_status == "unpaid"


def test_a_reminder_letter_for_an_unpaid_application(env: Env) -> None:
    w = env.world
    with env.session() as s:
        s.get(Application, w.application_id).payment_status = "unpaid"
        s.commit()
    client = env.login("sato")
    desk = client.get("/payments").text
    action = f"/payments/applications/{w.application_id}/ask"
    assert action in desk
    response = client.post(action, data={"csrf_token": csrf_of(desk)})
    assert response.status_code == 303
    assert "入金のお願いを作成しました" in client.get("/payments").text
    with env.session() as s:
        letter = s.scalars(select(Letter).where(Letter.application_id == w.application_id)).one()
        assert letter.kind == "payment_reminder" and "11,000円" in letter.body_ja


def test_a_refund_recorded_with_the_applicants_refund_notice(env: Env, tmp_path: Path) -> None:
    w = env.world
    day = business_today(env.settings) - timedelta(days=2)
    fee = env.settings.fee_yen
    with env.session() as s:
        txns = [
            Txn(day, "0042ヤマダタロウ", fee),
            Txn(day + timedelta(days=1), "0042 ヤマダ タロウ", fee),
        ]
        import_statement(s, read_statement(write(tmp_path / "s.csv", mufg_csv(txns))))
        reconcile(s, today=day + timedelta(days=2), settings=env.settings)
        s.commit()
        assert s.get(Application, w.application_id).payment_status == "duplicate"
        second = s.scalars(
            select(BankTransaction).where(BankTransaction.payer_raw == "0042 ヤマダ タロウ")
        ).one()
    client = env.login("sato")
    page = client.get(f"/payments/deposits/{second.id}").text
    response = client.post(
        f"/payments/deposits/{second.id}/refund",
        data={
            "csrf_token": csrf_of(page),
            "txn_version": str(second.version),
            "reason": "二重のお振込み",
            "letter": "1",
        },
    )
    assert response.status_code == 303, re.findall(r"notice-error.*?</p>", response.text, re.S)
    assert "返金のお知らせを作成しました" in client.get(response.headers["location"]).text
    with env.session() as s:
        letter = s.scalars(select(Letter).where(Letter.kind == "refund_notice")).one()
        assert letter.application_id == w.application_id
        assert "二重のお振込み" in letter.body_ja and "11,000円" in letter.body_ja
        assert s.get(Application, w.application_id).payment_status == "paid"


def test_the_desk_pages_deposits_oldest_first_and_scores_only_the_page(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """120 deposits to place: 50 a page, oldest first, and only the 50 shown are scored
    against the applications (scoring every deposit on every load took the page down)."""
    from pipeline.review import payments_view

    start = business_today(env.settings) - timedelta(days=200)
    with env.session() as s:
        for i in range(120):
            s.add(
                BankTransaction(
                    txn_key=f"page{i:04d}",
                    booked_on=start + timedelta(days=i),
                    payer_raw=f"振込人{i:03d}",
                    payer_normalized=f"フリコミニン{i:03d}",
                    deposit_yen=11_000,
                    status="unmatched",
                )
            )
        s.commit()
    scored: list[str] = []
    real = payments_view.score_candidates

    def counting(payer_raw, apps, fee):  # type: ignore[no-untyped-def]
        scored.append(payer_raw)
        return real(payer_raw, apps, fee)

    monkeypatch.setattr(payments_view, "score_candidates", counting)
    client = env.login("sato")
    first = client.get("/payments").text
    assert len(scored) == 50 and scored[0] == "振込人000" and scored[-1] == "振込人049"
    assert "1 / 3 ページ目" in first and 'href="/payments?page=2#deposits"' in first
    assert "振込人000" in first and "振込人050" not in first
    scored.clear()
    last = client.get("/payments?page=3").text
    # the world's own deposit (booked three days ago) is the newest of 121
    assert len(scored) == 21 and "振込人119" in last and "振込人099" not in last
    assert 'href="/payments?page=2#deposits"' in last and "page=4" not in last
    assert "3 / 3 ページ目" in client.get("/payments?page=99").text  # clamped, not an error
    assert "1 / 3 ページ目" in client.get("/payments?page=abc").text
