"""``conken serve``: serve the nightly flow on its Cron schedule.

Prefect cannot schedule on the temporary server it starts for a single local
run, so serving needs a real Prefect server: the one ``PREFECT_API_URL``
names, or — when none is configured — a local ``prefect server start`` that
this module starts, waits for, and stops on exit (its SQLite database lives
under ``PREFECT_HOME``). Production uses a Prefect server on PostgreSQL; see
the README.
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalPrefectServer:
    """A ``prefect server start`` child process that we own (started and stopped by pid)."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @classmethod
    def start(cls, port: int | None = None, *, timeout: float = 90.0) -> LocalPrefectServer:
        port = port or _free_port()
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
    api_url = configured_api_url()
    server = None
    if not api_url:
        server = LocalPrefectServer.start()
        api_url = server.api_url
    os.environ["PREFECT_API_URL"] = api_url  # the runner's flow-run processes inherit it

    def _terminate(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            nightly.serve(
                name=DEPLOYMENT_NAME,
                schedules=[schedule],
                parameters={"trigger": "schedule"},
                description="conken-intake nightly run",
                pause_on_shutdown=False,
            )
    except KeyboardInterrupt:
        log.info("conken serve stopping")
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.stop()
