"""The whole nightly flow over ``data/sample/`` (real OCR), then a second run.

One run covers three things at once to keep the suite short:

* the eight sample envelopes are decided, consistently with their ground truth;
* a corrupt file in the inbox is quarantined with its reason, and one envelope
  whose extraction fails (injected: its second page raises) becomes a failed
  envelope with an exception item — the others still decide;
* a second run over the same inputs finds nothing to do and says so.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

import pipeline.stages as stages
from pipeline.config import get_settings
from pipeline.sample_inbox import SAMPLE_DIR, prepare_sample
from pipeline.storage import db
from pipeline.storage.models import Application, Envelope, ReviewItem, Run
from tests.helpers.personal import personal_values

pytestmark = [
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.slow,
    pytest.mark.ocr,
]

TODAY = date(2024, 6, 21)  # the day after the sample statement ends
BROKEN = "E2024-0002.pdf"  # extraction of its second page is made to fail

# ground-truth outcome -> decisions the pipeline may reach without being wrong:
# uncertain readings always go to review, never to a confident wrong answer.
ALLOWED = {
    "eligible": {"eligible", "pending", "review"},
    "not_required": {"not_required", "review"},
    "ineligible": {"ineligible_proposed", "review"},
    "incomplete": {"pending", "review", "ineligible_proposed"},
    "review": {"review"},
}


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(level=logging.INFO)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.into.append(record.getMessage())


def _truth() -> dict[str, dict]:
    out = {}
    for path in (SAMPLE_DIR / "truth").glob("*.truth.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[f"{data['envelope_id']}.pdf"] = data
    return out


def test_sample_flow_decides_isolates_failures_and_reruns_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.nightly import nightly

    monkeypatch.setenv("CONKEN_INBOX_SETTLE_SECONDS", "0")
    get_settings.cache_clear()
    settings = get_settings()
    prepared = prepare_sample(settings)
    assert len(prepared.envelopes) == 8
    corrupt = settings.inbox_dir / "E2024-9999.pdf"
    corrupt.write_bytes((SAMPLE_DIR / "envelopes" / "E2024-0001.pdf").read_bytes()[:3000])

    real_extract = stages.extract_page
    url = settings.effective_database_url
    db.ensure_schema(url)
    engine = db.engine_for(url)
    with db.session_scope(engine) as s:
        assert s.scalar(select(Envelope.id)) is None

    def extract_or_fail(settings_, envelope_id: int, page_index: int):  # type: ignore[no-untyped-def]
        with db.session_scope(engine) as s:
            name = s.get(Envelope, envelope_id).original_name
        if name == BROKEN and page_index == 1:
            raise RuntimeError("simulated crash while reading the page")
        return real_extract(settings_, envelope_id, page_index)

    monkeypatch.setattr(stages, "extract_page", extract_or_fail)
    flow = nightly.with_options(task_runner=ThreadPoolTaskRunner(max_workers=settings.workers))

    logged: list[str] = []
    handler = _Collect(logged)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        first = flow(today=TODAY)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    truth = _truth()
    # No applicant's personal data in the INFO logs of a whole nightly run.
    assert logged, "the run logged nothing at INFO: the check would prove nothing"
    personal = {v for t in truth.values() for v in personal_values(t["record"])}
    assert [(v, line) for v in personal for line in logged if v in line] == []
    with db.session_scope(engine) as s:
        envelopes = {e.original_name: e for e in s.scalars(select(Envelope))}
        apps = {a.envelope_id: a for a in s.scalars(select(Application))}
        failed_items = s.scalars(
            select(ReviewItem).where(ReviewItem.kind == "envelope_failed")
        ).all()
        decisions = {
            name: apps[env.id].decision for name, env in envelopes.items() if env.id in apps
        }
        statuses = {name: env.status for name, env in envelopes.items()}
        quarantine_reason = envelopes[corrupt.name].quarantine_reason
        broken_id = envelopes[BROKEN].id
    # the corrupt file: quarantined with its reason, shown in the report
    assert statuses[corrupt.name] == "quarantined"
    assert quarantine_reason
    # the failed envelope: marked, an exception item, a line in the report
    assert statuses[BROKEN] == "failed"
    assert [i.envelope_id for i in failed_items] == [broken_id]
    assert "simulated crash" in failed_items[0].details["error"]
    assert first["failed_envelopes"] == [broken_id]
    # the other seven are decided, never contradicting the ground truth
    decided = {n: d for n, d in decisions.items() if n != BROKEN}
    assert set(decided) == set(truth) - {BROKEN}
    for name, decision in decided.items():
        expected = truth[name]["eligibility"]["outcome"]
        assert decision in ALLOWED[expected], (name, expected, decision)
    # the SV applicant is recognised without a person
    assert decided["E2024-0004.pdf"] == "not_required"

    report = json.loads(Path(first["report_json"]).read_text(encoding="utf-8"))
    assert report["envelopes"]["new"] == 8  # 7 extracted + the failed one
    assert report["envelopes"]["quarantined"] == 1
    assert report["envelopes"]["failed"] == 1
    assert report["applications_decided"] == 7
    assert sum(report["decisions"].values()) == 7
    assert report["pages_processed"] > 30
    assert sum(report["ocr_confidence"]) > 0
    assert [q["name"] for q in report["quarantined"]] == [corrupt.name]
    html = Path(first["report_path"]).read_text(encoding="utf-8")
    assert "simulated crash" in html and corrupt.name in html

    second = flow(today=TODAY)
    assert second["nothing_new"]
    again = json.loads(Path(second["report_json"]).read_text(encoding="utf-8"))
    assert again["envelopes"] == {
        "new": 0,
        "duplicate": 0,
        "quarantined": 0,
        "extracted": 0,
        "failed": 0,
    }
    assert again["applications_decided"] == 0
    assert again["totals"]["exceptions_opened"] == 0
    assert "新しい入力はありませんでした" in Path(second["report_path"]).read_text(encoding="utf-8")
    with db.session_scope(engine) as s:
        assert [r.status for r in s.scalars(select(Run).order_by(Run.id))] == [
            "succeeded",
            "succeeded",
        ]
