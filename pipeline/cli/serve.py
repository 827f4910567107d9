"""``conken serve``: serve the nightly flow on its Cron schedule (Asia/Tokyo by default)."""

from __future__ import annotations

import typer

from pipeline.config import get_settings

SINGLE_COMMAND = True


def app() -> None:
    """Serve the nightly flow on `schedule_cron` in `timezone` until stopped.

    Uses the Prefect server PREFECT_API_URL names; without one, starts a local
    `prefect server start` and stops it on exit.
    """
    settings = get_settings()
    from flows.serve import configured_api_url, schedule_for, serve_nightly

    schedule = schedule_for(settings)
    where = configured_api_url() or "a local Prefect server (started now)"
    typer.echo(
        f"serving the nightly flow: cron {schedule.cron!r} in {schedule.timezone}, via {where}"
    )
    serve_nightly(settings)
