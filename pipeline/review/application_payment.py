"""An application's payment on its verification screen: the state in words, the deposits
that may pay it with their scores, and confirming a proposed match with one keystroke.

Scoring and confirming are the payments stage's own (``pipeline.payments.desk``,
``pipeline.payments.actions``): this module only gathers what one application's
screen shows. Anything beyond confirming a match the matcher proposed for this
application (choosing among several applicants, splitting, refunding) is done on
the payments desk, which the screen links to by deposit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import ConcurrencyError, ValidationError
from pipeline.payments.desk import desk_deposits, load_desk_applications, score_one
from pipeline.payments.names import parse_payer
from pipeline.review.actions import ActionRefusedError, Context
from pipeline.review.labels import PAYMENT_STATUS_JA
from pipeline.review.payment_actions import confirm_as
from pipeline.review.payments_view import DEPOSIT_STATE_JA
from pipeline.review.screen_seen import ScreenSeen, stale_error
from pipeline.storage.models import Application, BankTransaction, PaymentMatch
from pipeline.vocabulary import MatchStatus, PaymentOutcome

SHOWN_MATCHES = (
    MatchStatus.PROPOSED.value,
    MatchStatus.ACCEPTED.value,
    MatchStatus.CONFIRMED.value,
)
CONFIRM_REASON = "申請の確認画面で照合候補を確定"
# Payment states that keep the decision from being made (the fee rule fails or asks).
BLOCKING = (
    PaymentOutcome.UNPAID.value,
    PaymentOutcome.UNDERPAID.value,
    PaymentOutcome.REVIEW.value,
    PaymentOutcome.BULK.value,
)
WORDS_JA = {
    "unpaid": "認定審査手数料（{fee:,}円）の入金がまだ確認できません。",
    "underpaid": "入金額が手数料に足りません（入金 {paid:,}円／手数料 {fee:,}円、不足 {owed:,}円）。",
    "review": "入金の候補があり、照合の確定を待っています。",
    "bulk": "まとめての入金の一部です。入金窓口で申請ごとに分けてください。",
    "duplicate": "手数料は入金済みです。二重に入金された分は入金窓口で返金します（判定は止めません）。",
    "overpaid": "手数料は入金済みです。超えた分は入金窓口で返金します（判定は止めません）。",
}


@dataclass(frozen=True)
class PaymentAnswer:
    """The screen confirmed this proposed match."""

    match_id: int


@dataclass
class DepositLine:
    txn: BankTransaction
    state_ja: str
    score: int | None
    reasons: tuple[str, ...]
    match: PaymentMatch | None = None  # this application's match on the deposit

    @property
    def confirmable(self) -> bool:
        """A match the matcher proposed for this very application: one keystroke confirms it."""
        return self.match is not None and self.match.status == MatchStatus.PROPOSED.value


@dataclass
class PaymentPanel:
    status: str
    status_ja: str
    words_ja: str
    blocks: bool
    deposits: list[DepositLine]

    @property
    def confirmable(self) -> list[DepositLine]:
        return [d for d in self.deposits if d.confirmable]


def _mentions(match: PaymentMatch, application_id: int) -> bool:
    return any(
        isinstance(c, dict) and c.get("application_id") == application_id
        for c in match.candidates or []
    )


def load_payment(session: Session, application: Application, fee_yen: int) -> PaymentPanel | None:
    """What the screen shows of the payment; None when it is paid and nothing waits."""
    desk = load_desk_applications(session, [application.id])
    if not desk:
        return None
    me = desk[0]
    matches = [
        m
        for m in session.scalars(
            select(PaymentMatch).where(
                PaymentMatch.status.in_(SHOWN_MATCHES),
                (PaymentMatch.application_id == application.id)
                | PaymentMatch.application_id.is_(None),
            )
        )
        if m.application_id == application.id or _mentions(m, application.id)
    ]
    own = {m.transaction_id: m for m in matches if m.application_id == application.id}
    txns = {m.transaction_id: session.get(BankTransaction, m.transaction_id) for m in matches}
    if application.payment_status in BLOCKING:  # the desk's deposits that may be this fee
        txns.update({t.id: t for t in desk_deposits(session)})
    linked = {m.transaction_id for m in matches}
    lines = []
    for txn in txns.values():
        if txn is None:
            continue
        scored = score_one(parse_payer(txn.payer_raw), me, fee_yen)
        if scored is None and txn.id not in linked:
            continue  # a desk deposit with nothing pointing to this applicant
        score = scored.score if scored else None
        reasons = scored.reasons if scored else ()
        state = DEPOSIT_STATE_JA.get(txn.status, "確認中")
        lines.append(DepositLine(txn, state, score, reasons, own.get(txn.id)))
    lines.sort(key=lambda d: (not d.confirmable, -(d.score or 0), d.txn.booked_on, d.txn.id))
    status = application.payment_status
    if status == PaymentOutcome.PAID.value and not any(d.confirmable for d in lines):
        return None
    words = WORDS_JA.get(status, "").format(
        fee=fee_yen, paid=me.paid_yen, owed=me.owed_yen(fee_yen)
    )
    return PaymentPanel(
        status, PAYMENT_STATUS_JA.get(status, status), words, status in BLOCKING, lines
    )


def confirm_payments(
    ctx: Context, application_id: int, seen: ScreenSeen, answers: list[PaymentAnswer]
) -> set[int]:
    """Confirm each proposed match the screen confirmed; the applications it touched."""
    touched: set[int] = set()
    for answer in answers:
        match = ctx.session.get(PaymentMatch, answer.match_id)
        if (
            match is None
            or match.application_id != application_id
            or match.status != MatchStatus.PROPOSED.value
        ):
            raise ActionRefusedError("この申請の確認待ちの入金ではありません。")
        version = seen.deposits.get(match.transaction_id)
        if version is None:
            raise ActionRefusedError("画面に表示していない入金は確定できません。")
        touched |= {
            m.application_id
            for m in ctx.session.scalars(
                select(PaymentMatch).where(PaymentMatch.transaction_id == match.transaction_id)
            )
            if m.application_id is not None
        }
        try:
            confirm_as(ctx, match.id, version, CONFIRM_REASON)
        except ConcurrencyError as e:
            raise stale_error(ctx, application_id, seen) from e
        except ValidationError as e:
            raise ActionRefusedError(f"入金を確定できませんでした: {e.message}") from e
    return touched
