"""``make demo`` leaves a way into the review app: an account whose password it prints
once, and never again (a second demo run does not reset or show it)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from pipeline.cli.demo import DEMO_USER, _demo_account
from pipeline.review.auth import get_user, verify_password
from pipeline.storage import db


def test_the_demo_account_is_made_once_and_its_password_shown_once(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _demo_account(sqlite_url, 8000)
    first = capsys.readouterr().out
    password = re.search(r"password (\S+) \(shown this once\)", first)
    assert password is not None and "http://127.0.0.1:8000/" in first
    with Session(db.engine_for(sqlite_url)) as session:
        user = get_user(session, DEMO_USER)
        assert user is not None and user.role == "manager"
        assert verify_password(user.password_hash, password.group(1))
    _demo_account(sqlite_url, 8000)
    again = capsys.readouterr().out
    assert password.group(1) not in again and DEMO_USER in again
