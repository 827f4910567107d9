"""``conken payments``: import bank statements and reconcile the application fee.

- ``conken payments import FILE... [--profile NAME|PATH] [--json]`` stores each
  transaction once (re-importing an overlapping download adds nothing) and
  records the import; malformed rows are listed with file and line.
- ``conken payments match [--today YYYY-MM-DD] [--json]`` reconciles the stored
  deposits with the stored applications.
- ``conken payments match --applications APPS.json --statement FILE... --json``
  touches no database (schemas in ``pipeline.payments.standalone``).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.clock import business_today, parse_date_option
from pipeline.config import get_settings
from pipeline.errors import ConkenError, InputFileError, ValidationError
from pipeline.payments.profiles import Profile, resolve_profile
from pipeline.payments.standalone import load_applications_json, reconcile_files
from pipeline.payments.statements import read_statement
from pipeline.payments.store import import_statement, reconcile
from pipeline.storage import db

app = typer.Typer(no_args_is_help=True)


def _profile(name: str | None) -> Profile | None:
    return resolve_profile(name) if name else None


def _emit(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _today(value: str | None) -> date:
    return parse_date_option(value) or business_today(get_settings())


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Statement CSV files.")],
    profile: str | None = typer.Option(
        None, "--profile", help="Built-in profile name or a profile YAML file (default: detect)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the import records as JSON."),
) -> None:
    """Import bank statement files (each transaction stored once)."""
    chosen = _profile(profile)
    url = get_settings().effective_database_url
    db.ensure_schema(url)
    results: list[dict[str, Any]] = []
    failures: list[ConkenError] = []
    for path in files:
        try:
            parsed = read_statement(path, chosen)
            with db.session_scope(db.engine_for(url)) as session:
                results.append(import_statement(session, parsed).as_dict())
        except (InputFileError, ValidationError) as e:
            failures.append(e)
            results.append({"file": str(path), "error": e.message})
            typer.echo(f"conken: error: {e.message}", err=True)
    if as_json:
        _emit(results)
    else:
        for r in results:
            if "error" in r:
                continue
            typer.echo(
                f"{r['file']}: {r['profile']}, {r['rows_read']} rows read, {r['rows_new']} new, "
                f"{r['rows_duplicate']} already known, {r['rows_rejected']} rejected"
            )
            for p in r["problems"]:
                typer.echo(f"  {p['file']}:{p['line']}: {p['message']}")
    if failures:
        raise type(failures[0])(f"{len(failures)} of {len(files)} statement files not imported")


@app.command("match")
def match_cmd(
    applications: Annotated[
        Path | None,
        typer.Option("--applications", help="Standalone mode: APPS.json (no database)."),
    ] = None,
    statements: Annotated[
        list[Path] | None,
        typer.Option("--statement", help="Standalone mode: statement file (repeatable)."),
    ] = None,
    profile: str | None = typer.Option(None, "--profile", help="Statement profile (standalone)."),
    today: str | None = typer.Option(None, "--today", help="Business date for the waits."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Reconcile deposits with applications (database, or files with --applications)."""
    settings = get_settings()
    statements = statements or []
    if applications is not None or statements:
        if applications is None or not statements:
            raise ValidationError("standalone mode needs both --applications and --statement")
        result = reconcile_files(
            load_applications_json(applications), statements, settings, _profile(profile)
        )
        if as_json:
            _emit(result)
        else:
            s = result["summary"]
            typer.echo(f"{s['deposits']} deposits, {s['unmatched']} unmatched")
            for status, n in s["statuses"].items():
                typer.echo(f"  {status}: {n}")
        return
    url = settings.effective_database_url
    db.ensure_schema(url)
    with db.session_scope(db.engine_for(url)) as session:
        summary = reconcile(session, today=_today(today), settings=settings).as_dict()
    if as_json:
        _emit(summary)
    else:
        for key, value in summary.items():
            typer.echo(f"{key}: {value}")
