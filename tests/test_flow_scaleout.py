"""Scale-out on Dask: what travels between workers is small, and workers share one Prefect."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pipeline import stages
from pipeline.config import get_settings
from pipeline.parked import PageRef
from pipeline.sample_inbox import SAMPLE_DIR
from pipeline.storage.models import FieldValue
from tests.helpers.sample import page_of
from tests.test_ingest import settings  # noqa: F401  (the intake fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.ocr
@pytest.mark.usefixtures("settings")
def test_a_page_task_returns_a_reference_and_the_reading_waits_on_disk(engine: Engine) -> None:
    cfg = get_settings()
    reader, writer = PdfReader(SAMPLE_DIR / "envelopes" / "E2024-0001.pdf"), PdfWriter()
    writer.add_page(reader.pages[page_of("E2024-0001", "A")])
    with (cfg.inbox_dir / "a.pdf").open("wb") as fh:
        writer.write(fh)
    stages.ingest(engine, cfg, run_id=None)
    ((envelope_id, _),) = stages.envelopes_to_extract(engine)

    ref = stages.extract_page(cfg, envelope_id, 0)
    # what a Dask worker sends back: a few bytes, not the page's reading with its crops
    # (a batch of these once made "Sending large graph of size 41 MiB")
    assert isinstance(ref, PageRef)
    assert len(pickle.dumps(ref)) < 300
    parked = cfg.data_root / ref.path
    assert parked.stat().st_size > 20 * len(pickle.dumps(ref))
    assert stat.S_IMODE(parked.stat().st_mode) == 0o600

    (outcome,) = stages.finish_envelopes(engine, cfg, [(envelope_id, [ref])], run_id=None)
    assert outcome.error is None and outcome.result is not None
    assert outcome.result.counts["fields"] > 10
    with Session(engine) as s:
        stored = s.scalar(select(func.count()).select_from(FieldValue))
    assert stored == outcome.result.counts["fields"]
    assert not parked.exists()  # gone once loaded: an envelope not stored is read again


def test_dask_without_a_shared_prefect_server_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONKEN_", "PREFECT_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        CONKEN_DATA_ROOT=str(tmp_path / "data"),
        CONKEN_DASK_ADDRESS="tcp://127.0.0.1:8786",
        PREFECT_HOME=str(tmp_path / "prefect"),  # a profile with no API URL
    )
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("conken: error:")]
    assert "set PREFECT_API_URL here and in the workers' environment" in line
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("settings")
def test_a_failed_envelope_leaves_no_parked_page_behind(engine: Engine) -> None:
    from pipeline.extract.envelope import PageResult
    from pipeline.extract.identify import PageKind
    from pipeline.ingest.intake import take_file
    from pipeline.parked import park
    from tests.helpers import files as make

    cfg = get_settings()
    taken = take_file(engine, make.write_pdf(cfg.inbox_dir / "a.pdf", pages=2), cfg)
    assert taken.envelope_id is not None
    page = PageResult(0, PageKind.EXTRA, None, None, None, None, 0, None, None, "")
    ref = park(cfg, taken.envelope_id, page)  # page 1 read; page 2 then failed
    stages.fail_envelope(engine, cfg, taken.envelope_id, "page 2: boom", run_id=None)
    assert not (cfg.data_root / ref.path).exists()
