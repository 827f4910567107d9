"""Money to give back: marking a deposit (or the part beyond a fee) for refund, the refund list.

What may be refunded is :func:`pipeline.payments.actions.refundable_yen` (the
manual: an accepted application's fee is not refunded). Marking stores a
``refund`` row per part, audited with the reason, and may write the
applicant's 「返金のお知らせ」 at once. The refund list is every part so
marked, newest first, with what the office needs to pay it back; it exports
as CSV (UTF-8 with BOM, for Excel; cells that would be formulas neutralised).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.outputs.csvsafe import csv_text, encode_utf8_bom
from pipeline.payments import actions
from pipeline.payments.allocation import AllocationRefusedError, remaining_yen
from pipeline.storage.models import (
    Applicant,
    Application,
    AuditEvent,
    BankTransaction,
    Letter,
    PaymentMatch,
)
from pipeline.vocabulary import MatchStatus, TransactionStatus

REFUND_MARKED = "payment.refund_marked"
#: Reasons offered on the desk (the letter's wording is the value).
REFUND_REASONS = ("二重のお振込み", "認定審査手数料を超えるお振込み", "該当する申請がないお振込み")
CSV_HEADER = (
    "記録日時",
    "入金日",
    "振込名義",
    "入金額",
    "返金額",
    "申請番号",
    "申請者",
    "合格者番号",
    "理由",
    "記録した人",
)


@dataclass(frozen=True)
class RefundRow:
    match_id: int
    marked_at: datetime
    booked_on: date
    payer_raw: str
    deposit_yen: int
    refund_yen: int
    application_id: int | None
    applicant_name: str | None
    pass_number: str | None
    reason: str
    marked_by: str


@dataclass(frozen=True)
class RefundMarked:
    parts: list[PaymentMatch]
    touched: set[int]
    letters: list[Letter]


def mark_for_refund(
    session: Session,
    transaction_id: int,
    *,
    actor: str,
    transaction_version: int,
    reason: str,
    settings: Settings,
    dated: date,
    with_letter: bool,
) -> RefundMarked:
    """Mark everything refundable of the deposit; with ``with_letter``, write each
    application's refund notice (a letter that cannot be written refuses the whole action)."""
    from pipeline.payments.notices import store_payment_letter  # letters import the queue

    txn = session.get(BankTransaction, transaction_id)
    if txn is None:
        raise AllocationRefusedError("入金の記録が見つかりません。")
    if not actions.refundable_yen(session, txn, settings.fee_yen):
        raise AllocationRefusedError(
            "この入金に返金できる金額はありません（受理した申請の手数料は返金しません）。"
        )
    rows = actions.mark_refund(
        session,
        transaction_id,
        actor=actor,
        transaction_version=transaction_version,
        reason=reason,
        settings=settings,
    )
    if txn.status == TransactionStatus.SPLITTING.value and remaining_yen(session, txn) == 0:
        txn.status = TransactionStatus.MATCHED.value
    letters = []
    if with_letter:
        for row in rows:
            if row.application_id is None:
                continue
            extra = {
                "deposit_on": txn.booked_on,
                "deposit_yen": txn.deposit_yen,
                "refund_yen": row.amount_yen,
                "refund_reason": reason,
            }
            letters.append(
                store_payment_letter(
                    session,
                    settings,
                    row.application_id,
                    "refund_notice",
                    actor=actor,
                    dated=dated,
                    extra=extra,
                    reason=reason,
                )
            )
    session.flush()
    touched = {r.application_id for r in rows if r.application_id is not None}
    return RefundMarked(rows, touched, letters)


def _reasons(session: Session, txn_ids: list[int]) -> dict[int, str]:
    """The latest refund reason recorded for each transaction."""
    out: dict[int, str] = {}
    for entity_id, reason in session.execute(
        select(AuditEvent.entity_id, AuditEvent.reason)
        .where(
            AuditEvent.action == REFUND_MARKED,
            AuditEvent.entity_type == "bank_transaction",
            AuditEvent.entity_id.in_(txn_ids),
        )
        .order_by(AuditEvent.id)
    ):
        out[int(entity_id)] = reason or ""
    return out


def refund_list(session: Session) -> list[RefundRow]:
    """Every part of a deposit marked for refund, newest first."""
    stmt = (
        select(PaymentMatch, BankTransaction, Application, Applicant.name)
        .join(BankTransaction, BankTransaction.id == PaymentMatch.transaction_id)
        .outerjoin(Application, Application.id == PaymentMatch.application_id)
        .outerjoin(Applicant, Applicant.id == Application.applicant_id)
        .where(PaymentMatch.status == MatchStatus.REFUND.value)
        .order_by(PaymentMatch.id.desc())
    )
    found = list(session.execute(stmt))
    reasons = _reasons(session, sorted({txn.id for _, txn, _, _ in found}))
    return [
        RefundRow(
            match_id=m.id,
            marked_at=m.decided_at or m.created_at,
            booked_on=txn.booked_on,
            payer_raw=txn.payer_raw,
            deposit_yen=txn.deposit_yen,
            refund_yen=m.amount_yen,
            application_id=m.application_id,
            applicant_name=name,
            pass_number=app.pass_number if app is not None else None,
            reason=reasons.get(txn.id, ""),
            marked_by=m.decided_by or m.created_by,
        )
        for m, txn, app, name in found
    ]


def refund_csv(rows: list[RefundRow], people: dict[str, str], tz: ZoneInfo) -> bytes:
    """The refund list as CSV; ``people`` names the actors (``user:3`` → 佐藤)."""
    body = csv_text(
        CSV_HEADER,
        [
            (
                r.marked_at.astimezone(tz).strftime("%Y/%m/%d %H:%M"),
                r.booked_on.strftime("%Y/%m/%d"),
                r.payer_raw,
                r.deposit_yen,
                r.refund_yen,
                r.application_id or "",
                r.applicant_name or "",
                r.pass_number or "",
                r.reason,
                people.get(r.marked_by, r.marked_by),
            )
            for r in rows
        ],
    )
    return encode_utf8_bom(body)
