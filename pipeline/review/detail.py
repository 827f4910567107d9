"""Everything the item page shows, gathered in one place (no HTML here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import ConkenError
from pipeline.review.stale import describe_all, related_events
from pipeline.rules.explain import TraceView, load_trace
from pipeline.storage.models import (
    Applicant,
    Application,
    BankTransaction,
    Envelope,
    FieldStatus,
    FieldValue,
    Letter,
    Page,
    PaymentMatch,
    ReviewItem,
    User,
)

SETTLED_FIELD_STATES = (FieldStatus.OK.value, FieldStatus.CONFIRMED.value)
FORM_ORDER = {"R": 0, "A": 1, "B": 2, "C": 3, "D": 4}


@dataclass
class PaymentView:
    transaction: BankTransaction
    matches: list[PaymentMatch]
    candidates: list[dict[str, Any]]


@dataclass
class ItemView:
    item: ReviewItem
    application: Application | None = None
    applicant: Applicant | None = None
    envelope: Envelope | None = None
    focus_field: FieldValue | None = None
    fields: list[FieldValue] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    focus_page: Page | None = None
    trace: TraceView | None = None
    payments: list[PaymentView] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    assignee: User | None = None
    other_items: list[ReviewItem] = field(default_factory=list)
    people: dict[str, str] = field(default_factory=dict)  # user:<id> -> display name

    @property
    def attention_fields(self) -> list[FieldValue]:
        return [f for f in self.fields if f.status not in SETTLED_FIELD_STATES]


def _field_order(f: FieldValue) -> tuple[int, int, str]:
    return (FORM_ORDER.get(f.form_code, 9), f.row_index or 0, f.name)


def _candidates(session: Session, matches: list[PaymentMatch]) -> list[dict[str, Any]]:
    """Candidate applicants of the deposit's matches, best score first, with names."""
    seen: dict[int, dict[str, Any]] = {}
    for match in matches:
        for c in match.candidates or []:
            app_id = c.get("application_id")
            if app_id is None or (app_id in seen and seen[app_id]["score"] >= c.get("score", 0)):
                continue
            seen[app_id] = dict(c)
        if match.application_id is not None and match.application_id not in seen:
            seen[match.application_id] = {
                "application_id": match.application_id,
                "score": match.score,
                "via": [match.rule],
                "implicated": True,
            }
    if not seen:
        return []
    rows = session.execute(
        select(Application.id, Application.pass_number, Applicant.name, Application.qualification)
        .outerjoin(Applicant, Applicant.id == Application.applicant_id)
        .where(Application.id.in_(list(seen)))
    )
    for app_id, pass_number, name, qualification in rows:
        seen[app_id].update(
            pass_number=pass_number, applicant_name=name, qualification=qualification
        )
    return sorted(seen.values(), key=lambda c: (-float(c.get("score", 0)), c["application_id"]))


def _payments(session: Session, item: ReviewItem) -> list[PaymentView]:
    txn_ids: list[int] = []
    if item.transaction_id is not None:
        txn_ids.append(item.transaction_id)
    elif item.kind.startswith("payment") and item.application_id is not None:
        txn_ids = list(
            session.scalars(
                select(PaymentMatch.transaction_id)
                .where(PaymentMatch.application_id == item.application_id)
                .distinct()
            )
        )
    out = []
    for txn_id in txn_ids:
        txn = session.get(BankTransaction, txn_id)
        if txn is None:
            continue
        matches = list(
            session.scalars(
                select(PaymentMatch)
                .where(PaymentMatch.transaction_id == txn_id)
                .order_by(PaymentMatch.id)
            )
        )
        out.append(PaymentView(txn, matches, _candidates(session, matches)))
    return out


def load_item(session: Session, item_id: int, tz: ZoneInfo) -> ItemView | None:
    item = session.get(ReviewItem, item_id)
    if item is None:
        return None
    view = ItemView(item=item)
    view.people = {
        f"user:{uid}": name for uid, name in session.execute(select(User.id, User.display_name))
    }
    if item.assignee_id is not None:
        view.assignee = session.get(User, item.assignee_id)
    if item.application_id is not None:
        view.application = session.get(Application, item.application_id)
    app = view.application
    envelope_id = item.envelope_id or (app.envelope_id if app else None)
    if envelope_id is not None:
        view.envelope = session.get(Envelope, envelope_id)
        view.pages = list(
            session.scalars(
                select(Page).where(Page.envelope_id == envelope_id).order_by(Page.page_index)
            )
        )
    if app is not None:
        if app.applicant_id is not None:
            view.applicant = session.get(Applicant, app.applicant_id)
        view.fields = sorted(
            session.scalars(select(FieldValue).where(FieldValue.application_id == app.id)),
            key=_field_order,
        )
        try:
            view.trace = load_trace(session, app.id)
        except ConkenError:
            view.trace = None  # not evaluated yet
        view.letters = list(
            session.scalars(
                select(Letter).where(Letter.application_id == app.id).order_by(Letter.id.desc())
            )
        )
        view.other_items = list(
            session.scalars(
                select(ReviewItem)
                .where(
                    ReviewItem.application_id == app.id,
                    ReviewItem.id != item.id,
                    ReviewItem.status.in_(("open", "in_progress")),
                )
                .order_by(ReviewItem.opened_at)
            )
        )
    if item.field_id is not None:
        view.focus_field = session.get(FieldValue, item.field_id)
    page_id = item.page_id or (view.focus_field.page_id if view.focus_field else None)
    if page_id is not None:
        view.focus_page = session.get(Page, page_id)
    view.payments = _payments(session, item)
    view.audit = describe_all(session, list(reversed(related_events(session, item))), tz)
    return view
