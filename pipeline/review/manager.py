"""A manager's decisions on an application, from the inbox or the application's screen.

The rules are re-run first and the manager acts on the fresh decision: only an
application the rules find eligible can be approved, only one they propose as
ineligible can be rejected, and a rejection needs a reason. A form older than
the application's last change is refused with what changed. Once the decision
is final, the application's checking items close themselves (as moot).
Staff (not only managers) record a withdrawal (取下げ) the applicant sent, with
the reason, whatever the decision was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.clock import business_today
from pipeline.errors import ConkenError
from pipeline.payments.actions import refundable_for
from pipeline.payments.desk import net_paid_by_application
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
from pipeline.supersede import Links, links
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


def _decide(
    ctx: Context,
    application_id: int,
    form: tuple[int, datetime, str | None],
    wanted: DecisionOutcome,
    verb: str,
    act: Callable[[Application, str | None], str],
) -> Outcome:
    """Check the form is fresh, re-run the rules, refuse unless they find ``wanted``, then
    ``act`` (which returns the message); the outcome says the decision before → after.
    A rejection needs a reason; an approval may have one."""
    version, loaded_at, reason = form
    application = _application(ctx, application_id)
    _fresh(ctx, application, version, loaded_at)
    why = _reason(reason, required=wanted == DecisionOutcome.INELIGIBLE_PROPOSED)
    outcome = rerun(ctx, {application.id}, Outcome(""))
    _refuse_unless(application, wanted, verb)
    outcome.message_ja = act(application, why)
    before = outcome.decisions.get(application.id, (None, None))[0]
    outcome.decisions[application.id] = (before, application.decision)
    return outcome


def approve_application(
    ctx: Context, application_id: int, version: int, loaded_at: datetime, reason: str | None
) -> Outcome:
    def act(application: Application, why: str | None) -> str:
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
        return (
            f"申請 #{application.id} を承認しました。"
            f"認定番号は {application.certificate_number} です。"
        )

    form = (version, loaded_at, reason)
    return _decide(ctx, application_id, form, DecisionOutcome.ELIGIBLE, "承認", act)


def reject_application(
    ctx: Context, application_id: int, version: int, loaded_at: datetime, reason: str | None
) -> Outcome:
    def act(application: Application, why: str | None) -> str:
        assert why is not None  # required
        rules_store.reject(ctx.session, application.id, actor=ctx.actor, reason=why)
        return f"申請 #{application.id} を却下しました。"

    form = (version, loaded_at, reason)
    return _decide(ctx, application_id, form, DecisionOutcome.INELIGIBLE_PROPOSED, "却下", act)


def withdraw_application(
    ctx: Context, application_id: int, version: int, loaded_at: datetime, reason: str | None
) -> Outcome:
    """Record that the applicant withdrew (staff, from a letter or a call), whatever the
    decision: final, its checking items moot, and what becomes of the fee in words."""
    application = _application(ctx, application_id)
    _fresh(ctx, application, version, loaded_at)
    why = _reason(reason, required=True)
    assert why is not None
    before = application.decision
    rules_store.withdraw(ctx.session, application.id, actor=ctx.actor, reason=why)
    fee_yen = ctx.settings.fee_yen
    refundable = refundable_for(ctx.session, application.id, fee_yen)
    paid = net_paid_by_application(ctx.session, [application.id]).get(application.id, 0)
    fee = (
        f"返金できる入金が {refundable:,}円 あります。入金窓口の「返金の確認が必要な入金」から"
        "返金を記録してください。"
        if refundable
        else "受理した申請の手数料は、取下げでも返金しません（申請要項）。"
        if paid >= fee_yen
        else ""
    )
    outcome = Outcome(f"申請 #{application.id} を取下げとして記録しました。{fee}")
    outcome.decisions[application.id] = (before, application.decision)
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


@dataclass
class FinalNote:
    """What the application's screen says about a withdrawal or a replacement."""

    links: Links
    withdrawn_reason: str | None = None
    withdrawn_at: datetime | None = None


def final_note(session: Session, application: Application) -> FinalNote:
    """The links to the submission that replaced this one (or that it replaced), and the
    reason the applicant withdrew, for the application's screen."""
    note = FinalNote(links(session, application.id))
    if application.decision == DecisionOutcome.WITHDRAWN.value:
        current = rules_store.current_decision(session, application.id)
        if current is not None:
            note.withdrawn_reason, note.withdrawn_at = current.reason, current.created_at
    return note
