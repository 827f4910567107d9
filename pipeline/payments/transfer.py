"""A superseded application's payments follow the newer submission that replaced it.

The applicant paid once for the application, whichever envelope carries it:
every part of a deposit given to the older application (and every refund set
aside from it) is moved to the newer one, one audit event per part with the
application before and after, and both applications' payment statuses and
payment items are brought up to date at once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.payments.review_items import close_settled_items
from pipeline.payments.store import apply_payment_statuses, payment_statuses
from pipeline.storage.audit import record_event
from pipeline.storage.models import PaymentMatch
from pipeline.vocabulary import COUNTED_MATCHES, MatchStatus

MOVED = "payment.moved"


def move_payments(
    session: Session,
    from_id: int,
    to_id: int,
    *,
    actor: str,
    reason: str,
    settings: Settings,
    run_id: int | None = None,
) -> list[PaymentMatch]:
    """Give application ``to_id`` every counted part and refund of application ``from_id``."""
    moved = list(
        session.scalars(
            select(PaymentMatch)
            .where(
                PaymentMatch.application_id == from_id,
                PaymentMatch.status.in_([*COUNTED_MATCHES, MatchStatus.REFUND.value]),
            )
            .order_by(PaymentMatch.id)
        )
    )
    for match in moved:
        match.application_id = to_id
        record_event(
            session,
            actor=actor,
            action=MOVED,
            entity_type="bank_transaction",
            entity_id=match.transaction_id,
            before={"match_id": match.id, "application_id": from_id},
            after={"match_id": match.id, "application_id": to_id, "amount_yen": match.amount_yen},
            reason=reason,
            run_id=run_id,
        )
    session.flush()
    if moved:
        statuses = payment_statuses(session, settings.fee_yen, {from_id, to_id})
        apply_payment_statuses(session, statuses, actor=actor, run_id=run_id)
        close_settled_items(session, statuses, actor=actor)
    return moved
