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
from pipeline.config import Settings
from pipeline.errors import ConfigurationError


def require_shared_prefect(settings: Settings) -> None:
    """Refuse a Dask scale-out without a Prefect server every worker can reach.

    Tasks on Dask workers report to Prefect: with no ``PREFECT_API_URL``, each worker
    process would start a temporary Prefect server of its own (and this run's own
    temporary server, on 127.0.0.1, is out of the workers' reach anyway).
    """
    from flows.serve import configured_api_url

    if settings.dask_address and not configured_api_url():
        raise ConfigurationError(
            "CONKEN_DASK_ADDRESS needs a Prefect server that this machine and every Dask "
            "worker can reach: set PREFECT_API_URL here and in the workers' environment "
            "(README, Scale-out)"
        )


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
