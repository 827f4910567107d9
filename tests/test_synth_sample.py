"""The committed demo sample is consistent and reproducible from its records."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.synth import read_truth, render_envelope
from pipeline.synth.batch import load_records
from pipeline.synth.scan import DegradationMix

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def test_sample_truth_matches_its_files() -> None:
    index = json.loads((SAMPLE / "batch.json").read_text(encoding="utf-8"))
    assert 1 <= index["count"] <= 8
    outcomes = set()
    for env in index["envelopes"]:
        truth = read_truth(SAMPLE / env["truth"])
        outcomes.add(truth.payment.expected_outcome)
        assert (SAMPLE / "envelopes" / truth.files["pdf"][0]).is_file()
        assert truth.eligibility.outcome == env["outcome"]
    assert {"paid", "underpaid", "duplicate", "bulk", "unpaid", "review"} <= outcomes
    # 300-dpi grey pages, as offices scan them, are 300-500 kB each
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < 20_000_000


def test_sample_envelope_rerenders_to_the_same_bytes(tmp_path: Path) -> None:
    records = load_records(SAMPLE / "records.json")
    mix = DegradationMix.office()
    record = records[-1]
    truth = render_envelope(record, tmp_path, 2024, mix=mix)
    committed = SAMPLE / "envelopes" / f"{record.envelope_id}.pdf"
    assert (tmp_path / truth.files["pdf"][0]).read_bytes() == committed.read_bytes()
