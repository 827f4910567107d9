"""A bank statement file that cannot be imported: never silently left behind.

Payments in a file nobody imported would stay unmatched while the applications
wait, so a rejected file is made as visible as a quarantined scan: a
``<file>.reason.json`` beside it in the statements folder (what is wrong and what to
do), an exception item for staff (``statement_rejected``, one per file name, updated
on each run that still finds it) and, through the stage's details, a headline in
the run report. The file itself stays where it is: staff replace it with a good
export, and the run that imports that closes the item and removes the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.ingest.files import atomic_write_bytes
from pipeline.names_ja import STATEMENT_REPLACED_JA
from pipeline.queue import close_if_open, open_or_update
from pipeline.storage.audit import run_actor
from pipeline.storage.models import ReviewItem
from pipeline.storage.types import utcnow
from pipeline.vocabulary import ExceptionStatus, Severity

KIND = "statement_rejected"
REASON_SUFFIX = ".reason.json"
ADVICE_JA = (
    "入出金明細ファイルを取り込めませんでした。この明細の入金は照合されていません。"
    "銀行から明細を出力し直し、statements フォルダのファイルを置き換えてください。"
)


def reason_path(path: Path) -> Path:
    return path.with_name(path.name + REASON_SUFFIX)


def _key(path: Path) -> str:
    return f"statement:{path.name}"


def reject_statement(
    session: Session, path: Path, sha256: str, error: str, *, run_id: int | None
) -> None:
    """Write the reason file (once per file content) and open or refresh the file's item."""
    if _reason_of(path).get("sha256") != sha256:
        _write_reason(path, sha256, error)
    if _dismissed(session, path, sha256):
        return  # staff looked at this very file and closed it: not reopened each night
    open_or_update(
        session,
        kind=KIND,
        dedupe_key=_key(path),
        title_ja=f"入出金明細 {path.name} を取り込めません（入金が照合されていません）",
        severity=Severity.HIGH,
        details={"file": path.name, "sha256": sha256, "error": error, "advice_ja": ADVICE_JA},
        run_id=run_id,
    )


def _dismissed(session: Session, path: Path, sha256: str) -> bool:
    details = session.scalars(
        select(ReviewItem.details).where(
            ReviewItem.dedupe_key == _key(path),
            ReviewItem.status == ExceptionStatus.DISMISSED,
        )
    )
    return any((d or {}).get("sha256") == sha256 for d in details)


def _reason_of(path: Path) -> dict[str, object]:
    try:
        data = json.loads(reason_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_reason(path: Path, sha256: str, error: str) -> None:
    info = {
        "reason": "statement_rejected",
        "detail": error,
        "message_ja": ADVICE_JA,
        "file": path.name,
        "sha256": sha256,
        "rejected_at": utcnow().isoformat(),
    }
    atomic_write_bytes(
        reason_path(path), json.dumps(info, ensure_ascii=False, indent=2).encode("utf-8")
    )


def settle_statement(session: Session, path: Path, *, run_id: int | None) -> None:
    """A file of this name imported: its rejection (if any) is over."""
    reason_path(path).unlink(missing_ok=True)
    close_if_open(
        session,
        _key(path),
        resolution=STATEMENT_REPLACED_JA,
        actor=run_actor(run_id),
        run_id=run_id,
    )
