"""差し替え: a newer envelope of the same applicant and qualification replaces the older,
not final application — its checking items close as moot with the reason, its payment
follows, each links to the other — and follow-up documents or an unsure pass number
replace nothing."""

from __future__ import annotations

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.stages import decide_applications
from pipeline.storage.models import (
    Application,
    AuditEvent,
    Envelope,
    PaymentMatch,
    ReviewItem,
)
from tests.payments_support import paid_deposit
from tests.review_client import Env, env, fast_hashing  # noqa: F401 - fixtures
from tests.review_support import open_informational_item, resubmission

PASS = "2301000042"  # 山田 太郎's, as the world reads it


def _resubmission(
    s: Session, env: Env, *, with_form_a: bool = True, pass_status: str = "ok", sha: str = "c"
) -> int:
    """山田 sends another envelope two days later (a new application of his)."""
    return resubmission(
        s, env.settings, PASS, with_form_a=with_form_a, pass_status=pass_status, sha=sha
    )


def _decide(env: Env) -> dict[str, int]:
    return decide_applications(
        env.engine, env.settings, run_id=1, today=datetime.now(env.settings.tz).date()
    ).counts


def test_a_newer_submission_supersedes_the_older_one_with_its_items_and_payment(
    env: Env,
) -> None:
    w = env.world
    today = datetime.now(env.settings.tz).date()
    with env.session() as s:
        txn = paid_deposit(s, w.application_id, today - timedelta(days=2), key="p" * 16)
        address_item = open_informational_item(s, w.application_id, "address")
        newer = _resubmission(s, env)
        s.commit()
    counts = _decide(env)
    assert counts["superseded"] == 1
    reason = f"新しい申請書類（申請 #{newer}）に差し替え"
    with env.session() as s:
        older = s.get(Application, w.application_id)
        assert older.decision == "superseded"
        assert s.get(Envelope, older.envelope_id).status == "superseded"
        for item_id in (w.item_id, address_item):  # nothing is mailed about the older one
            item = s.get(ReviewItem, item_id)
            assert item.status == "moot" and reason in (item.resolution or ""), item_id
        moot = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "exception.moot", AuditEvent.entity_id == w.item_id
            )
        ).one()
        assert reason in (moot.reason or "") and moot.actor == "run:1"
        match = s.scalars(select(PaymentMatch).where(PaymentMatch.transaction_id == txn.id)).one()
        assert match.application_id == newer  # the fee follows the newer submission
        moved = s.scalars(select(AuditEvent).where(AuditEvent.action == "payment.moved")).one()
        assert moved.before["application_id"] == w.application_id
        assert moved.after["application_id"] == newer
        # (the world's open proposal still names it until the next reconciliation: 確認中)
        assert older.payment_status in ("unpaid", "review")
        assert s.get(Application, newer).payment_status == "paid"
        assert s.get(Application, newer).decision not in ("superseded", None)
    client = env.login("sato")
    old_page = client.get(f"/applications/{w.application_id}").text
    assert f'href="/applications/{newer}"' in old_page and "差し替えられました" in old_page
    assert f'action="/applications/{w.application_id}/withdraw"' not in old_page
    new_page = client.get(f"/applications/{newer}").text
    assert f'href="/applications/{w.application_id}"' in new_page and "差し替えたもの" in new_page
    trail = env.login("tanaka").get("/audit").text  # the audit trail, in words
    for words in (
        "新しい申請書類に差し替えられた",
        "以前の申請書類を差し替えた",
        "入金を新しい申請書類に移した",
    ):
        assert words in trail
    assert "supersede" not in trail
    assert _decide(env).get("superseded", 0) == 0  # a second run changes nothing


def test_documents_sent_later_or_an_unsure_pass_number_supersede_nothing(env: Env) -> None:
    w = env.world
    with env.session() as s:
        follow_up = _resubmission(s, env, with_form_a=False, sha="d")
        unsure = _resubmission(s, env, pass_status="low_confidence", sha="e")
        s.commit()
    assert _decide(env).get("superseded", 0) == 0
    with env.session() as s:
        for app_id in (w.application_id, follow_up, unsure):
            assert s.get(Application, app_id).decision != "superseded", app_id
        assert s.get(ReviewItem, w.item_id).status == "open"


def test_a_final_application_is_never_superseded(env: Env) -> None:
    """Someone who applies again after withdrawing starts a new application; the
    withdrawal stands as it was."""
    from pipeline.rules import store as rules_store

    w = env.world
    with env.session() as s:
        rules_store.withdraw(s, w.application_id, actor=f"user:{w.staff_id}", reason="本人の申し出")
        s.commit()
    with env.session() as s:
        _resubmission(s, env)
        s.commit()
    assert _decide(env).get("superseded", 0) == 0
    with env.session() as s:
        assert s.get(Application, w.application_id).decision == "withdrawn"
