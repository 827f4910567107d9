"""Splitting one deposit over any number of applications, a few at a time.

A company paying 110,000 yen for ten people is placed in as many sittings as
staff need: each ``allocate`` confirms some parts at once (those applications
are paid from that moment), the deposit stays ``splitting`` with the
remainder shown until nothing is left, then it is ``matched`` and its review
item closes. A part given by mistake (or a rule's match to the wrong
application) is withdrawn with ``withdraw_part``; the deposit then waits on
the desk, untouched by the nightly run, until staff place it. Refusals are
in Japanese, for staff, and change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.errors import ValidationError
from pipeline.payments.actions import _application, _finish, _new_match, _retire, _transaction
from pipeline.storage.models import BankTransaction, PaymentMatch
from pipeline.storage.types import utcnow
from pipeline.vocabulary import COUNTED_MATCHES, MatchRule, MatchStatus, TransactionStatus

CLOSED_STATES = (TransactionStatus.MATCHED.value, TransactionStatus.REFUND.value)


class AllocationRefusedError(ValidationError):
    """A split that cannot be saved as asked; the message is for staff (Japanese)."""


@dataclass(frozen=True)
class AllocationResult:
    parts: list[PaymentMatch]
    allocated_yen: int
    remaining_yen: int
    touched: set[int]

    @property
    def complete(self) -> bool:
        return self.remaining_yen == 0


def _placed(session: Session, txn_id: int) -> list[PaymentMatch]:
    """Parts of the deposit given to an application or set aside for refund."""
    return list(
        session.scalars(
            select(PaymentMatch)
            .where(
                PaymentMatch.transaction_id == txn_id,
                PaymentMatch.status.in_([*COUNTED_MATCHES, MatchStatus.REFUND.value]),
            )
            .order_by(PaymentMatch.id)
        )
    )


def allocated_yen(session: Session, txn: BankTransaction) -> int:
    return sum(m.amount_yen for m in _placed(session, txn.id))


def remaining_yen(session: Session, txn: BankTransaction) -> int:
    return txn.deposit_yen - allocated_yen(session, txn)


def check_parts(deposit_yen: int, already_yen: int, parts: Sequence[tuple[int, int]]) -> int:
    """The total of ``parts`` (application id, yen), or a refusal saying what is wrong."""
    if not parts:
        raise AllocationRefusedError("割り当てる申請を1件以上選び、金額を入力してください。")
    seen: set[int] = set()
    for app_id, amount in parts:
        if amount <= 0:
            raise AllocationRefusedError(f"申請 #{app_id} の金額は1円以上で入力してください。")
        if app_id in seen:
            raise AllocationRefusedError(f"申請 #{app_id} が2回選ばれています。")
        seen.add(app_id)
    total = sum(amount for _, amount in parts)
    if already_yen + total > deposit_yen:
        over = already_yen + total - deposit_yen
        raise AllocationRefusedError(
            f"割り当てが入金額を {over:,}円 超えるため、保存していません"
            f"（入金額 {deposit_yen:,}円、割り当て済み {already_yen:,}円、"
            f"今回 {total:,}円、残り {deposit_yen - already_yen:,}円）。"
            "金額を見直してください。"
        )
    return total


def _open_deposit(session: Session, transaction_id: int, version: int) -> BankTransaction:
    txn = _transaction(session, transaction_id, version)
    if txn.status == TransactionStatus.REFUND.value:
        raise AllocationRefusedError("この入金は返金扱いのため、申請に割り当てられません。")
    return txn


def allocate(
    session: Session,
    transaction_id: int,
    parts: Sequence[tuple[int, int]],
    *,
    actor: str,
    transaction_version: int,
    reason: str | None,
    settings: Settings,
) -> AllocationResult:
    """Give ``parts`` (application id, yen) of the deposit to those applications now."""
    txn = _open_deposit(session, transaction_id, transaction_version)
    placed = _placed(session, txn.id)
    already = sum(m.amount_yen for m in placed)
    total = check_parts(txn.deposit_yen, already, parts)
    holding = {m.application_id for m in placed if m.status in COUNTED_MATCHES}
    for app_id, _ in parts:
        if app_id in holding:
            raise AllocationRefusedError(
                f"申請 #{app_id} にはこの入金からすでに割り当てています。"
                "金額を変えるときは、その割り当てを取り消してから割り当て直してください。"
            )
    apps = [_application(session, app_id) for app_id, _ in parts]
    touched = _retire(session, txn, actor, [MatchStatus.PROPOSED.value])
    session.flush()
    rows = [
        _new_match(
            session, txn, app, amount, rule=MatchRule.MANUAL_SPLIT, actor=actor, settings=settings
        )
        for app, (_, amount) in zip(apps, parts, strict=True)
    ]
    left = txn.deposit_yen - already - total
    txn.status = (TransactionStatus.SPLITTING if left else TransactionStatus.MATCHED).value
    touched |= {app.id for app in apps}
    _finish(
        session,
        txn,
        touched,
        actor=actor,
        action="payment.allocated",
        after={
            "parts": [{"application_id": a, "amount_yen": y} for a, y in parts],
            "allocated_yen": already + total,
            "remaining_yen": left,
        },
        reason=reason,
        settings=settings,
        deposit_settled=left == 0,
    )
    return AllocationResult(rows, already + total, left, touched)


def withdraw_part(
    session: Session,
    match_id: int,
    *,
    actor: str,
    transaction_version: int,
    reason: str,
    settings: Settings,
) -> AllocationResult:
    """Take back one part of a deposit given by staff (a mistaken application or amount)."""
    match = session.get(PaymentMatch, match_id)
    if match is None or match.status not in COUNTED_MATCHES or match.application_id is None:
        raise AllocationRefusedError("取り消せる割り当てではありません。")
    txn = _open_deposit(session, match.transaction_id, transaction_version)
    match.status = MatchStatus.REJECTED.value
    match.decided_by = actor
    match.decided_at = utcnow()
    session.flush()
    placed = _placed(session, txn.id)
    already = sum(m.amount_yen for m in placed)
    left = txn.deposit_yen - already
    if txn.status != TransactionStatus.REFUND.value:
        # Staff own the deposit now: the nightly run must not hand it back to the rule whose
        # match was just taken back, so it waits on the desk even with nothing placed.
        txn.status = TransactionStatus.SPLITTING.value
    _finish(
        session,
        txn,
        {match.application_id},
        actor=actor,
        action="payment.allocation_withdrawn",
        after={
            "application_id": match.application_id,
            "amount_yen": match.amount_yen,
            "remaining_yen": left,
        },
        reason=reason,
        settings=settings,
        deposit_settled=False,
    )
    return AllocationResult([match], already, left, {match.application_id})
