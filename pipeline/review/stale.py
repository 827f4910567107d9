"""What changed on an item since a form was loaded (for a refused stale edit).

The answer comes from the audit log: events after the moment the form was
loaded, on the item itself, its application, the application's fields and
letters, and the bank transaction it is about.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from pipeline.review.labels import ACTION_JA, format_datetime
from pipeline.storage.models import AuditEvent, FieldValue, ReviewItem, User


def related_entities(session: Session, item: ReviewItem) -> list[tuple[str, list[int]]]:
    """(entity type, ids) pairs whose audit events belong on the item's page."""
    out: list[tuple[str, list[int]]] = [("exception", [item.id])]
    if item.application_id is not None:
        out.append(("application", [item.application_id]))
        field_ids = list(
            session.scalars(
                select(FieldValue.id).where(FieldValue.application_id == item.application_id)
            )
        )
        if field_ids:
            out.append(("field", field_ids))
    elif item.field_id is not None:
        out.append(("field", [item.field_id]))
    if item.transaction_id is not None:
        out.append(("bank_transaction", [item.transaction_id]))
    return out


def related_events(
    session: Session, item: ReviewItem, since: datetime | None = None
) -> list[AuditEvent]:
    """Audit events of the item and what it is about, oldest first."""
    conditions = [
        and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids))
        for kind, ids in related_entities(session, item)
    ]
    stmt = select(AuditEvent).where(or_(*conditions))
    if since is not None:
        stmt = stmt.where(AuditEvent.at > since)
    return list(session.scalars(stmt.order_by(AuditEvent.at, AuditEvent.id)))


def actor_names(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    ids = {int(e.actor.split(":", 1)[1]) for e in events if e.actor.startswith("user:")}
    names = {}
    if ids:
        for user in session.scalars(select(User).where(User.id.in_(ids))):
            names[f"user:{user.id}"] = user.display_name
    return names


def actor_label(actor: str, names: dict[str, str]) -> str:
    if actor in names:
        return names[actor]
    if actor.startswith("run:"):
        return f"夜間処理（実行 #{actor.split(':', 1)[1]}）"
    if actor == "system":
        return "システム"
    return actor


def describe(event: AuditEvent, names: dict[str, str], tz: ZoneInfo) -> dict[str, object]:
    return {
        "at": format_datetime(event.at, tz),
        "who": actor_label(event.actor, names),
        "what": ACTION_JA.get(event.action, event.action),
        "entity": f"{event.entity_type} #{event.entity_id}",
        "before": event.before or {},
        "after": event.after or {},
        "reason": event.reason or "",
    }


def changes_since(
    session: Session, item: ReviewItem, since: datetime, tz: ZoneInfo
) -> list[dict[str, object]]:
    events = related_events(session, item, since)
    names = actor_names(session, events)
    return [describe(e, names, tz) for e in events]
