"""Benchmarks of extraction: accuracy against the synthetic truth, and speed.

``accuracy`` generates a corpus, extracts every envelope and compares each
field with the truth: exact-match rate, share routed to review, and silent
errors (a wrong value marked ok) per field kind; the share of envelopes whose
decision-critical fields are all ok (the ceiling on straight-through
processing); page identification by scan type; handwritten fields routed.
``speed`` times end-to-end extraction against the floor of one persistent
Tesseract API (tesserocr) reading the same crops.
"""

from __future__ import annotations

import os
import re
import resource
import tempfile
import time
import unicodedata
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from pipeline.config import Settings

CONFIDENT = ("ok", "confirmed")


def _norm(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text)


def _score_envelope(args: tuple[Path, dict[str, Any], Path, Settings]) -> dict[str, Any]:
    path, truth, register, settings = args
    from pipeline.extract.standalone import extract_file, register_lookup_from_csv

    try:
        result = extract_file(path, settings, lookup=register_lookup_from_csv(register))
    except Exception as e:  # the benchmark reports failures instead of stopping
        return {"error": f"{path.name}: {type(e).__name__}: {e}"}
    got = {(f.form_code, f.form_page, f.name): f for f in result.extraction.fields}
    fields = []
    for t in truth["fields"]:
        read = got.get((t["form_code"], t["page"], t["field"]))
        want = _norm(t["value"])
        value = _norm(read.value) if read else None
        status = str(read.status) if read else "missing"
        if want in (None, "") and status == "missing":
            continue  # an empty box read as empty is not a field to score
        fields.append(
            {
                "kind": t["kind"],
                "handwritten": t["handwritten"],
                "decides": t["decides"],
                "correct": value == want,
                "ok": status in CONFIDENT,
                "field": f"{t['form_code']}.{t['field']}",
                "want": want,
                "got": value,
                "score": read.verify_score if read else None,
                "fits": bool(read and read.placement_fits),
                "agrees": bool(read and read.second_agrees),
            }
        )
    pages = []
    by_index = {p.index: p for p in result.extraction.pages}
    for p in truth["pages"]:
        if p.get("kind") != "form":
            continue
        read_page = by_index.get(p["index"])
        identified = (
            read_page is not None
            and read_page.form_code == p["form_code"]
            and read_page.form_page == p["page"]
        )
        pages.append(
            {"scan": f"{truth['scan']['dpi']}dpi-{truth['scan']['mode']}", "identified": identified}
        )
    return {"fields": fields, "pages": pages}


def accuracy(
    count: int,
    seed: int | list[int],
    settings: Settings,
    *,
    workers: int,
    calibrate: bool = False,
) -> dict[str, Any]:
    """Generate ``count`` envelopes per seed, extract them, and compare every field with the
    truth. Several seeds are scored together (and calibrated on together, so a threshold
    is not tuned to one corpus); ``per_seed`` keeps each corpus's headline figures."""
    seeds = [seed] if isinstance(seed, int) else list(seed)
    results: list[dict[str, Any]] = []
    per_seed: dict[str, dict[str, Any]] = {}
    seconds = 0.0
    for one in seeds:
        found, took = _score_corpus(count, one, settings, workers=workers)
        results.extend(found)
        seconds += took
        summary = summarise(found, took)
        per_seed[str(one)] = {key: summary[key] for key in SEED_HEADLINES}
    report = summarise(results, seconds)
    if len(seeds) > 1:
        report["per_seed"] = per_seed
    if calibrate:
        report["calibration"] = calibration(results, settings)
    return report


SEED_HEADLINES = (
    "envelopes",
    "typed_total",
    "silent_error_rate_all_fields",
    "envelopes_all_critical_ok_share",
    "envelopes_all_typed_critical_ok_share",
)


