"""Request plumbing shared by the routes: database session, current user, roles,
CSRF, rendering and one-time messages."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Settings
from pipeline.review import labels
from pipeline.review.actions import Seen
from pipeline.review.auth import ROLE_JA, has_role
from pipeline.review.sessions import SessionState, SessionStore
from pipeline.storage.models import Role, User
from pipeline.storage.types import utcnow
from pipeline.vocabulary import FINAL_DECISIONS, UNSCORED_RULES

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def make_templates(settings: Settings) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(("html",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tz = settings.tz
    env.filters["jdate"] = labels.format_date
    env.filters["jdatetime"] = lambda v: labels.format_datetime(v, tz)
    env.filters["age"] = lambda v: labels.format_age(v, utcnow())
    env.filters["yen"] = lambda v: "—" if v is None else f"{int(v):,}円"
    env.filters["kind_ja"] = labels.kind_label
    env.filters["plain_reason"] = labels.plain_reason
    env.filters["reason_ja"] = labels.reason_ja
    env.filters["raw_reading"] = labels.raw_reading
    env.globals["evidence_lines"] = labels.evidence_lines
    env.filters["match_rule"] = labels.match_rule_label
    env.filters["via_ja"] = labels.via_label
    env.filters["page_note_ja"] = labels.page_note_ja
    env.filters["field_label"] = lambda f: labels.field_label(f.form_code, f.name)
    env.globals.update(
        DECISION_JA=labels.DECISION_JA,
        FINDING_JA=labels.FINDING_JA,
        LETTER_JA=labels.LETTER_JA,
        FIELD_STATUS_JA=labels.FIELD_STATUS_JA,
        SEVERITY_JA=labels.SEVERITY_JA,
        ITEM_STATUS_JA=labels.ITEM_STATUS_JA,
        PAYMENT_STATUS_JA=labels.PAYMENT_STATUS_JA,
        MATCH_STATUS_JA=labels.MATCH_STATUS_JA,
        FORM_JA=labels.FORM_JA,
        PAGE_KIND_JA=labels.PAGE_KIND_JA,
        RUN_STATUS_JA=labels.RUN_STATUS_JA,
        ROLE_JA=ROLE_JA,
        FINAL_DECISIONS=[str(d) for d in FINAL_DECISIONS],
        UNSCORED_RULES=[str(r) for r in UNSCORED_RULES],
    )
    return Jinja2Templates(env=env)


# --- dependencies -------------------------------------------------------------------


def get_db(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


DB = Annotated[Session, Depends(get_db)]


def current_user(request: Request, db: DB) -> User:
    """The signed-in user, loaded in this request's database session."""
    state: SessionState = request.state.session
    if state.user_id is None:
        raise HTTPException(status_code=401)
    user = db.get(User, state.user_id)
    if user is None or not user.active:
        raise HTTPException(status_code=401)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(role: Role) -> Callable[..., User]:
    def dependency(user: CurrentUser) -> User:
        if not has_role(user, role):
            raise HTTPException(status_code=403, detail="role")
        return user

    return dependency


Manager = Annotated[User, Depends(require(Role.MANAGER))]
Admin = Annotated[User, Depends(require(Role.ADMIN))]


async def csrf_protect(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token (form field or header)."""
    if request.method in SAFE_METHODS:
        return
    state: SessionState | None = getattr(request.state, "session", None)
    token = request.headers.get("x-csrf-token")
    if not token:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            token = value if isinstance(value, str) else None
    if state is None or not token or not hmac.compare_digest(token, state.csrf_token):
        raise HTTPException(status_code=403, detail="csrf")


# --- rendering ------------------------------------------------------------------------


def add_flash(
    request: Request,
    db: Session,
    text: str,
    *,
    kind: str = "success",
    lines: list[str] | None = None,
) -> None:
    store: SessionStore = request.app.state.sessions
    state: SessionState = request.state.session
    store.set_flash(db, state, [*state.flash, {"kind": kind, "text": text, "lines": lines or []}])


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    db: Session | None = None,
    user: User | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    state: SessionState = request.state.session
    flash = list(state.flash)
    if flash and db is not None:
        request.app.state.sessions.set_flash(db, state, [])
        db.commit()
    settings: Settings = request.app.state.settings
    base = {
        "request": request,
        "user": user,
        "csrf_token": state.csrf_token,
        "flash": flash,
        "loaded_at": utcnow().isoformat(),
        "is_manager": user is not None and has_role(user, Role.MANAGER),
        "is_admin": user is not None and has_role(user, Role.ADMIN),
        "presence_seconds": settings.review_presence_seconds,
    }
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def is_local_path(path: str) -> bool:
    """A path on this site to send the browser back to (never ``//host`` or ``/\\host``)."""
    return path.startswith("/") and not path.startswith(("//", "/\\")) and "\\" not in path


def parse_instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


@dataclass(frozen=True)
class ActionForm:
    """What every action form carries: what the person saw, and why they act."""

    seen: Seen
    reason: str


def action_form(
    item_version: Annotated[str, Form()],
    loaded_at: Annotated[str, Form()],
    entity_version: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> ActionForm:
    """Parse the versions and load time an action form was rendered with (400 if forged)."""
    when = parse_instant(loaded_at)
    if not item_version.isdigit() or when is None:
        raise HTTPException(status_code=400)
    entity = int(entity_version) if entity_version.isdigit() else None
    seen = Seen(item_version=int(item_version), loaded_at=when, entity_version=entity)
    return ActionForm(seen=seen, reason=reason)


ActionFormData = Annotated[ActionForm, Depends(action_form)]


@dataclass(frozen=True)
class DecisionForm:
    """A manager's decision form: the application's version and load time, a reason, where to."""

    version: int
    loaded_at: datetime
    reason: str
    back: str


def decision_form(
    version: Annotated[str, Form()],
    loaded_at: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> DecisionForm:
    when = parse_instant(loaded_at)
    if not version.isdigit() or when is None:
        raise HTTPException(status_code=400)
    local = back if is_local_path(back) else "/manager"
    return DecisionForm(version=int(version), loaded_at=when, reason=reason, back=local)


DecisionFormData = Annotated[DecisionForm, Depends(decision_form)]
