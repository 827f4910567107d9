"""Fault injection for the crash-safety tests: die abruptly at a named point.

``CONKEN_FAULT_KILL_AT=<point>[:<n>]`` makes the process SIGKILL itself the
``n``-th time (default 1) it reaches ``checkpoint(<point>)``. Before dying it
appends ``<point>:<n>`` to the file named by ``CONKEN_FAULT_MARKER`` (fsynced),
so a test can prove the process died exactly there and not elsewhere.
``CONKEN_FAULT_ACTION=pause`` makes it stop there instead (marker written, then
up to ten minutes asleep), for a test to signal or kill it from outside.

Unset (production), the environment is read once at import and
:func:`checkpoint` returns at its first comparison. The named points are
listed in ``POINTS`` so a typo in a test fails loudly instead of never firing.
"""

from __future__ import annotations

import os
import signal
import threading
import time

POINTS = frozenset(
    {
        "ingest.archived",  # original copied into the archive, envelope row not yet committed
        "ingest.recorded",  # envelope row committed, inbox file not yet removed
        "ingest.quarantine_moved",  # bad file moved to quarantine, its row not yet committed
        "extract.page_saved",  # a page's images written, nothing in the database yet
        "extract.envelope_stored",  # one envelope's extraction committed, others not
        "reconcile.matches_written",  # inside the reconciliation transaction, before commit
        "decide.saved",  # one application's decision committed, others not
        "outputs.letters_stored",  # one application's letters committed, letter list unwritten
        "report.written",  # report files written, run row not yet updated
    }
    | {f"stage.{name}.done" for name in ("ingest", "extract", "decide", "audit_sample", "outputs")}
)


class _Target:
    def __init__(self, spec: str) -> None:
        point, _, count = spec.partition(":")
        if point not in POINTS:
            raise ValueError(f"CONKEN_FAULT_KILL_AT: unknown point {point!r}")
        self.point = point
        self.nth = int(count) if count else 1
        self.seen = 0
        self.lock = threading.Lock()


_target: _Target | None = None


def configure(spec: str | None) -> None:
    """Arm (``"point[:n]"``) or disarm (``None``) the hook; read from the environment at import."""
    global _target
    _target = _Target(spec) if spec else None


def checkpoint(point: str) -> None:
    """Die here with SIGKILL when armed for ``point`` and this is its n-th passage."""
    target = _target
    if target is None or target.point != point:
        return
    with target.lock:
        target.seen += 1
        if target.seen != target.nth:
            return
        marker = os.environ.get("CONKEN_FAULT_MARKER")
        if marker:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, f"{point}:{target.nth}\n".encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        if os.environ.get("CONKEN_FAULT_ACTION") == "pause":
            time.sleep(600)
            return
        os.kill(os.getpid(), signal.SIGKILL)


configure(os.environ.get("CONKEN_FAULT_KILL_AT"))
