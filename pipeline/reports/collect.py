"""Build a :class:`RunReport` for one run from the database.

What the database knows is queried here; what only the run knew (time per
stage, pages processed, which envelopes it extracted, envelopes that failed,
files written) the flow stores in ``runs.stats`` (see :data:`STATS_KEYS`), so
``conken report RUN_ID`` can rebuild any report later.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pipeline.errors import ValidationError
from pipeline.reports.model import (
    AGEING_BUCKETS,
    STP_OUTCOMES,
    Audit,
    DecidedApplication,
    ExceptionRow,
    FailedEnvelope,
    HistoryPoint,
    Outputs,
    Payments,
    QuarantinedFile,
    RejectedStatement,
    RunReport,
    StageRecord,
    ageing_bucket,
    confidence_bin,
    empty_histogram,
    is_nothing_new,
    kind_label,
)
from pipeline.storage.db import session_scope
from pipeline.storage.models import (
    Applicant,
    Application,
    BankTransaction,
    Decision,
    Envelope,
    FieldValue,
    PaymentMatch,
    ReviewItem,
    Run,
    StatementImport,
)
from pipeline.storage.types import utcnow
from pipeline.vocabulary import (
    COUNTED_MATCHES,
    DecisionOutcome,
    EnvelopeStatus,
    ExceptionStatus,
    PaymentOutcome,
    Severity,
    TransactionStatus,
)

# Keys the flow writes into runs.stats for the collector.
STATS_KEYS = (
    "stages",  # [{"name", "seconds", "counts"}]
    "pages_processed",  # int
    "extracted_envelopes",  # [envelope_id]
    "failed",  # [{"envelope_id", "error"}]
    "outputs",  # Outputs as a dict
    "stage_details",  # {"import_statements": [{"file", "error"} for a rejected file, ...]}
    "audit_share",  # float
)

AUDIT_KIND = "audit_sample"
OPEN_STATES = (ExceptionStatus.OPEN.value, ExceptionStatus.IN_PROGRESS.value)
_AGREED_OUTCOMES = (DecisionOutcome.ELIGIBLE.value, DecisionOutcome.APPROVED.value)


def collect(engine: Engine, run_id: int, *, now: datetime | None = None) -> RunReport:
    """The report of run ``run_id`` as the database shows it now."""
    now = now or utcnow()
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        if run is None:
            raise ValidationError(f"no run with id {run_id}")
        stats: dict[str, Any] = dict(run.stats or {})
        envelopes, quarantined = _envelopes(session, run_id)
        decided = _decisions(session, run_id)
        # A supersession is the run's bookkeeping, not a decision on an application's merits:
        # listed on its own, outside the decisions and the straight-through rate.
        superseded = {a: o for a, o in decided.items() if o == DecisionOutcome.SUPERSEDED}
        decided = {a: o for a, o in decided.items() if a not in superseded}
        blocked = _apps_with_open_items(session, list(decided))
        straight = sum(
            1 for app, outcome in decided.items() if outcome in STP_OUTCOMES and app not in blocked
        )
        exceptions = _exceptions(session, run_id)
        payments = _payments(session, run_id)
        audit = _audit(session, run_id, share=float(stats.get("audit_share", 0.0)))
        extracted = [int(i) for i in stats.get("extracted_envelopes", [])]
        histogram = _confidence(session, extracted)
        ageing = _ageing(session, now)
        failed = _failed(session, stats.get("failed", []))
        rejected = _rejected_statements(stats)
        outputs = Outputs(**stats.get("outputs", {}))
        stages = [
            StageRecord(s["name"], float(s.get("seconds", 0.0)), dict(s.get("counts", {})))
            for s in stats.get("stages", [])
        ]
        pages = int(stats.get("pages_processed", 0))
        envelopes["extracted"] = len(extracted)
        envelopes["failed"] = len(failed)
        activity = {
            "statement_rows_new": payments.statement_rows_new,
            "statements_rejected": len(rejected),
            "envelopes_new": envelopes.get("new", 0),
            "pages_processed": pages,
            "decisions": _decision_rows(session, run_id),
            "exceptions_opened": sum(r.opened for r in exceptions),
            "exceptions_closed": sum(r.closed for r in exceptions),
            "payments_matched": payments.matched,
            "letters": outputs.letters,
            "audit_sampled": audit.sampled,
        }
        finished = run.finished_at
        return RunReport(
            run_id=run.id,
            status=run.status,
            trigger=run.trigger,
            started_at=run.started_at.isoformat(),
            finished_at=finished.isoformat() if finished else None,
            duration_seconds=(finished - run.started_at).total_seconds() if finished else None,
            envelopes=envelopes,
            pages_processed=pages,
            applications_decided=len(decided),
            straight_through=straight,
            stp_rate=(straight / len(decided)) if decided else None,
            decisions=dict(sorted(Counter(decided.values()).items())),
            exceptions=exceptions,
            ageing=ageing,
            payments=payments,
            stages=stages,
            ocr_confidence=histogram,
            quarantined=quarantined,
            failed=failed,
            rejected_statements=rejected,
            audit=audit,
            outputs=outputs,
            activity=activity,
            nothing_new=is_nothing_new(activity),
            error=run.error,
            applications=_decided_applications(session, decided, blocked),
            withdrawn=_withdrawn(session, run),
            superseded=_decided_applications(session, superseded, set()),
        )


def _envelopes(session: Session, run_id: int) -> tuple[dict[str, int], list[QuarantinedFile]]:
    from pipeline.ingest.sniff import REASON_JA, QuarantineReason

    counts = {"new": 0, "duplicate": 0, "quarantined": 0}
    quarantined: list[QuarantinedFile] = []
    rows = session.scalars(
        select(Envelope).where(Envelope.run_id == run_id).order_by(Envelope.id)
    ).all()
    for env in rows:
        if env.status == EnvelopeStatus.QUARANTINED.value:
            counts["quarantined"] += 1
            reason = env.quarantine_reason or "unknown"
            try:
                message = REASON_JA[QuarantineReason(reason)]
            except ValueError:  # a code this version does not know: say so in words
                message = "受け付けられないファイルです（理由の記録がありません）。"
            quarantined.append(QuarantinedFile(env.id, env.original_name, reason, message))
        elif env.status == EnvelopeStatus.DUPLICATE.value:
            counts["duplicate"] += 1
        else:
            counts["new"] += 1
    return counts, quarantined


def _decisions(session: Session, run_id: int) -> dict[int, str]:
    """Application id -> outcome of its newest decision made by this run."""
    out: dict[int, str] = {}
    for app_id, outcome in session.execute(
        select(Decision.application_id, Decision.outcome)
        .where(Decision.run_id == run_id)
        .order_by(Decision.id)
    ):
        out[app_id] = outcome
    return out


def _decided_applications(
    session: Session, decided: dict[int, str], blocked: set[int]
) -> list[DecidedApplication]:
    if not decided:
        return []
    rows = session.execute(
        select(Application.id, Applicant.name, Application.qualification)
        .outerjoin(Applicant, Applicant.id == Application.applicant_id)
        .where(Application.id.in_(list(decided)))
    )
    waiting_for_manager = {"eligible", "ineligible_proposed"}
    return [
        DecidedApplication(
            application_id=app_id,
            applicant_name=name,
            qualification=qualification,
            outcome=decided[app_id],
            needs_person=app_id in blocked or decided[app_id] in waiting_for_manager,
        )
        for app_id, name, qualification in rows
    ]


def _withdrawn(session: Session, run: Run) -> list[DecidedApplication]:
    """Applications staff recorded as withdrawn between the previous run's start and this
    run's (the first run: everything before it)."""
    previous = session.scalar(
        select(func.max(Run.started_at)).where(Run.id < run.id, Run.started_at < run.started_at)
    )
    stmt = (
        select(Application.id, Applicant.name, Application.qualification)
        .join(Decision, Decision.application_id == Application.id)
        .outerjoin(Applicant, Applicant.id == Application.applicant_id)
        .where(
            Decision.outcome == DecisionOutcome.WITHDRAWN.value,
            Decision.created_at < run.started_at,
        )
        .order_by(Application.id)
    )
    if previous is not None:
        stmt = stmt.where(Decision.created_at >= previous)
    return [
        DecidedApplication(app_id, name, qualification, DecisionOutcome.WITHDRAWN.value, False)
        for app_id, name, qualification in session.execute(stmt)
    ]


