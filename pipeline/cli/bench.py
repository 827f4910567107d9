"""``conken bench``: benchmarks run as commands (figures go in the README)."""

from __future__ import annotations

import json

import typer

from pipeline.config import get_settings
from pipeline.payments.bench import run_benchmark
from pipeline.payments.store import match_settings

app = typer.Typer(no_args_is_help=True)


@app.command("payments")
def payments(
    transactions: int = typer.Option(100_000, min=1, help="Statement lines to generate."),
    applications: int = typer.Option(10_000, min=1, help="Applications to generate."),
    seed: int = typer.Option(1, help="Random seed."),
    unrelated_people: float = typer.Option(
        0.05,
        min=0.0,
        max=0.5,
        help="Share of lines from people named like applicants, paying else.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Reconcile generated transactions against generated applications and time it."""
    figures = run_benchmark(
        applications, transactions, seed, match_settings(get_settings()), unrelated_people
    )
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, value in figures.items():
        typer.echo(f"{key}: {value}")
