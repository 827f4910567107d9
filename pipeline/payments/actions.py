"""Staff actions on payments, for the review app.

Each action takes the transaction's ``version`` the person saw and refuses
with ``ConcurrencyError`` if it changed since (optimistic locking); writes an
audit event; re-computes the payment status of every application it touched;
and closes the transaction's review item. ``confirm_match`` and ``reassign``
remember the payer name → pass number pair in ``payer_aliases`` so later
statements match by alias (not for company payers, who pay for many people).

The manual: once an application is accepted (its fee received) the fee is not
refunded, so ``mark_refund`` only returns money beyond the fee (a duplicate,
an excess) or a deposit that pays no application — and, for an application
withdrawn before its fee was complete (never accepted), all it received.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.clock import business_date_of
from pipeline.config import Settings, get_settings
from pipeline.errors import ConcurrencyError, ValidationError
from pipeline.names_ja import PAYMENT_ACTION_JA
from pipeline.payments.matching import classify_amount
from pipeline.payments.names import parse_payer
from pipeline.payments.review_items import close_settled_items
from pipeline.payments.store import (
    COUNTED_STATES,
    apply_payment_statuses,
    payment_statuses,
)
from pipeline.queue import close_if_open
from pipeline.storage.audit import record_event
from pipeline.storage.models import (
    Application,
    BankTransaction,
    Decision,
    PayerAlias,
    PaymentMatch,
)
from pipeline.storage.types import utcnow
from pipeline.vocabulary import (
    DecisionOutcome,
    MatchOutcome,
    MatchRule,
    MatchStatus,
    TransactionStatus,
)


def _transaction(session: Session, transaction_id: int, version: int) -> BankTransaction:
    txn = session.get(BankTransaction, transaction_id)
    if txn is None:
        raise ValidationError(f"入金の記録（番号 {transaction_id}）が見つかりません。")
    if txn.version != version:
        raise ConcurrencyError(
            f"transaction {transaction_id} changed since it was read "
            f"(version {txn.version}, not {version}); reload and try again"
        )
    if txn.deposit_yen <= 0:
        raise ValidationError("この取引は出金のため、入金として扱えません。")
    return txn


def _application(session: Session, application_id: int) -> Application:
    app = session.get(Application, application_id)
    if app is None:
        raise ValidationError(f"申請 #{application_id} が見つかりません。")
    return app


def _net_paid(session: Session, application_id: int, excluding: int | None = None) -> int:
    total = 0
    for m in session.scalars(
        select(PaymentMatch).where(PaymentMatch.application_id == application_id)
    ):
        if m.id == excluding:
            continue
        if m.status in COUNTED_STATES:
            total += m.amount_yen
        elif m.status == MatchStatus.REFUND.value:
            total -= m.amount_yen
    return total


def _retire(session: Session, txn: BankTransaction, actor: str, states: Sequence[str]) -> set[int]:
    """Reject the transaction's matches in ``states``; returns the applications they named."""
    touched: set[int] = set()
    for m in session.scalars(
        select(PaymentMatch).where(
            PaymentMatch.transaction_id == txn.id, PaymentMatch.status.in_(list(states))
        )
    ):
        m.status = MatchStatus.REJECTED.value
        m.decided_by = actor
        m.decided_at = utcnow()
        if m.application_id is not None:
            touched.add(m.application_id)
        touched.update(c["application_id"] for c in m.candidates if c.get("implicated"))
    return touched


def _remember_alias(session: Session, txn: BankTransaction, app: Application, actor: str) -> None:
    payer = parse_payer(txn.payer_raw)
    if payer.is_company or not payer.name_key or not app.pass_number:
        return
    exists = session.scalars(
        select(PayerAlias).where(
            PayerAlias.payer_normalized == payer.alias_key,
            PayerAlias.pass_number == app.pass_number,
        )
    ).first()
    if exists is None:
        session.add(
            PayerAlias(
                payer_normalized=payer.alias_key, pass_number=app.pass_number, created_by=actor
            )
        )


def _finish(
    session: Session,
    txn: BankTransaction,
    touched: set[int],
    *,
    actor: str,
    action: str,
    after: dict[str, object],
    reason: str | None,
    settings: Settings,
    deposit_settled: bool = True,
) -> None:
    """Audit the action, bring the touched applications' payment statuses and items up to
    date, and (once nothing of the deposit is left to decide) close its review item."""
    session.flush()
    record_event(
        session,
        actor=actor,
        action=action,
        entity_type="bank_transaction",
        entity_id=txn.id,
        after=after,
        reason=reason,
    )
    if touched:
        statuses = payment_statuses(session, settings.fee_yen, touched)
        apply_payment_statuses(session, statuses, actor=actor)
        close_settled_items(session, statuses, actor=actor)
    if deposit_settled:
        close_if_open(
            session,
            f"payment:txn:{txn.id}",
            resolution=PAYMENT_ACTION_JA[action],
            actor=actor,
        )
    session.flush()


