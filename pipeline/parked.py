"""Pages read by a worker, parked on disk until their envelope is stored.

A page's reading (its fields, and the crops of the text fields still to OCR) is a
few hundred kilobytes. Returned from a task, it travelled through the Dask
scheduler and the flow's process to the task that stores the envelope ("Sending
large graph of size 41 MiB"). Instead the worker that read the page writes it
under the envelope's store folder (the data root workers already share) and returns
a :class:`PageRef` of a few bytes; the task that stores the envelope loads it back
and removes it at once (an envelope not stored is read again by the next run).

The files are this project's own pickles, written 0600 in the private data root
and read back only by the run that wrote them (or the next, after a crash); they
are never taken from outside.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Settings
from pipeline.extract.envelope import PageResult
from pipeline.extract.files import envelope_dir
from pipeline.ingest.files import atomic_write_bytes

PARKED_NAME = "reading.pickle"


@dataclass(frozen=True)
class PageRef:
    """Where one page's reading waits (relative to the data root)."""

    envelope_id: int
    page_index: int
    path: str


def _folder(settings: Settings, envelope_id: int, page_index: int) -> Path:
    # the page's own folder of images and crops (pipeline.extract.files)
    return envelope_dir(settings.store_dir, envelope_id) / f"page-{page_index + 1:03d}"


def park(settings: Settings, envelope_id: int, page: PageResult) -> PageRef:
    path = _folder(settings, envelope_id, page.index) / PARKED_NAME
    atomic_write_bytes(path, pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))
    return PageRef(envelope_id, page.index, str(path.relative_to(settings.data_root)))


def load(settings: Settings, refs: list[PageRef]) -> list[PageResult]:
    pages = []
    for ref in refs:
        data = (settings.data_root / ref.path).read_bytes()
        page = pickle.loads(data)  # noqa: S301  (our own file: see the module docstring)
        if not isinstance(page, PageResult):
            raise TypeError(f"{ref.path} does not hold a page reading")
        pages.append(page)
    return pages


def drop(settings: Settings, refs: list[PageRef]) -> None:
    for ref in refs:
        (settings.data_root / ref.path).unlink(missing_ok=True)


def drop_envelope(settings: Settings, envelope_id: int) -> None:
    """Every parked page of an envelope (one that failed: its pages are never loaded)."""
    for path in envelope_dir(settings.store_dir, envelope_id).glob(f"page-*/{PARKED_NAME}"):
        path.unlink(missing_ok=True)
