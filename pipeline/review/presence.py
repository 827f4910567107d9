"""Who has a review item open: a heartbeat per (item, user) with a timestamp."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.storage.db import dialect_insert
from pipeline.storage.models import ItemPresence, User
from pipeline.storage.types import utcnow


def touch(session: Session, item_id: int, user_id: int) -> None:
    """Note that the user has the item open now.

    One statement (insert, or update on conflict): the same person opening the
    item in two tabs at once must not make the second request fail on the key.
    """
    now = utcnow()
    stmt = dialect_insert(session)(ItemPresence).values(
        item_id=item_id, user_id=user_id, seen_at=now
    )
    session.execute(
        stmt.on_conflict_do_update(index_elements=["item_id", "user_id"], set_={"seen_at": now})
    )


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
