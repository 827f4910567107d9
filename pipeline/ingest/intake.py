"""Taking files from the inbox: the consumption step.

For each stable file: hash it, recognise a duplicate (or the leftover of an
interrupted run), check it is a usable scan, copy it into the archive under
its hash, record the envelope, and only then remove it from the inbox. A file
that cannot be used moves to quarantine with a reason file, and the batch
goes on.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine, select

from pipeline.config import Settings
from pipeline.faults import checkpoint
from pipeline.ingest import files
from pipeline.ingest.sniff import REASON_JA, QuarantineReason, UnusableFileError, inspect_file
from pipeline.storage.audit import record_event, run_actor
from pipeline.storage.db import session_scope
from pipeline.storage.models import Envelope
from pipeline.vocabulary import EnvelopeStatus

log = logging.getLogger(__name__)

PARTIAL_SUFFIXES = (".partial", ".part", ".tmp", ".crdownload")


class IntakeOutcome(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    LEFTOVER = "leftover"  # already taken by an interrupted run; inbox copy removed


@dataclass(frozen=True)
class IntakeResult:
    name: str
    outcome: IntakeOutcome
    envelope_id: int | None
    sha256: str | None
    reason: str | None = None


@dataclass(frozen=True)
class InboxListing:
    ready: list[Path]
    unstable: list[Path]  # still being written: taken on a later run


def list_inbox(inbox: Path, *, settle_seconds: float, now: datetime | None = None) -> InboxListing:
    """Files in the inbox (top level), oldest name first, split into ready and unstable.

    A file modified within ``settle_seconds`` may still be being written by the
    scanner or a network copy; it waits for the next run.
    """
    if not inbox.is_dir():
        return InboxListing([], [])
    now_ts = (now or datetime.now(UTC)).timestamp()
    ready: list[Path] = []
    unstable: list[Path] = []
    for entry in sorted(inbox.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name.endswith(PARTIAL_SUFFIXES):
            continue
        if entry.is_symlink():
            ready.append(entry)  # never followed; quarantined with a reason
            continue
        if not entry.is_file():
            continue
        if now_ts - entry.stat().st_mtime < settle_seconds:
            unstable.append(entry)
        else:
            ready.append(entry)
    return InboxListing(ready, unstable)


def take_inbox(
    engine: Engine, settings: Settings, *, run_id: int | None = None, now: datetime | None = None
) -> tuple[list[IntakeResult], InboxListing]:
    recover_quarantined(engine, settings, run_id=run_id)
    listing = list_inbox(settings.inbox_dir, settle_seconds=settings.inbox_settle_seconds, now=now)
    results = [take_file(engine, path, settings, run_id=run_id) for path in listing.ready]
    return results, listing


def take_file(
    engine: Engine, path: Path, settings: Settings, *, run_id: int | None = None
) -> IntakeResult:
    """Take one inbox file. Never raises for a bad file: it is quarantined instead."""
    actor = run_actor(run_id)
    received_at = _arrival(path)
    if path.is_symlink():
        return _quarantine(
            engine,
            path,
            settings,
            UnusableFileError(QuarantineReason.SYMLINK, "symbolic link"),
            None,
            received_at,
            run_id,
        )
    stat = path.stat()
    sha = files.sha256_of(path)

    with session_scope(engine) as session:
        original = session.scalars(
            select(Envelope).where(Envelope.sha256 == sha, Envelope.duplicate_of_id.is_(None))
        ).first()
        original_id = original.id if original is not None else None
        if original is not None and _is_leftover(original, path, stat):
            outcome = IntakeResult(path.name, IntakeOutcome.LEFTOVER, original.id, sha)
        elif original is not None:
            dup = Envelope(
                sha256=sha,
                original_name=path.name,
                size_bytes=stat.st_size,
                source_mtime_ns=stat.st_mtime_ns,
                media_type=original.media_type,
                archive_path=original.archive_path,
                received_at=received_at,
                status=EnvelopeStatus.DUPLICATE.value,
                duplicate_of_id=original.id,
                run_id=run_id,
            )
            session.add(dup)
            session.flush()
            record_event(
                session,
                actor=actor,
                action="envelope.duplicate",
                entity_type="envelope",
                entity_id=dup.id,
                after={"duplicate_of": original.id, "sha256": sha},
                run_id=run_id,
            )
            outcome = IntakeResult(path.name, IntakeOutcome.DUPLICATE, dup.id, sha)
        else:
            outcome = None
    if outcome is not None:
        path.unlink(missing_ok=True)  # the bytes are in the archive already
        if outcome.outcome == IntakeOutcome.DUPLICATE:
            log.info(
                "inbox file %s is a duplicate of envelope %s (recorded as envelope %s)",
                sha[:12],
                original_id,
                outcome.envelope_id,
            )
        else:
            log.info("inbox file %s was already taken as envelope %s", sha[:12], original_id)
        return outcome

    try:
        info = inspect_file(
            path, max_pixels=settings.max_image_pixels, max_pages=settings.max_pages_per_file
        )
    except UnusableFileError as bad:
        return _quarantine(engine, path, settings, bad, sha, received_at, run_id)

    archived = files.archive_original(path, settings.archive_dir, sha)
    checkpoint("ingest.archived")
    with session_scope(engine) as session:
        envelope = Envelope(
            sha256=sha,
            original_name=path.name,
            size_bytes=stat.st_size,
            source_mtime_ns=stat.st_mtime_ns,
            media_type=info.media_type,
            archive_path=str(archived.relative_to(settings.data_root)),
            received_at=received_at,
            status=EnvelopeStatus.RECEIVED.value,
            page_count=info.page_count,
            run_id=run_id,
        )
        session.add(envelope)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="envelope.received",
            entity_type="envelope",
            entity_id=envelope.id,
            after={"sha256": sha, "pages": info.page_count, "media_type": info.media_type},
            run_id=run_id,
        )
        envelope_id = envelope.id
    checkpoint("ingest.recorded")
    path.unlink(missing_ok=True)  # last: the original is archived and recorded
    log.info("envelope %s received: %s pages, sha %s", envelope_id, info.page_count, sha[:12])
    return IntakeResult(path.name, IntakeOutcome.NEW, envelope_id, sha)


def _is_leftover(original: Envelope, path: Path, stat: os.stat_result) -> bool:
    return (
        original.original_name == path.name
        and original.size_bytes == stat.st_size
        and original.source_mtime_ns == stat.st_mtime_ns
    )


def _arrival(path: Path) -> datetime:
    """The file's arrival in the inbox: its modification time (when the scanner wrote it)."""
    try:
        return datetime.fromtimestamp(path.lstat().st_mtime, tz=UTC)
    except OSError:
        return datetime.now(UTC)


