"""``conken forms``: the association's form definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.forms.loader import load_templates
from pipeline.forms.render import render_blank_pdf

app = typer.Typer(no_args_is_help=True)
TemplatesOption = Annotated[
    Path | None, typer.Option("--templates", help="Template directory (default: templates_ocr/).")
]

FORM_ORDER = "RABCD"
FILE_TITLES = {
    "R": "試験結果レポート",
    "A": "A_資格認定申請書",
    "B": "B_業務経歴証明書",
    "C": "C_上司もしくは監督者による証明",
    "D": "D_宣誓書",
}


@app.command("blank")
def blank(
    out: Annotated[Path, typer.Option("--out", help="Directory for the blank PDFs.")],
    templates: TemplatesOption = None,
) -> None:
    """Print the blank forms as PDF: one file per form and one with the whole set."""
    loaded = load_templates(templates)
    out.mkdir(parents=True, exist_ok=True)
    pages = sorted(loaded.values(), key=lambda t: (FORM_ORDER.index(t.form_code), t.page))
    written = []
    for code in FORM_ORDER:
        form_pages = [t for t in pages if t.form_code == code]
        if not form_pages:
            continue
        name = f"form_{code}.pdf"
        render_blank_pdf(form_pages, out / name, title=FILE_TITLES[code])
        written.append(name)
    application = [t for t in pages if t.form_code != "R"]
    render_blank_pdf(
        application,
        out / "application_forms_A-D.pdf",
        title="プロフェッショナル資格認定申請フォーム",
    )
    written.append("application_forms_A-D.pdf")
    typer.echo(f"wrote {', '.join(written)} to {out}")


@app.command("check")
def check(
    templates: TemplatesOption = None,
) -> None:
    """Validate every template file and list the pages."""
    loaded = load_templates(templates)
    for key in sorted(loaded, key=lambda k: (FORM_ORDER.index(k[0]), k[1])):
        t = loaded[key]
        typer.echo(f"{t.form_code}-{t.page}  {t.version}  {len(t.fields):3d} fields  {t.title_ja}")
