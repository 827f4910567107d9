"""The nightly flow's wiring, with the pipeline stages replaced by small fakes.

These run under Prefect's test harness (a temporary server for the session)
and check orchestration only: fan-out, failure isolation, retry policy,
run records, lock, report and artifacts.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import pipeline.stages as stages
from pipeline.config import get_settings
from pipeline.errors import ConcurrencyError, InputFileError
from pipeline.storage import db
from pipeline.storage.models import Run

pytestmark = pytest.mark.usefixtures("prefect_harness")

TODAY = date(2024, 5, 1)


class FakeStages:
    """Stand-ins for pipeline.stages recording what the flow asked for."""

    def __init__(self, envelopes: list[tuple[int, int]], bad_pages: set[tuple[int, int]]) -> None:
        self.envelopes = envelopes
        self.bad_pages = bad_pages
        self.finished: dict[int, list[Any]] = {}
        self.failed: dict[int, str] = {}
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()
        self.extracted: set[int] = set()
        self.ocr_batches: list[list[int]] = []
        self.ocr_threads: set[str] = set()
        self.ocr_fails = False

    def _count(self, name: str) -> None:
        with self.lock:
            self.calls[name] = self.calls.get(name, 0) + 1

    def import_statements(self, engine, settings, *, run_id):
        self._count("import_statements")
        return stages.StageResult("import_statements", {"files_imported": 0})

    def ingest(self, engine, settings, *, run_id):
        self._count("ingest")
        return stages.StageResult("ingest", {"new": 0})

    def envelopes_to_extract(self, engine):
        return [(e, n) for e, n in self.envelopes if e not in self.extracted]

    def extract_page(self, settings, envelope_id, page_index):
        self._count("extract_page")
        if (envelope_id, page_index) in self.bad_pages:
            raise ValueError(f"cannot read page {page_index} of {envelope_id}")
        return {"envelope": envelope_id, "page": page_index}

    def load_pages(self, settings, refs):  # the fake's "refs" are the pages themselves
        return refs

    def drop_pages(self, settings, refs):
        pass

    def read_envelope_texts(self, settings, envelopes):
        with self.lock:
            self.ocr_batches.append([pages[0]["envelope"] for pages in envelopes])
            self.ocr_threads.add(threading.current_thread().name)
        if self.ocr_fails:
            raise RuntimeError("tesseract crashed")

    def finish_envelope(self, engine, settings, envelope_id, pages, *, run_id):
        self.finished[envelope_id] = pages
        self.extracted.add(envelope_id)
        return stages.StageResult("extract", {"envelopes": 1, "pages": len(pages)})

    def fail_envelope(self, engine, settings, envelope_id, error, *, run_id):
        self.failed[envelope_id] = error
        self.extracted.add(envelope_id)

    def reconcile_payments(self, engine, settings, *, run_id, today):
        self._count("reconcile_payments")
        return stages.StageResult("reconcile_payments", {})

    def decide_applications(self, engine, settings, *, run_id, today):
        self._count("decide_applications")
        assert today == TODAY
        return stages.StageResult("decide", {})

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeStages:
        for name in (
            "import_statements",
            "ingest",
            "envelopes_to_extract",
            "extract_page",
            "load_pages",
            "drop_pages",
            "read_envelope_texts",
            "finish_envelope",
            "fail_envelope",
            "reconcile_payments",
            "decide_applications",
        ):
            monkeypatch.setattr(stages, name, getattr(self, name))
        return self


def _flow(workers: int = 2):
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.nightly import nightly

    return nightly.with_options(task_runner=ThreadPoolTaskRunner(max_workers=workers))


def _runs() -> list[Run]:
    engine = db.engine_for(get_settings().effective_database_url)
    with db.session_scope(engine) as s:
        return list(s.scalars(select(Run).order_by(Run.id)))


def test_pages_fan_out_and_one_bad_envelope_does_not_stop_the_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeStages([(1, 2), (2, 3), (3, 1)], bad_pages={(2, 1)}).install(monkeypatch)
    out = _flow()(today=TODAY)
    assert fake.finished[1] == [{"envelope": 1, "page": 0}, {"envelope": 1, "page": 1}]
    assert fake.finished[3] == [{"envelope": 3, "page": 0}]
    assert 2 not in fake.finished
    assert fake.failed[2].startswith("page 2: ValueError: cannot read page 1 of 2")
    assert fake.calls["extract_page"] == 6  # no retry of a bad page
    assert out["failed_envelopes"] == [2]
    assert out["summary"]["pages"] == 3
    runs = _runs()
    assert runs[-1].status == "succeeded"
    assert runs[-1].stats["failed"][0]["envelope_id"] == 2
    assert runs[-1].report_path == f"reports/run-{out['run_id']}.html"
    html = Path(out["report_path"]).read_text(encoding="utf-8")
    assert "cannot read page 1 of 2" in html
    assert [s["name"] for s in runs[-1].stats["stages"]] == [
        "import_statements",
        "ingest",
        "extract",
        "reconcile_payments",
        "decide",
        "audit_sample",
        "outputs",
    ]


@pytest.mark.parametrize("ocr_fails", [False, True])
def test_text_fields_are_ocred_a_few_envelopes_at_a_time(
    monkeypatch: pytest.MonkeyPatch, ocr_fails: bool
) -> None:
    monkeypatch.setenv("CONKEN_OCR_BATCH_ENVELOPES", "4")  # ten envelopes: three batches
    get_settings.cache_clear()
    fake = FakeStages([(e, 1) for e in range(1, 11)], bad_pages={(3, 0)}).install(monkeypatch)
    fake.ocr_fails = ocr_fails
    out = _flow()(today=TODAY)
    assert get_settings().ocr_batch_envelopes == 4
    # Batches run concurrently: their order is not fixed, their members are.
    assert sorted(fake.ocr_batches) == [[1, 2, 4], [5, 6, 7, 8], [9, 10]]  # 3's page failed
    # The batches' OCR runs on the task runner's workers, not in the flow's thread.
    assert threading.main_thread().name not in fake.ocr_threads
    # A failed batch OCR is no envelope's failure: each then OCRs its own when finished.
    assert sorted(fake.finished) == [1, 2, 4, 5, 6, 7, 8, 9, 10]
    assert out["failed_envelopes"] == [3]
    assert out["summary"]["pages"] == 9


def test_an_envelope_that_fails_to_store_does_not_stop_its_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeStages([(1, 1), (2, 2), (3, 1)], bad_pages=set()).install(monkeypatch)
    store = fake.finish_envelope

    def finish(engine, settings, envelope_id, pages, *, run_id):
        if envelope_id == 2:
            raise ValueError("field table full")
        return store(engine, settings, envelope_id, pages, run_id=run_id)

    monkeypatch.setattr(stages, "finish_envelope", finish)
    out = _flow()(today=TODAY)
    assert sorted(fake.finished) == [1, 3]
    assert fake.failed[2] == "ValueError: field table full"
    assert out["failed_envelopes"] == [2]
    assert out["summary"]["pages"] == 2


def test_second_run_finds_nothing_new(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeStages([(1, 1)], bad_pages=set()).install(monkeypatch)
    first = _flow()(today=TODAY)
    second = _flow()(today=TODAY)
    assert not first["nothing_new"]
    assert second["nothing_new"]
    assert second["run_id"] == first["run_id"] + 1


def test_stage_failure_fails_the_run_and_records_it(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeStages([], bad_pages=set()).install(monkeypatch)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("rules exploded")

    monkeypatch.setattr(stages, "decide_applications", broken)
    with pytest.raises(RuntimeError, match="rules exploded"):
        _flow()(today=TODAY)
    run = _runs()[-1]
    assert run.status == "failed"
    assert "rules exploded" in run.error
    assert run.report_path  # the failed run still has its report
    assert fake.calls["reconcile_payments"] == 1
    from pipeline.runs import lock_info

    assert lock_info(db.engine_for(get_settings().effective_database_url), "nightly") is None


def test_io_error_is_retried_but_a_bad_file_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.nightly as nightly_module

    fake = FakeStages([], bad_pages=set()).install(monkeypatch)
    attempts = {"import": 0, "ingest": 0}

    def flaky_import(engine, settings, *, run_id):
        attempts["import"] += 1
        if attempts["import"] == 1:
            raise OperationalError("SELECT 1", {}, Exception("connection reset"))
        return fake.import_statements(engine, settings, run_id=run_id)

    def bad_ingest(engine, settings, *, run_id):
        attempts["ingest"] += 1
        raise InputFileError("inbox listing refused: not a directory")

    monkeypatch.setattr(stages, "import_statements", flaky_import)
    monkeypatch.setattr(stages, "ingest", bad_ingest)
    for name in ("import_statements_task", "ingest_task"):
        task = getattr(nightly_module, name)
        monkeypatch.setattr(nightly_module, name, task.with_options(retry_delay_seconds=0))
    with pytest.raises(InputFileError):
        _flow()(today=TODAY)
    assert attempts == {"import": 2, "ingest": 1}


def test_retry_condition_classifies_errors() -> None:
    from prefect.states import Failed

    from flows.nightly import retry_on_io

    def state(e: BaseException) -> Any:
        return Failed(data=e)

    assert retry_on_io(None, None, state(OSError("disk busy")))
    assert retry_on_io(None, None, state(OperationalError("x", {}, Exception("gone"))))
    assert not retry_on_io(None, None, state(InputFileError("encrypted PDF")))
    assert not retry_on_io(None, None, state(ValueError("bug")))


def test_run_while_another_holds_the_lock_exits_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.runs import HeldLock

    FakeStages([], bad_pages=set()).install(monkeypatch)
    url = get_settings().effective_database_url
    db.ensure_schema(url)
    with HeldLock(db.engine_for(url)), pytest.raises(ConcurrencyError) as err:
        _flow()(today=TODAY, lock_wait_seconds=0.2)
    assert "another run is in progress" in str(err.value)
    assert _runs() == []  # no run row for a run that never started


def test_run_marks_a_killed_run_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.runs import start_run

    FakeStages([], bad_pages=set()).install(monkeypatch)
    url = get_settings().effective_database_url
    db.ensure_schema(url)
    killed = start_run(db.engine_for(url))
    _flow()(today=TODAY)
    statuses = {r.id: r.status for r in _runs()}
    assert statuses[killed] == "interrupted"


def test_artifacts_are_created_with_dash_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    FakeStages([(1, 1)], bad_pages=set()).install(monkeypatch)
    out = _flow()(today=TODAY)
    with get_client(sync_client=True) as client:
        keys = {}
        for key in ("run-report", "run-decisions", "run-exceptions"):
            found = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )
            keys[key] = found
    assert all(keys.values())
    newest = max(keys["run-report"], key=lambda a: a.created)
    assert f"実行レポート #{out['run_id']}" in newest.data


@pytest.mark.parametrize(
    ("count", "size", "workers", "want"),
    [
        (10, 4, 2, [4, 4, 2]),  # the configured size caps a batch
        (6, 8, 2, [3, 3]),  # few envelopes: one batch per worker, no single-core tail
        (5, 8, 2, [3, 2]),
        (1, 8, 2, [1]),
        (3, 8, 1, [3]),
        (0, 8, 2, []),
    ],
)
def test_ocr_batches_keep_envelope_order_and_every_worker_busy(
    count: int, size: int, workers: int, want: list[int]
) -> None:
    ids = list(range(100, 100 + count))
    batches = stages.ocr_batches(ids, size, workers)
    assert [len(b) for b in batches] == want
    assert [e for b in batches for e in b] == ids
