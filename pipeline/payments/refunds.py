"""Money to give back: marking a deposit (or the part beyond a fee) for refund, the refund list.

What may be refunded is :func:`pipeline.payments.actions.refundable_yen` (the
manual: an accepted application's fee is not refunded). Marking stores a
``refund`` row per part, audited with the reason, and may write the
applicant's 「返金のお知らせ」 at once. The refund list is every part so
marked, newest first, with what the office needs to pay it back; it exports
as CSV (UTF-8 with BOM, for Excel; cells that would be formulas neutralised).

Marking opens a ``payment_refund`` item (返金（未返金）) per part, so the money
owed stays in the queue until :func:`mark_paid_back` records the day it was
sent back (返金済み, with an optional note; audited as ``payment.refund_paid``
on the part), which closes the item. The list shows 未返金 / 返金済み.
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
from pipeline.queue import close_if_open, open_or_update
from pipeline.storage.audit import record_event
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
REFUND_PAID = "payment.refund_paid"
REFUND_ITEM = "payment_refund"
#: The refund list's filter: every part, those still to pay back, those paid back.
REFUND_STATES = {"all": "すべて", "open": "未返金", "paid": "返金済み"}
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
    "返金状況",
    "返金日",
    "返金のメモ",
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
    paid_on: date | None = None
    paid_note: str = ""
    paid_by: str | None = None

    @property
    def state(self) -> str:
        return "paid" if self.paid_on is not None else "open"

    @property
    def state_ja(self) -> str:
        return REFUND_STATES[self.state]


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
    for row in rows:
        _open_refund_item(session, row, txn, reason)
    touched = {r.application_id for r in rows if r.application_id is not None}
    return RefundMarked(rows, touched, letters)


def _item_key(match_id: int) -> str:
    return f"refund:match:{match_id}"


def _open_refund_item(
    session: Session, row: PaymentMatch, txn: BankTransaction, reason: str
) -> None:
    """The money owed stays in the queue (入金) until someone records it paid back."""
    whom = f"申請 #{row.application_id} " if row.application_id is not None else ""
    open_or_update(
        session,
        kind=REFUND_ITEM,
        dedupe_key=_item_key(row.id),
        title_ja=(
            f"{whom}{row.amount_yen:,}円 の返金が済んでいません"
            f"（{txn.booked_on:%Y/%m/%d} {txn.payer_raw} {txn.deposit_yen:,}円 の入金、{reason}）"
        ),
        details={"match_id": row.id, "amount_yen": row.amount_yen, "reason": reason},
        application_id=row.application_id,
        transaction_id=txn.id,
    )


def mark_paid_back(
    session: Session,
    match_id: int,
    *,
    actor: str,
    paid_on: date,
    note: str,
    today: date,
) -> PaymentMatch:
    """Record that a refund was sent back on ``paid_on``; refusals (Japanese) change nothing."""
    row = session.get(PaymentMatch, match_id)
    if row is None or row.status != MatchStatus.REFUND.value:
        raise AllocationRefusedError("返金の記録が見つかりません。")
    if _paid(session, [match_id]):
        raise AllocationRefusedError("この返金は、すでに返金済みとして記録されています。")
    txn = session.get(BankTransaction, row.transaction_id)
    assert txn is not None  # a foreign key
    if paid_on > today:
        raise AllocationRefusedError(
            f"返金日（{paid_on:%Y/%m/%d}）が今日より後です。返金した日を入力してください。"
        )
    if paid_on < txn.booked_on:
        raise AllocationRefusedError(
            f"返金日（{paid_on:%Y/%m/%d}）が入金日（{txn.booked_on:%Y/%m/%d}）より前です。"
            "返金した日を入力してください。"
        )
    record_event(
        session,
        actor=actor,
        action=REFUND_PAID,
        entity_type="payment_match",
        entity_id=row.id,
        after={"paid_on": paid_on.isoformat(), "amount_yen": row.amount_yen, "note": note},
        reason=note or None,
    )
    close_if_open(
        session,
        _item_key(row.id),
        resolution=f"{paid_on:%Y/%m/%d} に {row.amount_yen:,}円 を返金済み",
        actor=actor,
    )
    session.flush()
    return row


def _paid(session: Session, match_ids: list[int]) -> dict[int, tuple[date, str, str]]:
    """Refund parts recorded as paid back: (the day, the note, who)."""
    out: dict[int, tuple[date, str, str]] = {}
    for entity_id, after, actor in session.execute(
        select(AuditEvent.entity_id, AuditEvent.after, AuditEvent.actor)
        .where(
            AuditEvent.action == REFUND_PAID,
            AuditEvent.entity_type == "payment_match",
            AuditEvent.entity_id.in_(match_ids),
        )
        .order_by(AuditEvent.id)
    ):
        data = after or {}
        out[int(entity_id)] = (date.fromisoformat(data["paid_on"]), data.get("note") or "", actor)
    return out


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


def refund_list(session: Session, state: str = "all") -> list[RefundRow]:
    """Every part of a deposit marked for refund, newest first; ``state`` ``open`` keeps
    those not yet paid back, ``paid`` those paid back."""
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
    paid = _paid(session, [m.id for m, _, _, _ in found])
    rows = [
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
            paid_on=paid[m.id][0] if m.id in paid else None,
            paid_note=paid[m.id][1] if m.id in paid else "",
            paid_by=paid[m.id][2] if m.id in paid else None,
        )
        for m, txn, app, name in found
    ]
    return [r for r in rows if state not in REFUND_STATES or state in ("all", r.state)]


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
                r.state_ja,
                r.paid_on.strftime("%Y/%m/%d") if r.paid_on else "",
                r.paid_note,
            )
            for r in rows
        ],
    )
    return encode_utf8_bom(body)
