"""Audit sample: people check a share of the straight-through eligible decisions.

Candidates are the applications this run decided ``eligible`` with no open
review item that needs a person (the straight-through ones), and those an
earlier run decided but never sampled because it died or failed before its
audit-sample stage (nothing escapes the sample through a crash). Of ``n``
candidates, ``ceil(share × n)`` are chosen — at least one whenever the share
is above zero — by the lowest SHA-256 of ``"<run id>:<application id>"``:
deterministic (the same run picks the same ones), unpredictable to an
applicant, and independent of the order rows come back in.

Each chosen application gets an ``audit_sample`` review item of severity
``info``: the decision stands unless staff overturn it, and the item does not
count against the straight-through rate. An application is audited at most
once (an earlier audit item, open or closed, excludes it).
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline.queue import OPEN_STATES, open_or_update
from pipeline.storage.db import session_scope
from pipeline.storage.models import Decision, ReviewItem, Run
from pipeline.vocabulary import DecisionOutcome, RunStatus, Severity

log = logging.getLogger(__name__)

AUDIT_KIND = "audit_sample"
TITLE_JA = "抜取り監査：自動で「認定可」と判定した申請です。判定が正しいか確認してください"


@dataclass
class AuditSampleResult:
    candidates: int = 0
    chosen: list[int] = field(default_factory=list)


def sample_key(run_id: int, application_id: int) -> str:
    return hashlib.sha256(f"{run_id}:{application_id}".encode()).hexdigest()


def choose(application_ids: list[int], *, run_id: int, share: float) -> list[int]:
    """The deterministic sample (sorted by id) of ``ceil(share × n)`` applications."""
    if share <= 0 or not application_ids:
        return []
    k = min(len(application_ids), math.ceil(share * len(application_ids)))
    ranked = sorted(application_ids, key=lambda a: sample_key(run_id, a))
    return sorted(ranked[:k])


def straight_through_eligible(engine: Engine, run_id: int) -> list[int]:
    """Applications this run (or an unsampled earlier run) decided eligible, with no open item
    needing a person, never audited."""
    with session_scope(engine) as session:
        runs = [run_id, *_runs_that_never_sampled(session, run_id)]
        latest: dict[int, str] = {}
        for app_id, outcome in session.execute(
            select(Decision.application_id, Decision.outcome)
            .where(Decision.run_id.in_(runs), Decision.is_current.is_(True))
            .order_by(Decision.id)
        ):
            latest[app_id] = outcome
        eligible = [a for a, o in latest.items() if o == DecisionOutcome.ELIGIBLE.value]
        if not eligible:
            return []
        blocked = set(
            session.scalars(
                select(ReviewItem.application_id).where(
                    ReviewItem.application_id.in_(eligible),
                    ReviewItem.status.in_(OPEN_STATES),
                    ReviewItem.severity != Severity.INFO.value,
                )
            )
        )
        audited = set(
            session.scalars(
                select(ReviewItem.application_id).where(
                    ReviewItem.application_id.in_(eligible), ReviewItem.kind == AUDIT_KIND
                )
            )
        )
    return sorted(a for a in eligible if a not in blocked and a not in audited)


def _runs_that_never_sampled(session: Session, run_id: int) -> list[int]:
    """Earlier runs that ended interrupted or failed before their audit-sample stage."""
    ended = session.execute(
        select(Run.id, Run.stats).where(
            Run.id < run_id,
            Run.status.in_([RunStatus.INTERRUPTED.value, RunStatus.FAILED.value]),
        )
    )
    return [
        int(rid)
        for rid, stats in ended
        if "audit_sample" not in {st.get("name") for st in (stats or {}).get("stages", [])}
    ]


def open_audit_items(engine: Engine, *, run_id: int, share: float) -> AuditSampleResult:
    """Choose this run's sample and open its audit items."""
    candidates = straight_through_eligible(engine, run_id)
    chosen = choose(candidates, run_id=run_id, share=share)
    with session_scope(engine) as session:
        for app_id in chosen:
            open_or_update(
                session,
                kind=AUDIT_KIND,
                dedupe_key=f"audit:app:{app_id}",
                title_ja=TITLE_JA,
                severity=Severity.INFO,
                details={"run_id": run_id, "share": share, "candidates": len(candidates)},
                application_id=app_id,
                run_id=run_id,
            )
    if chosen:
        log.info("audit sample: %d of %d straight-through eligible", len(chosen), len(candidates))
    return AuditSampleResult(candidates=len(candidates), chosen=chosen)
