"""``conken demo``: the sample envelopes and statements into the inbox, one run, the report.

What ``make demo`` runs. The committed sample (``data/sample/``) is copied
into the data root's inbox, registry and statements folders (envelopes keep
their received dates as file times), the database is migrated, and the
nightly flow runs once in Prefect's local mode with the business date set to
the day after the sample's bank statement ends. Running it again finds
nothing new and says so. The first time, it also makes a demo account for the
review app (a manager, who can also do staff's work) and prints its password once.
"""

from __future__ import annotations

from datetime import timedelta

import typer

from pipeline.cli.users import account_once
from pipeline.config import get_settings
from pipeline.sample_inbox import prepare_sample
from pipeline.storage import db

DEMO_USER = "demo"

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
    _demo_account(url, settings.review_port)


def _demo_account(url: str, port: int) -> None:
    """The review app's demo account: made once, its password shown only then."""
    password = account_once(url, DEMO_USER, role="manager", display_name="デモ担当者")
    where = f"review app: conken review serve, then http://127.0.0.1:{port}/"
    if password is None:
        typer.echo(f"{where} (user {DEMO_USER}, the password printed when it was made)")
        return
    typer.echo(f"{where} user {DEMO_USER}, password {password} (shown this once)")
