"""Letters to applicants, from the findings of their current decision.

A rule finding names the letter to send (``letter_kind``); findings of the
same kind are merged into one letter listing every item. Kinds:

==================  =============================================  ==========================
kind                when                                           rule letter kinds
==================  =============================================  ==========================
missing_documents   a document or an attestation (C) is missing    missing_documents
unsigned_forms      the oath (D) is not signed                     unsigned_oath
underpayment        the fee paid is short                          underpayment
not_required        SV / OP / EN: the exam pass alone qualifies    no_certification_needed
==================  =============================================  ==========================

Only decisions reached on confident inputs that ask the applicant to act get
a letter: ``pending`` (documents, signature or fee outstanding) and
``not_required``. A ``review`` decision may rest on a misread field, and an
``ineligible_proposed`` one waits for a person; staff send those letters from
the review app once they have checked.

The text comes from the templates in ``pipeline/outputs/templates/`` (data,
not code) with the applicant's name and address, what is missing or owed and
the association's contact from the manual. A letter is stored as a
``letters`` row once: the same application, kind and text is never stored
twice, so a re-run adds nothing. The letters created by a run are listed in
``letters.txt`` (readable, one per page) and ``letters.csv`` in the run's
output folder; each listed letter gets a ``letter.listed`` audit event, and
letters an interrupted or failed run stored but never listed are listed by
the next run (a crash between the two never loses a letter).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.faults import checkpoint
from pipeline.outputs.csvsafe import csv_text, encode_utf8_bom
from pipeline.rules.readings import DOCUMENT_NAMES
from pipeline.rules.store import current_decision, stored_findings
from pipeline.storage.audit import record_event
from pipeline.storage.db import session_scope
from pipeline.storage.models import (
    Applicant,
    Application,
    AuditEvent,
    Letter,
    MatchStatus,
    PaymentMatch,
    RuleFinding,
    Run,
    RunStatus,
)

log = logging.getLogger(__name__)

LETTER_DECISIONS = ("pending", "not_required")
LETTER_KINDS = ("missing_documents", "unsigned_forms", "underpayment", "not_required")
RULE_LETTER_TO_KIND = {
    "missing_documents": "missing_documents",
    "unsigned_oath": "unsigned_forms",
    "underpayment": "underpayment",
    "no_certification_needed": "not_required",
}
CONTACT_EMAIL = "info@conken.org"
SEND_TO = (
    "〒100-0005 東京都千代田区丸の内3-3-1 新東京ビル B1\n"
    "株式会社オデッセイコミュニケーションズ コン検資格認定担当宛"
)
OATH_NAME = DOCUMENT_NAMES["D"]
LISTED = "letter.listed"
PAID_STATES = (MatchStatus.ACCEPTED.value, MatchStatus.CONFIRMED.value)


@dataclass
class LetterDraft:
    application_id: int
    kind: str
    body_ja: str
    name: str
    postcode: str
    address: str


@dataclass
class LettersResult:
    created: list[LetterDraft] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def by_kind(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for draft in self.created:
            out[draft.kind] += 1
        return dict(out)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("pipeline.outputs", "templates"),
        autoescape=False,  # plain text letters  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _items(kind: str, findings: list[RuleFinding]) -> list[str]:
    """What the letter asks for, from the findings' details."""
    items: list[str] = []
    for f in findings:
        details: dict[str, Any] = f.details or {}
        for key in details.get("missing_documents", []):
            items.append(DOCUMENT_NAMES.get(key, key))
        for row in details.get("missing_rows", []):
            items.append(f"{DOCUMENT_NAMES['C']}（業務経歴 {row} 行目）")
        for row in details.get("unsigned_rows", []):
            items.append(f"{DOCUMENT_NAMES['C']} への証明者の署名（業務経歴 {row} 行目）")
        if kind == "unsigned_forms" and f.rule_id.startswith("oath"):
            items.append(OATH_NAME)
    return list(dict.fromkeys(items))  # de-duplicated, order kept


def _paid_yen(session: Session, application_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PaymentMatch.amount_yen), 0)).where(
                PaymentMatch.application_id == application_id,
                PaymentMatch.status.in_(PAID_STATES),
            )
        )
        or 0
    )


