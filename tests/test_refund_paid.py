"""返金済み: a refund marked on the desk stays in the queue until staff record the day the
money went back; the refund list shows 未返金 / 返金済み (with a filter) and so does its CSV."""

from __future__ import annotations

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters
from datetime import datetime, timedelta

from sqlalchemy import select

from pipeline.review.app_queue import application_rows
from pipeline.storage.models import AuditEvent, ReviewItem
from tests.payments_support import paid_deposit, refund_all
from tests.review_client import Env, csrf_of, env, fast_hashing  # noqa: F401 - fixtures


def _refund_marked(env: Env) -> tuple[int, int]:
    """A second fee paid by 山田 marked for refund: (the refund part's id, its item's id)."""
    w = env.world
    today = datetime.now(env.settings.tz).date()
    with env.session() as s:
        paid_deposit(s, w.application_id, today - timedelta(days=5), key="f" * 16)
        second = paid_deposit(s, w.application_id, today - timedelta(days=4), key="g" * 16)
        done = refund_all(s, second, actor=f"user:{w.staff_id}", settings=env.settings, today=today)
        s.commit()
        part = done.parts[0]
        item = s.scalars(
            select(ReviewItem).where(ReviewItem.dedupe_key == f"refund:match:{part.id}")
        ).one()
        return part.id, item.id


def test_a_refund_paid_back_is_recorded_audited_and_its_item_closes(env: Env) -> None:
    part_id, item_id = _refund_marked(env)
    with env.session() as s:
        item = s.get(ReviewItem, item_id)
        assert item.status == "open" and item.kind == "payment_refund"
        assert "11,000円 の返金が済んでいません" in item.title_ja
        # the money owed is in the queue, as 入金 for the application
        row = next(r for r in application_rows(s) if r.application_id == env.world.application_id)
        assert row.payment_items == 1 and item_id in row.item_ids
    client = env.login("sato")
    assert "返金（未返金）" in client.get(f"/items/{item_id}").text

    assert "返金一覧（未返金 1件）" in client.get("/payments").text
    page = client.get("/payments/refunds").text
    assert "未返金" in page and f'action="/payments/refunds/{part_id}/paid"' in page
    token = csrf_of(page)
    today = datetime.now(env.settings.tz).date()

    for bad, says in (
        ((today + timedelta(days=1)).isoformat(), "今日より後"),
        ("12月の初め", "日付として読めません"),
        ((today - timedelta(days=30)).isoformat(), "入金日"),
    ):
        post = client.post(
            f"/payments/refunds/{part_id}/paid",
            data={"csrf_token": token, "paid_on": bad, "note": ""},
        )
        assert post.status_code == 303
        assert says in client.get("/payments/refunds?state=open").text, bad
    with env.session() as s:
        assert s.get(ReviewItem, item_id).status == "open"  # nothing stored by a refusal

    post = client.post(
        f"/payments/refunds/{part_id}/paid",
        data={"csrf_token": token, "paid_on": today.isoformat(), "note": "振込手数料は当会負担"},
    )
    assert post.status_code == 303
    with env.session() as s:
        item = s.get(ReviewItem, item_id)
        assert item.status == "resolved" and "返金済み" in (item.resolution or "")
        event = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "payment.refund_paid", AuditEvent.entity_id == part_id
            )
        ).one()
        assert event.actor == f"user:{env.world.staff_id}"
        assert event.after == {
            "paid_on": today.isoformat(),
            "amount_yen": 11_000,
            "note": "振込手数料は当会負担",
        }
    trail = env.login("tanaka").get("/audit").text  # the audit trail, in words
    assert "返金済みを記録" in trail and "返金日" in trail and "paid_on" not in trail
    paid = client.get("/payments/refunds?state=paid").text
    assert "返金済み" in paid and "振込手数料は当会負担" in paid and "佐藤" in paid
    assert f'action="/payments/refunds/{part_id}/paid"' not in paid
    assert "未返金の返金はありません" in client.get("/payments/refunds?state=open").text
    assert "返金一覧（未返金 0件）" in client.get("/payments").text
    csv_text = client.get("/payments/refunds.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].endswith("返金状況,返金日,返金のメモ")
    assert csv_text.splitlines()[1].endswith(f"返金済み,{today:%Y/%m/%d},振込手数料は当会負担")

    again = client.post(
        f"/payments/refunds/{part_id}/paid",
        data={"csrf_token": token, "paid_on": today.isoformat(), "note": ""},
    )
    assert again.status_code == 303
    assert "すでに返金済み" in client.get("/payments/refunds").text
    with env.session() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "payment.refund_paid")
        ).all()
        assert len(events) == 1
        row = next(r for r in application_rows(s) if r.application_id == env.world.application_id)
        assert row.payment_items == 0
