"""``conken db``: migrations and status."""

from __future__ import annotations

import typer

from pipeline.config import get_settings
from pipeline.storage import db

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="Target revision."),
) -> None:
    """Apply migrations (default: to the latest)."""
    url = get_settings().effective_database_url
    before = db.current_revision(url)
    db.upgrade(url, revision)
    after = db.current_revision(url)
    if before == after:
        typer.echo(f"database already at {after}; nothing to do")
    else:
        typer.echo(f"database upgraded: {before or 'empty'} -> {after}")


@app.command("current")
def current() -> None:
    """Print the database's revision and the latest one available."""
    url = get_settings().effective_database_url
    typer.echo(f"current: {db.current_revision(url) or 'empty'}")
    typer.echo(f"head:    {db.head_revision()}")
