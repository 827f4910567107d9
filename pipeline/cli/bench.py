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


@app.command("extract")
def extract(
    count: int = typer.Option(50, min=1, help="Envelopes to generate and extract."),
    seed: int = typer.Option(1, help="Random seed of the generated corpus."),
    seeds: str = typer.Option(
        "",
        help="Several corpora scored and calibrated together, e.g. 11,23,31 (replaces --seed).",
    ),
    workers: int = typer.Option(0, min=0, help="Processes (0: the configured worker count)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    calibrate: bool = typer.Option(
        False,
        "--calibrate",
        help="Also propose verify_max_score and consensus_max_score from the corpus.",
    ),
) -> None:
    """Extraction accuracy on a generated corpus: exact, review share, silent errors by field kind."""
    from pipeline.extract.bench import accuracy

    chosen: int | list[int] = seed
    if seeds.strip():
        try:
            chosen = [int(part) for part in seeds.split(",") if part.strip()]
        except ValueError:
            raise typer.BadParameter(
                f"--seeds takes integers separated by commas, not {seeds!r}"
            ) from None
    settings = get_settings()
    report = accuracy(
        count, chosen, settings, workers=workers or settings.workers, calibrate=calibrate
    )
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{report['envelopes']} envelopes in {report['seconds']} s")
    for one, row in report.get("per_seed", {}).items():
        typer.echo(
            f"seed {one}: {row['envelopes']} envelopes, every decision-critical field ok "
            f"{row['envelopes_all_critical_ok_share']:.1%}, typed ok and correct "
            f"{row['typed_total']['ok_and_correct_rate']:.1%}, silent "
            f"{row['typed_total']['silent_errors']}"
        )
    typer.echo(
        f"{'kind':<12} {'fields':>6} {'exact':>7} {'ok&right':>9} {'review':>7} {'silent':>6}"
    )
    for kind, row in {**report["typed_by_kind"], "TOTAL typed": report["typed_total"]}.items():
        typer.echo(
            f"{kind:<12} {row['fields']:>6} {row['exact_rate']:>7.1%} {row['ok_and_correct_rate']:>9.1%}"
            f" {row['review_share']:>7.1%} {row['silent_errors']:>6}"
        )
    hw = report["handwritten"]
    typer.echo(
        f"handwritten: {hw['fields']} fields, {hw['routed_to_review_share']:.1%} routed to review"
    )
    typer.echo(f"silent error rate (all fields): {report['silent_error_rate_all_fields']:.3%}")
    typer.echo(
        f"envelopes with every decision-critical field ok: {report['envelopes_all_critical_ok_share']:.1%}"
    )
    for scan, row in report["pages_identified"].items():
        typer.echo(f"pages identified {scan}: {row['identified']}/{row['pages']}")
    for failure in report["failures"]:
        typer.echo(f"failed: {failure}")
    for name, found in report.get("calibration", {}).items():
        if isinstance(found, dict):
            typer.echo(
                f"calibration {name}: now {found['current']}, proposed {found['proposed']} "
                f"(set CONKEN_{name.upper()})"
            )


@app.command("speed")
def speed(
    count: int = typer.Option(8, min=1, help="Envelopes to generate and time."),
    seed: int = typer.Option(1, help="Random seed of the generated corpus."),
    workers: int = typer.Option(0, min=0, help="Processes (0: the configured worker count)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Pages per second end to end, and the OCR time against one persistent Tesseract API."""
    from pipeline.extract.bench import speed as run_speed

    settings = get_settings()
    figures = run_speed(count, seed, settings, workers=workers or settings.workers)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, value in figures.items():
        typer.echo(f"{key}: {value}")