def _decision_rows(session: Session, run_id: int) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Decision).where(Decision.run_id == run_id))
        or 0
    )


def _apps_with_open_items(session: Session, app_ids: list[int]) -> set[int]:
    """Applications with an open review item that needs a person (not ``info``)."""
    if not app_ids:
        return set()
    rows = session.scalars(
        select(ReviewItem.application_id).where(
            ReviewItem.application_id.in_(app_ids),
            ReviewItem.status.in_(OPEN_STATES),
            ReviewItem.severity != Severity.INFO.value,
        )
    )
    return {a for a in rows if a is not None}


def _exceptions(session: Session, run_id: int) -> list[ExceptionRow]:
    rows: dict[str, ExceptionRow] = {}

    def row(kind: str) -> ExceptionRow:
        if kind not in rows:
            rows[kind] = ExceptionRow(kind=kind, label_ja=kind_label(kind))
        return rows[kind]

    for kind, n in session.execute(
        select(ReviewItem.kind, func.count())
        .where(ReviewItem.opened_run_id == run_id)
        .group_by(ReviewItem.kind)
    ):
        row(kind).opened = int(n)
    for kind, n in session.execute(
        select(ReviewItem.kind, func.count())
        .where(ReviewItem.closed_run_id == run_id)
        .group_by(ReviewItem.kind)
    ):
        row(kind).closed = int(n)
    for kind, n in session.execute(
        select(ReviewItem.kind, func.count())
        .where(ReviewItem.status.in_(OPEN_STATES))
        .group_by(ReviewItem.kind)
    ):
        row(kind).open = int(n)
    return sorted(rows.values(), key=lambda r: (-r.open, -r.opened, r.kind))


