"""The nightly flow: statements → inbox → extraction (pages fanned out) →
payments → rules → audit sample → office outputs → run report.

Orchestration only. Every task calls one function of ``pipeline.stages`` (or
``pipeline.outputs`` / ``pipeline.audit_sample`` / ``pipeline.reports``);
tasks get the settings, not an engine, so they can run on Dask workers.

Failure policy:

* I/O tasks retry (database connection lost, file system hiccup); a typed
  ``ConkenError`` (a bad file, bad data) never does — it would fail the same way.
* Page extraction never retries. A page that fails makes its envelope fail:
  ``fail_envelope`` marks it and opens an exception item, the run report lists
  it, and the other envelopes go on.
* Every future is resolved and its state checked; nothing is fire-and-forget
  (in Prefect 3 an unreturned failed future does not fail the flow). Any other
  failure fails the run: the ``runs`` row records the error, a report of the
  failed run is written when possible, and the exception propagates.
"""

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.exceptions import TerminationSignal
from prefect.futures import PrefectFuture, wait
from prefect.runtime import flow_run
from prefect.states import State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from sqlalchemy.exc import DBAPIError, OperationalError

import flows  # noqa: F401  (environment defaults before Prefect is imported)
import pipeline.stages as stages
from flows import progress
from flows.local import require_shared_prefect
from pipeline.audit_sample import open_audit_items
from pipeline.clock import business_today
from pipeline.config import Settings, get_settings
from pipeline.errors import ConkenError
from pipeline.faults import checkpoint
from pipeline.ingest.files import private_by_default
from pipeline.outputs.run_outputs import write_run_outputs
from pipeline.reports.publish import Published, publish, publish_missing
from pipeline.reports.render import decision_table, exception_table, render_markdown
from pipeline.runs import HeldLock, finish_run, mark_interrupted, start_run
from pipeline.storage.db import engine_for, ensure_schema
from pipeline.vocabulary import RunStatus, RunTrigger

log = logging.getLogger(__name__)

FLOW_NAME = "conken-nightly"
T = TypeVar("T")


# --- task runner ------------------------------------------------------------------------


def task_runner_for(settings: Settings) -> TaskRunner[Any]:
    """Dask on an existing cluster when ``dask_address`` is set, else threads per core."""
    if settings.dask_address:
        from prefect_dask import DaskTaskRunner

        require_shared_prefect(settings)
        return DaskTaskRunner(address=settings.dask_address)
    return ThreadPoolTaskRunner(max_workers=settings.workers)


def _import_time_runner() -> TaskRunner[Any]:
    # ``conken serve`` runs each scheduled run in a fresh process that imports
    # this module, so the runner chosen here (from the environment) is the one
    # scheduled runs use. ``conken run`` sets it explicitly with with_options().
    try:
        return task_runner_for(get_settings())
    except ConkenError:
        return ThreadPoolTaskRunner()


# --- retry policy -----------------------------------------------------------------------


def retry_on_io(_task: Any, _task_run: Any, state: State[Any]) -> bool:
    """Retry a failed task only for I/O trouble, never for one of our typed errors."""
    try:
        error = state.result(raise_on_failure=False)
    except Exception as e:  # the result itself could not be read
        error = e
    if isinstance(error, ConkenError):
        return False
    return isinstance(error, OperationalError | DBAPIError | OSError | TimeoutError)


IO_TASK: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": [2, 10],
    "retry_condition_fn": retry_on_io,
    "cache_policy": NO_CACHE,
    "persist_result": False,
}
CPU_TASK: dict[str, Any] = {"retries": 0, "cache_policy": NO_CACHE, "persist_result": False}


def _engine(settings: Settings) -> Any:
    return engine_for(settings.effective_database_url)


# --- tasks (thin: one pipeline call each) ------------------------------------------------


@task(name="import-statements", **IO_TASK)
def import_statements_task(settings: Settings, run_id: int) -> stages.StageResult:
    return stages.import_statements(_engine(settings), settings, run_id=run_id)