def _quarantine(
    engine: Engine,
    path: Path,
    settings: Settings,
    bad: UnusableFileError,
    sha: str | None,
    received_at: datetime,
    run_id: int | None,
) -> IntakeResult:
    moved = files.quarantine(
        path,
        settings.quarantine_dir,
        reason=bad.reason.value,
        detail=bad.detail,
        message_ja=REASON_JA[bad.reason],
        sha256=sha,
        received_at=received_at,
    )
    checkpoint("ingest.quarantine_moved")
    envelope_id = _record_quarantined(
        engine, settings, moved, path.name, bad.reason.value, bad.detail, sha, received_at, run_id
    )
    log.warning("quarantined inbox file (%s): %s", bad.reason.value, bad.detail)
    return IntakeResult(path.name, IntakeOutcome.QUARANTINED, envelope_id, sha, bad.reason.value)


def _record_quarantined(
    engine: Engine,
    settings: Settings,
    moved: Path,
    name: str,
    reason: str,
    detail: str,
    sha: str | None,
    received_at: datetime,
    run_id: int | None,
) -> int:
    with session_scope(engine) as session:
        first = None
        if sha is not None:
            first = session.scalars(
                select(Envelope).where(Envelope.sha256 == sha, Envelope.duplicate_of_id.is_(None))
            ).first()
        envelope = Envelope(
            sha256=sha or "",
            original_name=name,
            size_bytes=moved.lstat().st_size,
            media_type=None,
            archive_path=str(moved.relative_to(settings.data_root)),
            received_at=received_at,
            status=EnvelopeStatus.QUARANTINED.value,
            quarantine_reason=reason,
            duplicate_of_id=first.id if first is not None else None,
            run_id=run_id,
        )
        if sha is None:
            # No hash (symlink): keep it out of the one-original-per-hash index.
            envelope.sha256 = f"symlink:{moved.name}"[:64]
        session.add(envelope)
        session.flush()
        record_event(
            session,
            actor=run_actor(run_id),
            action="envelope.quarantined",
            entity_type="envelope",
            entity_id=envelope.id,
            after={"reason": reason, "detail": detail},
            run_id=run_id,
        )
        return envelope.id


def recover_quarantined(engine: Engine, settings: Settings, *, run_id: int | None = None) -> int:
    """Record files an interrupted run moved into quarantine but did not record.

    The move comes first (the inbox must not offer the file again) and its
    ``.reason.json`` says everything the row needs; a file with a reason but no
    envelope row is such a leftover. Returns how many were recorded.
    """
    folder = settings.quarantine_dir
    if not folder.is_dir():
        return 0
    with session_scope(engine) as session:
        known = set(
            session.scalars(
                select(Envelope.archive_path).where(
                    Envelope.status == EnvelopeStatus.QUARANTINED.value
                )
            )
        )
    recovered = 0
    for reason_file in sorted(folder.glob("*.reason.json")):
        moved = reason_file.with_name(reason_file.name.removesuffix(".reason.json"))
        relative = str(moved.relative_to(settings.data_root))
        if relative in known or not (moved.exists() or moved.is_symlink()):
            continue  # recorded, or the move itself never happened (the file is still in the inbox)
        info = json.loads(reason_file.read_text(encoding="utf-8"))
        _record_quarantined(
            engine,
            settings,
            moved,
            info["original_name"],
            info["reason"],
            info["detail"],
            info["sha256"],
            datetime.fromisoformat(info["received_at"]),
            run_id,
        )
        recovered += 1
        log.warning("recorded quarantined file left unrecorded by an interrupted run")
    return recovered
