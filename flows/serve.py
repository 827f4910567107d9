"""``conken serve``: serve the nightly flow on its Cron schedule.

Prefect cannot schedule on the temporary server it starts for a single local
run, so serving needs a real Prefect server: the one ``PREFECT_API_URL``
names, or — when none is configured — a local ``prefect server start`` that
this module starts on ``prefect_port`` (4200, Prefect's own default), waits
for, and stops on exit (its SQLite database lives under ``PREFECT_HOME``). The
port is fixed so that a person can reach the deployment from another shell; the
banner says how. Production uses a Prefect server on PostgreSQL; see the README.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType

import flows  # noqa: F401  (environment defaults before Prefect is imported)
from pipeline.config import Settings
from pipeline.errors import ConfigurationError, ExternalToolError

log = logging.getLogger(__name__)

DEPLOYMENT_NAME = "nightly"
FLOW_NAME = "conken-nightly"  # flows.nightly.FLOW_NAME (not imported: that loads Prefect)
QUIET_ENV = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def schedule_for(settings: Settings):  # type: ignore[no-untyped-def]
    """The Cron schedule in the business timezone (a bare cron string would be UTC)."""
    from prefect.schedules import Cron

    try:
        return Cron(settings.schedule_cron, timezone=settings.timezone)
    except ValueError as e:
        raise ConfigurationError(
            f"schedule_cron {settings.schedule_cron!r} is not a valid cron expression: {e}"
        ) from e


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile."""
    from prefect.settings import PREFECT_API_URL

    return os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value() or None


def local_api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def serving_api_url(settings: Settings) -> tuple[str, bool]:
    """The API the deployment will live on, and whether ``conken serve`` starts it."""
    configured = configured_api_url()
    if configured:
        return configured, False
    return local_api_url(settings.prefect_port), True


def banner(settings: Settings) -> list[str]:
    """What ``conken serve`` prints first: the schedule, the server, how to run by hand."""
    schedule = schedule_for(settings)
    api_url, local = serving_api_url(settings)
    where = f"a local Prefect server on {api_url} (started now)" if local else api_url
    return [
        f"serving the nightly flow: cron {schedule.cron!r} in {schedule.timezone}, via {where}",
        "to start a run now, from another shell: "
        f"PREFECT_API_URL={api_url} prefect deployment run '{FLOW_NAME}/{DEPLOYMENT_NAME}'",
    ]


def _check_port_free(port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            raise ExternalToolError(
                f"port {port} is in use, so no local Prefect server can start there: set "
                f"PREFECT_API_URL to the Prefect server already on it, or CONKEN_PREFECT_PORT "
                f"to a free port ({e.strerror})"
            ) from e


@dataclass
class LocalPrefectServer:
    """A ``prefect server start`` child process that we own (started and stopped by pid)."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def api_url(self) -> str:
        return local_api_url(self.port)

    @classmethod
    def start(cls, port: int, *, timeout: float = 90.0) -> LocalPrefectServer:
        _check_port_free(port)
        env = {**os.environ, **QUIET_ENV}
        env.pop("PREFECT_API_URL", None)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stopped as one, by our pid
        )
        server = cls(process, port)
        server._wait_healthy(timeout)
        log.info("local Prefect server started on %s (pid %s)", server.api_url, process.pid)
        return server

    def _wait_healthy(self, timeout: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise ExternalToolError(
                    f"prefect server exited with code {self.process.returncode}: {err[-800:]}"
                )
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise ExternalToolError(f"prefect server did not answer on {self.api_url} in {timeout:g} s")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group we created, by its id
            self.process.wait(timeout=timeout)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        log.info("local Prefect server stopped (pid %s)", self.process.pid)


def serve_nightly(settings: Settings) -> None:
    """Serve the nightly flow until interrupted (Ctrl-C or SIGTERM from systemd)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.nightly import nightly

    schedule = schedule_for(settings)
    api_url, local = serving_api_url(settings)
    server = LocalPrefectServer.start(settings.prefect_port) if local else None
    os.environ["PREFECT_API_URL"] = api_url  # the runner's flow-run processes inherit it

    def _terminate(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            # No trigger parameter: each run tells a scheduled start from one a person
            # asked for (flows.nightly.trigger_of_this_run). Prefect's own banner would
            # suggest `prefect deployment run` without the API URL: ours says it whole.
            nightly.serve(
                name=DEPLOYMENT_NAME,
                schedules=[schedule],
                description="conken-intake nightly run",
                pause_on_shutdown=False,
                print_starting_message=False,
            )
    except KeyboardInterrupt:
        log.info("conken serve stopping")
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.stop()
