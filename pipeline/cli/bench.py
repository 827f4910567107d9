"""``conken bench``: benchmarks run as commands (figures go in the README)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.bench.payments import run_benchmark
from pipeline.config import get_settings
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


def _keys(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@app.command("extract")
def extract(
    count: int = typer.Option(50, min=1, help="Envelopes to generate and extract per seed."),
    seed: int = typer.Option(1, help="Random seed of the generated corpus."),
    seeds: str = typer.Option("", help="Several corpora scored together, e.g. 11,23,31."),
    fonts: str = typer.Option("", help="Draw typed values only in these font families."),
    traits: str = typer.Option("", help="Give every envelope these capture traits."),
    hold_out_fonts: str = typer.Option(
        "", help="Font families held out: calibrate on the rest, report these on their own."
    ),
    hold_out_traits: str = typer.Option(
        "", help="Capture traits held out: calibrate on the rest, report these on their own."
    ),
    corpus: list[Path] = typer.Option(
        [], help="Score corpora `conken synth` wrote instead of generating (repeatable)."
    ),
    workers: int = typer.Option(0, min=0, help="Processes (0: the configured worker count)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    calibrate: bool = typer.Option(
        False, "--calibrate", help="Also propose the handwriting judgement's weights and threshold."
    ),
) -> None:
    """Extraction accuracy on generated corpora, per font family and capture trait."""
    from pipeline.bench.extraction import accuracy
    from pipeline.bench.report import print_accuracy

    chosen = [seed]
    if seeds.strip():
        try:
            chosen = [int(part) for part in _keys(seeds)]
        except ValueError:
            raise typer.BadParameter(
                f"--seeds takes integers separated by commas, not {seeds!r}"
            ) from None
    settings = get_settings()
    report = accuracy(
        count,
        chosen,
        settings,
        workers=workers or settings.workers,
        fonts=_keys(fonts) or None,
        traits=_keys(traits) or None,
        hold_out_fonts=_keys(hold_out_fonts) or None,
        hold_out_traits=_keys(hold_out_traits) or None,
        calibrate=calibrate,
        corpora=corpus or None,
    )
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    print_accuracy(report, typer.echo)


@app.command("speed")
def speed(
    count: int = typer.Option(8, min=1, help="Envelopes to generate and time."),
    seed: int = typer.Option(1, help="Random seed of the generated corpus."),
    workers: int = typer.Option(0, min=0, help="Processes (0: the configured worker count)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Pages per second end to end, and the OCR time against one persistent Tesseract API."""
    from pipeline.bench.speed import speed as run_speed

    settings = get_settings()
    figures = run_speed(count, seed, settings, workers=workers or settings.workers)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, value in figures.items():
        typer.echo(f"{key}: {value}")


@app.command("review")
def review(
    batch: Path | None = typer.Option(
        None,
        help="A data root that already holds a nightly run of the batch (copied, not changed). "
        "Default: run the demo sample into a temporary data root first.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Settle every application of a batch in the review app, keyboard only (headless Chromium)."""
    from pipeline.bench.review import run_review_bench

    figures = run_review_bench(batch)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, value in figures.items():
        if key != "per_application":
            typer.echo(f"{key}: {value}")
    for row in figures["per_application"]:
        typer.echo(
            f"  application {row['application_id']}: loads {row['page_loads']}, "
            f"submits {row['submits']}, keys {row['keystrokes']} (target {row['keystroke_target']}), "
            f"fields {row['fields_needing_person']}, corrections {row['corrections']}, "
            f"decision {row['decision_after']}"
        )
