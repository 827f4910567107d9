"""The item page and every action on it.

Each action form carries the item's version, the version of what it changes
and the moment the page was loaded; a stale form is refused (409) with the
list of changes since, and the page shows the current state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.clock import business_today
from pipeline.review import actions, payment_actions, presence
from pipeline.review.actions import Context, Outcome
from pipeline.review.csvsafe import to_csv
from pipeline.review.detail import load_item
from pipeline.review.routes.refusals import Refused, assignee_of, attempt
from pipeline.review.stale import as_text, changes_since
from pipeline.review.web import DB, ActionFormData, CurrentUser, Manager, add_flash, render
from pipeline.storage.models import ReviewItem, User
from pipeline.text.dates import DateParseError, parse_date

router = APIRouter(prefix="/items")
Action = Callable[[Context, ReviewItem], Outcome]


def _item(db: Session, item_id: int) -> ReviewItem:
    item = db.get(ReviewItem, item_id)
    if item is None:
        raise HTTPException(status_code=404)
    return item


def show_item(
    request: Request,
    db: Session,
    user: User,
    item_id: int,
    *,
    status_code: int = 200,
    error: str | None = None,
    stale: list[dict[str, object]] | None = None,
) -> Response:
    settings = request.app.state.settings
    view = load_item(db, item_id, settings.tz)
    if view is None:
        raise HTTPException(status_code=404)
    presence.touch(db, item_id, user.id)
    db.commit()
    others = presence.others(db, item_id, user.id, settings.review_presence_seconds)
    users = list(db.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)))
    return render(
        request,
        "item.html",
        {
            "v": view,
            "others": others,
            "error": error,
            "stale": stale,
            "users": users,
            "today": business_today(settings).isoformat(),
        },
        db=db,
        user=user,
        status_code=status_code,
    )


@router.get("/{item_id}")
def item_page(
    request: Request,
    *,
    item_id: int,
    user: CurrentUser,
    db: DB,
) -> Response:
    return show_item(request, db, user, item_id)


@router.post("/{item_id}/presence")
def heartbeat(
    request: Request,
    *,
    item_id: int,
    leaving: Annotated[str, Form()] = "",
    user: CurrentUser,
    db: DB,
) -> Response:
    _item(db, item_id)
    if leaving:
        presence.leave(db, item_id, user.id)
        db.commit()
        return JSONResponse({"others": []})
    presence.touch(db, item_id, user.id)
    db.commit()
    seconds = request.app.state.settings.review_presence_seconds
    return JSONResponse({"others": presence.others(db, item_id, user.id, seconds)})


def _act(request: Request, db: Session, user: User, item_id: int, action: Action) -> Response:
    """Run one action; on success redirect to the item with the outcome as a message."""
    item = _item(db, item_id)
    settings = request.app.state.settings
    ctx = Context(session=db, user=user, settings=settings)

    def changes() -> list[dict[str, object]]:
        fresh = _item(db, item_id)
        return changes_since(db, fresh, fresh.updated_at, settings.tz)

    result = attempt(
        db, lambda: action(ctx, item), where=f"item {item_id}", conflict_changes=changes
    )
    if isinstance(result, Refused):
        return show_item(
            request, db, user, item_id,
            status_code=result.status_code, error=result.error, stale=result.stale,
        )  # fmt: skip
    add_flash(request, db, result.message_ja, lines=result.decision_lines())
    db.commit()
    return RedirectResponse(f"/items/{item_id}", status_code=303)


# --- field actions ------------------------------------------------------------------------


@router.post("/{item_id}/fields/{field_id}/correct")
def correct(
    request: Request,
    *,
    item_id: int,
    field_id: int,
    value: Annotated[str, Form()] = "",
    form: ActionFormData,
    user: CurrentUser,
    db: DB,
) -> Response:
    return _act(
        request,
        db,
        user,
        item_id,
        lambda ctx, item: actions.correct_item_field(
            ctx, item, field_id, form.seen, value, form.reason
        ),
    )


@router.post("/{item_id}/fields/{field_id}/confirm")
def confirm(
    request: Request,
    *,
    item_id: int,
    field_id: int,
    form: ActionFormData,
    user: CurrentUser,
    db: DB,
) -> Response:
    return _act(
        request,
        db,
        user,
        item_id,
        lambda ctx, item: actions.confirm_item_field(ctx, item, field_id, form.seen, form.reason),
    )


# --- application actions ------------------------------------------------------------------


@router.post("/{item_id}/received-on")
def received_on(
    request: Request,
    *,
    item_id: int,
    received: Annotated[str, Form()] = "",
    form: ActionFormData,
    user: CurrentUser,
    db: DB,
) -> Response:
    try:
        day = parse_date(received) if received.strip() else None
    except DateParseError:
        text = (
            f"「{received}」を日付として読めません"
            "（例: 2024-03-31、20240331、2024/3/31、令和6年3月31日、R6.3.31）。"
        )
        return show_item(request, db, user, item_id, status_code=422, error=text)
    return _act(
        request,
        db,
        user,
        item_id,
        lambda ctx, item: actions.override_received_on(ctx, item, form.seen, day, form.reason),
    )


@router.post("/{item_id}/approve")
def approve(
    request: Request,
    *,
    item_id: int,
    form: ActionFormData,
    user: Manager,
    db: DB,
) -> Response:
    return _act(
        request,
        db,
        user,
        item_id,
        lambda ctx, item: actions.approve(ctx, item, form.seen, form.reason),
    )


@router.post("/{item_id}/reject")
def reject(
    request: Request,
    *,
    item_id: int,
    form: ActionFormData,
    user: Manager,
    db: DB,
) -> Response:
    return _act(
        request,
        db,
        user,
        item_id,
        lambda ctx, item: actions.reject(ctx, item, form.seen, form.reason),
    )


@router.post("/{item_id}/request-documents")
def request_documents(
    request: Request,
    *,
    item_id: int,
    documents: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str, Form()] = "",
    form: ActionFormData,
    user: CurrentUser,
    db: DB,
) -> Response:

    def action(ctx: Context, item: ReviewItem) -> Outcome:
        return actions.request_documents(ctx, item, form.seen, documents or [], note)

    return _act(request, db, user, item_id, action)


# --- the item itself ----------------------------------------------------------------------


@router.post("/{item_id}/assign")
def assign(
    request: Request,
    *,
    item_id: int,
    assignee: Annotated[str, Form()] = "",
    form: ActionFormData,
    user: CurrentUser,
    db: DB,
) -> Response:
    target = assignee_of(db, user, assignee)
    return _act(
        request, db, user, item_id, lambda ctx, item: actions.assign(ctx, item, form.seen, target)
    )


@router.post("/{item_id}/finish")
def finish(
    request: Request,
    *,
    item_id: int,
    outcome: Annotated[str, Form()] = "resolved",
    form: ActionFormData,
    user: CurrentUser,
    db: DB,
) -> Response:
    dismissed = outcome == "dismissed"
    return _act(
        request,
        db,
        user,
        item_id,
        lambda ctx, item: actions.finish(ctx, item, form.seen, form.reason, dismissed=dismissed),
    )


# --- payments -------------------------------------------------------------------------------


@router.post("/{item_id}/payment/confirm")
def payment_confirm(
    request: Request,
    *,
    item_id: int,
    match_id: Annotated[int, Form()],
    form: ActionFormData,
    user: CurrentUser,
    db: DB,
) -> Response:
    return _act(
        request,
        db,
        user,
        item_id,
        lambda ctx, item: payment_actions.confirm_payment(
            ctx, item, form.seen, match_id, form.reason
        ),
    )


@router.post("/{item_id}/payment/reassign")
def payment_reassign(
    request: Request,
    *,
    item_id: int,
    target: Annotated[str, Form()] = "",
    form: ActionFormData,
    transaction_id: Annotated[int | None, Form()] = None,
    user: CurrentUser,
    db: DB,
) -> Response:
    return _act(
        request,
        db,
        user,
        item_id,
        lambda ctx, item: payment_actions.reassign_payment(
            ctx, item, form.seen, target, form.reason, transaction_id
        ),
    )


@router.post("/{item_id}/payment/split")
def payment_split(
    request: Request,
    *,
    item_id: int,
    target: Annotated[list[str] | None, Form()] = None,
    amount: Annotated[list[str] | None, Form()] = None,
    form: ActionFormData,
    transaction_id: Annotated[int | None, Form()] = None,
    user: CurrentUser,
    db: DB,
) -> Response:
    parts = list(zip(target or [], amount or [], strict=False))
    return _act(
        request,
        db,
        user,
        item_id,
        lambda ctx, item: payment_actions.split_payment(
            ctx, item, form.seen, parts, form.reason, transaction_id
        ),
    )


# --- audit ------------------------------------------------------------------------------


@router.get("/{item_id}/audit.csv")
def item_audit_csv(
    request: Request,
    *,
    item_id: int,
    user: CurrentUser,
    db: DB,
) -> Response:
    view = load_item(db, item_id, request.app.state.settings.tz)
    if view is None:
        raise HTTPException(status_code=404)
    rows = [
        (
            e["at"],
            e["who"],
            e["what"],
            e["entity"],
            as_text(e["before"]),
            as_text(e["after"]),
            e["reason"],
        )
        for e in reversed(view.audit)
    ]
    body = to_csv(["日時", "操作者", "操作", "対象", "変更前", "変更後", "理由"], rows)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="item-{item_id}-audit.csv"'},
    )
