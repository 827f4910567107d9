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
from dataclasses import dataclass, field
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


@dataclass
class KindStats:
    fields: int = 0
    exact: int = 0
    ok: int = 0
    ok_correct: int = 0
    silent: int = 0

    def row(self) -> dict[str, Any]:
        n = max(1, self.fields)
        return {
            "fields": self.fields,
            "exact_rate": round(self.exact / n, 4),
            "ok_and_correct_rate": round(self.ok_correct / n, 4),
            "review_share": round((self.fields - self.ok) / n, 4),
            "silent_errors": self.silent,
        }


@dataclass
class AccuracyReport:
    envelopes: int = 0
    typed: dict[str, KindStats] = field(default_factory=lambda: defaultdict(KindStats))
    handwritten: KindStats = field(default_factory=KindStats)
    envelopes_all_critical_ok: int = 0
    pages: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    silent_examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        total = KindStats()
        for s in self.typed.values():
            total.fields += s.fields
            total.exact += s.exact
            total.ok += s.ok
            total.ok_correct += s.ok_correct
            total.silent += s.silent
        all_fields = total.fields + self.handwritten.fields
        return {
            "envelopes": self.envelopes,
            "seconds": round(self.seconds, 1),
            "typed_by_kind": {k: v.row() for k, v in sorted(self.typed.items())},
            "typed_total": total.row(),
            "handwritten": {
                "fields": self.handwritten.fields,
                "routed_to_review_share": round(
                    (self.handwritten.fields - self.handwritten.ok)
                    / max(1, self.handwritten.fields),
                    4,
                ),
                "silent_errors": self.handwritten.silent,
            },
            "silent_error_rate_all_fields": round(
                (total.silent + self.handwritten.silent) / max(1, all_fields), 5
            ),
            "envelopes_all_critical_ok_share": round(
                self.envelopes_all_critical_ok / max(1, self.envelopes), 4
            ),
            "pages_identified": {
                k: {"pages": v[1], "identified": v[0]} for k, v in sorted(self.pages.items())
            },
            "failures": self.failures,
            "silent_examples": self.silent_examples[:20],
        }


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


def accuracy(count: int, seed: int, settings: Settings, *, workers: int) -> AccuracyReport:
    import json

    from pipeline.synth.batch import generate_batch
    from pipeline.synth.scan import DegradationMix

    report = AccuracyReport()
    with tempfile.TemporaryDirectory(prefix="conken-bench-") as tmp:
        out = Path(tmp)
        mix = DegradationMix(formats=("pdf",))
        generate_batch(out, count, seed, mix=mix, workers=workers)
        register = out / "register" / "passers.csv"
        jobs = []
        for truth_file in sorted((out / "truth").glob("*.json")):
            truth = json.loads(truth_file.read_text(encoding="utf-8"))
            jobs.append((out / "envelopes" / truth["files"]["pdf"][0], truth, register, settings))
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_score_envelope, jobs))
        report.seconds = time.perf_counter() - started
    for result in results:
        if "error" in result:
            report.failures.append(result["error"])
            continue
        report.envelopes += 1
        critical_ok = True
        for f in result["fields"]:
            stats = report.handwritten if f["handwritten"] else report.typed[f["kind"]]
            stats.fields += 1
            stats.exact += f["correct"]
            stats.ok += f["ok"]
            stats.ok_correct += f["ok"] and f["correct"]
            if f["ok"] and not f["correct"]:
                stats.silent += 1
                report.silent_examples.append({k: f[k] for k in ("field", "want", "got")})
            if f["decides"] and not f["ok"]:
                critical_ok = False
        report.envelopes_all_critical_ok += critical_ok
        for p in result["pages"]:
            report.pages[p["scan"]][0] += p["identified"]
            report.pages[p["scan"]][1] += 1
    return report


