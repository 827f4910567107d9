"""The queue: review items with filters, sorting, counts per type and pages."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from pipeline.queue import OPEN_STATES
from pipeline.storage.models import Applicant, Application, ReviewItem, User

SORTS = {
    "oldest": "古い順",
    "newest": "新しい順",
    "severity": "重要度の高い順",
    "kind": "種類順",
}
STATUS_FILTERS = {
    "open": "未完了（未着手・対応中）",
    "in_progress": "対応中",
    "resolved": "完了",
    "dismissed": "対応不要",
    "moot": "不要（判定が確定）",
    "all": "すべて",
}
_SEVERITY_RANK = case({"high": 0, "normal": 1, "info": 2}, value=ReviewItem.severity, else_=3)


@dataclass(frozen=True)
class QueueFilter:
    kind: str | None = None
    status: str = "open"
    assignee: str | None = None  # "me", "none" or a user id
    qualification: str | None = None
    run_id: int | None = None
    sort: str = "oldest"
    page: int = 1

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The filter as URL parameters (for links that change one thing)."""
        data = replace(self, **changes)
        out = {
            "kind": data.kind,
            "status": data.status,
            "assignee": data.assignee,
            "qualification": data.qualification,
            "run": data.run_id,
            "sort": data.sort,
            "page": data.page if data.page != 1 else None,
        }
        return {k: str(v) for k, v in out.items() if v not in (None, "")}


@dataclass
class QueueRow:
    id: int
    kind: str
    title_ja: str
    severity: str
    status: str
    opened_at: datetime
    application_id: int | None
    applicant_name: str | None
    qualification: str | None
    assignee_name: str | None
    decision: str | None


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


def _filtered(stmt: Select[Any], f: QueueFilter, user_id: int, *, with_kind: bool) -> Select[Any]:
    if f.status == "open":
        stmt = stmt.where(ReviewItem.status.in_(OPEN_STATES))
    elif f.status in STATUS_FILTERS and f.status != "all":
        stmt = stmt.where(ReviewItem.status == f.status)
    if with_kind and f.kind:
        stmt = stmt.where(ReviewItem.kind == f.kind)
    if f.assignee == "me":
        stmt = stmt.where(ReviewItem.assignee_id == user_id)
    elif f.assignee == "none":
        stmt = stmt.where(ReviewItem.assignee_id.is_(None))
    elif f.assignee and f.assignee.isdigit():
        stmt = stmt.where(ReviewItem.assignee_id == int(f.assignee))
    if f.qualification:
        stmt = stmt.where(Application.qualification == f.qualification)
    if f.run_id is not None:
        stmt = stmt.where(ReviewItem.opened_run_id == f.run_id)
    return stmt


def _order(stmt: Select[Any], sort: str) -> Select[Any]:
    if sort == "newest":
        return stmt.order_by(ReviewItem.opened_at.desc(), ReviewItem.id.desc())
    if sort == "severity":
        return stmt.order_by(_SEVERITY_RANK, ReviewItem.opened_at, ReviewItem.id)
    if sort == "kind":
        return stmt.order_by(ReviewItem.kind, ReviewItem.opened_at, ReviewItem.id)
    return stmt.order_by(ReviewItem.opened_at, ReviewItem.id)


def load_queue(session: Session, f: QueueFilter, user_id: int, page_size: int) -> QueuePage:
    assignee = aliased(User)
    base = (
        select(
            ReviewItem,
            Applicant.name,
            Application.qualification,
            Application.decision,
            assignee.display_name,
        )
        .outerjoin(Application, Application.id == ReviewItem.application_id)
        .outerjoin(Applicant, Applicant.id == Application.applicant_id)
        .outerjoin(assignee, assignee.id == ReviewItem.assignee_id)
    )
    stmt = _filtered(base, f, user_id, with_kind=True)
    count_stmt = _filtered(
        select(func.count(ReviewItem.id)).outerjoin(
            Application, Application.id == ReviewItem.application_id
        ),
        f,
        user_id,
        with_kind=True,
    )
    total = int(session.scalar(count_stmt) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, f.page), pages)
    rows = [
        QueueRow(
            id=item.id,
            kind=item.kind,
            title_ja=item.title_ja,
            severity=item.severity,
            status=item.status,
            opened_at=item.opened_at,
            application_id=item.application_id,
            applicant_name=name,
            qualification=qualification,
            assignee_name=assignee_name,
            decision=decision,
        )
        for item, name, qualification, decision, assignee_name in session.execute(
            _order(stmt, f.sort).limit(page_size).offset((page - 1) * page_size)
        )
    ]
    counts_stmt = _filtered(
        select(ReviewItem.kind, func.count(ReviewItem.id))
        .outerjoin(Application, Application.id == ReviewItem.application_id)
        .group_by(ReviewItem.kind),
        f,
        user_id,
        with_kind=False,
    )
    counts = {kind: int(n) for kind, n in session.execute(counts_stmt)}
    return QueuePage(rows=rows, total=total, page=page, pages=pages, counts=counts)


def filter_choices(session: Session) -> dict[str, list[Any]]:
    """Values for the filter menus: users, qualifications and recent runs."""
    from pipeline.storage.models import Run

    users = list(session.execute(select(User.id, User.display_name).order_by(User.display_name)))
    qualifications = [
        q
        for (q,) in session.execute(
            select(Application.qualification).distinct().order_by(Application.qualification)
        )
        if q
    ]
    runs = list(session.execute(select(Run.id, Run.started_at).order_by(Run.id.desc()).limit(30)))
    return {"users": users, "qualifications": qualifications, "runs": runs}
