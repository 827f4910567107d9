"""Review items for payments: which should be open after a reconciliation run.

Each run computes the full set of items that should be open and brings the
queue to it: items whose cause went away are closed, new causes open items,
unchanged ones are left alone (so a re-run with nothing new changes nothing).
An item staff dismissed is not reopened for the same cause.

Dedupe keys and kinds:

- ``payment:txn:<id>``: ``payment_review`` (a proposal or conflict to check),
  ``payment_bulk`` (a company's n x fee to split), ``payment_unmatched`` (no
  application fits, after ``unmatched_payment_wait_days`` since booking);
- ``payment:app:<id>``: ``payment_underpaid``, ``payment_overpaid``,
  ``payment_duplicate`` (from the application's accepted payments);
- ``unpaid:app:<id>``: ``application_unpaid`` (no payment
  ``unpaid_wait_days`` after the application was received).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.names_ja import RECONCILED_JA, match_rule_label
from pipeline.payments.matching import MatchResult
from pipeline.queue import NO_FEE_DECISIONS, close_if_open, find_open, open_or_update
from pipeline.storage.audit import run_actor
from pipeline.storage.models import Application, BankTransaction, PaymentMatch, ReviewItem
from pipeline.vocabulary import (
    ExceptionStatus,
    MatchStatus,
    PaymentOutcome,
    TransactionStatus,
)

SETTLED_JA = "入金窓口での処理により入金の状態が変わりました"
PAYMENT_KINDS = (
    "payment_review",
    "payment_bulk",
    "payment_unmatched",
    "payment_underpaid",
    "payment_overpaid",
    "payment_duplicate",
    "application_unpaid",
)


@dataclass(frozen=True)
class _Want:
    kind: str
    title_ja: str
    details: dict[str, Any]
    application_id: int | None = None
    transaction_id: int | None = None


def _txn_id(result: MatchResult) -> int:
    return cast(int, result.deposit.ref)  # in the database, deposits are keyed by row id


def _txn_details(result: MatchResult) -> dict[str, Any]:
    d = result.deposit
    return {
        "booked_on": d.booked_on.isoformat(),
        "amount_yen": d.amount_yen,
        "payer": d.payer_raw,
        "rule": result.rule,
        "reason": result.reason,
        "candidates": result.candidates_json(),
    }


def _txn_item(result: MatchResult, today: date, settings: Settings) -> _Want | None:
    d = result.deposit
    when = f"{d.booked_on:%Y/%m/%d} {d.amount_yen:,}円"
    if result.status is MatchStatus.PROPOSED:
        if result.outcome == PaymentOutcome.BULK.value:
            n = d.amount_yen // settings.fee_yen
            title = f"法人からの一括入金（{when}、{n}名分）を申請ごとに振り分けてください"
            return _Want(
                "payment_bulk", title, _txn_details(result), transaction_id=_txn_id(result)
            )
        title = f"入金（{when}）の照合を確認してください：{match_rule_label(result.rule)}"
        return _Want(
            "payment_review",
            title,
            _txn_details(result),
            application_id=cast(int | None, result.application_id),
            transaction_id=_txn_id(result),
        )
    waited = (today - d.booked_on).days
    if result.status is None and waited >= settings.unmatched_payment_wait_days:
        title = f"入金（{when}）に対応する申請が見つかりません"
        details = {**_txn_details(result), "wait_days": settings.unmatched_payment_wait_days}
        return _Want("payment_unmatched", title, details, transaction_id=_txn_id(result))
    return None


def _app_item(app: Application, status: str, paid: int, today: date, s: Settings) -> _Want | None:
    fee = s.fee_yen
    details = {"paid_yen": paid, "fee_yen": fee, "payment_status": status}
    asks_fee = app.decision not in NO_FEE_DECISIONS  # no certification, or none any more
    if status == PaymentOutcome.UNDERPAID.value and asks_fee:
        title = (
            f"認定審査手数料が不足しています（入金 {paid:,}円／{fee:,}円、不足 {fee - paid:,}円）"
        )
        return _Want("payment_underpaid", title, details, application_id=app.id)
    if status == PaymentOutcome.OVERPAID.value:
        title = f"認定審査手数料が過入金です（入金 {paid:,}円／{fee:,}円、超過 {paid - fee:,}円）"
        return _Want("payment_overpaid", title, details, application_id=app.id)
    if status == PaymentOutcome.DUPLICATE.value:
        title = f"認定審査手数料が二重に入金されています（入金 {paid:,}円）：返金の要否を確認"
        return _Want("payment_duplicate", title, details, application_id=app.id)
    if status == PaymentOutcome.UNPAID.value and asks_fee:
        received = app.effective_received_on
        if (today - received).days >= s.unpaid_wait_days:
            title = (
                f"認定審査手数料が未入金です（受付 {received:%Y/%m/%d}から"
                f"{s.unpaid_wait_days}日以上経過）"
            )
            details = {**details, "received_on": received.isoformat()}
            return _Want("application_unpaid", title, details, application_id=app.id)
    return None


def _app_key(kind: str, app_id: int) -> str:
    return f"unpaid:app:{app_id}" if kind == "application_unpaid" else f"payment:app:{app_id}"


def _net_paid(session: Session) -> dict[int, int]:
    paid: dict[int, int] = defaultdict(int)
    for app_id, amount, status in session.execute(
        select(PaymentMatch.application_id, PaymentMatch.amount_yen, PaymentMatch.status).where(
            PaymentMatch.application_id.is_not(None),
            PaymentMatch.status.in_(
                [MatchStatus.ACCEPTED.value, MatchStatus.CONFIRMED.value, MatchStatus.REFUND.value]
            ),
        )
    ):
        paid[app_id] += -amount if status == MatchStatus.REFUND.value else amount
    return paid


def sync_review_items(
    session: Session,
    results: Sequence[MatchResult],
    statuses: dict[int, str],
    *,
    today: date,
    settings: Settings,
    run_id: int | None = None,
) -> tuple[int, int]:
    """Bring the payment review items to what ``results`` and ``statuses`` call for.

    Returns (opened, closed).
    """
    wanted: dict[str, _Want] = {}
    for result in results:
        want = _txn_item(result, today, settings)
        if want is not None:
            wanted[f"payment:txn:{result.deposit.ref}"] = want
    paid = _net_paid(session)
    apps = session.scalars(select(Application).where(Application.id.in_(list(statuses))))
    for app in apps:
        want = _app_item(app, statuses[app.id], paid.get(app.id, 0), today, settings)
        if want is not None:
            wanted[_app_key(want.kind, app.id)] = want

    actor = run_actor(run_id)
    closed = 0
    open_items = session.scalars(
        select(ReviewItem).where(
            ReviewItem.kind.in_(PAYMENT_KINDS),
            ReviewItem.status.in_([ExceptionStatus.OPEN.value, ExceptionStatus.IN_PROGRESS.value]),
        )
    )
    splitting = set(
        session.scalars(
            select(BankTransaction.id).where(
                BankTransaction.status == TransactionStatus.SPLITTING.value
            )
        )
    )
    for item in list(open_items):
        want = wanted.get(item.dedupe_key)
        if item.transaction_id in splitting:
            continue  # staff are splitting it on the payments desk; the run leaves it alone
        if want is None or want.kind != item.kind:
            close_if_open(
                session,
                item.dedupe_key,
                resolution=RECONCILED_JA,
                actor=actor,
                run_id=run_id,
            )
            closed += 1
    session.flush()
    dismissed = {
        (key, kind)
        for key, kind in session.execute(
            select(ReviewItem.dedupe_key, ReviewItem.kind).where(
                ReviewItem.kind.in_(PAYMENT_KINDS),
                ReviewItem.status == ExceptionStatus.DISMISSED.value,
            )
        )
    }
    opened = 0
    for key, want in wanted.items():
        if (key, want.kind) in dismissed:
            continue
        _, is_new = open_or_update(
            session,
            kind=want.kind,
            dedupe_key=key,
            title_ja=want.title_ja,
            details=want.details,
            application_id=want.application_id,
            transaction_id=want.transaction_id,
            run_id=run_id,
        )
        opened += int(is_new)
    return opened, closed


_ITEM_FOR_STATUS = {
    PaymentOutcome.UNDERPAID.value: "payment_underpaid",
    PaymentOutcome.OVERPAID.value: "payment_overpaid",
    PaymentOutcome.DUPLICATE.value: "payment_duplicate",
}


def close_settled_items(session: Session, statuses: dict[int, str], *, actor: str) -> int:
    """Close the applications' payment items a staff action just settled (at once, not at the
    next run): an underpaid/overpaid/duplicate item whose status moved on, an unpaid item once
    money arrived. The next reconciliation re-opens whatever is still called for."""
    closed = 0
    for app_id, status in statuses.items():
        item = find_open(session, f"payment:app:{app_id}")
        if item is not None and _ITEM_FOR_STATUS.get(status) != item.kind:
            close_if_open(session, item.dedupe_key, resolution=SETTLED_JA, actor=actor)
            closed += 1
        if status != PaymentOutcome.UNPAID.value and find_open(session, f"unpaid:app:{app_id}"):
            close_if_open(session, f"unpaid:app:{app_id}", resolution=SETTLED_JA, actor=actor)
            closed += 1
    return closed
