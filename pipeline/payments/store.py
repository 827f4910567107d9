"""Payments in the database: statement imports and reconciliation runs.

``import_statement`` stores each transaction of a parsed statement once under
its stable key (re-importing the same or an overlapping file adds nothing) and
records the import. ``reconcile`` matches every open deposit against the
stored applications, writes ``payment_matches`` (rule, score, candidates),
updates ``bank_transactions.status`` and ``applications.payment_status`` and
opens or closes review items; with nothing new it changes nothing.

Transaction states: ``withdrawal`` (never a candidate), ``unmatched``,
``proposed`` (a proposed match to one application), ``review`` (a conflict or
ambiguity), ``bulk`` (a company's n x fee, for staff to split) — all four are
retried on every run — and the final ``matched`` and ``refund``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pipeline.config import Settings, get_settings
from pipeline.errors import ConcurrencyError
from pipeline.faults import checkpoint
from pipeline.payments.matching import (
    ApplicationRecord,
    AppliedPayment,
    Deposit,
    MatchResult,
    MatchSettings,
    application_status,
    match_payments,
)
from pipeline.payments.names import parse_payer
from pipeline.payments.review_items import sync_review_items
from pipeline.payments.statements import ParsedStatement
from pipeline.storage.audit import record_event, run_actor
from pipeline.storage.models import (
    Applicant,
    Application,
    BankTransaction,
    PayerAlias,
    PaymentMatch,
    RegistryEntry,
    StatementImport,
)
from pipeline.storage.types import utcnow
from pipeline.vocabulary import (
    COUNTED_MATCHES,
    OPEN_TRANSACTION_STATES,
    DecisionOutcome,
    MatchOutcome,
    MatchStatus,
    PaymentOutcome,
    TransactionStatus,
)

COUNTED_STATES = COUNTED_MATCHES
_CHUNK = 500


@dataclass(frozen=True)
class ImportSummary:
    import_id: int
    file: str
    profile: str
    sha256: str
    rows_read: int
    rows_new: int
    rows_duplicate: int
    rows_rejected: int
    problems: list[dict[str, object]]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def import_statement(
    session: Session, parsed: ParsedStatement, *, run_id: int | None = None
) -> ImportSummary:
    """Store the statement's new transactions and record the import."""
    keys = [row.txn_key for row in parsed.rows]
    known = _existing_keys(session, keys)
    record = StatementImport(
        file_sha256=parsed.sha256,
        file_name=parsed.source[-512:],
        profile=parsed.profile,
        rows_read=parsed.rows_read,
        rows_rejected=len(parsed.problems),
        problems=[p.as_dict() for p in parsed.problems],
        run_id=run_id,
    )
    session.add(record)
    session.flush()
    new = 0
    for row in parsed.rows:
        if row.txn_key in known:
            continue
        known.add(row.txn_key)
        payer = parse_payer(row.payer_raw)
        session.add(
            BankTransaction(
                txn_key=row.txn_key,
                booked_on=row.booked_on,
                description=row.description,
                payer_raw=row.payer_raw,
                payer_normalized=payer.alias_key[:256],
                pass_suffix=payer.suffixes[0] if payer.suffixes else None,
                deposit_yen=row.deposit_yen,
                withdrawal_yen=row.withdrawal_yen,
                balance_yen=row.balance_yen,
                memo=row.memo,
                status=(
                    TransactionStatus.UNMATCHED if row.is_deposit else TransactionStatus.WITHDRAWAL
                ).value,
                import_id=record.id,
            )
        )
        new += 1
    record.rows_new = new
    record.rows_duplicate = len(parsed.rows) - new
    session.flush()
    return ImportSummary(
        import_id=record.id,
        file=parsed.source,
        profile=parsed.profile,
        sha256=parsed.sha256,
        rows_read=record.rows_read,
        rows_new=record.rows_new,
        rows_duplicate=record.rows_duplicate,
        rows_rejected=record.rows_rejected,
        problems=record.problems,
    )


def _existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        stmt = select(BankTransaction.txn_key).where(BankTransaction.txn_key.in_(chunk))
        found.update(session.scalars(stmt))
    return found


# --- loading what matching needs ------------------------------------------------------


def match_settings(settings: Settings) -> MatchSettings:
    return MatchSettings(
        fee_yen=settings.fee_yen,
        name_min_score=settings.payment_name_min_score,
        name_only_min_score=settings.payment_name_only_min_score,
    )


