"""Server-side sessions of the review app and the key that signs their cookie.

The cookie holds ``<token>.<signature>``; the database holds only the
token's SHA-256, the user (None before log-in), the CSRF token and pending
one-time messages ("flash"). Log-in and log-out replace the row (a new token),
so a session id known before log-in is useless after it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, Signer
from sqlalchemy import delete
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.errors import ConfigurationError
from pipeline.storage.models import WebSession
from pipeline.storage.types import utcnow

COOKIE_NAME = "conken_session"
SECRET_FILE = "review_secret_key"
_REFRESH_AFTER = timedelta(minutes=1)


def secret_key(settings: Settings) -> str:
    """The configured key, or the one generated once under the data root (file mode 0600)."""
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if len(value) < 32:
            raise ConfigurationError("secret_key must be at least 32 characters long")
        return value
    path = settings.data_root / SECRET_FILE
    if not path.exists():
        _create_secret(path)
    value = path.read_text(encoding="ascii").strip()
    if len(value) < 32:
        raise ConfigurationError(f"{path} holds no usable key; delete it to generate a new one")
    return value


def _create_secret(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(48))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass
class SessionState:
    """What a request knows about its session."""

    token: str
    user_id: int | None
    csrf_token: str
    flash: list[dict[str, Any]] = field(default_factory=list)
    new_cookie: bool = False


class SessionStore:
    def __init__(self, settings: Settings) -> None:
        self._signer = Signer(secret_key(settings), salt="conken-review-session")
        self._lifetime = timedelta(hours=settings.review_session_hours)

    def cookie_value(self, token: str) -> str:
        return self._signer.sign(token).decode("ascii")

    def token_of(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return self._signer.unsign(cookie).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None

    def load(self, db: Session, cookie: str | None) -> SessionState | None:
        token = self.token_of(cookie)
        if token is None:
            return None
        row = db.get(WebSession, _hash(token))
        now = utcnow()
        if row is None or row.expires_at <= now:
            return None
        if now - row.last_seen_at > _REFRESH_AFTER:
            row.last_seen_at = now
            row.expires_at = now + self._lifetime
        return SessionState(
            token=token, user_id=row.user_id, csrf_token=row.csrf_token, flash=row.flash or []
        )

    def create(self, db: Session, user_id: int | None = None) -> SessionState:
        token = secrets.token_urlsafe(32)
        now = utcnow()
        db.add(
            WebSession(
                token_hash=_hash(token),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=now + self._lifetime,
                flash=[],
            )
        )
        db.flush()
        row = db.get(WebSession, _hash(token))
        assert row is not None
        return SessionState(
            token=token, user_id=user_id, csrf_token=row.csrf_token, new_cookie=True
        )

    def rotate(self, db: Session, old: SessionState, user_id: int | None) -> SessionState:
        """Replace the session by a new one (log-in, log-out): new token, new CSRF token."""
        self.end(db, old)
        return self.create(db, user_id)

    def end(self, db: Session, state: SessionState) -> None:
        db.execute(delete(WebSession).where(WebSession.token_hash == _hash(state.token)))

    def set_flash(self, db: Session, state: SessionState, messages: list[dict[str, Any]]) -> None:
        row = db.get(WebSession, _hash(state.token))
        if row is not None:
            row.flash = messages
        state.flash = messages

    def purge_expired(self, db: Session, now: datetime | None = None) -> int:
        result = db.execute(delete(WebSession).where(WebSession.expires_at <= (now or utcnow())))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
