"""A watchdog that stops a helper process when the process that started it dies.

``conken run`` starts Prefect's temporary server as a child process (uvicorn, about
230 MB). When ``conken run`` ends normally it stops it; killed with SIGKILL (a cron
timeout, the OOM killer) it cannot, and the server would live on, parented to init,
one more with every killed run. :func:`guard` starts this module as a small
process of its own that polls its parent: once the parent is gone it stops the
helper (SIGTERM, then SIGKILL), and it exits as soon as the helper does. The
helper is recognised by its pid and start time, so a recycled pid is never hit.
Nothing here imports Prefect.

Usage (internal): ``python -m flows.reaper PARENT_PID HELPER_PID HELPER_START``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

POLL_SECONDS = 0.5
GRACE_SECONDS = 10.0


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its ")"
    return stat.rsplit(")", 1)[1].split()[19]


def guard(pid: int) -> subprocess.Popen[bytes] | None:
    """Start the watchdog for helper ``pid``; None where /proc is not available."""
    started = start_time(pid)
    if started is None:
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "flows.reaper", str(os.getpid()), str(pid), started],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,  # a Ctrl-C to the run's terminal is not for the watchdog
    )


def _stop(pid: int, started: str) -> None:
    for sig, wait in ((signal.SIGTERM, GRACE_SECONDS), (signal.SIGKILL, GRACE_SECONDS)):
        if start_time(pid) != started:
            return  # gone (or the pid now names another process)
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while start_time(pid) == started and time.monotonic() < deadline:
            time.sleep(0.1)


def watch(parent: int, pid: int, started: str) -> None:
    while start_time(pid) == started:
        if os.getppid() != parent:  # re-parented: the process that started us is gone
            _stop(pid, started)
            return
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    watch(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
