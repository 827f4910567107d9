"""What a letter says about an application, from the database: recipient, values, text.

**The recipient** is taken from the application's own forms: the name
(form A, else the exam report, else form D), the postcode and the address
(form A), each only when its reading is sure (``ok`` or ``confirmed``). A
reading nobody is sure of, or a value a person typed but nobody confirmed,
refuses the letter until staff confirm it (a letter mailed to a misread
address is lost). An application with no such fields at all (entered by other
means) uses its applicant record.

:func:`draft_letter` composes and lays out one letter, so a draft that exists
prints: it raises :class:`~pipeline.outputs.letter_text.LetterRefusedError` (an
empty placeholder, an unsure or missing address),
:class:`~pipeline.outputs.typeset.TextDoesNotFit` or
:class:`~pipeline.outputs.fonts.MissingGlyphError`, all
:class:`~pipeline.errors.ValidationError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.outputs.association import association
from pipeline.outputs.letter_pdf import LetterDocument, PlannedLetter, Recipient, plan_letter
from pipeline.outputs.letter_text import (
    REFUND_REASON_JA,
    SUBJECT_PREFIX,
    LetterRefusedError,
    compose,
)
from pipeline.outputs.wareki import era_date
from pipeline.queue import ADDRESS_FIELDS, NAME_FIELDS, POSTCODE_FIELDS
from pipeline.rules.readings import DOCUMENT_NAMES
from pipeline.storage.models import (
    Applicant,
    Application,
    AuditEvent,
    FieldStatus,
    FieldValue,
    Letter,
    MatchStatus,
    PaymentMatch,
    RuleFinding,
)

SURE = (FieldStatus.OK.value, FieldStatus.CONFIRMED.value)
KANA_FIELDS = (("A", "name_kana"), ("R", "name_kana"))
PAID_STATES = (MatchStatus.ACCEPTED.value, MatchStatus.CONFIRMED.value)
CREATED = "letter.created"
_POSTCODE = re.compile(r"^(\d{3})-?(\d{4})$")


@dataclass(frozen=True)
class LetterDraft:
    """A letter composed and laid out, ready to store and print."""

    application_id: int
    kind: str
    body_ja: str
    document: LetterDocument
    planned: PlannedLetter

    @property
    def recipient(self) -> Recipient:
        return self.document.recipient

    @property
    def dated(self) -> date:
        return self.document.dated


def _fields(session: Session, application_id: int) -> dict[tuple[str, str], list[FieldValue]]:
    out: dict[tuple[str, str], list[FieldValue]] = {}
    for f in session.scalars(
        select(FieldValue)
        .where(FieldValue.application_id == application_id)
        .order_by(FieldValue.id)
    ):
        out.setdefault((f.form_code, f.name), []).append(f)
    return out


def _sure_value(
    fields: Mapping[tuple[str, str], list[FieldValue]], keys: tuple[tuple[str, str], ...]
) -> tuple[str | None, bool]:
    """(the first sure value among ``keys``, whether any of those fields exists)."""
    rows = [f for key in keys for f in fields.get(key, [])]
    for f in rows:
        if f.status in SURE and f.value and f.value.strip():
            return f.value.strip(), True
    return None, bool(rows)


def _postcode(value: str) -> str | None:
    match = _POSTCODE.match(unicodedata.normalize("NFKC", value).strip().replace("〒", ""))
    return f"{match.group(1)}-{match.group(2)}" if match else None


def person_value(
    fields: Mapping[tuple[str, str], list[FieldValue]],
    keys: tuple[tuple[str, str], ...],
    stored: str | None,
) -> tuple[str | None, bool]:
    """(the value to print, whether a reading exists that nobody is sure of).

    A sure reading of the forms wins; with no field at all, the applicant record's value.
    """
    value, any_field = _sure_value(fields, keys)
    if value is not None:
        return value, False
    if any_field:
        return None, any(f.value for k in keys for f in fields.get(k, []))
    return (stored or "").strip() or None, False


def holder_name(session: Session, application: Application) -> tuple[str | None, bool]:
    """The applicant's name as a certificate prints it: (name, unsure)."""
    person = session.get(Applicant, application.applicant_id) if application.applicant_id else None
    return person_value(
        _fields(session, application.id), NAME_FIELDS, person.name if person else None
    )


