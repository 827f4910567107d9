"""What the payments desk pages show, gathered in one place (no HTML here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.payments.actions import refundable_yen
from pipeline.payments.allocation import remaining_yen
from pipeline.payments.desk import (
    DeskApplication,
    ScoredCandidate,
    count_desk_deposits,
    desk_deposits,
    load_desk_applications,
    score_candidates,
    search_applications,
)
from pipeline.payments.notices import ASKING_LETTER
from pipeline.payments.refunds import refund_list
from pipeline.review.stale import describe_all
from pipeline.storage.models import (
    Application,
    AuditEvent,
    BankTransaction,
    Letter,
    PaymentMatch,
)
from pipeline.vocabulary import (
    COUNTED_MATCHES,
    FINAL_DECISIONS,
    DecisionOutcome,
    MatchOutcome,
    MatchStatus,
    PaymentOutcome,
)

DEPOSIT_STATE_JA = {
    "unmatched": "申請者が不明",
    "proposed": "候補の確認待ち",
    "review": "候補が複数",
    "bulk": "まとめての入金（分割待ち）",
    "splitting": "担当者が割り当て中（残りあり）",
    "matched": "割り当て済み",
    "refund": "返金扱い",
    "withdrawal": "出金",
}
PART_STATE_JA = {
    MatchStatus.ACCEPTED.value: "自動で照合",
    MatchStatus.CONFIRMED.value: "担当者が割り当て",
    MatchStatus.REFUND.value: "返金",
}
#: Deposits a desk page shows (and scores): scoring is per deposit against every application.
DESK_PAGE_SIZE = 50
REFUND_STATUSES = (PaymentOutcome.DUPLICATE.value, PaymentOutcome.OVERPAID.value)
#: The deposits that made an application duplicate or overpaid: the ones to refund from.
EXCESS_OUTCOMES = (MatchOutcome.DUPLICATE.value, MatchOutcome.OVERPAID.value)
OUTCOME_NOTE_JA = {
    MatchOutcome.DUPLICATE.value: "手数料が入金済みの後の二重入金",
    MatchOutcome.OVERPAID.value: "手数料を超える入金",
    MatchOutcome.UNDERPAID.value: "手数料に足りない入金",
}


@dataclass
class DepositRow:
    txn: BankTransaction
    remaining_yen: int
    state_ja: str
    best: ScoredCandidate | None = None
    refundable_yen: int = 0
    candidates: int = 0


@dataclass
class AskRow:
    app: DeskApplication
    received_on: date
    days: int
    letter_kind: str
    letter_title: str
    last_letter: date | None


@dataclass
class DeskView:
    deposits: list[DepositRow]  # the page shown
    refunds: list[DepositRow]
    asks: list[AskRow]
    page: int = 1
    pages: int = 1
    total_deposits: int = 0
    refunds_open: int = 0  # marked for refund, not yet paid back


@dataclass
class Part:
    match: PaymentMatch
    app: DeskApplication | None
    state_ja: str
    can_withdraw: bool


@dataclass
class Choice:
    """A row of the allocation form: a candidate or a search result."""

    app: DeskApplication
    score: int | None
    reasons: tuple[str, ...]
    suggested_yen: int
    found: bool = False  # by the search


@dataclass
class DepositView:
    txn: BankTransaction
    state_ja: str
    remaining_yen: int
    allocated_yen: int
    refundable_yen: int
    parts: list[Part]
    choices: list[Choice]
    query: str
    searched: bool
    audit: list[dict[str, Any]] = field(default_factory=list)


def _state(txn: BankTransaction) -> str:
    return DEPOSIT_STATE_JA.get(txn.status, "確認中")


def load_desk(session: Session, fee_yen: int, today: date, page: int = 1) -> DeskView:
    """The desk: one page of deposits to place (only those are scored), the refunds to
    decide and the applications waiting for their fee."""
    apps = load_desk_applications(session)
    total = count_desk_deposits(session)
    pages = max(1, -(-total // DESK_PAGE_SIZE))
    page = min(max(1, page), pages)
    deposits = []
    for txn in desk_deposits(session, offset=(page - 1) * DESK_PAGE_SIZE, limit=DESK_PAGE_SIZE):
        found = score_candidates(txn.payer_raw, apps, fee_yen)
        best = found[0] if found else None
        row = DepositRow(txn, remaining_yen(session, txn), _state(txn), best, 0, len(found))
        deposits.append(row)
    return DeskView(
        deposits,
        _refund_rows(session, apps, fee_yen),
        _ask_rows(session, apps, today),
        page=page,
        pages=pages,
        total_deposits=total,
        refunds_open=len(refund_list(session, "open")),
    )


def _refund_rows(session: Session, apps: list[DeskApplication], fee_yen: int) -> list[DepositRow]:
    """Deposits with money to give back: beyond a fee (二重入金・過入金), or paid to an
    application withdrawn before its fee was complete."""
    excess_ids = [a.id for a in apps if a.payment_status in REFUND_STATUSES]
    withdrawn_ids = [a.id for a in apps if a.decision == DecisionOutcome.WITHDRAWN.value]
    if not excess_ids and not withdrawn_ids:
        return []
    counted = PaymentMatch.status.in_(list(COUNTED_MATCHES))
    excess = select(PaymentMatch.transaction_id).where(
        counted,
        (PaymentMatch.application_id.in_(excess_ids) & PaymentMatch.outcome.in_(EXCESS_OUTCOMES))
        | PaymentMatch.application_id.in_(withdrawn_ids),
    )
    txns = session.scalars(
        select(BankTransaction)
        .where(BankTransaction.id.in_(excess))
        .order_by(BankTransaction.booked_on, BankTransaction.id)
    )
    rows = []
    for txn in txns:
        refundable = sum(refundable_yen(session, txn, fee_yen).values())
        if refundable > 0:
            rows.append(DepositRow(txn, remaining_yen(session, txn), _state(txn), None, refundable))
    return rows


def _ask_rows(session: Session, apps: list[DeskApplication], today: date) -> list[AskRow]:
    waiting = [
        a for a in apps if a.payment_status in ASKING_LETTER and a.decision not in FINAL_DECISIONS
    ]
    if not waiting:
        return []
    ids = [a.id for a in waiting]
    received = {
        app_id: override or on
        for app_id, on, override in session.execute(
            select(Application.id, Application.received_on, Application.received_on_override).where(
                Application.id.in_(ids)
            )
        )
    }
    kinds = [kind for kind, _ in ASKING_LETTER.values()]
    last: dict[int, date] = {}
    for app_id, created in session.execute(
        select(Letter.application_id, Letter.created_at).where(
            Letter.application_id.in_(ids), Letter.kind.in_(kinds)
        )
    ):
        day = created.date()
        if app_id not in last or day > last[app_id]:
            last[app_id] = day
    rows = []
    for a in waiting:
        kind, title = ASKING_LETTER[a.payment_status]
        on = received[a.id]
        rows.append(AskRow(a, on, (today - on).days, kind, title, last.get(a.id)))
    rows.sort(key=lambda r: (r.received_on, r.app.id))
    return rows


def load_deposit(
    session: Session, txn_id: int, fee_yen: int, query: str, tz: ZoneInfo
) -> DepositView | None:
    txn = session.get(BankTransaction, txn_id)
    if txn is None or txn.deposit_yen <= 0:
        return None
    apps = load_desk_applications(session)
    by_id = {a.id: a for a in apps}
    matches = list(
        session.scalars(
            select(PaymentMatch)
            .where(
                PaymentMatch.transaction_id == txn.id,
                PaymentMatch.status.in_(list(PART_STATE_JA)),
            )
            .order_by(PaymentMatch.id)
        )
    )
    parts = [
        Part(
            m,
            by_id.get(m.application_id) if m.application_id is not None else None,
            "、".join(x for x in (PART_STATE_JA[m.status], OUTCOME_NOTE_JA.get(m.outcome, "")) if x)
            if m.status != MatchStatus.REFUND.value
            else PART_STATE_JA[m.status],
            m.status != MatchStatus.REFUND.value and m.application_id is not None,
        )
        for m in matches
    ]
    allocated = sum(m.amount_yen for m in matches)
    remaining = txn.deposit_yen - allocated
    holding = {m.application_id for m in matches}
    scored = {c.application.id: c for c in score_candidates(txn.payer_raw, apps, fee_yen)}
    choices: dict[int, Choice] = {}
    for a in search_applications(apps, query):  # what staff searched for first
        c = scored.get(a.id)
        if a.id not in holding:
            choices[a.id] = _choice(a, c.score if c else None, c.reasons if c else (), fee_yen)
            choices[a.id].found = True
    for c in scored.values():
        if c.application.id not in holding and c.application.id not in choices:
            choices[c.application.id] = _choice(c.application, c.score, c.reasons, fee_yen)
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "bank_transaction", AuditEvent.entity_id == txn.id)
            .order_by(AuditEvent.id.desc())
        )
    )
    return DepositView(
        txn=txn,
        state_ja=_state(txn),
        remaining_yen=remaining,
        allocated_yen=allocated,
        refundable_yen=sum(refundable_yen(session, txn, fee_yen).values()),
        parts=parts,
        choices=list(choices.values()),
        query=query,
        searched=bool(query.strip()),
        audit=describe_all(session, events, tz),
    )


def _choice(app: DeskApplication, score: int | None, reasons: tuple[str, ...], fee: int) -> Choice:
    owed = app.owed_yen(fee)
    return Choice(app, score, reasons, owed or fee)
