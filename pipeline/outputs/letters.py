"""Letters to applicants: which the nightly run writes, and the PDFs the office prints.

A rule finding names the letter to send (``letter_kind``); findings of the
same kind are merged into one letter listing every item:

==================  =============================================  ==========================
kind                when                                           rule letter kinds
==================  =============================================  ==========================
missing_documents   a document or an attestation (C) is missing    missing_documents
unsigned_forms      the oath (D) is not signed                     unsigned_oath
underpayment        the fee paid is short                          underpayment
not_required        SV / OP / EN: the exam pass alone qualifies    no_certification_needed
==================  =============================================  ==========================

``payment_reminder`` and ``refund_notice`` have their templates and are made
with :func:`~pipeline.outputs.letter_sources.draft_letter` and
:func:`store_letter` by whoever decides them (staff at the payments desk);
staff also request documents from the review app. Only decisions reached on
confident inputs that ask the applicant to act get a letter from the run:
``pending`` and ``not_required``.

A letter is stored as a ``letters`` row once: the same application, kind and
text is never stored twice, so a re-run adds nothing. A letter whose text
would have a gap (an empty placeholder) is not stored at all; one whose
recipient cannot be printed (an address nobody confirmed, an address too long
for the window) is stored and held. Either way a ``letter_blocked`` item tells
staff why; it closes itself once the letter is printed or no longer called
for. A held letter the decision no longer calls for as written is withdrawn
(``letter.withdrawn``) before anyone prints it.

The letters a run created, those held until now and those staff requested
since are printed into the run's output folder: ``letters.pdf`` (all of them, each from a new page, to
print in one go), ``letters/<number>-申請<id>-<kind>.pdf`` (one per letter)
and ``letters.csv``. Each listed letter gets a ``letter.listed`` audit event;
letters an interrupted or failed run stored but never listed are listed by
the next run (a crash between the two never loses a letter).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.errors import ValidationError
from pipeline.faults import checkpoint
from pipeline.ingest.files import atomic_write_bytes
from pipeline.outputs.csvsafe import csv_text, encode_utf8_bom
from pipeline.outputs.letter_pdf import letters_pdf
from pipeline.outputs.letter_sources import (
    CREATED,
    LetterDraft,
    compose_letter,
    draft_letter,
    finding_items,
    recipient_of,
    redraft,
)
from pipeline.outputs.letter_text import KIND_JA, KINDS, LetterRefusedError
from pipeline.queue import OPEN_STATES, close_if_open, open_or_update
from pipeline.rules.store import current_decision, stored_findings
from pipeline.storage.audit import record_event
from pipeline.storage.db import session_scope
from pipeline.storage.models import (
    Application,
    AuditEvent,
    Letter,
    ReviewItem,
    RuleFinding,
)

log = logging.getLogger(__name__)

LETTER_DECISIONS = ("pending", "not_required")
RULE_LETTER_TO_KIND = {
    "missing_documents": "missing_documents",
    "unsigned_oath": "unsigned_forms",
    "underpayment": "underpayment",
    "no_certification_needed": "not_required",
}
LISTED = "letter.listed"
WITHDRAWN = "letter.withdrawn"
BLOCKED = "letter_blocked"
COMBINED_PDF = "letters.pdf"
LIST_CSV = "letters.csv"
SINGLES_DIR = "letters"


@dataclass(frozen=True)
class Refusal:
    application_id: int
    kind: str
    message: str


@dataclass
class LettersResult:
    created: list[Composed] = field(default_factory=list)  # stored by this run
    printed: list[str] = field(default_factory=list)  # the kinds of the letters printed, in order
    refused: list[Refusal] = field(default_factory=list)  # not written or not printable
    files: list[Path] = field(default_factory=list)  # the combined PDF first

    @property
    def by_kind(self) -> dict[str, int]:
        """Letters printed by this run (to send), by kind."""
        out: dict[str, int] = defaultdict(int)
        for kind in self.printed:
            out[kind] += 1
        return dict(out)


def blocked_key(application_id: int, kind: str) -> str:
    return f"letter-blocked:{application_id}:{kind}"


@dataclass(frozen=True)
class Composed:
    """A letter a decision calls for: its text, and its layout unless it must wait."""

    application_id: int
    kind: str
    body_ja: str
    dated: date
    draft: LetterDraft | None  # None: held, the recipient cannot be printed yet
    held: str | None = None  # why


def _compose_one(
    session: Session, settings: Settings, app_id: int, kind: str, items: list[str], dated: date
) -> Composed:
    """The letter of ``kind``; :class:`LetterRefusedError` when its text cannot be written."""
    try:
        text = compose_letter(session, settings, app_id, kind, {"items": items})
    except LetterRefusedError as e:
        application = session.get(Application, app_id)
        try:  # name every gap in one message, the recipient's too
            if application is not None:
                recipient_of(session, application, kind)
        except LetterRefusedError as other:
            if other.missing and not other.reason and not e.reason:
                raise LetterRefusedError(kind, e.missing + other.missing) from e
        raise
    try:
        draft = draft_letter(session, settings, app_id, kind, dated=dated, body_ja=text)
    except ValidationError as e:
        return Composed(app_id, kind, text, dated, None, e.message)
    return Composed(app_id, kind, text, dated, draft)


def decision_letters(
    session: Session, settings: Settings, application_id: int, *, dated: date
) -> tuple[list[Composed], list[Refusal]]:
    """The letters the application's current decision calls for (not stored), and those refused.

    A letter whose text is complete but whose recipient cannot be printed (an address
    nobody confirmed) is composed and held; one whose text has a gap is refused.
    """
    decision = current_decision(session, application_id)
    if (
        decision is None
        or decision.evaluation_id is None
        or decision.outcome not in LETTER_DECISIONS
    ):
        return [], []
    by_kind: dict[str, list[RuleFinding]] = defaultdict(list)
    for finding in stored_findings(session, decision.evaluation_id):
        kind = RULE_LETTER_TO_KIND.get(finding.letter_kind or "")
        if kind:
            by_kind[kind].append(finding)
    composed: list[Composed] = []
    refused: list[Refusal] = []
    for kind in KINDS:
        if kind not in by_kind:
            continue
        items = finding_items(session, application_id, kind, by_kind[kind])
        try:
            composed.append(_compose_one(session, settings, application_id, kind, items, dated))
        except ValidationError as e:
            refused.append(Refusal(application_id, kind, e.message))
    return composed, refused


def already_stored(session: Session, application_id: int, kind: str, body_ja: str) -> bool:
    stmt = select(Letter.id).where(
        Letter.application_id == application_id, Letter.kind == kind, Letter.body_ja == body_ja
    )
    return session.scalar(stmt) is not None


class Storable(Protocol):
    @property
    def application_id(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def body_ja(self) -> str: ...

    @property
    def dated(self) -> date: ...


def store_letter(
    session: Session,
    letter: Storable,
    *,
    actor: str,
    run_id: int | None = None,
    reason: str | None = None,
) -> Letter:
    """Store a letter and its ``letter.created`` event (with the date it bears)."""
    row = Letter(
        application_id=letter.application_id,
        kind=letter.kind,
        body_ja=letter.body_ja,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=actor,
        action=CREATED,
        entity_type="letter",
        entity_id=row.id,
        after={
            "application_id": letter.application_id,
            "kind": letter.kind,
            "dated": letter.dated.isoformat(),
        },
        reason=reason,
        run_id=run_id,
    )
    return row


def _open_blocked(session: Session, application_id: int) -> set[str]:
    return set(
        session.scalars(
            select(ReviewItem.dedupe_key).where(
                ReviewItem.kind == BLOCKED,
                ReviewItem.application_id == application_id,
                ReviewItem.status.in_(OPEN_STATES),
            )
        )
    )


def block(session: Session, refusal: Refusal, *, run_id: int | None) -> None:
    open_or_update(
        session,
        kind=BLOCKED,
        dedupe_key=blocked_key(refusal.application_id, refusal.kind),
        title_ja=refusal.message,
        details={
            "letter_kind": refusal.kind,
            "letter_kind_ja": KIND_JA[refusal.kind],
            "reason": refusal.message,
        },
        application_id=refusal.application_id,
        run_id=run_id,
    )


def _letters_of_application(
    session: Session,
    settings: Settings,
    app_id: int,
    *,
    run_id: int,
    today: date,
    result: LettersResult,
) -> None:
    composed, refused = decision_letters(session, settings, app_id, dated=today)
    for letter in composed:
        if not already_stored(session, letter.application_id, letter.kind, letter.body_ja):
            store_letter(session, letter, actor=f"run:{run_id}", run_id=run_id)
            result.created.append(letter)
    held = [Refusal(c.application_id, c.kind, c.held) for c in composed if c.held]
    for refusal in [*refused, *held]:
        block(session, refusal, run_id=run_id)
    result.refused.extend([*refused, *held])
    _withdraw_obsolete(session, app_id, composed, run_id=run_id)
    to_print = session.scalars(
        select(Letter.kind).where(
            Letter.application_id == app_id,
            Letter.sent_at.is_(None),
            Letter.id.not_in(_settled()),
        )
    )
    waiting = {blocked_key(app_id, kind) for kind in [*to_print, *(r.kind for r in refused)]}
    for key in _open_blocked(session, app_id) - waiting:  # printing closes the others
        close_if_open(
            session,
            key,
            resolution="この通知文は不要になりました。",
            actor=f"run:{run_id}",
            run_id=run_id,
        )


def _settled() -> Select[tuple[int | None]]:
    """Letters that left the print queue: listed in a run's PDF, or withdrawn."""
    return select(AuditEvent.entity_id).where(
        AuditEvent.action.in_((LISTED, WITHDRAWN)), AuditEvent.entity_type == "letter"
    )


