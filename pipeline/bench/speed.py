"""Extraction speed: pages per second end to end, and the OCR against its floor.

``speed`` generates a corpus and reads it as the nightly flow does (each worker
a share of the files, OCR batched over ``ocr_batch_envelopes`` envelopes, both
engines); the Tesseract part is timed against one persistent Tesseract API
(tesserocr) reading the same crops, the floor any wrapper could reach.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from pipeline.config import Settings


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
        # Spawned, not forked: a forked worker's peak memory would count the parent's pages.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
            results = list(pool.map(_pages_of, [(share, settings) for share in shares if share]))
        elapsed = time.perf_counter() - started
        pages = sum(n for n, _, _ in results)
        start_up = max(s for _, s, _ in results)
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
        "worker_peak_rss_mib": round(max(peak for _, _, peak in results), 1),
    }
    figures.update(floor)
    return figures


def _pages_of(args: tuple[list[Path], Settings]) -> tuple[int, float, float]:
    """Pages read from the worker's share, the seconds its start-up took (imports,
    every blank form rendered once, the PP-OCR model loaded), which a nightly run pays
    once per worker, and the worker's peak resident memory in MiB."""
    started = time.perf_counter()
    from pipeline.extract.identify import blank_reference
    from pipeline.extract.standalone import FileExtraction, extract_files
    from pipeline.forms.loader import default_templates
    from pipeline.ocr import ppocr

    paths, settings = args
    for template in default_templates().values():
        blank_reference(template, settings.ocr_dpi)
    ppocr.recogniser()
    start_up = time.perf_counter() - started
    pages = sum(
        len(result.extraction.pages)
        for _, result in extract_files(paths, settings)
        if isinstance(result, FileExtraction)
    )
    return pages, start_up, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


FLOOR_REPEATS = 3


def _tesserocr_floor(files: list[Path], settings: Settings) -> dict[str, Any]:
    """Time the text crops of ``files`` through pytesseract batches vs one tesserocr API
    (each the best of ``FLOOR_REPEATS`` runs)."""
    try:
        import tesserocr  # type: ignore[import-untyped]  # bench extra, no type information
    except ImportError:
        return {"tesserocr_floor": "not installed (pip install '.[bench]')"}
    from PIL import Image

    from pipeline.extract.envelope import iter_pages
    from pipeline.extract.options import ExtractOptions
    from pipeline.extract.text_reading import grey
    from pipeline.forms.loader import default_templates
    from pipeline.ingest.sniff import inspect_file
    from pipeline.ocr.tesseract import OcrRequest, read_lines

    templates = default_templates()
    options = ExtractOptions.from_settings(settings)
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
                    by_request[item.request].append(grey(item.cleaned))
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
