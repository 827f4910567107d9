"""``conken extract FILE...``: read scans directly (no inbox, no database writes)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.config import get_settings
from pipeline.errors import InputFileError
from pipeline.vocabulary import CONFIDENT

SINGLE_COMMAND = True


def app(
    files: list[Path] = typer.Argument(..., help="Scanned envelopes (PDF, TIFF, JPEG, PNG)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per envelope on stdout."),
    register: Path | None = typer.Option(None, help="Passers register CSV for cross-checks."),
) -> None:
    """Extract every field of the given files, with value, confidence and status."""
    from pipeline.extract.standalone import (
        FileExtraction,
        extract_files,
        register_lookup_from_csv,
    )

    settings = get_settings()
    lookup = register_lookup_from_csv(register) if register else None
    for path in files:
        if not path.is_file():
            raise InputFileError(f"no such file: {path}")
    failures = 0
    for path, result in extract_files(list(files), settings, lookup=lookup):
        if not isinstance(result, FileExtraction):
            failures += 1
            payload = {"file": path.name, "error": result.reason.value, "detail": result.detail}
            typer.echo(
                json.dumps(payload, ensure_ascii=False)
                if as_json
                else f"{path.name}: {result.message}"
            )
            continue
        data = result.as_dict()
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
            continue
        ok = sum(1 for f in data["fields"] if f["status"] in CONFIDENT)
        typer.echo(
            f"{path.name}: forms {','.join(data['documents_found']) or '-'}"
            f" missing {','.join(data['documents_missing']) or '-'}; {ok}/{len(data['fields'])} fields ok"
        )
        for f in data["fields"]:
            if f["status"] not in CONFIDENT and (f["value"] or f["raw_text"]):
                typer.echo(f"  {f['field']:<24} {f['status']:<15} {f['value'] or f['raw_text']!r}")
    if failures:
        raise typer.Exit(4)
