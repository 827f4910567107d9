"""Retention: removing the images of long-decided applications.

``purge_images`` deletes the archived original, the page images and the field
crops of applications finally decided (approved, rejected, withdrawn or
superseded) more than the given number of years ago. The decision, the
findings, the extracted values and the audit trail stay; the image paths are
cleared, and each purge is an audit event saying what was removed.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.extract.files import envelope_dir
from pipeline.names_ja import PURGED_JA
from pipeline.storage.audit import record_event
from pipeline.storage.models import Application, Decision, Envelope, FieldValue, Page
from pipeline.storage.types import utcnow
from pipeline.vocabulary import FINAL_DECISIONS

log = logging.getLogger(__name__)


@dataclass
class PurgeResult:
    applications: list[int] = field(default_factory=list)
    files_removed: int = 0
    bytes_removed: int = 0


def _inside(root: Path, relative: str | None) -> Path | None:
    if not relative:
        return None
    path = (root / relative).resolve()
    return path if path.is_relative_to(root.resolve()) else None


def purge_images(
    session: Session,
    *,
    data_root: Path,
    store_dir: Path,
    older_than_years: float,
    actor: str,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeResult:
    """Remove images of applications finally decided before ``now - older_than_years``."""
    cutoff = (now or utcnow()) - timedelta(days=round(365.25 * older_than_years))
    result = PurgeResult()
    rows = session.execute(
        select(Application, Decision)
        .join(Decision, Decision.application_id == Application.id)
        .where(
            Decision.is_current.is_(True),
            Decision.outcome.in_(FINAL_DECISIONS),
            Decision.created_at < cutoff,
        )
        .order_by(Application.id)
    ).all()
    for application, decision in rows:
        envelope = session.get(Envelope, application.envelope_id)
        if envelope is None:
            continue
        targets: list[Path] = []
        original = _inside(data_root, envelope.archive_path)
        if original is not None and original.is_file():
            targets.append(original)
        folder = envelope_dir(store_dir, envelope.id)
        images = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
        if not targets and not images:
            continue
        result.applications.append(application.id)
        result.files_removed += len(targets) + len(images)
        result.bytes_removed += sum(p.stat().st_size for p in [*targets, *images])
        if dry_run:
            continue
        for path in targets:
            path.unlink(missing_ok=True)
        if folder.is_dir():
            shutil.rmtree(folder)
        before = {"archive_path": envelope.archive_path}
        envelope.archive_path = None
        for page in session.scalars(select(Page).where(Page.envelope_id == envelope.id)):
            page.image_path = None
        for f in session.scalars(select(FieldValue).where(FieldValue.envelope_id == envelope.id)):
            f.crop_path = None
        record_event(
            session,
            actor=actor,
            action="application.images_purged",
            entity_type="application",
            entity_id=application.id,
            before=before,
            after={"files_removed": len(targets) + len(images), "decision": decision.outcome},
            reason=PURGED_JA.format(years=f"{older_than_years:g}"),
        )
    log.info(
        "purge: %d applications, %d files, %d bytes%s",
        len(result.applications),
        result.files_removed,
        result.bytes_removed,
        " (dry run)" if dry_run else "",
    )
    return result
