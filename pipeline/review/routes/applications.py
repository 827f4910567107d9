"""The queue by application, one application's verification screen, and claiming it.

The screen is saved with one submit; afterwards the next application that needs
its fields checked opens by itself.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from pipeline.errors import ConcurrencyError, ConkenError
from pipeline.review.actions import ActionRefusedError, Context, StaleEditError
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
from pipeline.review.verify import FieldAnswer, FieldValuesRefusedError, save_screen
from pipeline.review.web import DB, CurrentUser, add_flash, is_local_path, parse_instant, render
from pipeline.storage.models import Application, User

router = APIRouter()
log = logging.getLogger(__name__)


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
    status_code: int = 200,
    error: str | None = None,
    field_errors: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
    stale: list[dict[str, object]] | None = None,
) -> Response:
    screen = load_screen(db, application_id)
    if screen is None:
        raise HTTPException(status_code=404)
    users = list(db.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)))
    return render(
        request,
        "application.html",
        {
            "s": screen,
            "error": error,
            "field_errors": field_errors or {},
            "typed": typed or {},
            "stale": stale,
            "users": users,
            "final_note": final_note(db, screen.application),
        },
        db=db,
        user=user,
        status_code=status_code,
    )


@router.get("/applications/next")
def open_next(request: Request, *, after: int | None = None, user: CurrentUser, db: DB) -> Response:
    target = next_application(db, user.id, after=after)
    if target is None:
        add_flash(request, db, "読み取りの確認が必要な申請は、ほかにありません。", kind="info")
        db.commit()
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(f"/applications/{target}", status_code=303)


@router.get("/applications/{application_id}")
def application_screen(
    request: Request, *, application_id: int, user: CurrentUser, db: DB
) -> Response:
    return show_screen(request, db, user, application_id)


def _answers(form: FormData) -> tuple[list[FieldAnswer], dict[int, str]]:
    """Every ``field-<id>`` of the form: its version, value and whether it was confirmed."""
    answers: list[FieldAnswer] = []
    typed: dict[int, str] = {}
    confirm_info = form.get("confirm_informational") == "1"
    for key in form:
        if not key.startswith("version-"):
            continue
        tail = key.removeprefix("version-")
        version = str(form.get(key) or "")
        if not tail.isdigit() or not version.isdigit():
            raise HTTPException(status_code=400)
        field_id = int(tail)
        value = str(form.get(f"value-{field_id}") or "")
        confirmed = form.get(f"confirmed-{field_id}") == "1" or (
            confirm_info and form.get(f"informational-{field_id}") == "1"
        )
        typed[field_id] = value
        answers.append(FieldAnswer(field_id, int(version), value, confirmed))
    return answers, typed


@router.post("/applications/{application_id}/verify")
async def verify(request: Request, *, application_id: int, user: CurrentUser, db: DB) -> Response:
    form = await request.form()
    loaded_at = parse_instant(str(form.get("loaded_at") or ""))
    if loaded_at is None:
        raise HTTPException(status_code=400)
    answers, typed = _answers(form)
    ctx = Context(session=db, user=user, settings=request.app.state.settings)
    try:
        outcome = save_screen(ctx, application_id, loaded_at, answers)
        db.commit()
    except FieldValuesRefusedError as e:
        db.rollback()
        return show_screen(
            request, db, user, application_id, status_code=422, error=e.message,
            field_errors=e.errors, typed=typed,
        )  # fmt: skip
    except (StaleEditError, ConcurrencyError) as e:
        db.rollback()
        changes = e.changes if isinstance(e, StaleEditError) else []
        return show_screen(request, db, user, application_id, status_code=409, stale=changes)
    except ActionRefusedError as e:
        db.rollback()
        return show_screen(request, db, user, application_id, status_code=422, error=e.message)
    except ConkenError as e:  # e.g. the rules could not read the stored facts
        db.rollback()
        log.warning("application %s: screen refused: %s", application_id, e.message)
        text = f"処理できなかったため、保存していません（{e.message}）。"
        return show_screen(request, db, user, application_id, status_code=422, error=text)
    add_flash(
        request, db, f"申請 #{application_id}: {outcome.message_ja}", lines=outcome.decision_lines()
    )
    db.commit()
    screen = load_screen(db, application_id)
    if screen is not None and screen.deciding_count:
        return RedirectResponse(f"/applications/{application_id}", status_code=303)
    target = next_application(db, user.id, after=application_id)
    where = f"/applications/{target}" if target is not None else "/"
    return RedirectResponse(where, status_code=303)


@router.post("/applications/{application_id}/preview")
async def preview(request: Request, *, application_id: int, user: CurrentUser, db: DB) -> Response:
    """The decision the screen would give if saved now (nothing is kept: rolled back)."""
    form = await request.form()
    loaded_at = parse_instant(str(form.get("loaded_at") or ""))
    if loaded_at is None:
        raise HTTPException(status_code=400)
    answers, _typed = _answers(form)
    ctx = Context(session=db, user=user, settings=request.app.state.settings)
    try:
        save_screen(ctx, application_id, loaded_at, answers)
        screen = load_screen(db, application_id)
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
    target: User | None = None
    if assignee == "me":
        target = user
    elif assignee.isdigit():
        target = db.get(User, int(assignee))
        if target is None or not target.active:
            raise HTTPException(status_code=400)
    claim(db, application_id, target, actor=f"user:{user.id}")
    who = target.display_name if target else "なし"
    add_flash(request, db, f"申請 #{application_id} の担当者を「{who}」にしました。")
    db.commit()
    where = back if is_local_path(back) else "/"
    return RedirectResponse(where, status_code=303)
