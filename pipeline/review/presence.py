"""Who has a review item open: a heartbeat per (item, user) with a timestamp."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.storage.models import ItemPresence, User
from pipeline.storage.types import utcnow


def touch(session: Session, item_id: int, user_id: int) -> None:
    row = session.get(ItemPresence, (item_id, user_id))
    if row is None:
        session.add(ItemPresence(item_id=item_id, user_id=user_id, seen_at=utcnow()))
    else:
        row.seen_at = utcnow()


def leave(session: Session, item_id: int, user_id: int) -> None:
    session.execute(
        delete(ItemPresence).where(ItemPresence.item_id == item_id, ItemPresence.user_id == user_id)
    )


def others(session: Session, item_id: int, user_id: int, window_seconds: int) -> list[str]:
    """Display names of the other active users who have the item open now."""
    since = utcnow() - timedelta(seconds=window_seconds)
    stmt = (
        select(User.display_name)
        .join(ItemPresence, ItemPresence.user_id == User.id)
        .where(
            ItemPresence.item_id == item_id,
            ItemPresence.user_id != user_id,
            ItemPresence.seen_at >= since,
            User.active.is_(True),
        )
        .order_by(User.display_name)
    )
    return list(session.scalars(stmt))
