"""What the verification screen of one application shows (no HTML here).

The screen lists every field that needs a person, the fields that decide the
application first, grouped by form in form order; beside each, where the field
sits on its full page (the template's box as a share of the page, so the page
image can outline it at any size).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.errors import ConkenError
from pipeline.queue import MAILING_FIELDS, OPEN_STATES
from pipeline.review.actions import FINAL_DECISIONS
from pipeline.review.detail import FORM_ORDER
from pipeline.rules.explain import TraceView, load_trace
from pipeline.storage.models import (
    Applicant,
    Application,
    FieldStatus,
    FieldValue,
    Page,
    ReviewItem,
    User,
)
from pipeline.vocabulary import FindingOutcome

FIELD_ITEM_KINDS = ("field_review", "field_missing", "data_cleanup")


@dataclass(frozen=True)
class Outline:
    """A field's box on its page, in percent of the page's width and height."""

    left: float
    top: float
    width: float
    height: float


@dataclass
class FieldToCheck:
    row: FieldValue
    item: ReviewItem | None
    page: Page | None
    outline: Outline | None


@dataclass
class FormGroup:
    form_code: str
    fields: list[FieldToCheck]


@dataclass
class ApplicationScreen:
    application: Application
    applicant: Applicant | None
    trace: TraceView | None
    deciding: list[FormGroup]
    informational: list[FormGroup]
    other_items: list[ReviewItem]
    assignee: User | None
    pages: list[Page] = field(default_factory=list)
    record_item_id: int | None = None  # an item page that shows the application's history

    @property
    def deciding_count(self) -> int:
        return sum(len(g.fields) for g in self.deciding)

    @property
    def informational_count(self) -> int:
        return sum(len(g.fields) for g in self.informational)

    @property
    def blocking_items(self) -> list[ReviewItem]:
        """Open items other than the fields' own that keep the decision from being made."""
        return [i for i in self.other_items if i.severity != "info"]

    def deciding_facts(self) -> list[str]:
        """What the decision rests on, in words: failing findings first, then the doubtful."""
        if self.trace is None:
            return []
        order = {FindingOutcome.FAIL: 0, FindingOutcome.REVIEW: 1}
        shown = [f for f in self.trace.findings if f.outcome in order]
        shown.sort(key=lambda f: order[f.outcome])
        return list(dict.fromkeys(f.message_ja for f in shown))


@lru_cache(maxsize=1)
def _template_boxes() -> dict[tuple[str, int, str], Outline]:
    try:
        from pipeline.forms.loader import default_templates

        templates = default_templates()
    except Exception:  # an outline is a help; the crop is still shown
        return {}
    out: dict[tuple[str, int, str], Outline] = {}
    for template in templates.values():
        page_w, page_h = template.page_size_mm
        for spec in template.fields:
            box = spec.frame_mm
            out[(template.form_code, template.page, spec.name)] = Outline(
                left=round(100 * box[0] / page_w, 2),
                top=round(100 * box[1] / page_h, 2),
                width=round(100 * box[2] / page_w, 2),
                height=round(100 * box[3] / page_h, 2),
            )
    return out


def outline_of(row: FieldValue, page: Page | None) -> Outline | None:
    """Where the field sits on its (aligned) page image; None when the page is not aligned."""
    if page is None or page.status != "form" or page.form_code is None or page.form_page is None:
        return None
    return _template_boxes().get((page.form_code, page.form_page, row.name))


def _field_order(row: FieldValue) -> tuple[int, int, str]:
    return (FORM_ORDER.get(row.form_code, 9), row.row_index or 0, row.name)


def _grouped(checks: list[FieldToCheck]) -> list[FormGroup]:
    groups: dict[str, FormGroup] = {}
    for check in sorted(checks, key=lambda c: _field_order(c.row)):
        groups.setdefault(check.row.form_code, FormGroup(check.row.form_code, [])).fields.append(
            check
        )
    return list(groups.values())


def fields_to_check(session: Session, application_id: int) -> list[FieldToCheck]:
    """Fields of the application that a person must look at.

    Those with an open field item (even one a source confirmed since: a person closes
    it), and those a person typed but nobody confirmed.
    """
    items = {
        i.field_id: i
        for i in session.scalars(
            select(ReviewItem).where(
                ReviewItem.application_id == application_id,
                ReviewItem.field_id.is_not(None),
                ReviewItem.status.in_(OPEN_STATES),
            )
        )
    }
    rows = session.scalars(select(FieldValue).where(FieldValue.application_id == application_id))
    pages = {
        p.id: p
        for p in session.scalars(
            select(Page)
            .join(Application, Application.envelope_id == Page.envelope_id)
            .where(Application.id == application_id)
        )
    }
    out = []
    for row in rows:
        if row.id not in items and row.status != FieldStatus.CORRECTED.value:
            continue
        page = pages.get(row.page_id) if row.page_id is not None else None
        out.append(FieldToCheck(row, items.get(row.id), page, outline_of(row, page)))
    return out


def load_screen(session: Session, application_id: int) -> ApplicationScreen | None:
    application = session.get(Application, application_id)
    if application is None:
        return None
    try:
        trace: TraceView | None = load_trace(session, application_id)
    except ConkenError:
        trace = None  # not evaluated yet
    checks = fields_to_check(session, application_id)
    if application.decision in FINAL_DECISIONS:  # only what letters still print matters
        checks = [c for c in checks if (c.row.form_code, c.row.name) in MAILING_FIELDS]
    field_ids = {c.row.id for c in checks}
    others = list(
        session.scalars(
            select(ReviewItem)
            .where(
                ReviewItem.application_id == application_id,
                ReviewItem.status.in_(OPEN_STATES),
            )
            .order_by(ReviewItem.opened_at, ReviewItem.id)
        )
    )
    others = [i for i in others if i.field_id is None or i.field_id not in field_ids]
    assignees = {i.assignee_id for i in others} | {c.item.assignee_id for c in checks if c.item}
    assignees.discard(None)
    return ApplicationScreen(
        application=application,
        applicant=session.get(Applicant, application.applicant_id)
        if application.applicant_id
        else None,
        trace=trace,
        deciding=_grouped([c for c in checks if c.row.decides]),
        informational=_grouped([c for c in checks if not c.row.decides]),
        other_items=others,
        record_item_id=session.scalar(
            select(func.max(ReviewItem.id)).where(ReviewItem.application_id == application_id)
        ),
        assignee=session.get(User, next(iter(assignees))) if len(assignees) == 1 else None,
        pages=list(
            session.scalars(
                select(Page)
                .where(Page.envelope_id == application.envelope_id)
                .order_by(Page.page_index)
            )
        ),
    )
