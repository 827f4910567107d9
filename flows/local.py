"""Prefect's local mode, started early.

With no ``PREFECT_API_URL``, Prefect runs a flow against a temporary server
it starts on first use (several seconds on a small machine). ``conken run``
starts it in a background thread first, so the server boots while the
pipeline's modules are imported, and puts a watchdog on it
(:mod:`flows.reaper`): the server dies with the run even when the run is
killed by SIGKILL.
"""

from __future__ import annotations

import threading

import flows  # noqa: F401  (environment defaults before Prefect is imported)
from flows.reaper import guard


def warm_up_local_server() -> threading.Thread | None:
    """Start Prefect's temporary server in the background when no API URL is set."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the instance Prefect's client uses (no port given)

    def start() -> None:
        server.start()
        if server.server_process is not None:
            guard(server.server_process.pid)

    thread = threading.Thread(target=start, name="prefect-local-server", daemon=True)
    thread.start()
    return thread
