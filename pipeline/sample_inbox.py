"""Put the committed sample (``data/sample/``) where a nightly run finds it.

Envelopes go to the inbox with their modification time set to the received
date of their ground truth (noon, business time) — intake takes the arrival
from the file's mtime, and the rules judge the exam report's validity at the
received date. The passers register goes to the registry folder and the
bank statements to the statements folder. Existing files are not
overwritten, so preparing twice changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from pipeline.config import PROJECT_ROOT, Settings
from pipeline.errors import InputFileError

SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


@dataclass
class PreparedSample:
    envelopes: list[Path] = field(default_factory=list)
    registers: list[Path] = field(default_factory=list)
    statements: list[Path] = field(default_factory=list)
    received: dict[str, date] = field(default_factory=dict)

    @property
    def last_received(self) -> date | None:
        return max(self.received.values(), default=None)


def _copy(src: Path, dest_dir: Path, *, mtime: float | None = None) -> Path | None:
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / src.name
    if dest.exists():
        return None
    tmp = dest_dir / f".{src.name}.partial"
    shutil.copyfile(src, tmp)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    tmp.rename(dest)  # atomic: intake never sees half a file
    return dest


def received_dates(sample: Path) -> dict[str, date]:
    """Envelope id -> received date, from ``truth/<id>.truth.json``."""
    out: dict[str, date] = {}
    for truth in sorted((sample / "truth").glob("*.truth.json")):
        data = json.loads(truth.read_text(encoding="utf-8"))
        out[data["envelope_id"]] = date.fromisoformat(data["received_date"])
    return out


def prepare_sample(settings: Settings, sample: Path = SAMPLE_DIR) -> PreparedSample:
    """Copy the sample into the inbox, registry and statements folders."""
    if not (sample / "envelopes").is_dir():
        raise InputFileError(f"no sample envelopes under {sample}/envelopes")
    result = PreparedSample(received=received_dates(sample))
    for env in sorted((sample / "envelopes").iterdir()):
        if not env.is_file():
            continue
        received = result.received.get(env.stem)
        mtime = (
            datetime.combine(received, time(12), tzinfo=settings.tz).timestamp()
            if received
            else None
        )
        if (copied := _copy(env, settings.inbox_dir, mtime=mtime)) is not None:
            result.envelopes.append(copied)
    for src in sorted((sample / "register").glob("*.csv")):
        if (copied := _copy(src, settings.effective_registry_path)) is not None:
            result.registers.append(copied)
    for src in sorted((sample / "statements").glob("*.csv")):
        if (copied := _copy(src, settings.effective_statements_path)) is not None:
            result.statements.append(copied)
    return result
