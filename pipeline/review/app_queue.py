"""The queue by application: one row per application that needs a person.

Field-level review items stay the record underneath; this module groups them
(and the application's decision) into what a person has to do for the
application: check deciding fields, settle a payment, or decide as a manager.
Deposits that no application claims yet get a row of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.queue import OPEN_STATES
from pipeline.storage.audit import record_event
from pipeline.storage.models import (
    Applicant,
    Application,
    Decision,
    FieldValue,
    PaymentMatch,
    ReviewItem,
    RuleFinding,
    User,
)
from pipeline.storage.types import utcnow
from pipeline.vocabulary import FINAL_DECISIONS, DecisionOutcome, FindingOutcome, MatchStatus

MANAGER_DECISIONS = (DecisionOutcome.ELIGIBLE.value, DecisionOutcome.INELIGIBLE_PROPOSED.value)
MANAGER_ITEM_KINDS = ("audit_sample", "decision_review", "ineligible_proposed")
FIELD_KINDS = ("field_review", "field_missing", "data_cleanup")
# Decided for good, or no certification (no fee): the screen offers no deposit to confirm.
NO_FEE_TO_SETTLE = (*(d.value for d in FINAL_DECISIONS), DecisionOutcome.NOT_REQUIRED.value)

NEEDS = {
    "all": "すべて",
    "fields": "読み取りの確認",
    "judgement": "基準の判断",
    "payment": "入金",
    "manager": "責任者の判断",
    "other": "その他の確認",
}
NEEDS_ORDER = ("fields", "judgement", "payment", "manager", "other")


@dataclass
class ApplicationRow:
    application_id: int | None
    applicant_name: str | None
    qualification: str | None
    received_on: date | None
    since: datetime | None
    decision: str | None
    deciding_fields: int = 0
    informational_fields: int = 0
    judgements: int = 0  # findings asking a person to rule (認める / 認めない)
    payment_items: int = 0
    payments_to_confirm: int = 0  # matches proposed for this application: one keystroke each
    manager: bool = False
    other_items: int = 0
    assignee_ids: set[int] = field(default_factory=set)
    item_ids: list[int] = field(default_factory=list)
    title_ja: str | None = None  # a deposit without an application: what it is

    @property
    def needs(self) -> list[str]:
        out = []
        if self.deciding_fields or self.informational_fields:
            out.append("fields")
        if self.judgements:
            out.append("judgement")
        if self.payment_items or self.payments_to_confirm:
            out.append("payment")
        if self.manager:
            out.append("manager")
        if self.other_items:
            out.append("other")
        return out


def _is_payment(kind: str) -> bool:
    return kind.startswith("payment") or kind == "application_unpaid"


def _add_item(row: ApplicationRow, item: ReviewItem, decides: bool | None) -> None:
    row.item_ids.append(item.id)
    if item.assignee_id is not None:
        row.assignee_ids.add(item.assignee_id)
    if row.since is None or item.opened_at < row.since:
        row.since = item.opened_at
    if item.kind in FIELD_KINDS:
        if decides:
            row.deciding_fields += 1
        else:
            row.informational_fields += 1
    elif _is_payment(item.kind):
        row.payment_items += 1
    elif item.kind in MANAGER_ITEM_KINDS:
        row.manager = True
    else:
        row.other_items += 1


def application_rows(session: Session) -> list[ApplicationRow]:
    """Every application (and unclaimed deposit) that needs a person, oldest first."""
    rows: dict[int, ApplicationRow] = {}
    loose: list[ApplicationRow] = []
    stmt = (
        select(ReviewItem, FieldValue.decides)
        .outerjoin(FieldValue, FieldValue.id == ReviewItem.field_id)
        .where(ReviewItem.status.in_(OPEN_STATES))
        .order_by(ReviewItem.opened_at, ReviewItem.id)
    )
    for item, decides in session.execute(stmt):
        if item.application_id is None:
            row = ApplicationRow(None, None, None, None, None, None, title_ja=item.title_ja)
            _add_item(row, item, decides)
            loose.append(row)
            continue
        row = rows.setdefault(
            item.application_id,
            ApplicationRow(item.application_id, None, None, None, None, None),
        )
        _add_item(row, item, decides)
    waiting = session.scalars(
        select(Application.id).where(Application.decision.in_(MANAGER_DECISIONS))
    )
    for app_id in waiting:
        rows.setdefault(app_id, ApplicationRow(app_id, None, None, None, None, None)).manager = True
    for app_id, count in _judgements(session).items():
        rows.setdefault(
            app_id, ApplicationRow(app_id, None, None, None, None, None)
        ).judgements = count
    proposed = session.scalars(
        select(PaymentMatch.application_id).where(
            PaymentMatch.status == MatchStatus.PROPOSED.value,
            PaymentMatch.application_id.is_not(None),
        )
    )
    for paid_for in proposed:
        if paid_for is None:  # (the query keeps none; the column allows it)
            continue
        row = rows.setdefault(paid_for, ApplicationRow(paid_for, None, None, None, None, None))
        row.payments_to_confirm += 1
    _fill_applications(session, rows)
    everything = list(rows.values()) + loose
    everything.sort(key=_age_key)
    return everything


def _judgements(session: Session) -> dict[int, int]:
    """Per application not yet final: its current findings that ask a person to rule.

    They have no queue item of their own (the finding is the question), so without
    this an application waiting only for a judgement would be in nobody's queue.
    """
    stmt = (
        select(RuleFinding.application_id, RuleFinding.details)
        .join(Decision, Decision.evaluation_id == RuleFinding.evaluation_id)
        .where(
            Decision.is_current.is_(True),
            Decision.outcome.not_in(FINAL_DECISIONS),
            RuleFinding.outcome == FindingOutcome.REVIEW.value,
        )
    )
    counts: dict[int, int] = {}
    for app_id, details in session.execute(stmt):
        if isinstance((details or {}).get("judgement"), dict):
            counts[app_id] = counts.get(app_id, 0) + 1
    return counts


def _age_key(row: ApplicationRow) -> tuple[date, datetime, int]:
    """Oldest first: received the longest ago, then waiting the longest (a deposit: its item)."""
    since = (row.since or datetime.max).replace(tzinfo=None)
    received = row.received_on or (since.date() if row.since else date.max)
    return received, since, row.application_id or 0


def _fill_applications(session: Session, rows: dict[int, ApplicationRow]) -> None:
    if not rows:
        return
    stmt = (
        select(Application, Applicant.name)
        .outerjoin(Applicant, Applicant.id == Application.applicant_id)
        .where(Application.id.in_(list(rows)))
    )
    for application, name in session.execute(stmt):
        row = rows[application.id]
        row.applicant_name = name
        row.qualification = application.qualification
        row.received_on = application.received_on_override or application.received_on
        row.decision = application.decision
        if row.decision not in MANAGER_DECISIONS and not row.item_ids:
            row.manager = False


@dataclass(frozen=True)
class AppQueueFilter:
    needs: str = "all"
    decision: str | None = None
    assignee: str | None = None  # "me", "none" or a user id
    qualification: str | None = None


def filtered(rows: list[ApplicationRow], f: AppQueueFilter, user_id: int) -> list[ApplicationRow]:
    out = []
    for row in rows:
        if f.needs != "all" and f.needs not in row.needs:
            continue
        if f.decision and (row.decision or "none") != f.decision:
            continue
        if f.qualification and row.qualification != f.qualification:
            continue
        if f.assignee == "me" and user_id not in row.assignee_ids:
            continue
        if f.assignee == "none" and row.assignee_ids:
            continue
        if f.assignee and f.assignee.isdigit() and int(f.assignee) not in row.assignee_ids:
            continue
        out.append(row)
    return out


def next_application(session: Session, user_id: int, after: int | None = None) -> int | None:
    """The oldest application with something its screen settles that nobody else has taken:
    fields to check, findings to rule on, a proposed payment match to confirm."""
    candidates = [
        r
        for r in application_rows(session)
        if r.application_id is not None
        and r.application_id != after
        and (
            r.deciding_fields
            or r.informational_fields
            or r.judgements
            or (r.payments_to_confirm and r.decision not in NO_FEE_TO_SETTLE)
        )
        and r.assignee_ids <= {user_id}
    ]
    return candidates[0].application_id if candidates else None


def claim(session: Session, application_id: int, user: User | None, *, actor: str) -> int:
    """Make ``user`` (None: nobody) the assignee of every open item of the application."""
    items = session.scalars(
        select(ReviewItem).where(
            ReviewItem.application_id == application_id, ReviewItem.status.in_(OPEN_STATES)
        )
    )
    changed = 0
    for item in items:
        new = user.id if user else None
        if item.assignee_id == new:
            continue
        before = {"assignee_id": item.assignee_id}
        item.assignee_id = new
        item.updated_at = utcnow()
        record_event(
            session,
            actor=actor,
            action="exception.assigned",
            entity_type="exception",
            entity_id=item.id,
            before=before,
            after={"assignee_id": new},
            reason=f"担当: {user.display_name}" if user else "担当者なし",
        )
        changed += 1
    return changed