def _withdraw_obsolete(
    session: Session, app_id: int, composed: list[Composed], *, run_id: int
) -> None:
    """Take back a run's letters never printed that the decision no longer calls for as written
    (the documents arrived, or a newer letter lists what is still missing)."""
    current = {(c.kind, c.body_ja) for c in composed}
    waiting = session.scalars(
        select(Letter).where(
            Letter.application_id == app_id,
            Letter.created_by.startswith("run:"),
            Letter.sent_at.is_(None),
            Letter.id.not_in(_settled()),
        )
    )
    for letter in waiting:
        if (letter.kind, letter.body_ja) not in current:
            record_event(
                session,
                actor=f"run:{run_id}",
                action=WITHDRAWN,
                entity_type="letter",
                entity_id=letter.id,
                reason="判定が変わり、印刷前の通知文が不要になりました",
                run_id=run_id,
            )


def create_letters(
    engine: Engine, settings: Settings, folder: Path, *, run_id: int, today: date
) -> LettersResult:
    """Store the letters current decisions call for and print the unlisted ones into ``folder``."""
    result = LettersResult()
    with session_scope(engine) as session:
        app_ids = list(
            session.scalars(
                select(Application.id)
                .where(Application.decision.is_not(None))
                .order_by(Application.id)
            )
        )
    for app_id in app_ids:
        with session_scope(engine) as session:
            _letters_of_application(
                session, settings, app_id, run_id=run_id, today=today, result=result
            )
        checkpoint("outputs.letters_stored")
    with session_scope(engine) as session:
        result.files, result.printed, held = _list_unlisted(
            session, settings, folder, run_id=run_id
        )
    known = {(r.application_id, r.kind) for r in result.refused}
    result.refused.extend(r for r in held if (r.application_id, r.kind) not in known)
    if result.created or result.printed or result.refused:
        log.info(
            "letters: %d written, %d printed %s, %d refused or held",
            len(result.created),
            len(result.printed),
            result.by_kind,
            len(result.refused),
        )
    return result