def _score_corpus(
    count: int, seed: int, settings: Settings, *, workers: int
) -> tuple[list[dict[str, Any]], float]:
    """One generated corpus, every envelope scored; and the seconds the extraction took."""
    import json

    from pipeline.synth.batch import generate_batch
    from pipeline.synth.scan import DegradationMix

    with tempfile.TemporaryDirectory(prefix="conken-bench-") as tmp:
        out = Path(tmp)
        generate_batch(out, count, seed, mix=DegradationMix(formats=("pdf",)), workers=workers)
        register = out / "register" / "passers.csv"
        jobs = []
        for truth_file in sorted((out / "truth").glob("*.json")):
            truth = json.loads(truth_file.read_text(encoding="utf-8"))
            jobs.append((out / "envelopes" / truth["files"]["pdf"][0], truth, register, settings))
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_score_envelope, jobs))
        return results, time.perf_counter() - started


# Candidate thresholds of the re-drawing distance (fractions of the line height).
SCORE_GRID = tuple(round(0.02 + 0.01 * i, 2) for i in range(39))


# Silent errors a proposed threshold may cause on the calibration corpus, as a
# share of all fields scored: half the extraction issue's 0.5 % target.
SILENT_BUDGET = 0.0025


def calibration(
    results: list[dict[str, Any]], settings: Settings, *, budget: float = SILENT_BUDGET
) -> dict[str, Any]:
    """Propose ``verify_max_score`` and ``consensus_max_score`` from this corpus.

    Each is the largest grid value at which no handwritten value and at most
    ``budget`` × (fields scored) wrong typed values would be accepted, the
    other threshold kept as configured; the tables show what each candidate
    accepts.
    """
    import pandas as pd

    scored = [f for r in results if "error" not in r for f in r["fields"]]
    allowed = int(budget * len(scored))
    rows = pd.DataFrame([f for f in scored if f.get("score") is not None])
    if rows.empty:
        return {"fields": 0}
    hand = rows["handwritten"].astype(bool)
    correct = rows["correct"].astype(bool)
    fits = rows["fits"].astype(bool)

    def table(accepts: Any) -> list[dict[str, Any]]:
        out = []
        for t in SCORE_GRID:
            taken = accepts(t) & fits
            out.append(
                {
                    "threshold": t,
                    "typed_ok_and_correct": int((taken & ~hand & correct).sum()),
                    "typed_wrong_accepted": int((taken & ~hand & ~correct).sum()),
                    "handwritten_accepted": int((taken & hand).sum()),
                }
            )
        return out

    def propose(rows_: list[dict[str, Any]]) -> float:
        safe = SCORE_GRID[0]
        for row in rows_:
            if row["typed_wrong_accepted"] > allowed or row["handwritten_accepted"]:
                break
            safe = row["threshold"]
        return safe

    single = table(lambda t: rows["score"] <= t)
    verify = propose(single)
    agrees = rows["agrees"].astype(bool)
    # Judged with the verify threshold in force, so each proposal reads on its own.
    current = settings.verify_max_score
    paired = table(lambda t: (rows["score"] <= current) | (agrees & (rows["score"] <= t)))
    return {
        "fields": len(rows),
        "typed_fields": int((~hand).sum()),
        "wrong_allowed": allowed,
        "verify_max_score": {
            "current": settings.verify_max_score,
            "proposed": verify,
            "table": single,
        },
        "consensus_max_score": {
            "current": settings.consensus_max_score,
            # A field only records that two readings agreed when they re-drew within the
            # configured distance: above it the table is blind, so it proposes no higher.
            "proposed": min(propose(paired), settings.consensus_max_score),
            "table": paired,
        },
    }


