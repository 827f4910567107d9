"""Opening, updating and closing review items idempotently.

A pipeline stage describes what it found with a ``dedupe_key`` (what the item
is about, e.g. ``field:12`` or ``payment-unmatched:txn:40``). Re-running the
stage updates the open item instead of opening a second one, and an item
whose cause has gone away is closed by the stage that opened it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.storage.audit import record_event
from pipeline.storage.models import ExceptionStatus, ReviewItem, Severity
from pipeline.storage.types import utcnow

OPEN_STATES = (ExceptionStatus.OPEN.value, ExceptionStatus.IN_PROGRESS.value)


def find_open(session: Session, dedupe_key: str) -> ReviewItem | None:
    stmt = select(ReviewItem).where(
        ReviewItem.dedupe_key == dedupe_key, ReviewItem.status.in_(OPEN_STATES)
    )
    return session.scalars(stmt).first()


def open_or_update(
    session: Session,
    *,
    kind: str,
    dedupe_key: str,
    title_ja: str,
    severity: Severity = Severity.NORMAL,
    details: dict[str, Any] | None = None,
    application_id: int | None = None,
    envelope_id: int | None = None,
    page_id: int | None = None,
    field_id: int | None = None,
    transaction_id: int | None = None,
    run_id: int | None = None,
) -> tuple[ReviewItem, bool]:
    """Return the open item for ``dedupe_key``, creating it if needed.

    The second value is True when a new item was opened.
    """
    item = find_open(session, dedupe_key)
    if item is not None:
        changed = item.title_ja != title_ja or (details is not None and item.details != details)
        if changed:
            item.title_ja = title_ja
            if details is not None:
                item.details = details
            item.severity = severity.value
        return item, False
    item = ReviewItem(
        kind=kind,
        dedupe_key=dedupe_key,
        title_ja=title_ja,
        severity=severity.value,
        details=details or {},
        application_id=application_id,
        envelope_id=envelope_id,
        page_id=page_id,
        field_id=field_id,
        transaction_id=transaction_id,
        opened_run_id=run_id,
    )
    session.add(item)
    session.flush()
    record_event(
        session,
        actor=f"run:{run_id}" if run_id else "system",
        action="exception.opened",
        entity_type="exception",
        entity_id=item.id,
        after={"kind": kind, "dedupe_key": dedupe_key, "title_ja": title_ja},
        run_id=run_id,
    )
    return item, True


def close_if_open(
    session: Session,
    dedupe_key: str,
    *,
    resolution: str,
    actor: str = "system",
    run_id: int | None = None,
) -> ReviewItem | None:
    """Close the open item for ``dedupe_key`` (its cause went away); None if none was open."""
    item = find_open(session, dedupe_key)
    if item is None:
        return None
    before = {"status": item.status}
    item.status = ExceptionStatus.RESOLVED.value
    item.closed_at = utcnow()
    item.closed_run_id = run_id
    item.closed_by = actor
    item.resolution = resolution
    record_event(
        session,
        actor=actor,
        action="exception.closed",
        entity_type="exception",
        entity_id=item.id,
        before=before,
        after={"status": item.status},
        reason=resolution,
        run_id=run_id,
    )
    return item