def _unlisted(session: Session) -> list[Letter]:
    """Letters to print that no list names yet: this run's, those of a run that died before
    listing them, those held for their recipient, and those staff requested."""
    return list(
        session.scalars(
            select(Letter)
            .where(Letter.id.not_in(_settled()), Letter.sent_at.is_(None))
            .order_by(Letter.id)
        )
    )


def single_name(letter: Letter) -> str:
    return (
        f"{letter.id:05d}-申請{letter.application_id}-{KIND_JA.get(letter.kind, letter.kind)}.pdf"
    )


def _list_unlisted(
    session: Session, settings: Settings, folder: Path, *, run_id: int
) -> tuple[list[Path], list[str], list[Refusal]]:
    """Print the letters waiting to be printed; those that still cannot print stay waiting."""
    printable: list[tuple[Letter, LetterDraft]] = []
    held: list[Refusal] = []
    for letter in _unlisted(session):
        try:
            printable.append((letter, redraft(session, settings, letter)))
        except ValidationError as e:
            held.append(Refusal(letter.application_id, letter.kind, e.message))
            block(session, held[-1], run_id=run_id)
    if not printable:
        return [], [], held
    files = write_letter_files(printable, settings, folder, title=f"通知文（実行 {run_id}）")
    for letter, _ in printable:
        close_if_open(
            session,
            blocked_key(letter.application_id, letter.kind),
            resolution="通知文を印刷しました。",
            actor=f"run:{run_id}",
            run_id=run_id,
        )
        record_event(
            session,
            actor=f"run:{run_id}",
            action=LISTED,
            entity_type="letter",
            entity_id=letter.id,
            after={"file": COMBINED_PDF},
            run_id=run_id,
        )
    return files, [letter.kind for letter, _ in printable], held


def write_letter_files(
    printable: list[tuple[Letter, LetterDraft]], settings: Settings, folder: Path, *, title: str
) -> list[Path]:
    """The combined PDF, one PDF per letter and the CSV list; the combined PDF first."""
    combined = atomic_write_bytes(
        folder / COMBINED_PDF, letters_pdf([d.planned for _, d in printable], settings, title=title)
    )
    singles = [
        atomic_write_bytes(
            folder / SINGLES_DIR / single_name(letter),
            letters_pdf(
                [draft.planned],
                settings,
                title=f"{KIND_JA.get(letter.kind, letter.kind)}（申請 {letter.application_id}）",
            ),
        )
        for letter, draft in printable
    ]
    header = ("申請番号", "通知文", "氏名", "郵便番号", "住所", "本文")
    rows = [
        [
            letter.application_id,
            KIND_JA.get(letter.kind, letter.kind),
            draft.recipient.name,
            draft.recipient.postcode,
            draft.recipient.address,
            letter.body_ja,
        ]
        for letter, draft in printable
    ]
    listing = atomic_write_bytes(folder / LIST_CSV, encode_utf8_bom(csv_text(header, rows)))
    return [combined, listing, *singles]
