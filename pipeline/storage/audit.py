"""The audit log: every change records who, when, before, after and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.storage.models import AuditEvent

SYSTEM = "system"


def run_actor(run_id: int | None) -> str:
    """The actor of what a run does: ``run:<id>``, or ``system`` outside a run (the CLI)."""
    return f"run:{run_id}" if run_id else SYSTEM


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    run_id: int | None = None,
) -> AuditEvent:
    """Add one audit event to the session (committed with the change it describes).

    ``actor`` is ``"system"``, ``"run:<id>"`` or ``"user:<id>"``.
    """
    event = AuditEvent(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason,
        run_id=run_id,
    )
    session.add(event)
    return event


def history(session: Session, entity_type: str, entity_id: int) -> list[AuditEvent]:
    """Events for one entity, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(session.scalars(stmt))


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or isinstance(value, str | int | float | bool | list | dict):
            out[key] = value
        else:
            out[key] = str(value)  # dates, decimals, enums
    return out