def recipient_of(session: Session, application: Application, kind: str) -> Recipient:
    """Name, postcode and address a person can trust, or :class:`LetterRefusedError`."""
    fields = _fields(session, application.id)
    person = session.get(Applicant, application.applicant_id) if application.applicant_id else None
    values: dict[str, str | None] = {}
    unsure: list[str] = []
    for label, keys, stored in (
        ("宛名（氏名）", NAME_FIELDS, person.name if person else None),
        ("宛先の郵便番号", POSTCODE_FIELDS, person.postcode if person else None),
        ("宛先の住所", ADDRESS_FIELDS, person.address if person else None),
    ):
        values[label], doubtful = person_value(fields, keys, stored)
        if doubtful:
            unsure.append(label)
    if unsure:
        raise LetterRefusedError(
            kind,
            unsure,
            reason=f"{'、'.join(unsure)}の読み取りが確認されていません（読み取り値を確認すると、次の夜間処理で印刷します）",
        )
    missing = [label for label, value in values.items() if not value]
    if missing:
        raise LetterRefusedError(kind, missing)
    postcode = _postcode(values["宛先の郵便番号"] or "")
    if postcode is None:
        raise LetterRefusedError(
            kind,
            ["宛先の郵便番号"],
            reason=f"宛先の郵便番号「{values['宛先の郵便番号']}」が正しい形ではありません",
        )
    return Recipient(postcode, values["宛先の住所"] or "", values["宛名（氏名）"] or "")


def _year_month(value: str | None) -> str:
    if not value:
        return ""
    if value == "present":
        return "現在"
    year, _, month = value.partition("-")
    return f"{int(year)}年{int(month)}月" if month.isdigit() else value


def _history_row(fields: Mapping[tuple[str, str], list[FieldValue]], row: int) -> str:
    """``業務経歴 2 行目：株式会社… 2019年4月～2022年3月`` (only what was read surely)."""
    org, _ = _sure_value(fields, (("B", f"exp{row}_org"),))
    start, _ = _sure_value(fields, (("B", f"exp{row}_from"),))
    end, _ = _sure_value(fields, (("B", f"exp{row}_to"),))
    parts = [f"業務経歴 {row} 行目"]
    described = " ".join(
        p
        for p in (org or "", f"{_year_month(start)}～{_year_month(end)}" if start and end else "")
        if p
    )
    return f"{parts[0]}：{described}" if described else parts[0]


def finding_items(
    session: Session, application_id: int, kind: str, findings: list[RuleFinding]
) -> list[str]:
    """What a missing-documents or unsigned-forms letter lists, from the findings' details."""
    fields = _fields(session, application_id)
    items: list[str] = []
    for f in findings:
        details: dict[str, Any] = f.details or {}
        items.extend(DOCUMENT_NAMES.get(key, key) for key in details.get("missing_documents", []))
        for row in details.get("missing_rows", []):
            items.append(f"{DOCUMENT_NAMES['C']}（{_history_row(fields, int(row))}）")
        for row in details.get("unsigned_rows", []):
            items.append(
                f"{DOCUMENT_NAMES['C']}への証明者のご署名（{_history_row(fields, int(row))}）"
            )
        if kind == "unsigned_forms" and f.rule_id.startswith("oath"):
            items.append(DOCUMENT_NAMES["D"])
    return list(dict.fromkeys(items))


def paid_yen(session: Session, application_id: int) -> int:
    """What the application has paid and keeps: counted parts less the parts refunded
    (money on its way back must not count as paid in a letter)."""
    signed = case(
        (PaymentMatch.status == MatchStatus.REFUND.value, -PaymentMatch.amount_yen),
        else_=PaymentMatch.amount_yen,
    )
    return int(
        session.scalar(
            select(func.coalesce(func.sum(signed), 0)).where(
                PaymentMatch.application_id == application_id,
                PaymentMatch.status.in_([*PAID_STATES, MatchStatus.REFUND.value]),
            )
        )
        or 0
    )


