"""A generated corpus for the benchmarks, and each envelope scored against its truth.

Every scored field carries what a figure may be grouped by: the field's kind,
whether it decides, whether it was written by hand, the typed-value font family
and the capture traits of its envelope, and what each engine read on its own.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.extract.reading import EngineReading, FieldRead
from pipeline.vocabulary import CONFIDENT

LEGACY_FONTS = {"gothic": "ipa-gothic", "mincho": "ipa-mincho"}


def norm(value: Any) -> str | None:
    """The comparison key of a value: NFKC, no whitespace, booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text)


def font_family(truth: dict[str, Any]) -> str:
    """The typed values' font family of an envelope (older truths name IPA's style)."""
    fill = truth.get("fill") or {}
    if fill.get("font_family"):
        return str(fill["font_family"])
    render = (truth.get("record") or {}).get("render") or {}
    return LEGACY_FONTS.get(str(render.get("typed_font", "gothic")), "ipa-gothic")


def traits(truth: dict[str, Any]) -> list[str]:
    """The capture traits of an envelope (stamp, fold, fax, …); the scan mode and
    resolution always count as traits of their own."""
    capture = truth.get("capture") or {}
    found = list(capture.get("traits") or truth.get("traits") or [])
    scan = truth.get("scan") or {}
    if scan.get("dpi") and scan.get("mode"):
        found.append(f"{scan['dpi']}dpi-{scan['mode']}")
    return sorted(set(found))


@dataclass(frozen=True)
class ScoreJob:
    path: Path
    truth: dict[str, Any]
    register: Path
    settings: Settings


def score_envelope(job: ScoreJob) -> dict[str, Any]:
    """Extract one envelope and compare every field and page with its truth."""
    from pipeline.extract.standalone import extract_file, register_lookup_from_csv

    try:
        result = extract_file(job.path, job.settings, lookup=register_lookup_from_csv(job.register))
    except Exception as e:  # the benchmark reports failures instead of stopping
        return {"error": f"{job.path.name}: {type(e).__name__}: {e}"}
    truth = job.truth
    family, found_traits = font_family(truth), traits(truth)
    got = {(f.form_code, f.form_page, f.name): f for f in result.extraction.fields}
    by_index = {p.index: p for p in result.extraction.pages}
    fields = []
    for t in truth["fields"]:
        read = got.get((t["form_code"], t["page"], t["field"]))
        want = norm(t["value"])
        value = norm(read.value) if read else None
        status = str(read.status) if read else "missing"
        if want in (None, "") and status == "missing":
            continue  # an empty box read as empty is not a field to score
        engines: dict[str, EngineReading] = {}
        for r in read.readings if read else ():
            engines.setdefault(str(r.engine), r)
        fields.append(
            {
                "envelope": truth["envelope_id"],
                "kind": t["kind"],
                "handwritten": t["handwritten"],
                "decides": t["decides"],
                "font": family,
                "traits": found_traits,
                "correct": value == want,
                "ok": status in CONFIDENT,
                "confirmed_by": read.confirmed_by if read else None,
                "field": f"{t['form_code']}.{t['field']}",
                "want": want,
                "got": value,
                "handwriting": read.handwriting if read else None,
                "penmanship": list(read.penmanship.as_features())
                if read and read.penmanship
                else None,
                **{f"{name}_correct": norm(r.value) == want for name, r in engines.items()},
                **{f"{name}_confidence": r.confidence for name, r in engines.items()},
                **{f"{name}_text": r.text for name, r in engines.items()},
                "reason": read.reason if read else None,
                # Where the page rules look (``handwritten_page``): a threshold can be
                # tried on the scored fields without reading the corpus again.
                "page_index": read.page_index if read else None,
                "print_score": _print_score(by_index, read),
            }
        )
    pages = []
    for p in truth["pages"]:
        if p.get("kind") != "form":
            continue
        read_page = by_index.get(p["index"])
        identified = (
            read_page is not None
            and read_page.form_code == p["form_code"]
            and read_page.form_page == p["page"]
        )
        pages.append({"traits": found_traits, "font": family, "identified": identified})
    return {"fields": fields, "pages": pages}


def _print_score(pages: dict[int, Any], read: FieldRead | None) -> float | None:
    page = pages.get(read.page_index) if read is not None and read.page_index is not None else None
    return page.print_score if page is not None else None


def corpus_jobs(out: Path, settings: Settings) -> list[ScoreJob]:
    """One job per envelope of a corpus written by ``conken synth``."""
    register = out / "register" / "passers.csv"
    jobs = []
    for truth_file in sorted((out / "truth").glob("*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        scan = out / "envelopes" / truth["files"]["pdf"][0]
        jobs.append(ScoreJob(scan, truth, register, settings))
    return jobs
