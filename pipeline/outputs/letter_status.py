"""Which letters a run printed, and which have been mailed: what the review app shows.

A letter belongs to the run that listed it (its ``letter.listed`` event).
Marking a letter sent sets ``letters.sent_at`` once — a second person marking
the same letter finds it already sent, with who and when — and records a
``letter.sent`` event; undoing it (a letter marked by mistake) needs a reason
and records ``letter.unsent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from pipeline.outputs.letter_sources import CREATED
from pipeline.outputs.letter_text import KIND_JA
from pipeline.outputs.letters import BLOCKED, LISTED, WITHDRAWN, blocked_key
from pipeline.queue import OPEN_STATES
from pipeline.storage.audit import record_event
from pipeline.storage.models import (
    Applicant,
    Application,
    AuditEvent,
    Letter,
    ReviewItem,
    Run,
    User,
)
from pipeline.storage.types import utcnow

SENT = "letter.sent"
UNSENT = "letter.unsent"


@dataclass(frozen=True)
class RunLetters:
    run_id: int | None  # None: requested by staff, not printed by a run yet
    started_at: datetime | None
    total: int
    unsent: int


@dataclass(frozen=True)
class LetterRow:
    id: int
    application_id: int
    kind: str
    kind_ja: str
    name: str | None
    dated: date  # the date the letter bears
    sent_at: datetime | None
    sent_by: str | None
    held_item: int | None = None  # the open letter_blocked item saying why it cannot print
    held_reason: str | None = None  # why it cannot print now (filled for letters waiting)


def _listed(run_id: int | None = None) -> Select[tuple[int | None]]:
    """Letters a run printed (any run, or ``run_id``'s); with no run, withdrawn ones too."""
    actions = (LISTED,) if run_id is not None else (LISTED, WITHDRAWN)
    stmt = select(AuditEvent.entity_id).where(
        AuditEvent.action.in_(actions), AuditEvent.entity_type == "letter"
    )
    return stmt if run_id is None else stmt.where(AuditEvent.run_id == run_id)


def runs_with_letters(session: Session, *, limit: int = 30) -> list[RunLetters]:
    """The latest runs that printed letters, newest first, and the letters waiting for one."""
    stmt = (
        select(
            AuditEvent.run_id,
            Run.started_at,
            func.count(Letter.id),
            func.count(Letter.id).filter(Letter.sent_at.is_(None)),
        )
        .join(Letter, Letter.id == AuditEvent.entity_id)
        .join(Run, Run.id == AuditEvent.run_id)
        .where(AuditEvent.action == LISTED, AuditEvent.entity_type == "letter")
        .group_by(AuditEvent.run_id, Run.started_at)
        .order_by(AuditEvent.run_id.desc())
        .limit(limit)
    )
    out = [
        RunLetters(run, started, total, unsent)
        for run, started, total, unsent in session.execute(stmt)
    ]
    waiting = session.scalar(
        select(func.count(Letter.id)).where(Letter.id.not_in(_listed()), Letter.sent_at.is_(None))
    )
    if waiting:
        out.insert(0, RunLetters(None, None, int(waiting), int(waiting)))
    return out


def _sent_by(session: Session, letter_ids: list[int]) -> dict[int, str]:
    """Who marked each letter sent (the latest ``letter.sent`` event), by display name."""
    rows = session.execute(
        select(AuditEvent.entity_id, AuditEvent.actor)
        .where(AuditEvent.action == SENT, AuditEvent.entity_id.in_(letter_ids))
        .order_by(AuditEvent.id)
    ).all()
    actors = {entity_id: actor for entity_id, actor in rows}
    user_ids = {int(a.split(":", 1)[1]) for a in actors.values() if a.startswith("user:")}
    names: dict[int, str] = {
        user_id: name
        for user_id, name in session.execute(
            select(User.id, User.display_name).where(User.id.in_(user_ids))
        ).all()
    }
    return {
        letter_id: names.get(int(actor.split(":", 1)[1]), actor)
        if actor.startswith("user:")
        else actor
        for letter_id, actor in actors.items()
    }


def _dated(session: Session, letter_ids: list[int]) -> dict[int, date]:
    rows = session.execute(
        select(AuditEvent.entity_id, AuditEvent.after).where(
            AuditEvent.action == CREATED,
            AuditEvent.entity_type == "letter",
            AuditEvent.entity_id.in_(letter_ids),
        )
    ).all()
    return {
        int(entity_id): date.fromisoformat(after["dated"])
        for entity_id, after in rows
        if entity_id is not None and after and after.get("dated")
    }


def _held_items(session: Session, keys: set[str]) -> dict[str, int]:
    rows = session.execute(
        select(ReviewItem.dedupe_key, ReviewItem.id).where(
            ReviewItem.kind == BLOCKED,
            ReviewItem.dedupe_key.in_(keys),
            ReviewItem.status.in_(OPEN_STATES),
        )
    ).all()
    return {key: int(item_id) for key, item_id in rows}


def letters_of(session: Session, run_id: int | None, tz: ZoneInfo) -> list[LetterRow]:
    """The letters a run printed (``None``: those waiting for the next run)."""
    stmt = (
        select(Letter, Applicant.name)
        .join(Application, Application.id == Letter.application_id)
        .join(Applicant, Applicant.id == Application.applicant_id, isouter=True)
        .order_by(Letter.id)
    )
    if run_id is None:
        stmt = stmt.where(Letter.id.not_in(_listed()), Letter.sent_at.is_(None))
    else:
        stmt = stmt.where(Letter.id.in_(_listed(run_id)))
    rows = session.execute(stmt).all()
    ids = [letter.id for letter, _ in rows]
    sent_by = _sent_by(session, ids)
    dated = _dated(session, ids)
    held = _held_items(
        session, {blocked_key(letter.application_id, letter.kind) for letter, _ in rows}
    )
    return [
        LetterRow(
            letter.id,
            letter.application_id,
            letter.kind,
            KIND_JA.get(letter.kind, letter.kind),
            name,
            dated.get(letter.id) or letter.created_at.astimezone(tz).date(),
            letter.sent_at,
            sent_by.get(letter.id) if letter.sent_at else None,
            held.get(blocked_key(letter.application_id, letter.kind))
            if not letter.sent_at
            else None,
        )
        for letter, name in rows
    ]


def _set_sent(
    session: Session,
    letter_id: int,
    *,
    was: datetime | None,
    now: datetime | None,
    actor: str,
    action: str,
    reason: str | None = None,
) -> bool:
    """Move ``sent_at`` from ``was`` to ``now`` unless someone moved it first; audited."""
    current = Letter.sent_at.is_(None) if was is None else Letter.sent_at == was
    changed = cast(
        "CursorResult[Any]",
        session.execute(
            update(Letter)
            .where(Letter.id == letter_id, current)
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if changed:
        record_event(
            session,
            actor=actor,
            action=action,
            entity_type="letter",
            entity_id=letter_id,
            before={"sent_at": was.isoformat() if was else None},
            after={"sent_at": now.isoformat() if now else None},
            reason=reason,
        )
    return bool(changed)


def mark_sent(session: Session, letter_id: int, *, actor: str) -> bool:
    """Mark the letter mailed now; False when someone already had (nothing changes)."""
    return _set_sent(session, letter_id, was=None, now=utcnow(), actor=actor, action=SENT)


def mark_unsent(session: Session, letter_id: int, *, actor: str, reason: str) -> bool:
    """Undo a mistaken ``mark_sent``; False when the letter was not marked sent."""
    letter = session.get(Letter, letter_id)
    if letter is None or letter.sent_at is None:
        return False
    return _set_sent(
        session, letter_id, was=letter.sent_at, now=None, actor=actor, action=UNSENT, reason=reason
    )
