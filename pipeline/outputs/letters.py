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
text is never stored twice, so a re-run adds nothing. A letter that cannot be
written as it should (an empty placeholder, an address nobody confirmed, text
that does not fit) is not stored: a ``letter_blocked`` item tells staff why,
and closes itself once the letter is written or no longer called for.

The letters a run created, and those staff requested since, are listed in the
run's output folder: ``letters.pdf`` (all of them, each from a new page, to
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

from sqlalchemy import Engine, select
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
    draft_letter,
    finding_items,
    redraft,
)
from pipeline.outputs.letter_text import KIND_JA, KINDS
from pipeline.review.queue import OPEN_STATES, close_if_open, open_or_update
from pipeline.rules.store import current_decision, stored_findings
from pipeline.storage.audit import record_event
from pipeline.storage.db import session_scope
from pipeline.storage.models import (
    Application,
    AuditEvent,
    Letter,
    ReviewItem,
    RuleFinding,
    Run,
    RunStatus,
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
    created: list[LetterDraft] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # the combined PDF first

    @property
    def by_kind(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for draft in self.created:
            out[draft.kind] += 1
        return dict(out)


def blocked_key(application_id: int, kind: str) -> str:
    return f"letter-blocked:{application_id}:{kind}"


def decision_letters(
    session: Session, settings: Settings, application_id: int, *, dated: date
) -> tuple[list[LetterDraft], list[Refusal]]:
    """The letters the application's current decision calls for (not stored), and those refused."""
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
    drafts: list[LetterDraft] = []
    refused: list[Refusal] = []
    for kind in KINDS:
        if kind not in by_kind:
            continue
        items = finding_items(session, application_id, kind, by_kind[kind])
        try:
            drafts.append(
                draft_letter(
                    session, settings, application_id, kind, dated=dated, extra={"items": items}
                )
            )
        except ValidationError as e:
            refused.append(Refusal(application_id, kind, e.message))
    return drafts, refused


def already_stored(session: Session, application_id: int, kind: str, body_ja: str) -> bool:
    stmt = select(Letter.id).where(
        Letter.application_id == application_id, Letter.kind == kind, Letter.body_ja == body_ja
    )
    return session.scalar(stmt) is not None


def store_letter(
    session: Session,
    draft: LetterDraft,
    *,
    actor: str,
    run_id: int | None = None,
    reason: str | None = None,
) -> Letter:
    """Store a drafted letter and its ``letter.created`` event (with the date it bears)."""
    letter = Letter(
        application_id=draft.application_id,
        kind=draft.kind,
        body_ja=draft.body_ja,
        created_by=actor,
    )
    session.add(letter)
    session.flush()
    record_event(
        session,
        actor=actor,
        action=CREATED,
        entity_type="letter",
        entity_id=letter.id,
        after={
            "application_id": draft.application_id,
            "kind": draft.kind,
            "dated": draft.document.dated.isoformat(),
        },
        reason=reason,
        run_id=run_id,
    )
    return letter


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
    drafts, refused = decision_letters(session, settings, app_id, dated=today)
    for draft in drafts:
        if already_stored(session, draft.application_id, draft.kind, draft.body_ja):
            continue
        store_letter(session, draft, actor=f"run:{run_id}", run_id=run_id)
        result.created.append(draft)
    for refusal in refused:
        block(session, refusal, run_id=run_id)
    result.refused.extend(refused)
    still_refused = {blocked_key(app_id, r.kind) for r in refused}
    written = {d.kind for d in drafts}
    for key in _open_blocked(session, app_id) - still_refused:
        kind = key.rsplit(":", 1)[1]
        why = "通知文を作成しました。" if kind in written else "この通知文は不要になりました。"
        close_if_open(session, key, resolution=why, actor=f"run:{run_id}", run_id=run_id)


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
        result.files = _list_unlisted(session, settings, folder, run_id=run_id)
    if result.created or result.refused:
        log.info(
            "%d letters created: %s; %d refused",
            len(result.created),
            result.by_kind,
            len(result.refused),
        )
    return result


def _unlisted(session: Session) -> list[Letter]:
    """Letters of this run and of interrupted or failed runs, and letters staff requested,
    that no list names yet."""
    listed = select(AuditEvent.entity_id).where(
        AuditEvent.action == LISTED, AuditEvent.entity_type == "letter"
    )
    unfinished = [
        f"run:{run_id}"
        for run_id in session.scalars(
            select(Run.id).where(
                Run.status.in_((RunStatus.RUNNING, RunStatus.INTERRUPTED, RunStatus.FAILED))
            )
        )
    ]
    by_staff = Letter.created_by.startswith("user:") & Letter.sent_at.is_(None)
    return list(
        session.scalars(
            select(Letter)
            .where(Letter.created_by.in_(unfinished) | by_staff, Letter.id.not_in(listed))
            .order_by(Letter.id)
        )
    )


def single_name(letter: Letter) -> str:
    return (
        f"{letter.id:05d}-申請{letter.application_id}-{KIND_JA.get(letter.kind, letter.kind)}.pdf"
    )


def _list_unlisted(
    session: Session, settings: Settings, folder: Path, *, run_id: int
) -> list[Path]:
    printable: list[tuple[Letter, LetterDraft]] = []
    for letter in _unlisted(session):
        try:
            printable.append((letter, redraft(session, settings, letter)))
        except ValidationError as e:
            block(session, Refusal(letter.application_id, letter.kind, e.message), run_id=run_id)
    if not printable:
        return []
    files = write_letter_files(printable, settings, folder, title=f"通知文（実行 {run_id}）")
    for letter, _ in printable:
        record_event(
            session,
            actor=f"run:{run_id}",
            action=LISTED,
            entity_type="letter",
            entity_id=letter.id,
            after={"file": COMBINED_PDF},
            run_id=run_id,
        )
    return files


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
