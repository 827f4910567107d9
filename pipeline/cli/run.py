"""``conken run``: run the nightly flow once, now, in Prefect's local mode.

Shows a progress bar per stage and ends with a one-screen summary and the
report's path. A second ``conken run`` while one is running waits up to
``--wait`` seconds (``CONKEN_RUN_LOCK_WAIT``) and then exits with code 9.
"""

from __future__ import annotations

import json
import os
import signal
from datetime import date
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.clock import parse_date_option
from pipeline.config import Settings, get_settings
from pipeline.errors import RunStoppedError
from pipeline.reports.model import counts_text, outcome_label, stage_label
from pipeline.runs import HeldLock
from pipeline.storage import db

SINGLE_COMMAND = True


class RichStages:
    """A progress listener for the flow: one bar per stage."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RichStages:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def stage_started(self, name: str, total: int | None) -> None:
        if name in self.tasks:
            if total is not None:
                self.progress.update(self.tasks[name], total=total)
            return
        self.tasks[name] = self.progress.add_task(stage_label(name), total=total, note="")

    def advance(self, name: str, n: int = 1) -> None:
        if name in self.tasks:
            self.progress.advance(self.tasks[name], n)

    def stage_finished(self, name: str, counts: dict[str, int], seconds: float) -> None:
        task_id = self.tasks.get(name)
        if task_id is None:
            return
        shown = counts_text(counts)  # in words, as the report says them
        shown = shown if len(shown) <= 30 else shown[:29] + "…"
        total = self.progress.tasks[task_id].total or 1
        self.progress.update(task_id, total=total, completed=total, note=shown)


def _printed(outputs: dict[str, Any], count: str, pdf: str, refused: str) -> str:
    """``2, to print: outputs/run-3/letters.pdf; 1 held (see the review queue)``."""
    text = str(outputs.get(count, 0))
    if outputs.get(pdf):
        text += f", to print: {get_settings().data_root / outputs[pdf]}"
    if outputs.get(refused):
        text += f"; {outputs[refused]} held (the review queue says why)"
    return text


def summary_table(result: dict[str, Any]) -> Table:
    from pipeline.reports.publish import load_report_json

    report = load_report_json(result["report_json"])
    table = Table(title=f"conken run {result['run_id']}", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    env = report["envelopes"]
    stp = report["stp_rate"]
    totals = report["totals"]
    rows = [
        (
            "envelopes",
            f"{env.get('new', 0)} new, {env.get('duplicate', 0)} duplicate, "
            f"{env.get('quarantined', 0)} quarantined, {env.get('failed', 0)} failed",
        ),
        ("pages read", str(report["pages_processed"])),
        (
            "decided",
            f"{report['applications_decided']}"
            + (
                f" ({', '.join(f'{outcome_label(k)} {v}' for k, v in report['decisions'].items())})"
                if report["decisions"]
                else ""
            ),
        ),
        ("straight-through", "—" if stp is None else f"{stp * 100:.1f}%"),
        (
            "exceptions",
            f"{totals['exceptions_opened']} opened, {totals['exceptions_closed']} "
            f"closed, {totals['exceptions_open']} open",
        ),
        (
            "payments",
            f"{report['payments']['matched']} matched, "
            f"{report['payments']['unmatched']} unmatched, {report['payments']['underpaid']} underpaid",
        ),
        ("audit sample", f"{report['audit']['sampled']} new"),
        ("letters", _printed(report["outputs"], "letters", "letters_file", "letters_refused")),
        (
            "certifications",
            _printed(
                report["outputs"], "certifications", "certificates_pdf", "certificates_refused"
            ),
        ),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def _run_flow(settings: Settings, business_day: date | None, *, as_json: bool) -> dict[str, Any]:
    from flows.local import require_shared_prefect, warm_up_local_server

    require_shared_prefect(settings)  # before any server starts
    warming = warm_up_local_server()  # boots while the flow's modules are imported
    from flows import progress
    from flows.nightly import nightly, task_runner_for

    if warming is not None:
        warming.join()
    flow = nightly.with_options(task_runner=task_runner_for(settings))
    if as_json:
        return flow(today=business_day, trigger="manual")
    with RichStages(Console()) as bars:
        progress.set_listener(bars)
        try:
            return flow(today=business_day, trigger="manual")
        finally:
            progress.set_listener(None)


def run_nightly(business_day: date | None, *, wait: float = 0.0, as_json: bool = False) -> None:
    """Run the flow once in this process with progress bars and print the summary."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    settings = get_settings()
    url = settings.effective_database_url
    db.ensure_schema(url)  # under the migration lock: a run started alongside waits for it
    # The run lock is taken before Prefect starts: a second run exits at once with its one
    # line (no Prefect traceback), and the flow joins this holding (HeldLock is re-entrant).
    try:
        with HeldLock(db.engine_for(url), wait_seconds=wait, reentrant=True):
            result = _run_flow(settings, business_day, as_json=as_json)
    except BaseException as e:
        from flows.nightly import stop_reason

        reason = stop_reason(e)
        if reason is None:
            raise
        number = getattr(e, "signal", None) or signal.SIGINT
        raise RunStoppedError(f"the run was {reason}; it is recorded as interrupted", number) from e
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    console = Console()
    console.print(summary_table(result))
    if result["nothing_new"]:
        console.print("Nothing new: no new statements, envelopes, decisions or exceptions.")
    for rejected in result.get("rejected_statements", []):
        console.print(
            f"[yellow]bank statement {rejected['name']} could not be imported "
            f"(its deposits are not matched): {rejected['error']}[/yellow]",
            soft_wrap=True,
        )
    if result["failed_envelopes"]:
        console.print(
            f"[yellow]{len(result['failed_envelopes'])} envelope(s) failed and are in the "
            f"review queue: {result['failed_envelopes']}[/yellow]"
        )
    # paths whole on one line each, so they can be copied
    console.print(f"report: {result['report_path']}", soft_wrap=True, highlight=False)
    console.print(f"history: {result['history_path']}", soft_wrap=True, highlight=False)


def app(
    today: str | None = typer.Option(
        None, "--today", help="Business date for waits and deadlines (default: today in Tokyo)."
    ),
    wait: float = typer.Option(
        0.0,
        "--wait",
        envvar="CONKEN_RUN_LOCK_WAIT",
        min=0,
        help="Seconds to wait for a run already in progress (default: do not wait).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON, no bars."),
) -> None:
    """Run the nightly job once now and print where its report is."""
    run_nightly(parse_date_option(today), wait=wait, as_json=as_json)