def _ageing(session: Session, now: datetime) -> dict[str, int]:
    out = dict.fromkeys(AGEING_BUCKETS, 0)
    for opened_at in session.scalars(
        select(ReviewItem.opened_at).where(ReviewItem.status.in_(OPEN_STATES))
    ):
        out[ageing_bucket(max(0, (now - opened_at).days))] += 1
    return out


def _payments(session: Session, run_id: int) -> Payments:
    matched = session.scalar(
        select(func.count(func.distinct(PaymentMatch.transaction_id))).where(
            PaymentMatch.run_id == run_id, PaymentMatch.status.in_(COUNTED_MATCHES)
        )
    )
    unmatched, splitting = (
        session.scalar(
            select(func.count())
            .select_from(BankTransaction)
            .where(BankTransaction.deposit_yen > 0, BankTransaction.status == status.value)
        )
        for status in (TransactionStatus.UNMATCHED, TransactionStatus.SPLITTING)
    )
    underpaid = session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.payment_status == PaymentOutcome.UNDERPAID.value)
    )
    rows_new = session.scalar(
        select(func.coalesce(func.sum(StatementImport.rows_new), 0)).where(
            StatementImport.run_id == run_id
        )
    )
    return Payments(
        matched=int(matched or 0),
        unmatched=int(unmatched or 0),
        underpaid=int(underpaid or 0),
        statement_rows_new=int(rows_new or 0),
        splitting=int(splitting or 0),
    )


def _confidence(session: Session, envelope_ids: list[int]) -> list[int]:
    histogram = empty_histogram()
    if not envelope_ids:
        return histogram
    for value in session.scalars(
        select(FieldValue.confidence).where(
            FieldValue.envelope_id.in_(envelope_ids), FieldValue.confidence.is_not(None)
        )
    ):
        if value is not None:  # excluded by the query; the column type allows it
            histogram[confidence_bin(value)] += 1
    return histogram


def _audit(session: Session, run_id: int, *, share: float) -> Audit:
    audit = Audit(share=share)
    items = session.execute(
        select(ReviewItem.status, ReviewItem.opened_run_id, Application.decision)
        .join(Application, Application.id == ReviewItem.application_id, isouter=True)
        .where(ReviewItem.kind == AUDIT_KIND)
    ).all()
    for status, opened_run, decision in items:
        if opened_run == run_id:
            audit.sampled += 1
        if status in OPEN_STATES:
            audit.pending += 1
        elif decision in _AGREED_OUTCOMES:
            audit.agreed += 1
        else:
            audit.overturned += 1
    return audit


def _failed(session: Session, raw: list[dict[str, Any]]) -> list[FailedEnvelope]:
    out: list[FailedEnvelope] = []
    names = defaultdict(str)
    ids = [int(r["envelope_id"]) for r in raw]
    if ids:
        for env_id, name in session.execute(
            select(Envelope.id, Envelope.original_name).where(Envelope.id.in_(ids))
        ):
            names[env_id] = name
    for r in raw:
        env_id = int(r["envelope_id"])
        error = str(r.get("error", ""))
        page = r.get("page")
        # Runs recorded before the page was kept apart carry it in the text.
        earlier = _PAGE_PREFIX.match(error)
        if page is None and earlier:
            page, error = int(earlier.group(1)), error[earlier.end() :]
        out.append(FailedEnvelope(env_id, names[env_id], error, int(page) if page else None))
    return out


_PAGE_PREFIX = re.compile(r"^page (\d+): ")


def _rejected_statements(stats: dict[str, Any]) -> list[RejectedStatement]:
    details = (stats.get("stage_details") or {}).get("import_statements") or []
    return [
        RejectedStatement(str(d.get("file", "")), str(d["error"]))
        for d in details
        if isinstance(d, dict) and d.get("error")
    ]


def history(engine: Engine, *, limit: int = 90) -> list[HistoryPoint]:
    """The last ``limit`` finished runs with a report summary, oldest first."""
    with session_scope(engine) as session:
        runs = session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)).all()
        points: list[HistoryPoint] = []
        for run in reversed(runs):
            summary = (run.stats or {}).get("summary")
            if not summary:
                continue
            points.append(
                HistoryPoint(
                    run_id=run.id,
                    started_at=run.started_at.isoformat(),
                    status=run.status,
                    intake=int(summary.get("intake", 0)),
                    decided=int(summary.get("decided", 0)),
                    stp_rate=summary.get("stp_rate"),
                    backlog=int(summary.get("backlog", 0)),
                    report_path=run.report_path,
                )
            )
        return points
