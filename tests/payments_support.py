"""Helpers for the payments tests: MUFG statements and stored applications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.payments.refunds import RefundMarked, mark_for_refund
from pipeline.storage.models import (
    Applicant,
    Application,
    BankTransaction,
    Envelope,
    PaymentMatch,
    RegistryEntry,
)

MUFG_HEADER = "日付,摘要,摘要内容,支払い金額,預かり金額,差引残高,メモ,未資金化区分,入払区分"


@dataclass(frozen=True)
class Txn:
    """One statement line; ``deposit`` > 0 for 入金, ``withdrawal`` > 0 for 出金."""

    day: date
    payer: str
    deposit: int = 0
    withdrawal: int = 0
    description: str = "振込"


def _yen(value: int) -> str:
    return f'"{value:,}"' if value else ""


def mufg_csv(txns: Sequence[Txn], *, opening_balance: int = 1_000_000) -> bytes:
    """A MUFG 入出金明細 file as the bank writes it: cp932, non-padded dates,
    quoted amounts with thousands separators, a running balance."""
    balance = opening_balance
    lines = [MUFG_HEADER]
    for t in txns:
        balance += t.deposit - t.withdrawal
        kind = "入金" if t.deposit else "出金"
        lines.append(
            f"{t.day.year}/{t.day.month}/{t.day.day},{t.description},{t.payer},"
            f"{_yen(t.withdrawal)},{_yen(t.deposit)},{_yen(balance)},,,{kind}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def add_application(
    session: Session,
    pass_number: str,
    kana: str | None,
    *,
    register_kana: str | None = None,
    received_on: date = date(2023, 4, 20),
) -> Application:
    """An application with its envelope, applicant (form A kana) and optionally a register line."""
    envelope = Envelope(sha256=pass_number.rjust(64, "0"), original_name="a.pdf", size_bytes=1)
    session.add(envelope)
    session.flush()
    applicant = Applicant(kana=kana) if kana else None
    if applicant is not None:
        session.add(applicant)
        session.flush()
    app = Application(
        envelope_id=envelope.id,
        applicant_id=applicant.id if applicant else None,
        pass_number=pass_number,
        qualification="OMP",
        received_on=received_on,
    )
    session.add(app)
    if register_kana:
        session.add(
            RegistryEntry(
                pass_number=pass_number,
                name="x",
                kana=register_kana,
                exam_type="OMP",
                result="pass",
            )
        )
    session.flush()
    return app


def paid_deposit(
    session: Session, app_id: int, booked_on: date, *, key: str, yen: int = 11_000
) -> BankTransaction:
    """A deposit of ``yen`` that staff confirmed as application ``app_id``'s."""
    txn = BankTransaction(
        txn_key=key,
        booked_on=booked_on,
        payer_raw="ヤマダ タロウ",
        payer_normalized="ヤマダタロウ",
        deposit_yen=yen,
        status="matched",
    )
    session.add(txn)
    session.flush()
    match = PaymentMatch(
        transaction_id=txn.id,
        application_id=app_id,
        rule="manual",
        score=100.0,
        candidates=[],
        amount_yen=yen,
        outcome="paid",
        status="confirmed",
    )
    session.add(match)
    session.flush()
    return txn


def refund_all(
    session: Session, txn: BankTransaction, *, actor: str, settings: Settings, today: date
) -> RefundMarked:
    """Mark everything refundable of ``txn`` for refund (a second fee), without a letter."""
    return mark_for_refund(
        session,
        txn.id,
        actor=actor,
        transaction_version=txn.version,
        reason="二重のお振込み",
        settings=settings,
        dated=today,
        with_letter=False,
    )
