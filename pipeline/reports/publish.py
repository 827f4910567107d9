"""Write a run's report files and record them on the run.

:func:`publish` collects the report, writes ``run-<id>.html`` and
``run-<id>.json``, stores the history summary in ``runs.stats["summary"]``
and the HTML's path (relative to the data root) in ``runs.report_path``, then
rewrites ``history.html``. Used by the flow at the end of a run and by
``conken report RUN_ID``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from pipeline.config import Settings
from pipeline.errors import ValidationError
from pipeline.faults import checkpoint
from pipeline.reports.collect import collect, history
from pipeline.reports.model import RunReport
from pipeline.reports.render import ReportFiles, write_history, write_report
from pipeline.storage.db import session_scope
from pipeline.storage.models import Run
from pipeline.storage.types import utcnow
from pipeline.vocabulary import RunStatus


@dataclass(frozen=True)
class Published:
    report: RunReport
    files: ReportFiles
    history: Path


def publish(
    engine: Engine, settings: Settings, run_id: int, *, now: datetime | None = None
) -> Published:
    now = now or utcnow()
    report = collect(engine, run_id, now=now)
    files = write_report(report, settings.reports_dir, tz=settings.tz, generated_at=now)
    checkpoint("report.written")
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        if run is None:  # collect() would have raised already
            raise ValidationError(f"no run with id {run_id}")
        run.stats = {**(run.stats or {}), "summary": report.summary()}
        run.report_path = str(files.html.relative_to(settings.data_root))
    history_path = write_history(
        history(engine), settings.reports_dir, tz=settings.tz, generated_at=now
    )
    return Published(report, files, history_path)


def publish_missing(engine: Engine, settings: Settings, *, before_run_id: int) -> list[int]:
    """Write the reports of finished runs that have none.

    The flow closes a run before writing its report, so a run killed in
    between is ``succeeded`` without a report; a run killed outright is marked
    ``interrupted`` by the next one and has none either. The next run writes
    them, and they appear in the history.
    """
    with session_scope(engine) as session:
        missing = list(
            session.scalars(
                select(Run.id)
                .where(
                    Run.id < before_run_id,
                    Run.status.in_((RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.INTERRUPTED)),
                    Run.report_path.is_(None),
                )
                .order_by(Run.id)
            )
        )
    for run_id in missing:
        publish(engine, settings, int(run_id))
    return [int(r) for r in missing]


def latest_run_id(engine: Engine) -> int:
    """The newest run that is not running (the default of ``conken report``)."""
    with session_scope(engine) as session:
        run_id = session.scalar(
            select(Run.id).where(Run.status != RunStatus.RUNNING).order_by(Run.id.desc()).limit(1)
        )
    if run_id is None:
        raise ValidationError("no finished run yet: run `conken run` first")
    return int(run_id)


def load_report_json(path: str | Path) -> dict[str, Any]:
    """A report JSON written by :func:`publish`."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValidationError(f"cannot read report {path}: {e}") from e
