"""Saving page images and field crops under the data root (for staff to see).

Images are written before the database rows that point at them and are
named deterministically, so a re-run overwrites instead of piling up.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from pipeline.extract.envelope import PageResult
from pipeline.ingest.files import atomic_write_bytes, sweep_partials

PAGE_IMAGE_DPI = 150  # enough to read by eye, a quarter of the pixels of 300 dpi


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise ValueError("could not encode PNG")
    return data.tobytes()


def envelope_dir(store_dir: Path, envelope_id: int) -> Path:
    return store_dir / f"envelope-{envelope_id:06d}"


def save_page_outputs(
    page: PageResult, *, data_root: Path, store_dir: Path, envelope_id: int, work_dpi: int
) -> PageResult:
    """Write the page image and its crops; return the page without pixel data."""
    folder = envelope_dir(store_dir, envelope_id) / f"page-{page.index + 1:03d}"
    # One task writes a page; what a run killed mid-write left here is stale.
    sweep_partials(folder)
    if page.image is not None:
        factor = (
            PAGE_IMAGE_DPI / work_dpi
            if page.kind == "form"
            else min(1.0, 1240 / max(page.image.shape))
        )
        small = cv2.resize(page.image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        path = atomic_write_bytes(folder / "page.png", _png(small))
        page.image_path = str(path.relative_to(data_root))
        page.image = None
    saved = []
    for read in page.fields:
        if read.crop is not None:
            name = re.sub(r"[^a-z0-9_]", "_", read.name)
            path = atomic_write_bytes(folder / f"{read.form_code}_{name}.png", _png(read.crop))
            read = replace(read, crop=None, crop_path=str(path.relative_to(data_root)))
        saved.append(read)
    page.fields = saved
    for item in page.pending:
        item.read = replace(item.read, crop=None)  # the page's field keeps where it was saved
    return page