def load_applications(session: Session) -> list[ApplicationRecord]:
    """Every application (but superseded ones) with its kana from form A and the register."""
    stmt = (
        select(Application.id, Application.pass_number, Applicant.kana, RegistryEntry.kana)
        .outerjoin(Applicant, Applicant.id == Application.applicant_id)
        .outerjoin(RegistryEntry, RegistryEntry.pass_number == Application.pass_number)
        # A superseded application's newer submission takes its payments (same pass number).
        .where(
            Application.decision.is_(None)
            | (Application.decision != DecisionOutcome.SUPERSEDED.value)
        )
        .order_by(Application.id)
    )
    return [
        ApplicationRecord(
            id=app_id,
            pass_number=pass_number or "",
            kana=tuple(k for k in (form_kana, register_kana) if k),
        )
        for app_id, pass_number, form_kana, register_kana in session.execute(stmt)
    ]


def load_aliases(session: Session) -> dict[str, frozenset[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for key, pass_number in session.execute(
        select(PayerAlias.payer_normalized, PayerAlias.pass_number)
    ):
        grouped[key].add(pass_number)
    return {k: frozenset(v) for k, v in grouped.items()}


def _applied(matches: Iterable[PaymentMatch]) -> list[AppliedPayment]:
    return [
        AppliedPayment(m.application_id, m.amount_yen, m.outcome, m.status)
        for m in matches
        if m.application_id is not None
    ]


def load_applied(session: Session) -> list[AppliedPayment]:
    stmt = select(PaymentMatch).where(
        PaymentMatch.status.in_([*COUNTED_STATES, MatchStatus.REFUND.value]),
        PaymentMatch.application_id.is_not(None),
    )
    return _applied(session.scalars(stmt))


def payment_statuses(
    session: Session, fee_yen: int, app_ids: Iterable[int] | None = None
) -> dict[int, str]:
    """Each application's payment status from the stored matches.

    The one place that derives ``applications.payment_status``: accepted,
    confirmed and refund rows give the amount; an open proposal naming the
    application (as target or implicated candidate) makes an unpaid one ``review``.
    """
    wanted = None if app_ids is None else set(app_ids)
    by_app: dict[int, list[AppliedPayment]] = defaultdict(list)
    for payment in load_applied(session):
        by_app[payment.application_id].append(payment)  # type: ignore[index]
    reviewed: set[int] = set()
    for match in session.scalars(
        select(PaymentMatch).where(PaymentMatch.status == MatchStatus.PROPOSED.value)
    ):
        if match.application_id is not None:
            reviewed.add(match.application_id)
        reviewed.update(c["application_id"] for c in match.candidates if c.get("implicated"))
    ids = wanted if wanted is not None else set(session.scalars(select(Application.id)))
    return {
        app_id: application_status(fee_yen, by_app.get(app_id, []), under_review=app_id in reviewed)
        for app_id in ids
    }


def apply_payment_statuses(
    session: Session, statuses: dict[int, str], *, actor: str, run_id: int | None = None
) -> int:
    """Write changed statuses (with an audit event each); returns how many changed."""
    changed = 0
    for app in session.scalars(select(Application).where(Application.id.in_(list(statuses)))):
        new = statuses[app.id]
        if app.payment_status != new:
            record_event(
                session,
                actor=actor,
                action="application.payment_status",
                entity_type="application",
                entity_id=app.id,
                before={"payment_status": app.payment_status},
                after={"payment_status": new},
                run_id=run_id,
            )
            app.payment_status = new
            changed += 1
    return changed


# --- reconciliation -------------------------------------------------------------------------


@dataclass
class ReconcileSummary:
    deposits_considered: int = 0
    accepted: int = 0
    proposed: int = 0
    bulk: int = 0
    unmatched: int = 0
    matches_written: int = 0
    matches_superseded: int = 0
    transactions_changed: int = 0
    statuses_changed: int = 0
    items_opened: int = 0
    items_closed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _txn_state(result: MatchResult) -> TransactionStatus:
    if result.status is None:
        return TransactionStatus.UNMATCHED
    if result.status is MatchStatus.ACCEPTED:
        return TransactionStatus.MATCHED
    if result.outcome == MatchOutcome.BULK:
        return TransactionStatus.BULK
    return (
        TransactionStatus.PROPOSED
        if result.application_id is not None
        else TransactionStatus.REVIEW
    )


def _same(row: PaymentMatch, result: MatchResult) -> bool:
    assert result.status is not None
    return (
        row.application_id == result.application_id
        and row.rule == result.rule
        and row.outcome == result.outcome
        and row.amount_yen == result.amount_yen
        and row.status == result.status.value
    )


def reconcile(
    session: Session,
    *,
    today: date,
    settings: Settings | None = None,
    run_id: int | None = None,
) -> ReconcileSummary:
    """Match open deposits to applications and bring statuses and review items up to date."""
    settings = settings or get_settings()
    actor = run_actor(run_id)
    open_txns = {
        t.id: t
        for t in session.scalars(
            select(BankTransaction)
            .where(
                BankTransaction.deposit_yen > 0, BankTransaction.status.in_(OPEN_TRANSACTION_STATES)
            )
            .order_by(BankTransaction.id)
        )
    }
    deposits = [Deposit(t.id, t.booked_on, t.deposit_yen, t.payer_raw) for t in open_txns.values()]
    run = match_payments(
        load_applications(session),
        deposits,
        match_settings(settings),
        aliases=load_aliases(session),
        applied=load_applied(session),
    )
    proposals: dict[int, list[PaymentMatch]] = defaultdict(list)
    if open_txns:
        for row in session.scalars(
            select(PaymentMatch).where(
                PaymentMatch.transaction_id.in_(list(open_txns)),
                PaymentMatch.status == MatchStatus.PROPOSED.value,
            )
        ):
            proposals[row.transaction_id].append(row)

    summary = ReconcileSummary(deposits_considered=len(deposits))
    try:
        for result in run.results:
            txn = open_txns[result.deposit.ref]  # type: ignore[index]
            _count(summary, result)
            _write_result(session, txn, result, proposals[txn.id], summary, actor, run_id)
        session.flush()
        checkpoint("reconcile.matches_written")
        statuses = payment_statuses(session, settings.fee_yen)
        summary.statuses_changed = apply_payment_statuses(
            session, statuses, actor=actor, run_id=run_id
        )
        session.flush()
        summary.items_opened, summary.items_closed = sync_review_items(
            session, run.results, statuses, today=today, settings=settings, run_id=run_id
        )
        session.flush()
    except StaleDataError as e:
        raise ConcurrencyError(
            "a transaction or application changed during reconciliation; run it again"
        ) from e
    counts: dict[str, int] = defaultdict(int)
    for value in statuses.values():
        counts[value] += 1
    summary.statuses = dict(sorted(counts.items()))
    return summary


def _count(summary: ReconcileSummary, result: MatchResult) -> None:
    if result.status is None:
        summary.unmatched += 1
    elif result.status is MatchStatus.ACCEPTED:
        summary.accepted += 1
    elif result.outcome == PaymentOutcome.BULK.value:
        summary.bulk += 1
    else:
        summary.proposed += 1


def _write_result(
    session: Session,
    txn: BankTransaction,
    result: MatchResult,
    existing: list[PaymentMatch],
    summary: ReconcileSummary,
    actor: str,
    run_id: int | None,
) -> None:
    keep = next((r for r in existing if result.status is not None and _same(r, result)), None)
    if keep is not None and keep.candidates != result.candidates_json():
        keep.candidates = result.candidates_json()  # new applications arrived; same decision
        keep.score = round(result.score, 1)
    for row in existing:
        if row is not keep:
            row.status = MatchStatus.REJECTED.value
            row.decided_by = actor
            row.decided_at = utcnow()
            summary.matches_superseded += 1
    if result.status is not None and keep is None:
        match = PaymentMatch(
            transaction_id=txn.id,
            application_id=result.application_id,
            rule=result.rule,
            score=round(result.score, 1),
            candidates=result.candidates_json(),
            amount_yen=result.amount_yen,
            outcome=result.outcome,
            status=result.status.value,
            created_by=actor,
            run_id=run_id,
        )
        session.add(match)
        session.flush()
        summary.matches_written += 1
        record_event(
            session,
            actor=actor,
            action=f"payment.{result.status.value}",
            entity_type="payment_match",
            entity_id=match.id,
            after={
                "transaction_id": txn.id,
                "application_id": result.application_id,
                "rule": result.rule,
                "score": match.score,
                "outcome": result.outcome,
            },
            reason=result.reason,
            run_id=run_id,
        )
    state = _txn_state(result)
    if txn.status != state:
        txn.status = state
        summary.transactions_changed += 1
