"""``conken demo``: the sample envelopes and statements into the inbox, one run, the report.

What ``make demo`` runs. The committed sample (``data/sample/``) is copied
into the data root's inbox, registry and statements folders (envelopes keep
their received dates as file times), the database is migrated, and the
nightly flow runs once in Prefect's local mode with the business date set to
the day after the sample's bank statement ends. Running it again finds
nothing new and says so.
"""

from __future__ import annotations

from datetime import timedelta

import typer

from pipeline.config import get_settings
from pipeline.sample_inbox import prepare_sample
from pipeline.storage import db

SINGLE_COMMAND = True


def app() -> None:
    """Put the sample into the inbox and run the nightly job once on it."""
    from pipeline.cli.run import run_nightly

    settings = get_settings()
    settings.data_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = settings.effective_database_url
    db.upgrade(url)
    typer.echo(
        f"database ready at revision {db.current_revision(url)}: {settings.masked()['database_url']}"
    )
    typer.echo(f"data root: {settings.data_root}")
    prepared = prepare_sample(settings)
    typer.echo(
        f"sample: {len(prepared.envelopes)} envelopes into {settings.inbox_dir}, "
        f"{len(prepared.statements)} statements, {len(prepared.registers)} register files"
        + (" (already there: nothing copied)" if not prepared.envelopes else "")
    )
    last = prepared.last_received
    business_day = last + timedelta(days=8) if last else None
    run_nightly(business_day)