def _payer_example(session: Session, application: Application) -> str:
    """The manual's 「0123コンケンタロウ」 with the applicant's own digits (and name, if sure)."""
    digits = (application.pass_number or "").strip()
    if len(digits) < 4 or not digits[-4:].isdigit():
        return ""
    person = session.get(Applicant, application.applicant_id) if application.applicant_id else None
    kana, _ = person_value(
        _fields(session, application.id), KANA_FIELDS, person.kana if person else None
    )
    return f"{digits[-4:]}{(kana or 'コンケンタロウ').replace(' ', '').replace('　', '')}"


def letter_values(
    session: Session,
    settings: Settings,
    application: Application,
    kind: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every value a template may use; empty ones are refused by the template's placeholders."""
    who = association()
    paid = paid_yen(session, application.id) if kind == "underpayment" else 0
    values: dict[str, Any] = {
        "application_id": application.id,
        "pass_number": application.pass_number,
        "category": who.qualification_category(application.qualification),
        "qualification": who.qualification_name(application.qualification),
        "fee_yen": settings.fee_yen,
        "paid_yen": paid or None,  # an underpayment letter needs a payment to speak of
        "owed_yen": max(0, settings.fee_yen - paid) or None,
        "payer_example": _payer_example(session, application),
        "bank": who.bank_account.model_dump(),
        "documents_postcode": who.documents_address.postcode,
        "documents_address": "\n".join(who.documents_address.lines),
        "contact_email": who.contact_email,
        "received_on": era_date(application.effective_received_on),
    }
    for key, value in (extra or {}).items():
        if isinstance(value, date):
            value = era_date(value)
        if key == "refund_reason":
            value = REFUND_REASON_JA.get(str(value), value)
        values[key] = value
    return values


def references(application: Application) -> tuple[tuple[str, str], ...]:
    refs = [("申請番号", str(application.id))]
    if application.pass_number:
        refs.append(("合格者番号", application.pass_number))
    return tuple(refs)


def _application(session: Session, application_id: int, kind: str) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise LetterRefusedError(kind, ["申請"], reason=f"申請 {application_id} がありません")
    return application


def compose_letter(
    session: Session,
    settings: Settings,
    application_id: int,
    kind: str,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The letter's text alone (no recipient), or :class:`LetterRefusedError`."""
    application = _application(session, application_id, kind)
    return compose(kind, letter_values(session, settings, application, kind, extra))


def draft_letter(
    session: Session,
    settings: Settings,
    application_id: int,
    kind: str,
    *,
    dated: date,
    extra: Mapping[str, Any] | None = None,
    body_ja: str | None = None,
) -> LetterDraft:
    """One letter of ``kind`` to the application's applicant, composed and laid out.

    ``extra`` supplies what only the caller knows (the items asked for, a refund's
    amount and date). ``body_ja`` re-lays out a stored letter's text as it was written.
    """
    application = _application(session, application_id, kind)
    recipient = recipient_of(session, application, kind)
    text = (
        body_ja
        if body_ja is not None
        else compose(kind, letter_values(session, settings, application, kind, extra))
    )
    document = LetterDocument(kind, recipient, dated, references(application), text)
    return LetterDraft(application_id, kind, text, document, plan_letter(document, settings))


def dated_of(session: Session, settings: Settings, letter: Letter) -> date:
    """The date a stored letter bears: its business date when created."""
    event = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "letter",
            AuditEvent.entity_id == letter.id,
            AuditEvent.action == CREATED,
        )
        .order_by(AuditEvent.id)
    ).first()
    stored = (event.after or {}).get("dated") if event else None
    if stored:
        return date.fromisoformat(stored)
    return letter.created_at.astimezone(settings.tz).date()


def redraft(session: Session, settings: Settings, letter: Letter) -> LetterDraft:
    """A stored letter laid out again, with today's confirmed recipient."""
    if not letter.body_ja.startswith(SUBJECT_PREFIX):
        raise LetterRefusedError(
            letter.kind,
            [],
            reason="以前の形式（件名の行がない本文）で作られた通知文は PDF にできません",
        )
    return draft_letter(
        session,
        settings,
        letter.application_id,
        letter.kind,
        dated=dated_of(session, settings, letter),
        body_ja=letter.body_ja,
    )