def summarise(results: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Figures per field kind, for handwriting, per envelope and per scan type."""
    import pandas as pd

    failures = [r["error"] for r in results if "error" in r]
    scored = [r for r in results if "error" not in r]
    fields = pd.DataFrame(
        [{**f, "envelope": i} for i, r in enumerate(scored) for f in r["fields"]],
        columns=[
            "envelope",
            "kind",
            "handwritten",
            "decides",
            "correct",
            "ok",
            "field",
            "want",
            "got",
            "score",
            "fits",
            "agrees",
        ],
    )
    fields["silent"] = fields["ok"] & ~fields["correct"]
    fields["ok_correct"] = fields["ok"] & fields["correct"]
    typed = fields[~fields["handwritten"].astype(bool)]
    hand = fields[fields["handwritten"].astype(bool)]

    def rows(frame: pd.DataFrame) -> dict[str, Any]:
        return {
            "fields": len(frame),
            "exact_rate": round(float(frame["correct"].mean()), 4) if len(frame) else 0.0,
            "ok_and_correct_rate": round(float(frame["ok_correct"].mean()), 4)
            if len(frame)
            else 0.0,
            "review_share": round(float(1 - frame["ok"].mean()), 4) if len(frame) else 0.0,
            "silent_errors": int(frame["silent"].sum()),
        }

    critical = fields[fields["decides"].astype(bool)]
    all_ok = critical.groupby("envelope")["ok"].all()
    typed_critical = typed[typed["decides"].astype(bool)]
    typed_ok = typed_critical.groupby("envelope")["ok"].all()
    pages = pd.DataFrame([p for r in scored for p in r["pages"]], columns=["scan", "identified"])
    by_scan = (
        pages.groupby("scan")["identified"].agg(["sum", "count"]) if len(pages) else pd.DataFrame()
    )
    return {
        "envelopes": len(scored),
        "seconds": round(seconds, 1),
        "typed_by_kind": {str(k): rows(g) for k, g in typed.groupby("kind")},
        "typed_total": rows(typed),
        "handwritten": {
            "fields": len(hand),
            "routed_to_review_share": round(float(1 - hand["ok"].mean()), 4) if len(hand) else 0.0,
            "silent_errors": int(hand["silent"].sum()),
        },
        "silent_error_rate_all_fields": round(float(fields["silent"].mean()), 5)
        if len(fields)
        else 0.0,
        "envelopes_all_critical_ok_share": round(float(all_ok.mean()), 4) if len(all_ok) else 0.0,
        "envelopes_all_typed_critical_ok_share": round(float(typed_ok.mean()), 4)
        if len(typed_ok)
        else 0.0,
        "pages_identified": {
            str(scan): {"pages": int(row["count"]), "identified": int(row["sum"])}
            for scan, row in by_scan.iterrows()
        },
        "failures": failures,
        "silent_examples": fields[fields["silent"]][["field", "want", "got"]]
        .head(20)
        .to_dict("records"),
        "handwritten_accepted_examples": hand[hand["ok"].astype(bool)][["field", "want", "got"]]
        .head(20)
        .to_dict("records"),
    }


def speed(count: int, seed: int, settings: Settings, *, workers: int) -> dict[str, Any]:
    """Pages per second end to end, and the same crops through one persistent Tesseract API."""
    from pipeline.synth.batch import generate_batch
    from pipeline.synth.scan import DegradationMix

    with tempfile.TemporaryDirectory(prefix="conken-speed-") as tmp:
        out = Path(tmp)
        generate_batch(out, count, seed, mix=DegradationMix(formats=("pdf",)), workers=workers)
        files = sorted((out / "envelopes").glob("*.pdf"))
        started = time.perf_counter()
        # Each worker takes an equal share of the files and reads them as the nightly flow
        # does: OCR batched over ``ocr_batch_envelopes`` envelopes.
        shares = [files[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_pages_of, [(share, settings) for share in shares if share]))
        elapsed = time.perf_counter() - started
        pages = sum(n for n, _ in results)
        start_up = max(s for _, s in results)
        floor = _tesserocr_floor(files[: max(1, len(files) // 2)], settings)
    figures: dict[str, Any] = {
        "envelopes": len(files),
        "pages": pages,
        "workers": workers,
        "seconds": round(elapsed, 2),
        "pages_per_second": round(pages / elapsed, 3),
        "pages_per_second_per_core": round(pages / elapsed / workers, 3),
        # Paid once per worker process, whatever the batch: imports, the blank forms.
        "worker_start_up_seconds": round(start_up, 2),
        "pages_per_second_per_core_after_start_up": round(
            pages / (elapsed - start_up) / workers, 3
        ),
        "peak_rss_mib_children": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
    }
    figures.update(floor)
    return figures


def _pages_of(args: tuple[list[Path], Settings]) -> tuple[int, float]:
    """Pages read from the worker's share, and the seconds its start-up took (imports,
    every blank form rendered once), which a nightly run pays once per worker."""
    started = time.perf_counter()
    from pipeline.extract.identify import blank_reference
    from pipeline.extract.standalone import FileExtraction, extract_files
    from pipeline.forms.loader import default_templates

    paths, settings = args
    for template in default_templates().values():
        blank_reference(template, settings.ocr_dpi)
    start_up = time.perf_counter() - started
    pages = sum(
        len(result.extraction.pages)
        for _, result in extract_files(paths, settings)
        if isinstance(result, FileExtraction)
    )
    return pages, start_up


FLOOR_REPEATS = 3


def _tesserocr_floor(files: list[Path], settings: Settings) -> dict[str, Any]:
    """Time the text crops of ``files`` through pytesseract batches vs one tesserocr API
    (each the best of ``FLOOR_REPEATS`` runs)."""
    try:
        import tesserocr
    except ImportError:
        return {"tesserocr_floor": "not installed (pip install '.[bench]')"}
    from PIL import Image

    from pipeline.extract.envelope import iter_pages
    from pipeline.extract.fields import ocr_input
    from pipeline.forms.loader import default_templates
    from pipeline.ingest.sniff import inspect_file
    from pipeline.ocr.tesseract import OcrRequest, read_lines
    from pipeline.stages import extract_options

    templates = default_templates()
    options = extract_options(settings)
    groups: list[tuple[OcrRequest, list[Any]]] = []
    size = max(1, settings.ocr_batch_envelopes)
    for start in range(0, len(files), size):
        # The crops production reads, grouped as production OCRs a batch of envelopes.
        by_request: dict[OcrRequest, list[Any]] = defaultdict(list)
        for path in files[start : start + size]:
            info = inspect_file(
                path, max_pixels=settings.max_image_pixels, max_pages=settings.max_pages_per_file
            )
            for page in iter_pages(path, info.media_type, templates, options, defer_text=True):
                for item in page.pending:
                    by_request[item.request].append(ocr_input(item.cleaned))
        groups.extend(by_request.items())
    crops = sum(len(c) for _, c in groups)
    tessdata = _tessdata_dir()
    apis: dict[tuple[str, int, str | None], Any] = {}

    def ours() -> None:
        for request, images in groups:
            read_lines(images, request, cmd=settings.tesseract_cmd)

    def floor() -> None:
        for request, images in groups:
            key = (request.lang, request.psm, request.whitelist)
            if key not in apis:  # the persistent API's model loads once, as it would
                api = tesserocr.PyTessBaseAPI(path=tessdata, lang=request.lang, psm=request.psm)
                if request.whitelist:
                    api.SetVariable(
                        "tessedit_char_whitelist",
                        "".join(ch for ch in request.whitelist if not ch.isspace()),
                    )
                apis[key] = api
            api = apis[key]
            for image in images:
                api.SetImage(Image.fromarray(image))
                api.GetUTF8Text()

    # Best of a few alternating runs: one run of each swings by a third on a shared
    # machine (the first pays cold caches), which would make the ratio noise.
    timings: dict[str, list[float]] = {"ours": [], "floor": []}
    for _ in range(FLOOR_REPEATS):
        for name, call in (("ours", ours), ("floor", floor)):
            started = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - started)
    for api in apis.values():
        api.End()
    ours_s, floor_s = min(timings["ours"]), min(timings["floor"])
    return {
        "ocr_crops": crops,
        "ocr_repeats": FLOOR_REPEATS,
        "ocr_seconds_pytesseract_batched": round(ours_s, 2),
        "ocr_seconds_tesserocr_floor": round(floor_s, 2),
        "ocr_ratio_to_floor": round(ours_s / floor_s, 2) if floor_s else None,
    }


def _tessdata_dir() -> str:
    for candidate in (
        os.environ.get("TESSDATA_PREFIX"),
        "/usr/share/tesseract-ocr/5/tessdata",
        "/usr/share/tesseract-ocr/4.00/tessdata",
    ):
        if candidate and Path(candidate).is_dir():
            return candidate.rstrip("/") + "/"
    return ""
