"""Scale-out: the extraction fan-out on an existing Dask cluster gives the same results.

A local ``dask.distributed`` cluster of two single-threaded workers stands in
for the association's cluster; the flow is pointed at it by address exactly
as ``CONKEN_DASK_ADDRESS`` does. Workers run in this process (``processes=False``)
so they see the fake stages.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.config import get_settings
from tests.test_flow_wiring import TODAY, FakeStages

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    from dask.distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    try:
        yield cluster
    finally:
        cluster.close()


class ThreadRecordingStages(FakeStages):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threads: set[str] = set()

    def extract_page(self, settings, envelope_id, page_index):
        with self.lock:
            self.threads.add(threading.current_thread().name)
        return super().extract_page(settings, envelope_id, page_index)


ENVELOPES = [(1, 3), (2, 2), (3, 4), (4, 1)]
BAD = {(3, 2)}


def _run(monkeypatch: pytest.MonkeyPatch, runner: Any) -> tuple[ThreadRecordingStages, dict]:
    from flows.nightly import nightly

    fake = ThreadRecordingStages(ENVELOPES, bad_pages=BAD).install(monkeypatch)
    out = nightly.with_options(task_runner=runner)(today=TODAY)
    return fake, out


def test_dask_runner_matches_default_runner(
    monkeypatch: pytest.MonkeyPatch, dask_cluster: Any
) -> None:
    from flows.nightly import task_runner_for

    default_settings = get_settings()
    default_fake, default_out = _run(monkeypatch, task_runner_for(default_settings))

    monkeypatch.setenv("CONKEN_DASK_ADDRESS", dask_cluster.scheduler_address)
    get_settings.cache_clear()
    runner = task_runner_for(get_settings())
    assert type(runner).__name__ == "DaskTaskRunner"
    dask_fake, dask_out = _run(monkeypatch, runner)

    assert dask_fake.finished == default_fake.finished
    assert set(dask_fake.failed) == set(default_fake.failed) == {3}
    assert dask_fake.failed[3] == default_fake.failed[3]
    assert dask_out["summary"] == default_out["summary"]
    assert dask_out["failed_envelopes"] == default_out["failed_envelopes"] == [3]
    # the pages really ran on the Dask workers, not in the flow's thread pool
    assert dask_fake.threads and all(
        "Dask" in t or "worker" in t.lower() for t in dask_fake.threads
    )
    assert not (dask_fake.threads & default_fake.threads)
