"""The audit log for managers: recent changes, filtered, and a CSV export."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Select, func, select

from pipeline.review.csvsafe import to_csv
from pipeline.review.stale import ENTITY_JA, as_text, describe_all
from pipeline.review.web import DB, Manager, render
from pipeline.storage.models import AuditEvent, User

router = APIRouter(prefix="/audit")
PAGE_SIZE = 100
EXPORT_LIMIT = 100_000


def _filtered(stmt: Select, entity_type: str | None, actor: str | None) -> Select:  # type: ignore[type-arg]
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    return stmt


@router.get("")
def audit_page(
    request: Request,
    user: Manager,
    db: DB,
    entity_type: str | None = None,
    actor: str | None = None,
    page: int = 1,
) -> Response:
    total = int(db.scalar(_filtered(select(func.count(AuditEvent.id)), entity_type, actor)) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    events = list(
        db.scalars(
            _filtered(select(AuditEvent), entity_type, actor)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    tz = request.app.state.settings.tz
    args = {k: v for k, v in {"entity_type": entity_type, "actor": actor}.items() if v}
    return render(
        request,
        "audit.html",
        {
            "events": describe_all(db, events, tz),
            "page": page,
            "pages": pages,
            "total": total,
            "entity_type": entity_type or "",
            "actor": actor or "",
            "query": urlencode(args),
            "entity_types": ENTITY_JA,
            "people": list(db.execute(select(User.id, User.display_name).order_by(User.id))),
        },
        db=db,
        user=user,
    )


@router.get("/export.csv")
def audit_export(
    request: Request,
    user: Manager,
    db: DB,
    entity_type: str | None = None,
    actor: str | None = None,
) -> Response:
    events = list(
        db.scalars(
            _filtered(select(AuditEvent), entity_type, actor)
            .order_by(AuditEvent.at, AuditEvent.id)
            .limit(EXPORT_LIMIT)
        )
    )
    described = describe_all(db, events, request.app.state.settings.tz)
    rows = [
        (
            d["at"],
            d["who"],
            e.actor,
            d["what"],
            d["entity"],
            as_text(d["before"]),
            as_text(d["after"]),
            d["reason"],
        )
        for e, d in zip(events, described, strict=True)
    ]
    body = to_csv(["日時", "操作者", "操作者ID", "操作", "対象", "変更前", "変更後", "理由"], rows)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
