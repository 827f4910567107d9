"""取下げ: staff record that an applicant withdrew; the application is final, its checking
items close as moot with the reason, and the fee follows the manual (no refund once
accepted; everything back when the fee was never complete)."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from pipeline.payments.actions import refundable_yen
from pipeline.storage.models import Application, AuditEvent, BankTransaction, ReviewItem
from tests.payments_support import paid_deposit
from tests.review_client import Env, env, fast_hashing, form_fields  # noqa: F401 - fixtures

REASON = "12月3日 本人から電話で取下げの申し出"


def _withdraw(
    env: Env, username: str, app_id: int, reason: str, *, page: str = "", client: Any = None
) -> int:
    client = client or env.login(username)
    action = f"/applications/{app_id}/withdraw"
    data = form_fields(client.get(page or f"/applications/{app_id}").text, action)
    data["reason"] = reason
    return client.post(action, data=data).status_code


def test_staff_record_a_withdrawal_from_the_screen_and_checking_items_close_as_moot(
    env: Env,
) -> None:
    w = env.world
    assert _withdraw(env, "sato", w.application_id, REASON) == 303
    with env.session() as s:
        assert s.get(Application, w.application_id).decision == "withdrawn"
        item = s.get(ReviewItem, w.item_id)
        assert item.status == "moot"
        assert "取り下げ" in (item.resolution or "") and REASON in (item.resolution or "")
        moot = s.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "exception",
                AuditEvent.entity_id == item.id,
                AuditEvent.action == "exception.moot",
            )
        ).one()
        assert REASON in (moot.reason or "")
        decided = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "decision.withdrawn",
                AuditEvent.entity_id == w.application_id,
            )
        ).one()
        assert decided.actor == f"user:{w.staff_id}" and decided.reason == REASON
    html = env.login("sato").get(f"/applications/{w.application_id}").text
    assert "取下げ" in html and REASON in html
    assert f'action="/applications/{w.application_id}/withdraw"' not in html  # final now
    assert "withdrawn" not in html.replace("outcome-withdrawn", "")  # no raw code shown


def test_a_withdrawal_needs_a_reason_and_nothing_is_stored_without_one(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    assert _withdraw(env, "sato", w.application_id, "   ", client=client) == 303
    assert "理由を入力してください" in client.get(f"/applications/{w.application_id}").text
    with env.session() as s:
        assert s.get(Application, w.application_id).decision == "review"
        assert s.get(ReviewItem, w.item_id).status == "open"


def test_managers_record_a_withdrawal_from_the_inbox_and_a_final_one_is_refused(
    env: Env,
) -> None:
    w = env.world
    app_id = w.ineligible_application_id
    assert _withdraw(env, "tanaka", app_id, REASON, page="/manager") == 303
    with env.session() as s:
        assert s.get(Application, app_id).decision == "withdrawn"
        assert s.get(ReviewItem, w.ineligible_item_id).status == "moot"
        assert s.get(ReviewItem, w.payment_item_id).status == "open"  # money still matters
    client = env.login("sato")
    page = client.get(f"/applications/{w.application_id}").text
    data = form_fields(page, f"/applications/{w.application_id}/withdraw")
    from pipeline.rules import store as rules_store

    with env.session() as s:  # someone else withdrew it meanwhile
        rules_store.withdraw(s, w.application_id, actor=f"user:{w.staff2_id}", reason="二重")
        s.commit()
    data["reason"] = REASON
    client.post(f"/applications/{w.application_id}/withdraw", data=data)
    assert "変更できません" in client.get(f"/applications/{w.application_id}").text
    with env.session() as s:
        events = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "decision.withdrawn",
                AuditEvent.entity_id == w.application_id,
            )
        ).all()
        assert [e.reason for e in events] == ["二重"]  # the second one stored nothing


def _paid(env: Env, app_id: int, booked_on: date, key: str) -> int:
    with env.session() as s:
        txn = paid_deposit(s, app_id, booked_on, key=key * 16)
        s.commit()
        return txn.id


def test_an_accepted_fee_is_kept_on_withdrawal_a_fee_that_came_after_goes_back(
    env: Env,
) -> None:
    """The manual: 受理後の取り下げでも手数料は返金しません; the fee is received (the
    application accepted) when it is paid. Money that came after the withdrawal of an
    application never accepted is not a fee: it is refundable in full."""
    w = env.world
    today = datetime.now(env.settings.tz).date()
    before = _paid(env, w.application_id, today - timedelta(days=2), "p")
    client = env.login("sato")
    assert _withdraw(env, "sato", w.application_id, REASON, client=client) == 303
    assert "受理した申請の手数料は、取下げでも返金しません" in client.get("/").text
    after = _paid(env, w.ineligible_application_id, today + timedelta(days=1), "q")
    assert _withdraw(env, "sato", w.ineligible_application_id, REASON, client=client) == 303
    assert "返金できる入金が 11,000円 あります" in client.get("/").text
    with env.session() as s:
        fee = env.settings.fee_yen
        assert refundable_yen(s, s.get(BankTransaction, before), fee) == {}
        # withdrawn before any fee arrived: the later deposit was never a fee
        assert refundable_yen(s, s.get(BankTransaction, after), fee) == {
            w.ineligible_application_id: 11_000
        }
    desk = env.login("sato").get("/payments").text
    assert f"/payments/deposits/{after}" in desk.split('id="refunds"')[1]
