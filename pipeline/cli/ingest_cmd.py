"""``conken ingest``: take the inbox and extract what arrived (no payments, no rules)."""

from __future__ import annotations

import typer

from pipeline.config import get_settings
from pipeline.storage import db

SINGLE_COMMAND = True


def app(
    extract: bool = typer.Option(True, help="Also extract the envelopes taken."),
) -> None:
    """Take new files from the inbox: archive, quarantine, duplicates; then extract them."""
    from pipeline import stages

    settings = get_settings()
    db.ensure_schema(settings.effective_database_url)
    engine = db.default_engine()
    result = stages.ingest(engine, settings, run_id=None)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()) if v) or "nothing new"
    typer.echo(f"inbox {settings.inbox_dir}: {counts}")
    for item in result.details:
        typer.echo(f"  quarantined {item['file']}: {item['reason']}")
    if not extract:
        return
    for envelope_id, pages in stages.envelopes_to_extract(engine):
        try:
            done = stages.extract_envelope(engine, settings, envelope_id, pages, run_id=None)
        except Exception as e:  # one bad envelope never stops the rest
            stages.fail_envelope(
                engine, settings, envelope_id, f"{type(e).__name__}: {e}", run_id=None
            )
            typer.echo(
                f"  envelope {envelope_id}: extraction failed ({type(e).__name__}); queued for review"
            )
            continue
        c = done.counts
        typer.echo(
            f"  envelope {envelope_id}: {c.get('pages', 0)} pages, {c.get('fields_ok', 0)}/{c.get('fields', 0)}"
            f" fields ok, {c.get('exceptions_opened', 0)} exceptions"
        )