@task(name="ingest", **IO_TASK)
def ingest_task(settings: Settings, run_id: int) -> stages.StageResult:
    return stages.ingest(_engine(settings), settings, run_id=run_id)


@task(name="envelopes-to-extract", **IO_TASK)
def envelopes_to_extract_task(settings: Settings) -> list[tuple[int, int]]:
    return stages.envelopes_to_extract(_engine(settings))


@task(name="extract-page", task_run_name="extract-{envelope_id}-p{page_index}", **CPU_TASK)
def extract_page_task(settings: Settings, envelope_id: int, page_index: int) -> Any:
    return stages.extract_page(settings, envelope_id, page_index)


@task(name="read-and-store", task_run_name="read-and-store-{first_id}", **CPU_TASK)
def finish_envelopes_task(
    settings: Settings, batch: list[tuple[int, list[Any]]], run_id: int, first_id: int
) -> list[stages.EnvelopeOutcome]:
    return stages.finish_envelopes(_engine(settings), settings, batch, run_id=run_id)


@task(name="fail-envelope", **IO_TASK)
def fail_envelope_task(settings: Settings, envelope_id: int, error: str, run_id: int) -> None:
    stages.fail_envelope(_engine(settings), settings, envelope_id, error, run_id=run_id)


@task(name="reconcile-payments", **IO_TASK)
def reconcile_task(settings: Settings, run_id: int, today: date) -> stages.StageResult:
    return stages.reconcile_payments(_engine(settings), settings, run_id=run_id, today=today)


@task(name="decide", **IO_TASK)
def decide_task(settings: Settings, run_id: int, today: date) -> stages.StageResult:
    return stages.decide_applications(_engine(settings), settings, run_id=run_id, today=today)


@task(name="audit-sample", **IO_TASK)
def audit_sample_task(settings: Settings, run_id: int) -> dict[str, int]:
    result = open_audit_items(_engine(settings), run_id=run_id, share=settings.audit_sample_share)
    return {"candidates": result.candidates, "sampled": len(result.chosen)}


@task(name="office-outputs", **IO_TASK)
def outputs_task(settings: Settings, run_id: int, today: date) -> dict[str, Any]:
    outputs = write_run_outputs(_engine(settings), settings, run_id=run_id, today=today)
    return {"counts": outputs.counts, "report": outputs.for_report()}


@task(name="run-report", **IO_TASK)
def report_task(settings: Settings, run_id: int) -> Published:
    return publish(_engine(settings), settings, run_id)


# --- the flow -------------------------------------------------------------------------------


@dataclass
class RunState:
    """What the run learns on the way, stored in ``runs.stats`` for the report."""

    stages: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pages_processed: int = 0
    extracted: list[int] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    audit_share: float = 0.0

    def stats(self) -> dict[str, Any]:
        return {
            "stages": self.stages,
            "stage_details": self.details,
            "pages_processed": self.pages_processed,
            "extracted_envelopes": self.extracted,
            "failed": self.failed,
            "outputs": self.outputs,
            "audit_share": self.audit_share,
        }


def _stage(state: RunState, name: str, call: Callable[[], T], counts_of: Callable[[T], Any]) -> T:
    progress.stage_started(name, None)
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    counts = {k: int(v) for k, v in dict(counts_of(result)).items()}
    state.stages.append({"name": name, "seconds": round(seconds, 3), "counts": counts})
    details = getattr(result, "details", None)
    if details:
        state.details[name] = list(details)[:200]
    progress.stage_finished(name, counts, seconds)
    checkpoint(f"stage.{name}.done")
    return result


def _error_text(future: PrefectFuture[Any]) -> str:
    try:
        future.result(raise_on_failure=True)
    except Exception as e:
        return f"{type(e).__name__}: {e}"[:2000]
    return f"task ended {future.state.type.value}"