def _new_match(
    session: Session,
    txn: BankTransaction,
    app: Application,
    amount: int,
    *,
    rule: MatchRule,
    actor: str,
    settings: Settings,
) -> PaymentMatch:
    outcome = classify_amount(_net_paid(session, app.id), amount, settings.fee_yen)
    match = PaymentMatch(
        transaction_id=txn.id,
        application_id=app.id,
        rule=rule,
        score=100.0,
        candidates=[],
        amount_yen=amount,
        outcome=outcome,
        status=MatchStatus.CONFIRMED.value,
        created_by=actor,
        decided_by=actor,
        decided_at=utcnow(),
    )
    session.add(match)
    session.flush()
    return match


def confirm_match(
    session: Session,
    match_id: int,
    *,
    actor: str,
    transaction_version: int,
    reason: str | None = None,
    settings: Settings | None = None,
) -> PaymentMatch:
    """Confirm a proposed (or accepted) match to its application."""
    settings = settings or get_settings()
    match = session.get(PaymentMatch, match_id)
    if match is None:
        raise ValidationError("照合の記録が見つかりません。")
    if match.status not in (MatchStatus.PROPOSED.value, MatchStatus.ACCEPTED.value):
        raise ValidationError("この照合はすでに確定または取り消されています。")
    if match.application_id is None:
        raise ValidationError(
            "この照合には申請が定まっていません。申請を選んで割り当てるか、分割してください。"
        )
    txn = _transaction(session, match.transaction_id, transaction_version)
    app = _application(session, match.application_id)
    touched = _retire(session, txn, actor, [MatchStatus.PROPOSED.value])
    match.status = MatchStatus.CONFIRMED.value  # _retire rejected it with the others
    match.outcome = classify_amount(
        _net_paid(session, app.id, excluding=match.id), match.amount_yen, settings.fee_yen
    )
    match.decided_by = actor
    match.decided_at = utcnow()
    txn.status = TransactionStatus.MATCHED.value
    _remember_alias(session, txn, app, actor)
    _finish(
        session,
        txn,
        touched | {app.id},
        actor=actor,
        action="payment.confirmed",
        after={"match_id": match.id, "application_id": app.id, "outcome": match.outcome},
        reason=reason,
        settings=settings,
    )
    return match


def reassign(
    session: Session,
    transaction_id: int,
    application_id: int,
    *,
    actor: str,
    transaction_version: int,
    reason: str | None = None,
    settings: Settings | None = None,
) -> PaymentMatch:
    """Assign the whole deposit to ``application_id``, replacing any earlier match."""
    settings = settings or get_settings()
    txn = _transaction(session, transaction_id, transaction_version)
    app = _application(session, application_id)
    active = [MatchStatus.PROPOSED.value, *COUNTED_STATES]
    touched = _retire(session, txn, actor, active)
    session.flush()
    match = _new_match(
        session, txn, app, txn.deposit_yen, rule=MatchRule.MANUAL, actor=actor, settings=settings
    )
    txn.status = TransactionStatus.MATCHED.value
    _remember_alias(session, txn, app, actor)
    _finish(
        session,
        txn,
        touched | {app.id},
        actor=actor,
        action="payment.reassigned",
        after={"match_id": match.id, "application_id": app.id, "outcome": match.outcome},
        reason=reason,
        settings=settings,
    )
    return match


def split_bulk(
    session: Session,
    transaction_id: int,
    allocations: Sequence[tuple[int, int]],
    *,
    actor: str,
    transaction_version: int,
    reason: str | None = None,
    settings: Settings | None = None,
) -> list[PaymentMatch]:
    """Split a deposit across applications: ``allocations`` = [(application_id, yen), ...],
    summing to the deposit."""
    settings = settings or get_settings()
    txn = _transaction(session, transaction_id, transaction_version)
    ids = [a for a, _ in allocations]
    if len(allocations) < 2 or len(set(ids)) != len(ids):
        raise ValidationError("分割するには、異なる2件以上の申請を選んでください。")
    if any(amount <= 0 for _, amount in allocations):
        raise ValidationError("分割する金額は、どれも1円以上で入力してください。")
    total = sum(amount for _, amount in allocations)
    if total != txn.deposit_yen:
        raise ValidationError(
            f"分割した金額の合計（{total:,}円）が入金額（{txn.deposit_yen:,}円）と一致しません。"
        )
    apps = [_application(session, a) for a in ids]
    touched = _retire(session, txn, actor, [MatchStatus.PROPOSED.value, *COUNTED_STATES])
    session.flush()
    matches = [
        _new_match(
            session, txn, app, amount, rule=MatchRule.MANUAL_SPLIT, actor=actor, settings=settings
        )
        for app, (_, amount) in zip(apps, allocations, strict=True)
    ]
    txn.status = TransactionStatus.MATCHED.value
    _finish(
        session,
        txn,
        touched | set(ids),
        actor=actor,
        action="payment.split",
        after={"parts": [{"application_id": a, "amount_yen": y} for a, y in allocations]},
        reason=reason,
        settings=settings,
    )
    return matches


