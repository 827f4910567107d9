"""A manager's decisions on an application, from the inbox or the application's screen.

The rules are re-run first and the manager acts on the fresh decision: only an
application the rules find eligible can be approved, only one they propose as
ineligible can be rejected, and a rejection needs a reason. A form older than
the application's last change is refused with what changed. Once the decision
is final, the application's checking items close themselves (as moot).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.clock import business_today
from pipeline.errors import ConkenError
from pipeline.queue import OPEN_STATES
from pipeline.review.actions import (
    ActionRefusedError,
    Context,
    Outcome,
    StaleEditError,
    _reason,
    require_not_final,
    rerun,
)
from pipeline.review.labels import DECISION_JA
from pipeline.review.stale import application_changes_since
from pipeline.rules import store as rules_store
from pipeline.rules.explain import TraceView, load_trace
from pipeline.storage.models import Applicant, Application, ReviewItem
from pipeline.vocabulary import DecisionOutcome, FindingOutcome

WAITING = (DecisionOutcome.ELIGIBLE.value, DecisionOutcome.INELIGIBLE_PROPOSED.value)
AUDIT_KIND = "audit_sample"


def _fresh(ctx: Context, application: Application, version: int, loaded_at: datetime) -> None:
    require_not_final(application)
    if application.version != version:
        raise StaleEditError(
            "この申請は、画面を開いた後に変更されました。判定は保存していません。"
            "下の変更を確認してから、もう一度操作してください。",
            application_changes_since(ctx.session, application.id, loaded_at, ctx.settings.tz),
        )


def _application(ctx: Context, application_id: int) -> Application:
    application = ctx.session.get(Application, application_id)
    if application is None:
        raise ActionRefusedError("申請が見つかりません。")
    return application


def _refuse_unless(application: Application, wanted: DecisionOutcome, verb: str) -> None:
    if application.decision != wanted.value:
        state = DECISION_JA.get(application.decision or "", application.decision or "未判定")
        raise ActionRefusedError(
            f"判定が「{state}」のため{verb}できません"
            f"（{verb}できるのは「{DECISION_JA[wanted.value]}」のみです）。"
        )


def approve_application(
    ctx: Context, application_id: int, version: int, loaded_at: datetime, reason: str | None
) -> Outcome:
    application = _application(ctx, application_id)
    _fresh(ctx, application, version, loaded_at)
    why = _reason(reason, required=False)
    outcome = rerun(ctx, {application.id}, Outcome(""))
    _refuse_unless(application, DecisionOutcome.ELIGIBLE, "承認")
    try:
        rules_store.approve(
            ctx.session,
            application.id,
            actor=ctx.actor,
            on=ctx.today or business_today(ctx.settings),
            number_format=ctx.settings.certificate_number_format,
            reason=why,
        )
    except ConkenError as e:
        raise ActionRefusedError(f"承認できませんでした: {e.message}") from e
    before = outcome.decisions.get(application.id, (None, None))[0]
    outcome.decisions[application.id] = (before, application.decision)
    outcome.message_ja = (
        f"申請 #{application.id} を承認しました。認定番号は {application.certificate_number} です。"
    )
    return outcome


def reject_application(
    ctx: Context, application_id: int, version: int, loaded_at: datetime, reason: str | None
) -> Outcome:
    application = _application(ctx, application_id)
    _fresh(ctx, application, version, loaded_at)
    why = _reason(reason, required=True)
    assert why is not None
    outcome = rerun(ctx, {application.id}, Outcome(""))
    _refuse_unless(application, DecisionOutcome.INELIGIBLE_PROPOSED, "却下")
    rules_store.reject(ctx.session, application.id, actor=ctx.actor, reason=why)
    before = outcome.decisions.get(application.id, (None, None))[0]
    outcome.decisions[application.id] = (before, application.decision)
    outcome.message_ja = f"申請 #{application.id} を却下しました。"
    return outcome


@dataclass
class InboxRow:
    application: Application
    applicant_name: str | None
    facts: list[str]
    audit_item_id: int | None
    open_items: int

    @property
    def received_on(self) -> date:
        return self.application.received_on_override or self.application.received_on


def _facts(trace: TraceView | None) -> list[str]:
    """The deciding facts: failed rules first, then the reasons the rules give."""
    if trace is None:
        return []
    failed = [f.message_ja for f in trace.findings if f.outcome == FindingOutcome.FAIL]
    return list(dict.fromkeys(failed or trace.reasons))


def inbox(session: Session) -> list[InboxRow]:
    """Applications waiting for a manager (and audit samples), oldest received first."""
    audit = {
        app_id: item_id
        for item_id, app_id in session.execute(
            select(ReviewItem.id, ReviewItem.application_id).where(
                ReviewItem.kind == AUDIT_KIND, ReviewItem.status.in_(OPEN_STATES)
            )
        )
        if app_id is not None
    }
    stmt = (
        select(Application, Applicant.name)
        .outerjoin(Applicant, Applicant.id == Application.applicant_id)
        .where(Application.decision.in_(WAITING) | Application.id.in_(list(audit) or [-1]))
        .order_by(Application.received_on, Application.id)
    )
    open_counts: dict[int, int] = {}
    for (app_id,) in session.execute(
        select(ReviewItem.application_id).where(
            ReviewItem.status.in_(OPEN_STATES), ReviewItem.application_id.is_not(None)
        )
    ):
        open_counts[app_id] = open_counts.get(app_id, 0) + 1
    rows = []
    for application, name in session.execute(stmt):
        try:
            trace: TraceView | None = load_trace(session, application.id)
        except ConkenError:
            trace = None
        rows.append(
            InboxRow(
                application=application,
                applicant_name=name,
                facts=_facts(trace),
                audit_item_id=audit.get(application.id),
                open_items=open_counts.get(application.id, 0),
            )
        )
    return rows
