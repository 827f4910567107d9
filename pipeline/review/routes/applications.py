"""The queue by application, one application's verification screen, and claiming it.

The screen is saved with one submit; afterwards the next application that needs
its fields checked opens by itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import ConcurrencyError, ConkenError
from pipeline.review.actions import Context, StaleEditError
from pipeline.review.app_queue import (
    NEEDS,
    AppQueueFilter,
    application_rows,
    claim,
    filtered,
    next_application,
)
from pipeline.review.application_view import load_screen
from pipeline.review.labels import DECISION_JA, plain_reason
from pipeline.review.listing import filter_choices
from pipeline.review.manager import final_note
from pipeline.review.routes.refusals import Refused, assignee_of, attempt
from pipeline.review.screen_form import read_screen_form
from pipeline.review.web import DB, CurrentUser, add_flash, is_local_path, render
from pipeline.storage.models import Application, User

router = APIRouter()


@router.get("/")
def application_queue(
    request: Request,
    *,
    needs: str = "all",
    decision: str | None = None,
    assignee: str | None = None,
    qualification: str | None = None,
    user: CurrentUser,
    db: DB,
) -> Response:
    f = AppQueueFilter(
        needs=needs if needs in NEEDS else "all",
        decision=decision or None,
        assignee=assignee or None,
        qualification=qualification or None,
    )
    rows = application_rows(db)
    shown = filtered(rows, f, user.id)
    counts = {key: len(filtered(rows, AppQueueFilter(needs=key), user.id)) for key in NEEDS}
    users = {u.id: u.display_name for u in db.scalars(select(User))}
    return render(
        request,
        "applications.html",
        {
            "f": f,
            "rows": shown,
            "counts": counts,
            "needs_ja": NEEDS,
            "users": users,
            "choices": filter_choices(db),
            "decisions": DECISION_JA,
        },
        db=db,
        user=user,
    )


def show_screen(
    request: Request,
    db: Session,
    user: User,
    application_id: int,
    *,
    refused: Refused | None = None,
    typed: dict[int, str] | None = None,
    picked: dict[str, tuple[str, str]] | None = None,
) -> Response:
    screen = load_screen(db, application_id, request.app.state.settings.fee_yen)
    if screen is None:
        raise HTTPException(status_code=404)
    users = list(db.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)))
    return render(
        request,
        "application.html",
        {
            "s": screen,
            "error": refused.error if refused else None,
            "field_errors": (refused.field_errors if refused else None) or {},
            "typed": typed or {},
            "picked": picked or {},
            "stale": refused.stale if refused else None,
            "users": users,
            "final_note": final_note(db, screen.application),
        },
        db=db,
        user=user,
        status_code=refused.status_code if refused else 200,
    )


@router.get("/applications/next")
def open_next(request: Request, *, after: int | None = None, user: CurrentUser, db: DB) -> Response:
    target = next_application(db, user.id, after=after)
    if target is None:
        add_flash(request, db, "確認が必要な申請は、ほかにありません。", kind="info")
        db.commit()
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(f"/applications/{target}", status_code=303)


@router.get("/applications/{application_id}")
def application_screen(
    request: Request, *, application_id: int, user: CurrentUser, db: DB
) -> Response:
    return show_screen(request, db, user, application_id)


@router.post("/applications/{application_id}/verify")
async def verify(request: Request, *, application_id: int, user: CurrentUser, db: DB) -> Response:
    screen_form = read_screen_form(await request.form())
    ctx = Context(session=db, user=user, settings=request.app.state.settings)
    result = attempt(
        db, lambda: screen_form.save(ctx, application_id), where=f"application {application_id}"
    )
    if isinstance(result, Refused):
        keep = result.status_code == 422  # what was typed stays; a stale screen shows the news
        return show_screen(
            request, db, user, application_id, refused=result,
            typed=screen_form.typed if keep else None,
            picked=screen_form.picked if keep else None,
        )  # fmt: skip
    add_flash(
        request, db, f"申請 #{application_id}: {result.message_ja}", lines=result.decision_lines()
    )
    db.commit()
    screen = load_screen(db, application_id, request.app.state.settings.fee_yen)
    if screen is not None and screen.to_settle:
        return RedirectResponse(f"/applications/{application_id}", status_code=303)
    target = next_application(db, user.id, after=application_id)
    where = f"/applications/{target}" if target is not None else "/"
    return RedirectResponse(where, status_code=303)


@router.post("/applications/{application_id}/preview")
async def preview(request: Request, *, application_id: int, user: CurrentUser, db: DB) -> Response:
    """The decision the screen would give if saved now (nothing is kept: rolled back)."""
    screen_form = read_screen_form(await request.form())
    ctx = Context(session=db, user=user, settings=request.app.state.settings)
    try:
        screen_form.save(ctx, application_id)
        screen = load_screen(db, application_id, ctx.settings.fee_yen)
    except (StaleEditError, ConcurrencyError):
        db.rollback()
        return JSONResponse({"stale": True})
    except ConkenError as e:
        db.rollback()
        return JSONResponse({"error": e.message})
    assert screen is not None
    decision = screen.application.decision or ""
    body = {
        "decision": decision,
        "decision_ja": DECISION_JA.get(decision, "未判定"),
        "facts": [
            plain_reason(text)
            for text in screen.deciding_facts() or (screen.trace.reasons if screen.trace else [])
        ],
    }
    db.rollback()
    return JSONResponse(body)


@router.post("/applications/{application_id}/claim")
def claim_application(
    request: Request,
    *,
    application_id: int,
    assignee: Annotated[str, Form()] = "me",
    back: Annotated[str, Form()] = "",
    user: CurrentUser,
    db: DB,
) -> Response:
    if db.get(Application, application_id) is None:
        raise HTTPException(status_code=404)
    target = assignee_of(db, user, assignee)
    claim(db, application_id, target, actor=f"user:{user.id}")
    who = target.display_name if target else "なし"
    add_flash(request, db, f"申請 #{application_id} の担当者を「{who}」にしました。")
    db.commit()
    where = back if is_local_path(back) else "/"
    return RedirectResponse(where, status_code=303)
