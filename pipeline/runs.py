"""Run lifecycle and the run lock held in the database.

A run of the nightly job is one ``runs`` row: :func:`start_run` creates it
(``running``), :func:`finish_run` closes it (``succeeded`` / ``failed``) with
its stats and error. A process killed mid-run leaves its row ``running``; the
next run, once it holds the lock, marks such rows ``interrupted``
(:func:`mark_interrupted`) — nobody else can be running while we hold it.

The lock is one row of ``run_locks`` per lock name, so it works the same on
SQLite and PostgreSQL and across hosts that share the database:

* acquire = ``INSERT`` (atomic: the primary key lets exactly one insert win);
* on ``IntegrityError`` the row is read; it is *stale* when its heartbeat is
  older than ``stale_after`` or its holder is a process on this host that no
  longer exists. Only a stale lock is stolen, by a compare-and-delete on the
  exact row that was judged stale (holder and heartbeat), then a fresh insert —
  two stealers cannot both win;
* the holder refreshes ``heartbeat_at`` from a background thread
  (:class:`HeldLock`) and deletes its own row on release.

:class:`HeldLock` can be made re-entrant within a process: ``conken run`` takes
the lock (``reentrant=True``) before it starts Prefect, so a second run fails at
once with its one line and no Prefect traceback, and the flow it calls joins that
holding instead of competing with it. A served flow run, in its own process,
takes the lock itself.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.errors import ConcurrencyError, StorageError
from pipeline.storage.db import session_scope
from pipeline.storage.models import Run, RunLock
from pipeline.storage.types import utcnow
from pipeline.vocabulary import RunStatus

log = logging.getLogger(__name__)

NIGHTLY_LOCK = "nightly"
DEFAULT_STALE_AFTER = timedelta(minutes=5)
DEFAULT_HEARTBEAT_SECONDS = 30.0


# --- holders --------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: host, process id and a token unique to this acquisition."""

    host: str
    pid: int
    token: str

    def __str__(self) -> str:
        return f"{self.host}|{self.pid}|{self.token}"

    @classmethod
    def here(cls) -> Holder:
        return cls(socket.gethostname(), os.getpid(), uuid.uuid4().hex[:12])

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        parts = text.split("|")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2])


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def is_stale(row: RunLock, *, now: datetime, stale_after: timedelta) -> bool:
    """A lock is stale when its heartbeat is too old or its holder process is gone."""
    if now - row.heartbeat_at > stale_after:
        return True
    holder = Holder.parse(row.holder)
    if holder is None or holder.host != socket.gethostname():
        return False  # another host: only the heartbeat can tell
    return not _process_alive(holder.pid)


# --- the lock ---------------------------------------------------------------------


@dataclass(frozen=True)
class LockInfo:
    """The current holder of a lock, for messages."""

    name: str
    holder: str
    run_id: int | None
    acquired_at: datetime
    heartbeat_at: datetime


def lock_info(engine: Engine, name: str) -> LockInfo | None:
    with session_scope(engine) as session:
        row = session.get(RunLock, name)
        if row is None:
            return None
        return LockInfo(row.name, row.holder, row.run_id, row.acquired_at, row.heartbeat_at)


