"""Run lifecycle and the database run lock, on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from pipeline import runs
from pipeline.errors import ConcurrencyError
from pipeline.storage import db
from pipeline.storage.models import Run, RunLock, RunStatus
from pipeline.storage.types import utcnow


def _holder(token: str, pid: int | None = None) -> runs.Holder:
    import os

    return runs.Holder(socket.gethostname(), pid or os.getpid(), token)


def test_acquire_then_second_holder_refused(any_engine: Engine) -> None:
    a, b = _holder("a"), _holder("b")
    assert runs.try_acquire(any_engine, "nightly", a)
    assert not runs.try_acquire(any_engine, "nightly", b)
    with pytest.raises(ConcurrencyError, match="another run is in progress"):
        runs.acquire(any_engine, "nightly", b, wait_seconds=0)
    assert runs.release(any_engine, "nightly", a)
    assert runs.try_acquire(any_engine, "nightly", b)


def test_release_by_non_holder_does_nothing(any_engine: Engine) -> None:
    a, b = _holder("a"), _holder("b")
    assert runs.try_acquire(any_engine, "nightly", a)
    assert not runs.release(any_engine, "nightly", b)
    assert runs.lock_info(any_engine, "nightly").holder == str(a)


def test_two_concurrent_acquirers_exactly_one_wins(any_db_url: str) -> None:
    engines = [db.make_engine(any_db_url) for _ in range(6)]
    barrier = threading.Barrier(len(engines))
    wins: list[int] = []
    errors: list[BaseException] = []

    def contend(i: int) -> None:
        try:
            barrier.wait()
            if runs.try_acquire(engines[i], "nightly", _holder(f"t{i}")):
                wins.append(i)
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert errors == []
    assert len(wins) == 1


def test_stale_heartbeat_is_stolen(any_engine: Engine) -> None:
    old = runs.Holder("some-other-host", 4242, "old")
    assert runs.try_acquire(any_engine, "nightly", old)
    # another host: alive as far as we can tell; only the heartbeat age counts
    assert not runs.try_acquire(any_engine, "nightly", _holder("new"))
    with db.session_scope(any_engine) as s:
        s.execute(
            update(RunLock)
            .where(RunLock.name == "nightly")
            .values(heartbeat_at=utcnow() - timedelta(minutes=10))
        )
    new = _holder("new")
    assert runs.try_acquire(any_engine, "nightly", new, stale_after=timedelta(minutes=5))
    assert runs.lock_info(any_engine, "nightly").holder == str(new)


def test_fresh_lock_of_dead_local_process_is_stolen(any_engine: Engine) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # its pid now names no process
    dead = _holder("dead", pid=proc.pid)
    assert runs.try_acquire(any_engine, "nightly", dead)
    assert runs.try_acquire(any_engine, "nightly", _holder("alive"))


def test_fresh_lock_of_live_process_is_not_stolen(any_engine: Engine) -> None:
    assert runs.try_acquire(any_engine, "nightly", _holder("alive"))
    assert not runs.try_acquire(
        any_engine, "nightly", _holder("other"), stale_after=timedelta(hours=1)
    )


def test_heartbeat_refreshes_and_detects_loss(any_engine: Engine) -> None:
    a = _holder("a")
    runs.acquire(any_engine, "nightly", a)
    with db.session_scope(any_engine) as s:
        s.execute(update(RunLock).values(heartbeat_at=utcnow() - timedelta(minutes=3)))
    runs.heartbeat(any_engine, "nightly", a, run_id=None)
    info = runs.lock_info(any_engine, "nightly")
    assert utcnow() - info.heartbeat_at < timedelta(seconds=30)
    runs.release(any_engine, "nightly", a)
    with pytest.raises(ConcurrencyError, match="no longer held"):
        runs.heartbeat(any_engine, "nightly", a)


def test_held_lock_waits_for_release(engine: Engine) -> None:
    first = runs.HeldLock(engine, wait_seconds=0, heartbeat_seconds=0.05)
    first.__enter__()
    timer = threading.Timer(0.4, first.__exit__, args=(None, None, None))
    timer.start()
    with runs.HeldLock(engine, wait_seconds=5, poll_seconds=0.05) as second:
        assert runs.lock_info(engine, "nightly").holder == str(second.holder)
    timer.join()
    assert runs.lock_info(engine, "nightly") is None


def test_held_lock_gives_up_with_message_naming_the_run(engine: Engine) -> None:
    with runs.HeldLock(engine) as held:
        run_id = runs.start_run(engine)
        held.attach_run(run_id)
        with pytest.raises(ConcurrencyError) as err, runs.HeldLock(engine, wait_seconds=0.2):
            pass
        assert f"run {run_id}" in str(err.value)
        assert err.value.exit_code == 9


def test_held_lock_heartbeat_thread_marks_loss(engine: Engine) -> None:
    import time

    with runs.HeldLock(engine, heartbeat_seconds=0.05) as held:
        with db.session_scope(engine) as s:
            s.execute(RunLock.__table__.delete())
        deadline = time.monotonic() + 3
        while not held.lost and time.monotonic() < deadline:
            time.sleep(0.02)
        with pytest.raises(ConcurrencyError, match="was lost"):
            held.check()


def test_run_lifecycle_and_interrupted(any_engine: Engine) -> None:
    left = runs.start_run(any_engine, trigger="schedule")
    done = runs.start_run(any_engine)
    runs.finish_run(
        any_engine, done, status=RunStatus.SUCCEEDED, stats={"envelopes": 3}, report_path="r.html"
    )
    assert runs.mark_interrupted(any_engine) == [left]
    with db.session_scope(any_engine) as s:
        by_id = {r.id: r for r in s.scalars(select(Run))}
    assert by_id[left].status == "interrupted"
    assert by_id[left].finished_at is not None
    assert by_id[left].error
    assert by_id[done].status == "succeeded"
    assert by_id[done].stats == {"envelopes": 3}
    assert by_id[done].report_path == "r.html"
    assert runs.mark_interrupted(any_engine) == []


def test_finish_run_refuses_running_status(engine: Engine) -> None:
    run_id = runs.start_run(engine)
    with pytest.raises(ValueError):
        runs.finish_run(engine, run_id, status=RunStatus.RUNNING)


def test_a_reentrant_holding_is_joined_by_the_same_process_and_kept_from_others(
    engine: Engine,
) -> None:
    # `conken run` holds the lock before Prefect starts; the flow it calls joins it
    with runs.HeldLock(engine, reentrant=True) as outer:
        with runs.HeldLock(engine) as inner:
            assert inner.holder == outer.holder
            inner.attach_run(runs.start_run(engine))
            inner.check()
        assert runs.lock_info(engine, "nightly") is not None  # the inner exit kept it
        assert outer.run_id == inner.run_id
    assert runs.lock_info(engine, "nightly") is None
    # without a reentrant holder, a second holder in this process is refused as before
    with runs.HeldLock(engine), pytest.raises(ConcurrencyError), runs.HeldLock(engine):
        pass
