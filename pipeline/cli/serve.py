"""``conken serve``: serve the nightly flow on its Cron schedule (Asia/Tokyo by default)."""

from __future__ import annotations

import typer

from pipeline.config import get_settings

SINGLE_COMMAND = True


def app() -> None:
    """Serve the nightly flow on `schedule_cron` in `timezone` until stopped.

    Uses the Prefect server PREFECT_API_URL names; without one, starts a local
    `prefect server start` on CONKEN_PREFECT_PORT (4200) and stops it on exit.
    """
    settings = get_settings()
    from flows.serve import banner, serve_nightly

    for line in banner(settings):
        typer.echo(line)
    serve_nightly(settings)
