"""``conken rules``: decide one application from JSON, or explain a stored decision.

* ``conken rules check APP.json [--json] [--today YYYY-MM-DD]`` — no scans, no
  database: validates APP.json (schema in :mod:`pipeline.rules.appjson`, example
  in ``tests/fixtures/rules/eligible_cap.json``), runs every rule and prints the
  decision, every finding and the dates (Japanese text, or JSON with --json).
* ``conken rules explain APPLICATION_ID`` — the stored current decision of an
  application with its findings, the facts they used and the dates.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from pipeline.clock import business_today, parse_date_option
from pipeline.config import get_settings
from pipeline.errors import StorageError, ValidationError
from pipeline.rules.appjson import parse_application_json, read_application_json
from pipeline.rules.evaluate import evaluate
from pipeline.rules.explain import load_trace, render, view_of_evaluation
from pipeline.rules.readings import load_readings
from pipeline.storage.db import default_engine, session_scope

app = typer.Typer(no_args_is_help=True)


def _today(value: str | None) -> date:
    return parse_date_option(value) or business_today(get_settings())


@app.command("check")
def check(
    path: Annotated[Path, typer.Argument(help="APP.json: one application's facts.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the evaluation as JSON.")] = False,
    today: Annotated[
        str | None,
        typer.Option(help="Evaluate as of this date YYYY-MM-DD (default: today, business tz)."),
    ] = None,
) -> None:
    """Decide one application given as JSON (no scans, no database)."""
    settings = get_settings()
    text = read_application_json(path)
    facts = parse_application_json(
        text, source=str(path), ok_confidence=settings.field_ok_confidence
    )
    on = _today(today)
    if facts.effective_received_on > on:
        raise ValidationError(
            f"{path}: the received date {facts.effective_received_on} is after the evaluation "
            f"date {on} (--today): a received date cannot be in the future"
        )
    readings = load_readings(settings.rules_substitutions_path)
    evaluation = evaluate(facts, readings, today=on, wait_days=settings.unpaid_wait_days)
    if as_json:
        payload = evaluation.model_dump(mode="json")
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        typer.echo(render(view_of_evaluation(evaluation)))


@app.command("explain")
def explain(
    application_id: Annotated[int, typer.Argument(help="The application's id.")],
) -> None:
    """Show the decision trace of a stored application, for staff."""
    try:
        with session_scope(default_engine()) as session:
            text = render(load_trace(session, application_id))
    except (OperationalError, ProgrammingError) as e:
        raise StorageError(
            f"cannot read decisions ({e.orig}); is the database migrated? run: conken db upgrade"
        ) from e
    typer.echo(text)
