"""``conken purge``: remove the images of long-decided applications (retention)."""

from __future__ import annotations

import typer

from pipeline.config import get_settings
from pipeline.errors import ValidationError
from pipeline.storage import db

SINGLE_COMMAND = True


def app(
    older_than: float = typer.Option(..., "--older-than", help="Years since the final decision."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be removed."),
) -> None:
    """Remove scans and crops of applications finally decided (approved, rejected, withdrawn,
    superseded) more than YEARS ago.

    The decision, findings, values and audit trail are kept.
    """
    from pipeline.retention import purge_images

    if older_than <= 0:
        raise ValidationError("--older-than must be a positive number of years")
    settings = get_settings()
    db.ensure_schema(settings.effective_database_url)
    with db.session_scope() as session:
        result = purge_images(
            session,
            data_root=settings.data_root,
            store_dir=settings.store_dir,
            older_than_years=older_than,
            actor="cli:purge",
            dry_run=dry_run,
        )
    verb = "would remove" if dry_run else "removed"
    typer.echo(
        f"{verb} {result.files_removed} files ({result.bytes_removed:,} bytes) "
        f"of {len(result.applications)} applications"
    )
