"""What the verification screen of one application shows (no HTML here).

The screen lists every field that needs a person, the fields that decide the
application first, grouped by form in form order; beside each, where the field
sits on its full page (the template's box as a share of the page, so the page
image can outline it at any size). Then the judgements only a person can make
(a finding asking 認める / 認めない, with the manual's section and the facts), the
rulings already made, and the payment when it is what holds the decision up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.errors import ConkenError
from pipeline.names_ja import CRITERION_JA
from pipeline.queue import MAILING_FIELDS, OPEN_STATES
from pipeline.review.actions import FINAL_DECISIONS
from pipeline.review.application_payment import PaymentPanel, load_payment
from pipeline.review.detail import FORM_ORDER
from pipeline.review.labels import field_label
from pipeline.review.screen_seen import last_ruling_id
from pipeline.rules.explain import TraceView, load_trace
from pipeline.rules.findings import Finding
from pipeline.storage.models import (
    Applicant,
    Application,
    FieldStatus,
    FieldValue,
    Page,
    ReviewItem,
    User,
)
from pipeline.vocabulary import DecisionOutcome, FindingOutcome

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
class Judgement:
    """A finding only a person can judge, as the screen asks it."""

    rule_id: str
    key: str
    label_ja: str  # what is judged (証明者の所属 …)
    question_ja: str
    facts_ja: str
    section: str  # the manual's section the finding applies
    field_ids: tuple[str, ...]  # the readings it rests on (B.exp1_org …)
    # the first of those readings, so the page beside shows it while the person judges
    page: Page | None = None
    outline: Outline | None = None

    @property
    def field_labels(self) -> list[str]:
        return [field_label(*fid.split(".", 1)) if "." in fid else fid for fid in self.field_ids]


def judgements_of(findings: list[Finding]) -> list[Judgement]:
    """The review findings that ask a person for a ruling (not for a reading)."""
    out = []
    for f in findings:
        asked = f.details.get("judgement")
        if f.outcome != FindingOutcome.REVIEW or not isinstance(asked, dict):
            continue
        out.append(
            Judgement(
                rule_id=f.rule_id,
                key=str(asked.get("key")),
                label_ja=CRITERION_JA.get(f.rule_id, f.rule_id),
                question_ja=str(asked.get("question_ja") or ""),
                facts_ja=str(asked.get("facts_ja") or f.message_ja),
                section=f.manual_section,
                # the readings judged (older findings: every reading the rule used)
                field_ids=tuple(
                    asked.get("fields") or [str(r.field_id) for r in f.facts.values() if r.field_id]
                ),
            )
        )
    return out


def _place(session: Session, application_id: int, judgements: list[Judgement]) -> None:
    """Put each judgement beside the page of the first reading it rests on."""
    if not judgements:
        return
    rows = {
        f"{r.form_code}.{r.name}": r
        for r in session.scalars(
            select(FieldValue).where(FieldValue.application_id == application_id)
        )
    }
    for j in judgements:
        for fid in j.field_ids:
            row = rows.get(fid)
            page = session.get(Page, row.page_id) if row and row.page_id else None
            if row is not None and page is not None:
                j.page, j.outline = page, outline_of(row, page)
                break


def rulings_of(findings: list[Finding]) -> list[Finding]:
    """The findings a person's ruling settled (shown, so the decision explains itself)."""
    return [f for f in findings if isinstance(f.details.get("ruling"), dict)]


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
    judgements: list[Judgement] = field(default_factory=list)
    ruled: list[Finding] = field(default_factory=list)
    payment: PaymentPanel | None = None
    last_ruling_id: int = 0  # what the screen was built on (refused if it moved)

    @property
    def to_settle(self) -> int:
        """What a person settles on this screen before the decision can move on."""
        confirmable = len(self.payment.confirmable) if self.payment else 0
        return self.deciding_count + len(self.judgements) + confirmable

    @property
    def has_form(self) -> bool:
        return bool(self.to_settle or self.informational)

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


def load_screen(session: Session, application_id: int, fee_yen: int) -> ApplicationScreen | None:
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
    final = application.decision in FINAL_DECISIONS
    findings = trace.findings if trace is not None else []
    judgements = [] if final else judgements_of(findings)
    _place(session, application_id, judgements)
    # No certification needed: no fee to settle either (its unpaid item closes as moot).
    no_fee = final or application.decision == DecisionOutcome.NOT_REQUIRED.value
    return ApplicationScreen(
        judgements=judgements,
        ruled=rulings_of(findings),
        payment=None if no_fee else load_payment(session, application, fee_yen),
        last_ruling_id=last_ruling_id(session, application_id),
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
