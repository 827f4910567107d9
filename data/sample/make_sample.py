"""Rebuild the committed demo sample under data/sample/.

Draws eight records covering the main cases, sets their payments so the
statement shows every outcome (paid, underpaid, duplicate, bulk, unpaid,
review), writes them to data/sample/records.json and renders them with the
office scan mix (300 dpi grey, stamps and folds, see ``DegradationMix.office``).
Most envelopes are typed, as offices send them; two of the eight carry handwriting
(a supervisor who filled form C by hand, an applicant who added a few values by pen).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from pipeline.synth.batch import make_records, render_records
from pipeline.synth.records import ApplicantRecord
from pipeline.synth.scan import DegradationMix

ROOT = Path(__file__).resolve().parents[2]  # the project root
OUT = ROOT / "data" / "sample"
SEED = 2024
SCENARIOS = [
    "eligible",
    "attestation_other_org",
    "short_total",
    "sv_applicant",
    "oath_unsigned",
    "eligible_substitution",
    "expired",
    "document_missing",
]
# Envelopes (by position) written partly by hand, and where.
HANDWRITTEN = {1: ["C:*"], 6: ["A:address", "A:phone", "B:exp1_dept"]}
# (kind, name style, bulk group) per envelope, in order: every payment outcome once,
# the applicants who are decided without a person (eligible, short of months) paid as most do.
PAYMENTS = [
    ("exact", "standard", None),
    ("bulk", "company", "BULK1"),
    ("exact", "spaced", None),
    ("none", "standard", None),
    ("double", "number_after", None),
    ("bulk", "company", "BULK1"),
    ("fee_deducted", "standard", None),
    ("exact", "no_number", None),
]


def main() -> int:
    mix = DegradationMix.office()
    records = make_records(
        len(SCENARIOS), SEED, mix=mix, scenarios=SCENARIOS, handwriting_share=0.0
    )
    for position, fields in HANDWRITTEN.items():
        records[position].render.handwritten_fields = fields
    for record, (kind, style, group) in zip(records, PAYMENTS, strict=True):
        record.payment.kind = kind  # type: ignore[assignment]
        record.payment.name_style = style  # type: ignore[assignment]
        record.payment.bulk_group = group
    # The folder is rebuilt from scratch, but its README and this script are kept.
    kept = {name: (OUT / name).read_bytes() for name in ("README.md", Path(__file__).name)}
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    for name, content in kept.items():
        (OUT / name).write_bytes(content)
    data = [r.model_dump(mode="json") for r in records]
    (OUT / "records.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    schema = ApplicantRecord.model_json_schema()
    (OUT / "records.schema.json").write_text(
        json.dumps(schema, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    render_records(records, OUT, SEED, mix=mix, workers=2, register_filler=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