def _extract_all(settings: Settings, run_id: int, state: RunState) -> dict[str, int]:
    """Fan pages out as tasks; OCR a few envelopes' text fields together and store them, as
    tasks too, so the batches' OCR runs on every worker (not in the flow's own thread)."""
    todo = envelopes_to_extract_task(settings)
    total_pages = sum(n for _, n in todo)
    progress.stage_started("extract", total_pages)
    pages_of: dict[int, list[PrefectFuture[Any]]] = {
        env_id: [extract_page_task.submit(settings, env_id, i) for i in range(n)]
        for env_id, n in todo
    }
    counts: dict[str, int] = {"envelopes": 0, "pages": 0, "failed": 0}
    batches = stages.ocr_batches(list(pages_of), settings.ocr_batch_envelopes, settings.workers)
    finishing: list[tuple[list[tuple[int, int]], PrefectFuture[Any]]] = []
    for batch in batches:
        ready: list[tuple[int, list[Any]]] = []
        for env_id in batch:
            futures = pages_of[env_id]
            wait(futures)
            progress.advance("extract", len(futures))
            failed = [f for f in futures if not f.state.is_completed()]
            if failed:
                page = futures.index(failed[0]) + 1
                _fail(settings, run_id, state, counts, env_id, _error_text(failed[0]), page=page)
            else:
                ready.append((env_id, [f.result() for f in futures]))
        if ready:
            future = finish_envelopes_task.submit(settings, ready, run_id, ready[0][0])
            finishing.append(([(env_id, len(pages)) for env_id, pages in ready], future))
    for members, future in finishing:
        wait([future])
        if not future.state.is_completed():  # the task itself broke: each envelope fails
            error = _error_text(future)
            for env_id, _ in members:
                _fail(settings, run_id, state, counts, env_id, error)
            continue
        for outcome in future.result():
            if outcome.result is None:
                error = outcome.error or "no result"
                _fail(settings, run_id, state, counts, outcome.envelope_id, error)
                continue
            for key, n in outcome.result.counts.items():
                counts[key] = counts.get(key, 0) + int(n)
            if outcome.result.counts.get("envelopes"):
                state.extracted.append(outcome.envelope_id)
            state.pages_processed += outcome.pages
    return counts


def _fail(
    settings: Settings,
    run_id: int,
    state: RunState,
    counts: dict[str, int],
    env_id: int,
    error: str,
    *,
    page: int | None = None,
) -> None:
    where = f"page {page}: " if page else ""
    log.warning("envelope %s failed: %s%s", env_id, where, error)
    fail_envelope_task(settings, env_id, where + error, run_id)
    state.failed.append({"envelope_id": env_id, "page": page, "error": error})
    counts["failed"] += 1


def _run_stages(
    settings: Settings, run_id: int, today: date, state: RunState, lock: HeldLock
) -> None:
    def counts(result: Any) -> dict[str, int]:
        return result.counts

    _stage(state, "import_statements", lambda: import_statements_task(settings, run_id), counts)
    lock.check()
    _stage(state, "ingest", lambda: ingest_task(settings, run_id), counts)
    lock.check()
    _stage(state, "extract", lambda: _extract_all(settings, run_id, state), dict)
    lock.check()
    _stage(state, "reconcile_payments", lambda: reconcile_task(settings, run_id, today), counts)
    _stage(state, "decide", lambda: decide_task(settings, run_id, today), counts)
    lock.check()
    _stage(state, "audit_sample", lambda: audit_sample_task(settings, run_id), dict)
    outputs = _stage(
        state, "outputs", lambda: outputs_task(settings, run_id, today), lambda o: o["counts"]
    )
    state.outputs = outputs["report"]


def _publish_artifacts(published: Published) -> None:
    report = published.report
    create_markdown_artifact(
        markdown=render_markdown(report),
        key="run-report",
        description=f"conken run {report.run_id}: {published.files.html}",
    )
    create_table_artifact(
        table=decision_table(report) or [{"outcome": "none", "count": 0}],
        key="run-decisions",
        description="Decisions made by this run, by outcome",
    )
    create_table_artifact(
        table=exception_table(report) or [{"kind": "none", "open": 0}],
        key="run-exceptions",
        description="Exceptions opened, closed and still open, by kind",
    )


