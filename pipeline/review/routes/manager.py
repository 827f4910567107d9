"""The manager's inbox: decisions waiting for a manager, approved or rejected from the row."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.errors import ConcurrencyError, ConkenError
from pipeline.review.actions import ActionRefusedError, Context, Outcome, StaleEditError
from pipeline.review.manager import approve_application, inbox, reject_application
from pipeline.review.web import DB, DecisionFormData, Manager, add_flash, render

router = APIRouter()


@router.get("/manager")
def manager_inbox(request: Request, *, user: Manager, db: DB) -> Response:
    return render(request, "manager.html", {"rows": inbox(db)}, db=db, user=user)


def _decide(
    request: Request,
    db: DB,
    user: Manager,
    form: DecisionFormData,
    act: Callable[[Context], Outcome],
) -> Response:
    ctx = Context(session=db, user=user, settings=request.app.state.settings)
    try:
        outcome = act(ctx)
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
    return _decide(
        request,
        db,
        user,
        form,
        lambda ctx: approve_application(
            ctx, application_id, form.version, form.loaded_at, form.reason
        ),
    )


@router.post("/applications/{application_id}/reject")
def reject(
    request: Request, *, application_id: int, form: DecisionFormData, user: Manager, db: DB
) -> Response:
    return _decide(
        request,
        db,
        user,
        form,
        lambda ctx: reject_application(
            ctx, application_id, form.version, form.loaded_at, form.reason
        ),
    )
