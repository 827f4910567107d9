"""The ``conken`` console script.

Each command group lives in its own module under ``pipeline.cli`` and exposes
``app``; this module only assembles them and maps errors to exit codes.
"""

from __future__ import annotations

import importlib
import sys

import typer

from pipeline.errors import ConkenError

app = typer.Typer(
    name="conken",
    help="conken-intake: scanned certification applications in, decisions out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module, command name, one-line help) — order is the order of --help.
_GROUPS: list[tuple[str, str, str]] = [
    ("config_cmd", "config", "Show the effective settings (secrets masked)."),
    ("db", "db", "Database migrations and status."),
    ("ingest_cmd", "ingest", "Take the inbox: archive originals, quarantine bad files, extract."),
    ("extract_cmd", "extract", "Extract fields from given files as JSON (no inbox, no database)."),
    ("registry_cmd", "registry", "The passers register: import CSV exports."),
    ("payments", "payments", "Import bank statements and reconcile the application fee."),
    ("rules", "rules", "Certification rules: check an application JSON, explain a decision."),
    ("review", "review", "The staff web app: the exception queue (conken review serve)."),
    ("users", "users", "Accounts of the review app: add, disable, enable, list."),
    ("purge", "purge", "Retention: remove scans of applications decided more than N years ago."),
    ("bench", "bench", "Benchmarks: extraction accuracy, speed, payments."),
    ("run", "run", "Run the nightly job once now, with progress bars and a summary."),
    ("serve", "serve", "Serve the nightly job on its schedule (Cron, Asia/Tokyo)."),
    ("report", "report", "Regenerate a run's report and the history page."),
    ("outputs_cmd", "outputs", "Letters and certificates: preview every kind as PDF and PNG."),
    ("forms", "forms", "Form definitions: print blank forms, check templates."),
    ("synth", "synth", "Make synthetic scanned envelopes with ground truth."),
    ("demo", "demo", "Sample envelopes and statements into the inbox, then one nightly job."),
]


def _register() -> None:
    for module_name, command, help_text in _GROUPS:
        module = importlib.import_module(f"pipeline.cli.{module_name}")
        group = module.app
        if getattr(module, "SINGLE_COMMAND", False):
            app.command(name=command, help=help_text)(group)
        else:
            app.add_typer(group, name=command, help=help_text)


_register()


def run() -> None:
    """Entry point: run the CLI, turning our errors into one line and an exit code."""
    from pipeline.ingest.files import private_by_default
    from pipeline.logging_setup import configure_logging

    private_by_default()
    configure_logging()
    try:
        app()  # standalone: click handles usage errors (exit 2) and exits itself
    except ConkenError as e:
        typer.echo(f"conken: error: {e.message}", err=True)
        sys.exit(e.exit_code)


if __name__ == "__main__":
    run()