def _insert(engine: Engine, name: str, holder: Holder, run_id: int | None) -> bool:
    now = utcnow()
    try:
        with session_scope(engine) as session:
            session.add(
                RunLock(
                    name=name,
                    holder=str(holder),
                    run_id=run_id,
                    acquired_at=now,
                    heartbeat_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def _steal_if_stale(engine: Engine, name: str, stale_after: timedelta) -> bool:
    """Delete the lock row if it is stale; True when this call deleted it."""
    with session_scope(engine) as session:
        row = session.get(RunLock, name)
        if row is None:
            return True  # released meanwhile: try the insert again
        if not is_stale(row, now=utcnow(), stale_after=stale_after):
            return False
        judged = (row.holder, row.heartbeat_at, row.run_id)
        # Compare-and-delete: only the exact row we judged stale.
        result = session.execute(
            delete(RunLock).where(
                RunLock.name == name,
                RunLock.holder == judged[0],
                RunLock.heartbeat_at == judged[1],
            )
        )
        deleted = bool(getattr(result, "rowcount", 0))
    if deleted:
        log.warning(
            "stole stale lock %r from %s (run %s, last heartbeat %s)",
            name,
            judged[0],
            judged[2],
            judged[1].isoformat(),
        )
    return deleted


def try_acquire(
    engine: Engine,
    name: str,
    holder: Holder,
    *,
    run_id: int | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> bool:
    """One attempt: True when ``holder`` now holds ``name``."""
    if _insert(engine, name, holder, run_id):
        return True
    if _steal_if_stale(engine, name, stale_after):
        return _insert(engine, name, holder, run_id)
    return False


def acquire(
    engine: Engine,
    name: str,
    holder: Holder,
    *,
    wait_seconds: float = 0.0,
    poll_seconds: float = 1.0,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> None:
    """Acquire ``name`` for ``holder``, waiting up to ``wait_seconds``.

    Raises :class:`ConcurrencyError` naming the current holder when the lock
    stays taken.
    """
    deadline = time.monotonic() + max(0.0, wait_seconds)
    while True:
        if try_acquire(engine, name, holder, stale_after=stale_after):
            log.info("lock %r acquired by %s", name, holder)
            return
        if time.monotonic() >= deadline:
            raise ConcurrencyError(_busy_message(engine, name, wait_seconds))
        time.sleep(min(poll_seconds, max(0.01, deadline - time.monotonic())))


def _busy_message(engine: Engine, name: str, waited: float) -> str:
    info = lock_info(engine, name)
    if info is None:
        who = "another process"
    else:
        parsed = Holder.parse(info.holder)
        where = f"pid {parsed.pid} on {parsed.host}" if parsed else info.holder
        run = f"run {info.run_id}, " if info.run_id else ""
        who = f"{run}{where}, started {info.acquired_at:%Y-%m-%d %H:%M:%S} UTC"
    waited_text = f" after waiting {waited:g} s" if waited > 0 else ""
    return (
        f"another run is in progress ({who}){waited_text}; try again later or pass --wait SECONDS"
    )


def heartbeat(engine: Engine, name: str, holder: Holder, *, run_id: int | None = None) -> None:
    """Refresh the heartbeat; raises :class:`ConcurrencyError` if the lock was lost."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if run_id is not None:
        values["run_id"] = run_id
    with session_scope(engine) as session:
        result = session.execute(
            update(RunLock)
            .where(RunLock.name == name, RunLock.holder == str(holder))
            .values(**values)
        )
        if not getattr(result, "rowcount", 0):
            raise ConcurrencyError(f"lock {name!r} is no longer held by {holder}")


def release(engine: Engine, name: str, holder: Holder) -> bool:
    """Release the lock if ``holder`` still holds it; True when a row was deleted."""
    with session_scope(engine) as session:
        result = session.execute(
            delete(RunLock).where(RunLock.name == name, RunLock.holder == str(holder))
        )
        released = bool(getattr(result, "rowcount", 0))
    if released:
        log.info("lock %r released by %s", name, holder)
    return released


_HELD: dict[tuple[str, str], HeldLock] = {}  # (database, lock name) -> re-entrant holder
_HELD_GUARD = threading.Lock()


class HeldLock:
    """Context manager: acquire, heartbeat from a daemon thread, release.

    ``lost`` becomes True if a heartbeat finds the lock gone (stolen after a
    long stall); :meth:`check` raises then, so the run stops writing. Entered
    while this process holds the lock through a ``reentrant`` HeldLock, it joins
    that holding: it neither acquires nor releases, and reports the outer state.
    """

    def __init__(
        self,
        engine: Engine,
        name: str = NIGHTLY_LOCK,
        *,
        wait_seconds: float = 0.0,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        poll_seconds: float = 1.0,
        reentrant: bool = False,
    ) -> None:
        self.engine = engine
        self.reentrant = reentrant
        self.name = name
        self.holder = Holder.here()
        self.wait_seconds = wait_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_after = stale_after
        self.poll_seconds = poll_seconds
        self.run_id: int | None = None
        self.lost = False
        self._outer: HeldLock | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def _key(self) -> tuple[str, str]:
        return (self.engine.url.render_as_string(hide_password=True), self.name)

    def __enter__(self) -> HeldLock:
        with _HELD_GUARD:
            self._outer = _HELD.get(self._key)
        if self._outer is not None:
            self.holder = self._outer.holder
            return self
        acquire(
            self.engine,
            self.name,
            self.holder,
            wait_seconds=self.wait_seconds,
            poll_seconds=self.poll_seconds,
            stale_after=self.stale_after,
        )
        self._thread = threading.Thread(
            target=self._beat, name=f"lock-heartbeat-{self.name}", daemon=True
        )
        self._thread.start()
        if self.reentrant:
            with _HELD_GUARD:
                _HELD[self._key] = self
        return self

    def attach_run(self, run_id: int) -> None:
        """Record the run holding the lock (shown to a second caller)."""
        self.run_id = run_id
        if self._outer is not None:
            self._outer.run_id = run_id
        heartbeat(self.engine, self.name, self.holder, run_id=run_id)

    def check(self) -> None:
        if self.lost or (self._outer is not None and self._outer.lost):
            raise ConcurrencyError(
                f"lock {self.name!r} was lost (heartbeats stalled longer than "
                f"{self.stale_after.total_seconds():g} s); stopping this run"
            )

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                heartbeat(self.engine, self.name, self.holder)
            except ConcurrencyError:
                self.lost = True
                log.error("lock %r lost by %s", self.name, self.holder)
                return
            except Exception:  # database hiccup: try again at the next beat
                log.warning("heartbeat for lock %r failed", self.name, exc_info=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._outer is not None:
            return  # the outer holder releases
        if self.reentrant:
            with _HELD_GUARD:
                _HELD.pop(self._key, None)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        release(self.engine, self.name, self.holder)


# --- runs -------------------------------------------------------------------------


def mark_interrupted(engine: Engine) -> list[int]:
    """Runs still ``running`` (their process died): mark them ``interrupted``.

    Call only while holding the run lock, so no live run is touched.
    """
    with session_scope(engine) as session:
        rows = list(session.scalars(select(Run).where(Run.status == RunStatus.RUNNING.value)))
        for run in rows:
            run.status = RunStatus.INTERRUPTED.value
            run.finished_at = run.finished_at or utcnow()
            run.error = run.error or "the process running it stopped before it finished"
        ids = [r.id for r in rows]
    if ids:
        log.warning("runs %s were left running by a stopped process: marked interrupted", ids)
    return ids


def start_run(
    engine: Engine,
    *,
    kind: str = "nightly",
    trigger: str = "manual",
    prefect_flow_run_id: str | None = None,
) -> int:
    """Create the ``running`` row for a new run and return its id."""
    with session_scope(engine) as session:
        run = Run(
            kind=kind,
            status=RunStatus.RUNNING.value,
            trigger=trigger,
            prefect_flow_run_id=prefect_flow_run_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            stats={},
        )
        session.add(run)
        session.flush()
        run_id = run.id
    log.info("run %s started (%s, %s)", run_id, kind, trigger)
    return run_id


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: RunStatus,
    stats: dict[str, Any] | None = None,
    error: str | None = None,
    report_path: str | None = None,
) -> None:
    """Close a run with its final status, stats, error and report path."""
    if status == RunStatus.RUNNING:
        raise ValueError("finish_run needs a final status")
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        if run is None:
            raise StorageError(f"no run with id {run_id}")
        run.status = status.value
        run.finished_at = utcnow()
        if stats is not None:
            run.stats = stats
        if error is not None:
            run.error = error
        if report_path is not None:
            run.report_path = report_path
    log.info("run %s finished: %s", run_id, status.value)


def set_report_path(engine: Engine, run_id: int, report_path: str) -> None:
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        if run is None:
            raise StorageError(f"no run with id {run_id}")
        run.report_path = report_path
