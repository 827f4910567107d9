"""The manager's inbox: decisions waiting for a manager, approved or rejected from the row;
and a withdrawal (取下げ), which staff record from the application's screen or the inbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.errors import ConcurrencyError, ConkenError
from pipeline.review.actions import ActionRefusedError, Context, Outcome, StaleEditError
from pipeline.review.manager import (
    approve_application,
    inbox,
    reject_application,
    withdraw_application,
)
from pipeline.review.web import DB, CurrentUser, DecisionFormData, Manager, add_flash, render
from pipeline.storage.models import User

Decide = Callable[[Context, int, int, datetime, str | None], Outcome]

router = APIRouter()


@router.get("/manager")
def manager_inbox(request: Request, *, user: Manager, db: DB) -> Response:
    return render(request, "manager.html", {"rows": inbox(db)}, db=db, user=user)


def _decide(
    request: Request, db: DB, user: User, application_id: int, form: DecisionFormData, act: Decide
) -> Response:
    ctx = Context(session=db, user=user, settings=request.app.state.settings)
    try:
        outcome = act(ctx, application_id, form.version, form.loaded_at, form.reason)
        db.commit()
    except StaleEditError as e:
        db.rollback()
        lines = [f"{c['at']} {c['who']}: {c['what']}（{c['entity']}）" for c in e.changes]
        add_flash(request, db, e.message, kind="error", lines=lines)
        db.commit()
        return RedirectResponse(form.back, status_code=303)
    except (ActionRefusedError, ConcurrencyError, ConkenError) as e:
        db.rollback()
        text = (
            e.message
            if isinstance(e, ActionRefusedError)
            else (f"処理できなかったため、保存していません（{e.message}）。")
        )
        add_flash(request, db, text, kind="error")
        db.commit()
        return RedirectResponse(form.back, status_code=303)
    add_flash(request, db, outcome.message_ja, lines=outcome.decision_lines())
    db.commit()
    return RedirectResponse(form.back, status_code=303)


@router.post("/applications/{application_id}/approve")
def approve(
    request: Request, *, application_id: int, form: DecisionFormData, user: Manager, db: DB
) -> Response:
    return _decide(request, db, user, application_id, form, approve_application)


@router.post("/applications/{application_id}/reject")
def reject(
    request: Request, *, application_id: int, form: DecisionFormData, user: Manager, db: DB
) -> Response:
    return _decide(request, db, user, application_id, form, reject_application)


@router.post("/applications/{application_id}/withdraw")
def withdraw(
    request: Request, *, application_id: int, form: DecisionFormData, user: CurrentUser, db: DB
) -> Response:
    return _decide(request, db, user, application_id, form, withdraw_application)