def speed(count: int, seed: int, settings: Settings, *, workers: int) -> dict[str, Any]:
    """Pages per second end to end, and the same crops through one persistent Tesseract API."""
    from pipeline.synth.batch import generate_batch
    from pipeline.synth.scan import DegradationMix

    with tempfile.TemporaryDirectory(prefix="conken-speed-") as tmp:
        out = Path(tmp)
        generate_batch(out, count, seed, mix=DegradationMix(formats=("pdf",)), workers=workers)
        files = sorted((out / "envelopes").glob("*.pdf"))
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_pages_of, [(f, settings) for f in files]))
        elapsed = time.perf_counter() - started
        pages = sum(results)
        floor = _tesserocr_floor(files[: max(1, len(files) // 2)], settings)
    figures: dict[str, Any] = {
        "envelopes": len(files),
        "pages": pages,
        "workers": workers,
        "seconds": round(elapsed, 2),
        "pages_per_second": round(pages / elapsed, 3),
        "pages_per_second_per_core": round(pages / elapsed / workers, 3),
        "peak_rss_mib_children": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
    }
    figures.update(floor)
    return figures


def _pages_of(args: tuple[Path, Settings]) -> int:
    from pipeline.extract.standalone import extract_file

    path, settings = args
    return len(extract_file(path, settings).extraction.pages)


def _tesserocr_floor(files: list[Path], settings: Settings) -> dict[str, Any]:
    """Time the text crops of ``files`` through pytesseract batches vs one tesserocr API."""
    try:
        import tesserocr
    except ImportError:
        return {"tesserocr_floor": "not installed (pip install '.[bench]')"}
    from PIL import Image

    from pipeline.extract.crops import clean_text_crop, cut
    from pipeline.forms.loader import load_templates
    from pipeline.ingest.sniff import inspect_file
    from pipeline.ocr.tesseract import OcrRequest, read_lines
    from pipeline.stages import extract_options

    templates = load_templates()
    options = extract_options(settings)
    groups: list[tuple[OcrRequest, list[Any]]] = []
    for path in files:
        info = inspect_file(
            path, max_pixels=settings.max_image_pixels, max_pages=settings.max_pages_per_file
        )
        from pipeline.extract.identify import identify_page
        from pipeline.imaging.raster import page_images

        for page in page_images(
            path, info.media_type, dpi=settings.ocr_dpi, max_pixels=settings.max_image_pixels
        ):
            identity = identify_page(
                page.image,
                page.dpi,
                templates,
                work_dpi=options.work_dpi,
                max_residual_mm=options.max_residual_mm,
            )
            if identity.template is None or identity.alignment is None:
                continue
            aligned = identity.alignment.warp(page.image, identity.template.page_size_mm)
            by_request: dict[OcrRequest, list[Any]] = defaultdict(list)
            for spec in identity.template.fields:
                if spec.ocr is None:
                    continue
                crop = clean_text_crop(
                    cut(aligned, spec.box_mm, options.work_dpi), options.work_dpi
                )
                if crop.ink_ratio > 0.0025:
                    by_request[OcrRequest(spec.ocr.lang, spec.ocr.psm, spec.ocr.whitelist)].append(
                        crop.image
                    )
            groups.extend(by_request.items())
    crops = sum(len(c) for _, c in groups)
    started = time.perf_counter()
    for request, images in groups:
        read_lines(images, request, cmd=settings.tesseract_cmd)
    ours = time.perf_counter() - started
    tessdata = _tessdata_dir()
    started = time.perf_counter()
    apis: dict[tuple[str, int, str | None], Any] = {}
    for request, images in groups:
        key = (request.lang, request.psm, request.whitelist)
        if key not in apis:
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
    floor = time.perf_counter() - started
    for api in apis.values():
        api.End()
    return {
        "ocr_crops": crops,
        "ocr_seconds_pytesseract_batched": round(ours, 2),
        "ocr_seconds_tesserocr_floor": round(floor, 2),
        "ocr_ratio_to_floor": round(ours / floor, 2) if floor else None,
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