@flow(name=FLOW_NAME, task_runner=_import_time_runner(), persist_result=False, log_prints=False)
def nightly(
    today: date | None = None, trigger: str | None = None, lock_wait_seconds: float = 0.0
) -> dict[str, Any]:
    """One nightly run. Returns the run id, the report path and the headline figures."""
    private_by_default()  # a served run's process may not come from the conken command
    settings = get_settings()
    url = settings.effective_database_url
    ensure_schema(url)
    engine = engine_for(url)
    business_day = today or business_today(settings)
    with HeldLock(engine, wait_seconds=lock_wait_seconds) as lock:
        mark_interrupted(engine)
        run_id = start_run(
            engine,
            trigger=trigger or trigger_of_this_run(),
            prefect_flow_run_id=str(flow_run.id) if flow_run.id else None,
        )
        lock.attach_run(run_id)
        _write_missing_reports(engine, settings, run_id)
        state = RunState(audit_share=settings.audit_sample_share)
        try:
            _run_stages(settings, run_id, business_day, state, lock)
        except BaseException as e:
            stopped = stop_reason(e)
            finish_run(
                engine,
                run_id,
                status=RunStatus.INTERRUPTED if stopped else RunStatus.FAILED,
                stats=state.stats(),
                error=stopped or f"{type(e).__name__}: {e}"[:4000],
            )
            _best_effort_report(settings, run_id)
            raise
        finish_run(engine, run_id, status=RunStatus.SUCCEEDED, stats=state.stats())
        progress.stage_started("report", None)
        started = time.perf_counter()
        published = report_task(settings, run_id)
        _publish_artifacts(published)
        progress.stage_finished("report", {}, time.perf_counter() - started)
    report = published.report
    if report.nothing_new:
        log.info("run %s: nothing new to do", run_id)
    return {
        "run_id": run_id,
        "report_path": str(published.files.html),
        "report_json": str(published.files.json),
        "history_path": str(published.history),
        "nothing_new": report.nothing_new,
        "failed_envelopes": [f["envelope_id"] for f in state.failed],
        "rejected_statements": [
            {"name": r.name, "error": r.error} for r in report.rejected_statements
        ],
        "summary": report.summary(),
    }


def trigger_of_this_run() -> str:
    """What started this flow run, from Prefect's record of it (no parameter to trust)."""
    context = FlowRunContext.get()
    return trigger_of(context.flow_run if context else None)


def trigger_of(run: Any) -> str:
    """``schedule`` when Prefect's scheduler made the run; ``deployment`` when a person
    started the served deployment (UI, ``prefect deployment run``); else ``manual``."""
    if run is None or getattr(run, "deployment_id", None) is None:
        return RunTrigger.MANUAL.value
    if getattr(run, "auto_scheduled", False):
        return RunTrigger.SCHEDULE.value
    return RunTrigger.DEPLOYMENT.value


def stop_reason(error: BaseException) -> str | None:
    """Why a run was stopped from outside (a signal), or None for a failure of its own.

    ``conken serve`` stopping (systemd's SIGTERM) reaches a running flow as Prefect's
    ``TerminationSignal``; Ctrl-C as ``KeyboardInterrupt``. Such a run did nothing
    wrong: it is ``interrupted``, and the next run picks up its unfinished work.
    """
    if isinstance(error, TerminationSignal):
        name = signal.Signals(error.signal).name if error.signal else "a signal"
        return f"stopped by {name} before it finished (the service was stopped)"
    if isinstance(error, KeyboardInterrupt):
        return "stopped by Ctrl-C (SIGINT) before it finished"
    return None


def _write_missing_reports(engine: Any, settings: Settings, run_id: int) -> None:
    """Reports an earlier run was killed while writing; never stops this run."""
    try:
        written = publish_missing(engine, settings, before_run_id=run_id)
    except Exception:
        log.exception("could not write the missing reports of earlier runs")
        return
    if written:
        log.warning("wrote the missing reports of earlier runs %s", written)


def _best_effort_report(settings: Settings, run_id: int) -> None:
    """Write the failed run's report; never hides the run's own error."""
    try:
        publish(_engine(settings), settings, run_id)
    except Exception:
        log.exception("could not write the report of failed run %s", run_id)
