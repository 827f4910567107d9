"""Accounts of the review app: password hashing, users, log-in and its rate limit.

Passwords are hashed with Argon2id (argon2-cffi's defaults). A log-in with an
unknown user name still spends one hash verification, so the response time
does not tell which user names exist. Failed log-ins are counted per user name
and client address; past the limit the log-in is refused even with the right
password until the window has passed.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.errors import ValidationError
from pipeline.names_ja import PASSWORD_SET_JA
from pipeline.storage.audit import record_event
from pipeline.storage.models import Role, User, WebSession
from pipeline.storage.types import utcnow

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anyone")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
ROLE_RANK = {Role.STAFF.value: 1, Role.MANAGER.value: 2, Role.ADMIN.value: 3}
ROLE_JA = {
    Role.STAFF.value: "担当者",
    Role.MANAGER.value: "管理者",
    Role.ADMIN.value: "システム管理者",
}


def hash_password(password: str) -> str:
    check_password(password)
    return _HASHER.hash(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise ValidationError("a password must not start or end with spaces")


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def has_role(user: User, role: Role) -> bool:
    """Roles are ranked: admin ⊇ manager ⊇ staff."""
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role.value]


def get_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def _require_user(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise ValidationError(f"no user named {username!r}")
    return user


def add_user(
    session: Session,
    username: str,
    *,
    role: str,
    password: str,
    display_name: str | None = None,
    actor: str = "system",
) -> User:
    """Create an active user; the password is stored only as its hash."""
    if not USERNAME.match(username):
        raise ValidationError(
            "a user name is 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    if role not in ROLE_RANK:
        raise ValidationError(f"role must be one of {', '.join(ROLE_RANK)}, not {role!r}")
    if get_user(session, username) is not None:
        raise ValidationError(f"a user named {username!r} already exists")
    user = User(
        username=username,
        display_name=(display_name or username).strip() or username,
        password_hash=hash_password(password),
        role=role,
        active=True,
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="user.added",
        entity_type="user",
        entity_id=user.id,
        after={"username": username, "role": role, "display_name": user.display_name},
    )
    return user


def set_active(session: Session, username: str, active: bool, *, actor: str = "system") -> User:
    """Disable (or enable again) a user; disabling ends every session of theirs."""
    user = _require_user(session, username)
    before = {"active": user.active}
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record_event(
        session,
        actor=actor,
        action="user.enabled" if active else "user.disabled",
        entity_type="user",
        entity_id=user.id,
        before=before,
        after={"active": active},
    )
    return user


def set_password(session: Session, username: str, password: str, *, actor: str) -> User:
    user = _require_user(session, username)
    user.password_hash = hash_password(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record_event(
        session,
        actor=actor,
        action="user.password_set",
        entity_type="user",
        entity_id=user.id,
        reason=PASSWORD_SET_JA,
    )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (same cost either way)."""
    user = get_user(session, username.strip())
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    user.last_login_at = utcnow()
    return user


@dataclass
class LoginThrottle:
    """Failed log-ins per (user name, address) in a sliding window, in memory.

    The review app runs as one process, so memory is enough; a restart forgets
    the counts, which only shortens a lock-out.
    """

    max_failures: int
    window_seconds: float

    def __post_init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self.window_seconds:
            times.popleft()
        return times

    def blocked(self, username: str, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            return len(self._recent((username.lower(), address), now)) >= self.max_failures

    def failed(self, username: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent((username.lower(), address), now).append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)
