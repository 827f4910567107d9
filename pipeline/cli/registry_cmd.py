"""``conken registry``: the passers register."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.config import get_settings
from pipeline.errors import InputFileError
from pipeline.storage import db

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_(files: list[Path] = typer.Argument(..., help="Register CSV files.")) -> None:
    """Import passers register CSV(s): one line per pass number, updated in place."""
    from pipeline.registry import import_register

    settings = get_settings()
    db.ensure_schema(settings.effective_database_url)
    for path in files:
        if not path.is_file():
            raise InputFileError(f"no such file: {path}")
        with db.session_scope() as session:
            result = import_register(session, path)
        typer.echo(
            f"{path.name}: {result.read} lines, {result.new} new, {result.updated} updated, "
            f"{result.unchanged} unchanged, {len(result.problems)} problems"
        )
        for problem in result.problems:
            typer.echo(f"  {problem}")
