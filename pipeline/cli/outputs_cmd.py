"""``conken outputs``: the letters and certificates the office prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.config import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("preview")
def preview(
    out: Annotated[Path, typer.Option("--out", help="Directory for the PDFs and PNGs.")],
    dpi: Annotated[
        int, typer.Option("--dpi", min=30, max=300, help="Resolution of the PNGs.")
    ] = 60,
) -> None:
    """Every kind of letter and the certificate (plain and pre-printed) with made-up data.

    Print them on the office's paper and hold a letter against a window envelope
    after changing association.yaml, a layout or the envelope window setting.
    """
    from pipeline.outputs.samples import write_previews

    for written in write_previews(get_settings(), out, dpi=dpi):
        typer.echo(f"{written.pdf}  {written.png.name}")
