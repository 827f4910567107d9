"""``conken demo``: the main job on the embedded defaults (what ``make demo`` runs)."""

from __future__ import annotations

import typer

from pipeline.config import get_settings
from pipeline.storage import db

SINGLE_COMMAND = True


def app() -> None:
    """Prepare the data root and database, then run the main job once on sample data."""
    settings = get_settings()
    settings.data_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = settings.effective_database_url
    db.upgrade(url)
    shown_url = settings.masked()["database_url"]
    typer.echo(f"database ready at revision {db.current_revision(url)}: {shown_url}")
    typer.echo(f"data root: {settings.data_root}")
