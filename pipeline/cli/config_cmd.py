"""``conken config``: print the effective settings."""

from __future__ import annotations

import json

import typer

from pipeline.config import get_settings

SINGLE_COMMAND = True


def app(
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show the effective settings (secrets masked)."""
    values = get_settings().masked()
    if as_json:
        typer.echo(json.dumps(values, default=str, ensure_ascii=False, indent=2))
        return
    width = max(len(k) for k in values)
    for key, value in values.items():
        typer.echo(f"{key.ljust(width)}  {value}")
