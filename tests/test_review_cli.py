"""``conken users`` and ``conken review serve`` through the real console entry."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import get_settings
from pipeline.review.auth import verify_password
from pipeline.storage import db
from pipeline.storage.models import User
from tests.review_client import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-long-secret-password"


def conken(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _user(name: str) -> User | None:
    engine = db.make_engine(get_settings().effective_database_url)
    try:
        with Session(engine) as s:
            return s.scalars(select(User).where(User.username == name)).first()
    finally:
        engine.dispose()


def test_users_add_list_disable_enable() -> None:
    added = conken(
        "users",
        "add",
        "yamada",
        "--role",
        "manager",
        "--display-name",
        "山田",
        "--password-stdin",
        stdin=SECRET + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert SECRET not in added.stdout + added.stderr  # never echoed
    user = _user("yamada")
    assert user is not None and user.role == "manager" and user.display_name == "山田"
    assert user.password_hash != SECRET and verify_password(user.password_hash, SECRET)

    listing = conken("users", "list")
    assert "yamada\tmanager\tactive\t山田" in listing.stdout
    assert conken("users", "disable", "yamada").returncode == 0
    assert _user("yamada").active is False
    assert "yamada\tmanager\tdisabled" in conken("users", "list").stdout
    assert conken("users", "enable", "yamada").returncode == 0
    assert _user("yamada").active is True


def test_users_add_refuses_bad_input_with_one_line() -> None:
    bad_role = conken("users", "add", "x1", "--role", "boss", "--password-stdin", stdin=SECRET)
    assert bad_role.returncode != 0 and "--role must be one of" in bad_role.stderr
    short = conken("users", "add", "x2", "--password-stdin", stdin="short\n")
    assert short.returncode != 0 and "at least 10 characters" in short.stderr
    assert "Traceback" not in short.stderr
    conken("users", "add", "x3", "--password-stdin", stdin=SECRET)
    again = conken("users", "add", "x3", "--password-stdin", stdin=SECRET)
    assert again.returncode != 0 and "already exists" in again.stderr
    missing = conken("users", "disable", "nobody")
    assert missing.returncode != 0 and "no user named 'nobody'" in missing.stderr


def test_review_serve_answers_on_the_given_port() -> None:
    import httpx

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli.main", "review", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        proc.stderr.read() if proc.stderr else "no output"
                    ) from None
                time.sleep(0.2)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
        key = get_settings().data_root / "review_secret_key"
        assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    finally:
        proc.terminate()
        proc.wait(timeout=20)