def refundable_yen(session: Session, txn: BankTransaction, fee_yen: int) -> dict[int | None, int]:
    """How much of the deposit may be refunded, by application (None: the part applied to none).

    Only money beyond an application's fee is refundable (the manual: no
    refund once accepted), and only up to what this deposit gave it.
    """
    counted = [
        m
        for m in session.scalars(select(PaymentMatch).where(PaymentMatch.transaction_id == txn.id))
        if m.status in COUNTED_STATES and m.application_id is not None
    ]
    refunded_free = sum(
        m.amount_yen
        for m in session.scalars(
            select(PaymentMatch).where(
                PaymentMatch.transaction_id == txn.id,
                PaymentMatch.status == MatchStatus.REFUND.value,
                PaymentMatch.application_id.is_(None),
            )
        )
    )
    out: dict[int | None, int] = {}
    free = txn.deposit_yen - sum(m.amount_yen for m in counted) - refunded_free
    if free > 0:
        out[None] = free
    for m in counted:
        assert m.application_id is not None
        excess = refundable_for(session, m.application_id, fee_yen)
        if excess > 0:
            out[m.application_id] = min(excess, m.amount_yen)
    return out


def refundable_for(session: Session, application_id: int, fee_yen: int) -> int:
    """What the application has been paid beyond the fee the association keeps."""
    return max(
        0, _net_paid(session, application_id) - kept_fee_yen(session, application_id, fee_yen)
    )


def kept_fee_yen(session: Session, application_id: int, fee_yen: int) -> int:
    """The fee kept: all of it (the manual: once the fee is received the application is
    accepted, and an accepted fee is not refunded, withdrawn or not). A withdrawn
    application keeps it only if the fee was in by the day it was withdrawn: otherwise
    it was never accepted, and all it received, before or after, goes back."""
    app = session.get(Application, application_id)
    if app is None or app.decision != DecisionOutcome.WITHDRAWN.value:
        return fee_yen
    withdrawn = session.scalars(
        select(Decision.created_at)
        .where(
            Decision.application_id == application_id,
            Decision.is_current.is_(True),
            Decision.outcome == DecisionOutcome.WITHDRAWN.value,
        )
        .order_by(Decision.id.desc())
    ).first()
    if withdrawn is None:
        return fee_yen
    withdrawn_on = business_date_of(withdrawn, get_settings())
    paid_by_then = sum(
        amount
        for amount, booked_on in session.execute(
            select(PaymentMatch.amount_yen, BankTransaction.booked_on)
            .join(BankTransaction, BankTransaction.id == PaymentMatch.transaction_id)
            .where(
                PaymentMatch.application_id == application_id,
                PaymentMatch.status.in_(list(COUNTED_STATES)),
            )
        )
        if booked_on <= withdrawn_on
    )
    return fee_yen if paid_by_then >= fee_yen else 0


def mark_refund(
    session: Session,
    transaction_id: int,
    *,
    actor: str,
    transaction_version: int,
    reason: str,
    amount_yen: int | None = None,
    settings: Settings | None = None,
) -> list[PaymentMatch]:
    """Record that (part of) a deposit is refunded; by default all that is refundable."""
    settings = settings or get_settings()
    txn = _transaction(session, transaction_id, transaction_version)
    available = refundable_yen(session, txn, settings.fee_yen)
    limit = sum(available.values())
    wanted = limit if amount_yen is None else amount_yen
    if wanted <= 0 or wanted > limit:
        raise ValidationError(
            f"{wanted:,}円は返金できません。この入金で返金できるのは、手数料を超える分の"
            f"{limit:,}円までです（受理した申請の手数料は返金しません）。"
        )
    rows: list[PaymentMatch] = []
    left = wanted
    for app_id, amount in sorted(available.items(), key=lambda kv: kv[0] is not None):
        part = min(left, amount)
        if part <= 0:
            break
        rows.append(
            PaymentMatch(
                transaction_id=txn.id,
                application_id=app_id,
                rule=MatchRule.MANUAL_REFUND,
                score=100.0,
                candidates=[],
                amount_yen=part,
                outcome=MatchOutcome.REFUND.value,
                status=MatchStatus.REFUND.value,
                created_by=actor,
                decided_by=actor,
                decided_at=utcnow(),
            )
        )
        left -= part
    session.add_all(rows)
    touched = {r.application_id for r in rows if r.application_id is not None}
    pays_nothing = not any(
        m.status in COUNTED_STATES
        for m in session.scalars(select(PaymentMatch).where(PaymentMatch.transaction_id == txn.id))
    )
    if pays_nothing and wanted == limit:
        touched |= _retire(session, txn, actor, [MatchStatus.PROPOSED.value])
        txn.status = TransactionStatus.REFUND.value
    _finish(
        session,
        txn,
        touched,
        actor=actor,
        action="payment.refund_marked",
        after={
            "amount_yen": wanted,
            "parts": [
                {"application_id": r.application_id, "amount_yen": r.amount_yen} for r in rows
            ],
        },
        reason=reason,
        settings=settings,
    )
    return rows
