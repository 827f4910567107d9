"""Rebuild the committed demo sample under data/sample/.

Draws eight records covering the main cases, sets their payments so the
statement shows every outcome (paid, underpaid, duplicate, bulk, unpaid,
review), writes them to data/sample/records.json and renders them with the
light (200 dpi, mostly bitonal) scan mix — the same as

    conken synth --from data/sample/records.json --out data/sample --seed 2024 \\
        --light --formats pdf
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
# (kind, name style, bulk group) per envelope, in order
PAYMENTS = [
    ("exact", "standard", None),
    ("bulk", "company", "BULK1"),
    ("fee_deducted", "spaced", None),
    ("none", "standard", None),
    ("double", "number_after", None),
    ("bulk", "company", "BULK1"),
    ("exact", "no_number", None),
    ("exact", "bank_prefix", None),
]


def main() -> int:
    mix = DegradationMix.light()
    mix = DegradationMix(**{**mix.__dict__, "formats": ("pdf",)})
    records = make_records(len(SCENARIOS), SEED, mix=mix, scenarios=SCENARIOS)
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
