"""``conken synth``: reproducible synthetic envelopes with ground truth."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from pipeline.errors import ValidationError
from pipeline.forms.fonts import DEFAULT_TYPED_FAMILIES, TYPED_FAMILIES, parse_families
from pipeline.synth.batch import generate_batch, load_records, render_records
from pipeline.synth.scan import DegradationMix
from pipeline.synth.traits import TRAITS, parse_traits

SINGLE_COMMAND = True


def app(
    out: Annotated[Path, typer.Option("--out", help="Output directory (created if missing).")],
    count: int = typer.Option(10, "--count", min=1, max=5000, help="Envelopes to make."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same bytes."),
    from_records: Annotated[
        Path | None,
        typer.Option(
            "--from", help="Render these applicant records (JSON) instead of drawing them."
        ),
    ] = None,
    clean: bool = typer.Option(False, "--clean", help="Also write undegraded PDFs."),
    handwriting: float = typer.Option(
        0.15,
        "--handwriting",
        min=0.0,
        max=1.0,
        help="Share of envelopes with values written by hand.",
    ),
    scenarios: str = typer.Option(
        "", "--scenarios", help="Comma-separated scenarios to cycle through (default: a mix)."
    ),
    light: bool = typer.Option(False, "--light", help="200 dpi, smaller files (for samples)."),
    formats: str = typer.Option("pdf,tiff,jpeg", "--formats", help="Scan outputs to write."),
    workers: int = typer.Option(
        max(1, min(4, os.cpu_count() or 1)), "--workers", min=1, help="Parallel renderers."
    ),
    fonts: str = typer.Option(
        "",
        "--fonts",
        help="Type values only in these font families (KEY[,KEY] or all; default: "
        f"{', '.join(DEFAULT_TYPED_FAMILIES)}). Known: {', '.join(TYPED_FAMILIES)}.",
    ),
    traits: str = typer.Option(
        "",
        "--traits",
        help="Give every envelope exactly these traits (KEY[,KEY]; default: each drawn "
        f"with its own probability). Known: {', '.join(TRAITS)}.",
    ),
    no_traits: bool = typer.Option(
        False, "--no-traits", help="No traits: clean office scans (today's scanner only)."
    ),
) -> None:
    """Make synthetic scanned envelopes, a passers register, a bank statement and ground truth."""
    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = set(wanted) - {"pdf", "tiff", "jpeg"}
    if unknown or not wanted:
        raise ValidationError(f"--formats takes pdf, tiff, jpeg; got {formats!r}")
    if traits and no_traits:
        raise ValidationError("give --traits or --no-traits, not both")
    families = parse_families(fonts) if fonts else None
    forced = [] if no_traits else parse_traits(traits) if traits else None
    base = DegradationMix.light() if light else DegradationMix.default()
    mix = DegradationMix(**{**base.__dict__, "formats": wanted})
    if from_records is not None:
        records = load_records(from_records)
        truths = render_records(
            records,
            out,
            seed,
            clean=clean,
            mix=mix,
            workers=workers,
            fonts=families,
            traits=forced,
        )
    else:
        wanted_scenarios = [s.strip() for s in scenarios.split(",") if s.strip()] or None
        truths = generate_batch(
            out,
            count,
            seed,
            clean=clean,
            mix=mix,
            handwriting_share=handwriting,
            workers=workers,
            scenarios=wanted_scenarios,
            fonts=families,
            traits=forced,
        )
    typer.echo(f"wrote {len(truths)} envelopes to {out} (index: {out / 'batch.json'})")
