"""``conken users``: accounts of the review app (add, disable, enable, list).

Passwords are never echoed: they are read from a hidden prompt (asked twice)
or, with ``--password-stdin``, from the first line of standard input.
"""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import typer

from pipeline.config import get_settings
from pipeline.errors import ValidationError
from pipeline.review import auth
from pipeline.review.auth import ROLE_RANK
from pipeline.storage.db import default_engine, engine_for, ensure_schema, session_scope

app = typer.Typer(no_args_is_help=True)


def _engine():  # type: ignore[no-untyped-def]
    ensure_schema(get_settings().effective_database_url)
    return default_engine()


def account_once(url: str, username: str, *, role: str, display_name: str) -> str | None:
    """Make ``username`` with a fresh password, returned to be shown once; None when the
    account exists already (its password is never shown again)."""
    with session_scope(engine_for(url)) as session:
        if auth.get_user(session, username) is not None:
            return None
        password = secrets.token_urlsafe(9)
        auth.add_user(session, username, role=role, password=password, display_name=display_name)
    return password


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise ValidationError("no password on standard input")
        return password
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(
    username: Annotated[
        str, typer.Argument(help="Log-in name (lower-case letters, digits, . _ -).")
    ],
    role: Annotated[str, typer.Option(help="staff, manager or admin.")] = "staff",
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown in the app (e.g. 山田).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user of the review app."""
    if role not in ROLE_RANK:
        raise ValidationError(f"--role must be one of {', '.join(ROLE_RANK)}, not {role!r}")
    password = _read_password(password_stdin)
    with session_scope(_engine()) as session:
        user = auth.add_user(
            session, username, role=role, password=password, display_name=display_name
        )
        typer.echo(f"user {user.username} added (role {user.role})")


@app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The user to disable.")]) -> None:
    """Disable a user: they can no longer log in, and their sessions end now."""
    with session_scope(_engine()) as session:
        auth.set_active(session, username, False)
    typer.echo(f"user {username} disabled")


@app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="The user to enable again.")]) -> None:
    """Enable a disabled user again."""
    with session_scope(_engine()) as session:
        auth.set_active(session, username, True)
    typer.echo(f"user {username} enabled")


@app.command("list")
def list_() -> None:
    """List users: name, role, active, display name."""
    with session_scope(_engine()) as session:
        users = auth.list_users(session)
        if not users:
            typer.echo("no users yet; add one with: conken users add NAME --role admin")
            return
        for user in users:
            state = "active" if user.active else "disabled"
            typer.echo(f"{user.username}\t{user.role}\t{state}\t{user.display_name}")
