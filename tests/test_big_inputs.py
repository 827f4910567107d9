"""Inputs too big to hold in memory: a 500-page PDF and a real 30,000 x 30,000 image.

A 500-page PDF is below the page limit (``max_pages_per_file``, 1000), so it is
accepted and must be processed page by page within the memory bound (1 GiB):
a subprocess ingests it and rasterises pages spread over the whole document
at the OCR resolution, as the flow's per-page tasks do, and reports its peak
RSS (its own and its poppler children's). Rasterising all 500 pages would
take most of a minute without proving more: memory per page is what matters,
and the test checks it does not grow from the first page to the last.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.config import PROJECT_ROOT, get_settings
from pipeline.ingest.intake import IntakeOutcome, take_inbox
from pipeline.ingest.sniff import QuarantineReason, UnusableFileError, inspect_file
from pipeline.storage.models import Envelope
from tests.helpers import files as make
from tests.test_ingest import settings  # noqa: F401  (the intake fixture)

MEMORY_BOUND_MIB = 1024
PAGES = 500

_PROBE = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from pipeline.config import get_settings
    from pipeline.imaging.raster import page_images, single_page
    from pipeline.ingest.intake import take_file
    from pipeline.storage.db import engine_for, session_scope
    from pipeline.storage.models import Envelope

    def peak_mib():
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return own / 1024, children / 1024

    settings = get_settings()
    engine = engine_for(settings.effective_database_url)
    result = take_file(engine, Path(sys.argv[1]), settings, run_id=None)
    with session_scope(engine) as s:
        env = s.get(Envelope, result.envelope_id)
        archived, pages = settings.data_root / env.archive_path, env.page_count
    lazy = page_images(archived, "application/pdf", dpi=settings.ocr_dpi, max_pixels=10**9)
    first = next(lazy)  # a generator: one page rasterised, not the document
    lazy.close()
    after_first = peak_mib()
    shapes = set()
    for index in sorted({0, *range(24, pages, 25), pages - 1}):
        page = single_page(
            archived, "application/pdf", index, dpi=settings.ocr_dpi, max_pixels=10**9
        )
        shapes.add(page.image.shape)
        del page
    print(json.dumps({
        "outcome": str(result.outcome), "pages": pages, "first": first.index,
        "shapes": sorted(shapes), "after_first": after_first, "after_last": peak_mib(),
    }))
    """
)


def _write_long_pdf(path: Path, pages: int) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number in range(1, pages + 1):
        pdf.drawString(72, 760, f"page {number} of {pages}")
        pdf.showPage()
    pdf.save()
    return path


def _write_blank_png(path: Path, width: int, height: int) -> Path:
    """A complete 1-bit white PNG, streamed row by row (never the 900 MP in memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte + packed white pixels
    compressor = zlib.compressobj(9)
    with path.open("wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)))
        for _ in range(height):
            if data := compressor.compress(row):
                fh.write(chunk(b"IDAT", data))
        fh.write(chunk(b"IDAT", compressor.flush()))
        fh.write(chunk(b"IEND", b""))
    return path


@pytest.mark.slow
@pytest.mark.usefixtures("settings")
def test_500_page_pdf_is_taken_and_rasterised_page_by_page_within_1_gib(tmp_path: Path) -> None:
    pdf = _write_long_pdf(tmp_path / "long.pdf", PAGES)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(pdf)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["outcome"] == IntakeOutcome.NEW
    assert report["pages"] == PAGES and report["first"] == 0
    assert report["shapes"] == [[3508, 2481]]  # every page at 300 dpi (A4, poppler rounds up)
    own_first, _ = report["after_first"]
    own_last, children_last = report["after_last"]
    print(f"500-page PDF: peak RSS {own_last:.0f} MiB (poppler {children_last:.0f} MiB)")
    assert own_last < MEMORY_BOUND_MIB and children_last < MEMORY_BOUND_MIB
    # page by page: the peak after the last page is that of one page, not of the document
    assert own_last - own_first < 64, report


@pytest.mark.slow
@pytest.mark.usefixtures("settings")
def test_real_30000_pixel_square_image_is_quarantined_and_batch_goes_on(engine: Engine) -> None:
    cfg = get_settings()
    huge = cfg.inbox_dir / "huge.png"
    _write_blank_png(huge, 30_000, 30_000)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Image, "MAX_IMAGE_PIXELS", None)
        with Image.open(huge) as im:
            assert (im.size, im.mode) == ((30_000, 30_000), "1")
    good = make.write_pdf(cfg.inbox_dir / "zz-good.pdf")
    results, _ = take_inbox(engine, cfg)
    by_name = {r.name: r for r in results}
    assert by_name[huge.name].outcome == IntakeOutcome.QUARANTINED
    assert by_name[huge.name].reason == QuarantineReason.TOO_MANY_PIXELS.value
    assert by_name[good.name].outcome == IntakeOutcome.NEW
    (moved,) = cfg.quarantine_dir.glob("*huge.png")
    info = json.loads(Path(f"{moved}.reason.json").read_text(encoding="utf-8"))
    assert info["reason"] == "too_many_pixels"
    # the configured limit, not Pillow's own 178,956,970 (it was quoted before)
    assert info["detail"] == (
        "huge.png is 30000x30000 pixels (900,000,000); the limit is 120,000,000"
    )
    assert info["message_ja"] == "画像が大きすぎます（画素数の上限を超えています）。"
    with Session(engine) as s:
        envelope = s.get(Envelope, by_name[huge.name].envelope_id)
        assert envelope is not None and envelope.quarantine_reason == "too_many_pixels"


def test_image_under_the_configured_limit_but_over_pillows_warning_is_taken(
    tmp_path: Path,
) -> None:
    # 100 MP: over Pillow's 89,478,485-pixel warning (which refused it) and under 120 MP
    big = _write_blank_png(tmp_path / "scan.png", 10_000, 10_000)
    info = inspect_file(big, max_pixels=120_000_000, max_pages=1000)
    assert (info.media_type, info.width_px, info.height_px) == ("image/png", 10_000, 10_000)
    with pytest.raises(UnusableFileError, match=r"the limit is 50,000,000$"):
        inspect_file(big, max_pixels=50_000_000, max_pages=1000)
