"""What an application's screen showed when it was loaded, and refusing it once that moved.

A screen acts on more than its fields: the rulings it asks for follow from the
decision and the rulings already made, a payment it confirms from the deposit's
state. The form carries what it showed of each (the fields' versions, the
decision, the payment status, the latest ruling, each deposit's version); a
submit is refused when any of them changed since, with what changed in words
(who, when, before, after) from the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.review.actions import Context, StaleEditError
from pipeline.review.stale import application_changes_since
from pipeline.storage.models import Application, BankTransaction, FieldValue, RuleRuling

STALE_JA = (
    "この申請は、画面を開いた後に変更されました。変更は保存していません。"
    "下の変更を確認してから、もう一度操作してください。"
)


@dataclass(frozen=True)
class ScreenSeen:
    """The state the screen was built on (all of it comes back with the form)."""

    loaded_at: datetime
    decision: str  # "" for none yet
    payment_status: str
    last_ruling_id: int = 0
    deposits: dict[int, int] = field(default_factory=dict)  # bank transaction id -> version


def last_ruling_id(session: Session, application_id: int) -> int:
    """The newest ruling on the application (0: none): a ruling since changes the screen."""
    found = session.scalar(
        select(func.max(RuleRuling.id)).where(RuleRuling.application_id == application_id)
    )
    return int(found or 0)


def stale_error(ctx: Context, application_id: int, seen: ScreenSeen) -> StaleEditError:
    changes = application_changes_since(
        ctx.session,
        application_id,
        seen.loaded_at,
        ctx.settings.tz,
        transaction_ids=list(seen.deposits),
    )
    return StaleEditError(STALE_JA, changes)


def refuse_if_moved(
    ctx: Context, application: Application, seen: ScreenSeen, field_versions: dict[int, int]
) -> None:
    """Raise :class:`StaleEditError` if anything the screen showed and acts on changed."""
    session = ctx.session
    moved = (
        (application.decision or "") != seen.decision
        or application.payment_status != seen.payment_status
        or last_ruling_id(session, application.id) != seen.last_ruling_id
    )
    if not moved and field_versions:
        fields = select(FieldValue.id, FieldValue.version).where(
            FieldValue.id.in_(list(field_versions))
        )
        now = {i: v for i, v in session.execute(fields)}
        moved = any(now.get(i) != v for i, v in field_versions.items())
    if not moved and seen.deposits:
        deposits = select(BankTransaction.id, BankTransaction.version).where(
            BankTransaction.id.in_(list(seen.deposits))
        )
        now = {i: v for i, v in session.execute(deposits)}
        moved = any(now.get(i) != v for i, v in seen.deposits.items())
    if moved:
        raise stale_error(ctx, application.id, seen)
