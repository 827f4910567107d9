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

from pipeline.names_ja import KIND_JA, kind_label
from pipeline.storage.audit import record_event
from pipeline.storage.models import ExceptionStatus, FieldValue, ReviewItem, Severity
from pipeline.storage.types import utcnow

OPEN_STATES = (ExceptionStatus.OPEN.value, ExceptionStatus.IN_PROGRESS.value)
__all__ = ["KIND_JA", "OPEN_STATES", "close_if_open", "close_moot", "kind_label", "open_or_update"]


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


def _close(
    session: Session,
    item: ReviewItem,
    status: ExceptionStatus,
    *,
    action: str,
    resolution: str,
    actor: str,
    run_id: int | None,
) -> ReviewItem:
    """Close ``item`` in ``status`` with the reason, and audit it (the one way items close here)."""
    before = {"status": item.status}
    item.status = status.value
    item.closed_at = utcnow()
    item.closed_run_id = run_id
    item.closed_by = actor
    item.resolution = resolution
    record_event(
        session,
        actor=actor,
        action=action,
        entity_type="exception",
        entity_id=item.id,
        before=before,
        after={"status": item.status},
        reason=resolution,
        run_id=run_id,
    )
    return item


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
    return _close(
        session,
        item,
        ExceptionStatus.RESOLVED,
        action="exception.closed",
        resolution=resolution,
        actor=actor,
        run_id=run_id,
    )


# Items about reading and checking an application: once its decision is final they
# no longer matter. Payments, letters, certificates and audit samples still do.
MOOT_KIND_PREFIXES = (
    "field_",
    "data_cleanup",
    "crosscheck_",
    "documents_missing",
    "page_",
    "received_date",
    "decision_review",
    "ineligible_proposed",
)
# What letters and certificates print about the applicant (name, then the address they
# are mailed to): checks of these fields still matter after the decision is final.
NAME_FIELDS = (("A", "name_kanji"), ("R", "name_kanji"), ("D", "name_kanji"))
POSTCODE_FIELDS = (("A", "postcode"),)
ADDRESS_FIELDS = (("A", "address"),)
MAILING_FIELDS = frozenset(NAME_FIELDS + POSTCODE_FIELDS + ADDRESS_FIELDS)

MOOT_DECISIONS_JA = {
    "approved": "承認",
    "rejected": "却下",
    "not_required": "認定不要",
    "withdrawn": "取下げ",
    "superseded": "差し替え",
}
# Decisions after which no fee is asked for: no certification (認定不要), the applicant
# withdrew, or the newer submission carries the application (and its payments).
NO_FEE_DECISIONS = ("not_required", "withdrawn", "superseded")
# The superseded application sends nothing more: the newer one's letters print the
# applicant's name and address, so the older one's checks of them are moot too.
NOTHING_MAILED_DECISIONS = ("superseded",)


def close_moot(
    session: Session,
    application_id: int,
    decision: str,
    *,
    actor: str = "system",
    run_id: int | None = None,
    reason: str | None = None,
) -> list[ReviewItem]:
    """Close the application's open checking items as ``moot``: its decision is final.

    Each closed item gets an audit event with the reason (the decision it stopped
    mattering for; ``reason`` replaces the default sentence, e.g. which newer
    submission superseded the application). Returns the items closed.
    """
    label = MOOT_DECISIONS_JA.get(decision)
    if label is None:
        return []
    why = reason or f"判定が「{label}」で確定したため、確認は不要になりました"
    stmt = select(ReviewItem).where(
        ReviewItem.application_id == application_id, ReviewItem.status.in_(OPEN_STATES)
    )
    closed = []
    for item in session.scalars(stmt):
        if not item.kind.startswith(MOOT_KIND_PREFIXES) and not (
            decision in NO_FEE_DECISIONS and item.kind == "application_unpaid"
        ):
            continue
        row = session.get(FieldValue, item.field_id) if item.field_id is not None else None
        mailed = decision not in NOTHING_MAILED_DECISIONS
        if mailed and row is not None and (row.form_code, row.name) in MAILING_FIELDS:
            continue  # a letter or certificate still prints it
        _close(
            session,
            item,
            ExceptionStatus.MOOT,
            action="exception.moot",
            resolution=why,
            actor=actor,
            run_id=run_id,
        )
        closed.append(item)
    return closed
