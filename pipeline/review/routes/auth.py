"""Log-in and log-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.review.auth import LoginThrottle, authenticate
from pipeline.review.sessions import SessionStore
from pipeline.review.web import DB, render
from pipeline.storage.audit import record_event

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a full URL) may follow the log-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if request.state.session.user_id is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    *,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    db: DB,
) -> Response:
    throttle: LoginThrottle = request.app.state.throttle
    address = _client(request)
    name = username.strip()
    if throttle.blocked(name, address):
        raise HTTPException(status_code=429)
    user = authenticate(db, name, password)
    if user is None:
        throttle.failed(name, address)
        db.rollback()
        return render(
            request,
            "login.html",
            {
                "next": safe_next(next),
                "error": "ユーザー名またはパスワードが違います。",
                "username": name,
            },
            status_code=401,
        )
    throttle.succeeded(name, address)
    store: SessionStore = request.app.state.sessions
    request.state.session = store.rotate(db, request.state.session, user.id)
    record_event(
        db, actor=f"user:{user.id}", action="user.login", entity_type="user", entity_id=user.id
    )
    db.commit()
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, db: DB) -> Response:
    store: SessionStore = request.app.state.sessions
    request.state.session = store.rotate(db, request.state.session, None)
    db.commit()
    return RedirectResponse("/login", status_code=303)
