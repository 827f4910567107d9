"""File operations that never lose an original.

Archive copies are written to a temporary name in the destination folder,
flushed to disk and renamed into place (atomic on one filesystem); the inbox
file is removed only after the database has committed the envelope.
Folders are created 0700 and files 0600: scans carry personal data.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

DIR_MODE = 0o700
FILE_MODE = 0o600
PRIVATE_UMASK = 0o077
_CHUNK = 1 << 20


def private_by_default() -> None:
    """Make everything this process creates from now on private (folders 0700, files 0600).

    Called first by every ``conken`` command and by the nightly flow: scans, crops,
    reports and letter lists carry personal data, and a file written by a library or
    a helper process (SQLite's journal, a letter list, the Prefect server's database)
    follows the process's umask, not our modes.
    """
    os.umask(PRIVATE_UMASK)


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def safe_name(name: str, limit: int = 120) -> str:
    """A file-system-safe rendering of an untrusted name (keeps Japanese letters)."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("/", "_").replace("\\", "_")
    name = re.sub(r"[\x00-\x1f\x7f]", "_", name)
    name = re.sub(r"^\.+", "_", name)  # no hidden files, no ".."
    if len(name.encode()) > limit:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot else ""
        keep = stem if dot else name
        while len((keep + "." + ext).encode()) > limit:
            keep = keep[:-1]
        name = f"{keep}.{ext}" if ext else keep
    return name or "_"


def atomic_copy(src: Path, dest: Path) -> Path:
    """Copy ``src`` to ``dest`` atomically (temp file, fsync, rename); returns ``dest``."""
    ensure_dir(dest.parent)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        with (
            src.open("rb") as fin,
            os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as fout,
        ):
            shutil.copyfileobj(fin, fout, _CHUNK)
            fout.flush()
            os.fsync(fout.fileno())
        tmp.replace(dest)
        _fsync_dir(dest.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def atomic_write_bytes(dest: Path, data: bytes) -> Path:
    ensure_dir(dest.parent)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def sweep_partials(folder: Path) -> int:
    """Remove temporary files a killed writer left in ``folder`` (``atomic_*``'s
    ``.<name>.<pid>.partial``); call only where no other writer is at work."""
    if not folder.is_dir():
        return 0
    stale = list(folder.glob(".*.partial"))
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def archive_path_for(archive_dir: Path, sha256: str, suffix: str) -> Path:
    """Originals live under their hash: archive/ab/abcdef....pdf."""
    return archive_dir / sha256[:2] / f"{sha256}{suffix.lower()}"


def archive_original(src: Path, archive_dir: Path, sha256: str) -> Path:
    """Copy the original into the archive under its hash (idempotent)."""
    dest = archive_path_for(archive_dir, sha256, _suffix(src))
    if dest.exists() and dest.stat().st_size == src.stat().st_size and sha256_of(dest) == sha256:
        return dest  # already archived by an earlier, interrupted attempt
    return atomic_copy(src, dest)


def quarantine(
    src: Path,
    quarantine_dir: Path,
    *,
    reason: str,
    detail: str,
    message_ja: str,
    sha256: str | None,
    received_at: datetime,
) -> Path:
    """Move ``src`` into quarantine with a ``.reason.json`` beside it; returns the new path."""
    ensure_dir(quarantine_dir)
    stamp = received_at.strftime("%Y%m%dT%H%M%S")
    tag = (sha256 or "nohash")[:8]
    dest = quarantine_dir / f"{stamp}-{tag}-{safe_name(src.name)}"
    n = 1
    while dest.exists() or dest.is_symlink():
        dest = quarantine_dir / f"{stamp}-{tag}-{n}-{safe_name(src.name)}"
        n += 1
    info: dict[str, Any] = {
        "reason": reason,
        "detail": detail,
        "message_ja": message_ja,
        "original_name": src.name,
        "sha256": sha256,
        "received_at": received_at.isoformat(),
    }
    atomic_write_bytes(
        dest.with_name(dest.name + ".reason.json"),
        json.dumps(info, ensure_ascii=False, indent=2).encode("utf-8"),
    )
    # A rename keeps symlinks as links (never follows them) and is atomic.
    src.replace(dest)
    return dest


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".bin"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
