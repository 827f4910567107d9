"""``conken report [RUN_ID]``: regenerate a run's report (default: the latest run)."""

from __future__ import annotations

import typer

from pipeline.config import get_settings
from pipeline.reports.publish import latest_run_id, publish
from pipeline.storage import db

SINGLE_COMMAND = True


def app(
    run_id: int | None = typer.Argument(None, help="Run id (default: the latest finished run)."),
) -> None:
    """Rebuild the HTML and JSON report of a run and the history page."""
    settings = get_settings()
    url = settings.effective_database_url
    db.ensure_schema(url)
    engine = db.engine_for(url)
    chosen = run_id if run_id is not None else latest_run_id(engine)
    published = publish(engine, settings, chosen)
    typer.echo(f"report: {published.files.html}")
    typer.echo(f"json: {published.files.json}")
    typer.echo(f"history: {published.history}")