def draft_letters(session: Session, settings: Settings, application_id: int) -> list[LetterDraft]:
    """The letters the application's current decision calls for (not stored)."""
    decision = current_decision(session, application_id)
    if decision is None or decision.evaluation_id is None:
        return []
    if decision.outcome not in LETTER_DECISIONS:
        return []
    by_kind: dict[str, list[RuleFinding]] = defaultdict(list)
    for finding in stored_findings(session, decision.evaluation_id):
        kind = RULE_LETTER_TO_KIND.get(finding.letter_kind or "")
        if kind:
            by_kind[kind].append(finding)
    if not by_kind:
        return []
    app = session.get(Application, application_id)
    assert app is not None
    person = session.get(Applicant, app.applicant_id) if app.applicant_id else None
    applicant = {
        "name": person.name if person else None,
        "postcode": person.postcode if person else None,
        "address": person.address if person else None,
    }
    env = _environment()
    drafts: list[LetterDraft] = []
    for kind in LETTER_KINDS:
        if kind not in by_kind:
            continue
        paid = _paid_yen(session, application_id) if kind == "underpayment" else 0
        suffix = (app.pass_number or "")[-4:] or "0123"
        body = env.get_template(f"{kind}.txt").render(
            applicant=applicant,
            application_id=application_id,
            pass_number=app.pass_number,
            qualification=app.qualification or "",
            items=_items(kind, by_kind[kind]),
            fee_yen=settings.fee_yen,
            paid_yen=paid,
            owed_yen=max(0, settings.fee_yen - paid),
            payer_example=f"{suffix}コンケンタロウ",
            contact_email=CONTACT_EMAIL,
            send_to=SEND_TO,
        )
        drafts.append(
            LetterDraft(
                application_id,
                kind,
                body,
                applicant["name"] or "",
                applicant["postcode"] or "",
                applicant["address"] or "",
            )
        )
    return drafts


def _already_stored(session: Session, draft: LetterDraft) -> bool:
    return (
        session.scalar(
            select(Letter.id).where(
                Letter.application_id == draft.application_id,
                Letter.kind == draft.kind,
                Letter.body_ja == draft.body_ja,
            )
        )
        is not None
    )


def create_letters(
    engine: Engine, settings: Settings, folder: Path, *, run_id: int
) -> LettersResult:
    """Store the letters current decisions call for and list the new ones in ``folder``."""
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
            for draft in draft_letters(session, settings, app_id):
                if _already_stored(session, draft):
                    continue
                letter = Letter(
                    application_id=app_id,
                    kind=draft.kind,
                    body_ja=draft.body_ja,
                    created_by=f"run:{run_id}",
                )
                session.add(letter)
                session.flush()
                record_event(
                    session,
                    actor=f"run:{run_id}",
                    action="letter.created",
                    entity_type="letter",
                    entity_id=letter.id,
                    after={"application_id": app_id, "kind": draft.kind},
                    run_id=run_id,
                )
                result.created.append(draft)
        checkpoint("outputs.letters_stored")
    with session_scope(engine) as session:
        to_list = _unlisted(session)
        if to_list:
            result.files = _write_list([_as_draft(session, letter) for letter in to_list], folder)
            for letter in to_list:
                record_event(
                    session,
                    actor=f"run:{run_id}",
                    action=LISTED,
                    entity_type="letter",
                    entity_id=letter.id,
                    after={"file": result.files[0].name},
                    run_id=run_id,
                )
    if result.created:
        log.info("%d letters created: %s", len(result.created), result.by_kind)
    return result


def _unlisted(session: Session) -> list[Letter]:
    """Letters of this run, and of interrupted or failed runs, that no list names yet."""
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
    return list(
        session.scalars(
            select(Letter)
            .where(Letter.created_by.in_(unfinished), Letter.id.not_in(listed))
            .order_by(Letter.id)
        )
    )


def _as_draft(session: Session, letter: Letter) -> LetterDraft:
    app = session.get(Application, letter.application_id)
    person = session.get(Applicant, app.applicant_id) if app and app.applicant_id else None
    return LetterDraft(
        letter.application_id,
        letter.kind,
        letter.body_ja,
        (person.name if person else None) or "",
        (person.postcode if person else None) or "",
        (person.address if person else None) or "",
    )


def _write_list(drafts: list[LetterDraft], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    text_path = folder / "letters.txt"
    csv_path = folder / "letters.csv"
    pages = [f"--- 申請 {d.application_id} ／ {d.kind} ---\n{d.body_ja.rstrip()}\n" for d in drafts]
    text_path.write_text("\f\n".join(pages), encoding="utf-8")
    header = ("申請番号", "種類", "氏名", "郵便番号", "住所", "本文")
    rows = [[d.application_id, d.kind, d.name, d.postcode, d.address, d.body_ja] for d in drafts]
    csv_path.write_bytes(encode_utf8_bom(csv_text(header, rows)))
    return [text_path, csv_path]
