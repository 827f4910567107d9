"""Extraction end to end on one committed sample envelope (real Tesseract; ~20 s)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import stages
from pipeline.config import Settings
from pipeline.storage import db
from pipeline.storage.models import Application, Envelope, FieldValue, Page, ReviewItem
from tests.helpers.personal import personal_values

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
ENVELOPE = "E2024-0001"

pytestmark = [pytest.mark.ocr, pytest.mark.slow]


def _truth() -> dict:  # type: ignore[type-arg]
    return json.loads((SAMPLE / "truth" / f"{ENVELOPE}.truth.json").read_text(encoding="utf-8"))


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # Module scope: OCR runs once for all the tests here, with explicit settings.
    settings = Settings(
        data_root=tmp_path_factory.mktemp("sample") / "data", inbox_settle_seconds=0
    )
    for sub in ("inbox", "registry", "statements"):
        (settings.data_root / sub).mkdir(parents=True, exist_ok=True)
    truth = _truth()
    target = settings.inbox_dir / f"{ENVELOPE}.pdf"
    shutil.copy(SAMPLE / "envelopes" / f"{ENVELOPE}.pdf", target)
    received = (
        datetime.fromisoformat(truth["received_date"]).replace(hour=1, tzinfo=UTC).timestamp()
    )
    os.utime(target, (received, received))
    shutil.copy(
        SAMPLE / "register" / "passers.csv", settings.effective_registry_path / "passers.csv"
    )
    db.upgrade(settings.effective_database_url)
    engine = db.make_engine(settings.effective_database_url)
    collect = _Collect()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(collect)
    root.setLevel(logging.INFO)
    ingest = stages.ingest(engine, settings, run_id=None)
    pending = stages.envelopes_to_extract(engine)
    extracted = [stages.extract_envelope(engine, settings, e, n, run_id=None) for e, n in pending]
    decided = stages.decide_applications(engine, settings, run_id=None, today=date(2024, 7, 1))
    root.removeHandler(collect)
    root.setLevel(previous)
    processed_logs.extend(collect.lines)
    return settings, engine, ingest, extracted, decided, truth


processed_logs: list[str] = []


def test_sample_envelope_is_identified_read_and_stored(processed) -> None:  # type: ignore[no-untyped-def]
    settings, engine, ingest, _extracted, decided, truth = processed
    assert ingest.counts["new"] == 1
    assert ingest.counts["register_lines_new"] > 0
    with Session(engine) as s:
        envelope = s.scalars(select(Envelope)).one()
        assert envelope.status == "extracted"
        pages = s.scalars(select(Page).where(Page.envelope_id == envelope.id)).all()
        want = sorted((p["form_code"], p["page"]) for p in truth["pages"] if p["kind"] == "form")
        assert sorted((p.form_code, p.form_page) for p in pages if p.form_code) == want
        for page in pages:
            assert page.image_path and (settings.data_root / page.image_path).is_file()
        application = s.scalars(select(Application)).one()
        assert application.received_on.isoformat() == truth["received_date"]
        assert application.qualification == truth["record"]["qualification"]
        assert application.pass_number == truth["record"]["report"]["pass_number"]
        fields = s.scalars(
            select(FieldValue).where(FieldValue.application_id == application.id)
        ).all()
        assert len(fields) > 100
        for f in fields:
            if f.crop_path:
                assert (settings.data_root / f.crop_path).is_file()
        # Every field that is not sure went to the queue (or is an empty optional box).
        items = {i.field_id for i in s.scalars(select(ReviewItem)) if i.field_id}
        for f in fields:
            if f.status not in ("ok", "confirmed", "missing"):
                assert f.id in items, f"{f.form_code}.{f.name} ({f.status}) has no review item"
        assert application.decision is not None
        assert decided.counts


def test_ok_fields_agree_with_the_truth(processed) -> None:  # type: ignore[no-untyped-def]
    _settings, engine, *_rest, truth = processed
    want = {(t["form_code"], t["field"]): t["value"] for t in truth["fields"]}
    wrong = []
    with Session(engine) as s:
        for f in s.scalars(select(FieldValue).where(FieldValue.status.in_(("ok", "confirmed")))):
            expected = want.get((f.form_code, f.name))
            if expected is None or f.kind in ("checkbox", "signature", "seal"):
                continue
            if "".join(str(expected).split()) != "".join((f.value or "").split()):
                wrong.append((f.form_code, f.name, expected, f.value))
    assert wrong == []


def test_rerun_finds_nothing_new(processed) -> None:  # type: ignore[no-untyped-def]
    settings, engine, *_ = processed
    assert stages.envelopes_to_extract(engine) == []
    again = stages.decide_applications(engine, settings, run_id=None, today=date(2024, 7, 1))
    assert again.counts == {"unchanged": 1}


def test_extract_command_prints_json_per_envelope(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli.main",
            "extract",
            "--json",
            "--register",
            str(SAMPLE / "register" / "passers.csv"),
            str(SAMPLE / "envelopes" / f"{ENVELOPE}.pdf"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["documents_found"] == ["A", "B", "C", "D", "R"]
    assert data["documents_missing"] == []
    statuses = {f["status"] for f in data["fields"]}
    assert statuses <= {"ok", "confirmed", "low_confidence", "invalid", "missing"}
    assert any(c["item"] == "pass_number" for c in data["cross_checks"])


def test_no_personal_data_in_info_logs(processed) -> None:  # type: ignore[no-untyped-def]
    *_rest, truth = processed
    record = truth["record"]
    personal = personal_values(record)
    assert processed_logs, "the run logged nothing at INFO: the check would prove nothing"
    leaked = [value for value in personal for line in processed_logs if value in line]
    assert leaked == []
