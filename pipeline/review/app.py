"""The review web app: ``create_app(settings)`` builds it, ``conken review serve`` runs it.

Server-rendered Japanese pages (Jinja2, autoescaped), a little plain
JavaScript, no front-end build step and nothing loaded from another site.
Every page needs a signed-in user except the log-in page and the static
files; every form carries a CSRF token; the session cookie is HttpOnly and
SameSite=Strict.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.config import Settings, get_settings
from pipeline.review.auth import LoginThrottle
from pipeline.review.sessions import COOKIE_NAME, SessionState, SessionStore
from pipeline.review.web import csrf_protect, make_templates, render
from pipeline.storage.db import engine_for
from pipeline.storage.models import User

STATIC_DIR = Path(__file__).resolve().parent / "static"
PUBLIC_PREFIXES = ("/static/",)
PUBLIC_PATHS = ("/login",)
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
ERROR_TEXT = {
    400: ("入力を確認してください", "送信された内容を受け付けられませんでした。"),
    401: ("ログインしてください", "この操作にはログインが必要です。"),
    403: ("この操作はできません", "この画面・操作を使う権限がありません。"),
    404: ("見つかりません", "お探しのページ・ファイルは見つかりませんでした。"),
    429: (
        "しばらくお待ちください",
        "ログインの失敗が続いたため、一時的にログインを止めています。"
        "数分後にもう一度お試しください。",
    ),
}
CSRF_TEXT = (
    "画面の有効期限が切れました",
    "安全のため、この送信は受け付けませんでした。ページを再読み込みしてから、もう一度操作してください。",
)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or engine_for(settings.effective_database_url)
    app = FastAPI(
        title="conken review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.state.sessions = SessionStore(settings)
    app.state.throttle = LoginThrottle(
        settings.review_login_max_failures, settings.review_login_window_seconds
    )
    app.state.templates = make_templates(settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_session_middleware(app)
    _install_error_pages(app)
    _include_routes(app)
    return app


def routers() -> list[APIRouter]:
    """Every router of the app (tests walk them to check log-in and CSRF on each route)."""
    from pipeline.review.routes import (
        admin,
        applications,
        audit,
        auth,
        files,
        items,
        letters,
        manager,
        payments,
        queue,
        reports,
    )

    modules = (
        auth,
        applications,
        manager,
        queue,
        items,
        files,
        letters,
        reports,
        audit,
        admin,
        payments,
    )
    return [m.router for m in modules]


def _include_routes(app: FastAPI) -> None:
    for router in routers():
        app.include_router(router, dependencies=[Depends(csrf_protect)])


def _load_session(app: FastAPI, cookie: str | None) -> tuple[SessionState, bool]:
    """The request's session (a new anonymous one if none) and whether a user is signed in."""
    store: SessionStore = app.state.sessions
    factory: sessionmaker[Session] = app.state.session_factory
    with factory() as db:
        state = store.load(db, cookie)
        signed_in = False
        if state is not None and state.user_id is not None:
            user = db.get(User, state.user_id)
            if user is None or not user.active:
                store.end(db, state)
                state = None
            else:
                signed_in = True
        if state is None:
            state = store.create(db)
        db.commit()
    return state, signed_in


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _install_session_middleware(app: FastAPI) -> None:
    settings: Settings = app.state.settings

    @app.middleware("http")
    async def session_middleware(request: Request, call_next):  # type: ignore[no-untyped-def]
        path = request.url.path
        if path.startswith(PUBLIC_PREFIXES):
            response = await call_next(request)
            _security_headers(response, path)
            return response
        state, signed_in = await run_in_threadpool(
            _load_session, app, request.cookies.get(COOKIE_NAME)
        )
        request.state.session = state
        if not signed_in and not _is_public(path):
            if request.method == "GET":
                target = path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            else:
                response = Response("ログインしてください。", status_code=401)
        else:
            response = await call_next(request)
        final: SessionState = request.state.session
        if final.new_cookie:
            response.set_cookie(
                COOKIE_NAME,
                app.state.sessions.cookie_value(final.token),
                max_age=int(settings.review_session_hours * 3600),
                httponly=True,
                samesite="strict",
                secure=settings.review_cookie_secure,
                path="/",
            )
        _security_headers(response, path)
        return response


def _security_headers(response: Response, path: str) -> None:
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 401 and request.method == "GET":
            return RedirectResponse("/login", status_code=303)
        if getattr(request.state, "session", None) is None:
            return Response(str(exc.detail), status_code=exc.status_code)
        title, text = ERROR_TEXT.get(exc.status_code, ("エラー", "処理できませんでした。"))
        if exc.status_code == 403 and exc.detail == "csrf":
            title, text = CSRF_TEXT
        user = await run_in_threadpool(_user_of, app, request.state.session)
        return render(
            request,
            "error.html",
            {"title": title, "text": text, "status": exc.status_code},
            user=user,
            status_code=exc.status_code,
        )


def _user_of(app: FastAPI, state: SessionState) -> User | None:
    if state.user_id is None:
        return None
    with app.state.session_factory() as db:
        user = db.get(User, state.user_id)
        if user is not None:
            db.expunge(user)
        return user


__all__ = ["create_app"]
