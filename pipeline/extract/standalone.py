"""Extracting files directly, without the inbox or the database.

Used by ``conken extract FILE...`` (one JSON object per envelope) and by the
accuracy benchmark. Cross-checks use a passers register when one is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.extract.crosscheck import CrossCheck, cross_check, find_register_entry
from pipeline.extract.envelope import (
    EnvelopeExtraction,
    PageResult,
    assemble,
    iter_pages,
    read_pending_texts,
)
from pipeline.extract.options import ExtractOptions
from pipeline.extract.reading import without_pixels
from pipeline.forms.loader import default_templates
from pipeline.ingest.sniff import UnusableFileError, inspect_file
from pipeline.registry import parse_register
from pipeline.storage.models import RegistryEntry

RegisterLookup = Callable[[str], RegistryEntry | None]


@dataclass
class FileExtraction:
    path: Path
    extraction: EnvelopeExtraction
    checks: list[CrossCheck]

    def as_dict(self) -> dict[str, Any]:
        ex = self.extraction
        return {
            "file": self.path.name,
            "pages": [
                {
                    "page": p.index + 1,
                    "kind": str(p.kind),
                    "form": p.form_code,
                    "form_page": p.form_page,
                    "identified_by": p.identified_by,
                    "rotation": p.rotation,
                    "alignment": p.alignment_method,
                    "residual_mm": p.residual_mm,
                    "note": p.note or None,
                }
                for p in ex.pages
            ],
            "documents_found": sorted(ex.documents),
            "documents_missing": ex.missing_forms,
            "extra_pages": [i + 1 for i in ex.extra_pages],
            "problems": [
                {"kind": p.kind, "page": p.page_index + 1, "detail": p.detail} for p in ex.problems
            ],
            "fields": [
                {
                    "field": f.key,
                    "page": (f.page_index + 1) if f.page_index is not None else None,
                    "value": f.value,
                    "raw_text": f.raw_text,
                    "evidence": f.evidence(),
                    "confidence": round(f.confidence, 3),
                    "status": str(f.status),
                    "reason": f.reason,
                    "confirmed_by": f.confirmed_by,
                    "decides": f.decides,
                }
                for f in ex.fields
            ],
            "cross_checks": [c.as_dict() for c in self.checks],
        }


def register_lookup_from_csv(path: Path) -> RegisterLookup:
    """An in-memory register lookup built from a register CSV (no database)."""
    lines, _problems = parse_register(path)
    entries = {
        ln.pass_number: RegistryEntry(
            pass_number=ln.pass_number,
            name=ln.name,
            kana=ln.kana,
            exam_type=ln.exam_type,
            exam_date=ln.exam_date,
            issue_date=ln.issue_date,
            result=ln.result,
        )
        for ln in lines
    }
    return entries.get


def extract_file(
    path: Path, settings: Settings, *, lookup: RegisterLookup | None = None
) -> FileExtraction:
    """Read every page of ``path`` and cross-check; raises ``UnusableFileError`` for a bad file."""
    options = ExtractOptions.from_settings(settings)
    pages = _read_pages(path, settings, options)
    read_pending_texts([pages], options)
    return _finish(path, pages, lookup)


def extract_files(
    paths: list[Path], settings: Settings, *, lookup: RegisterLookup | None = None
) -> Iterator[tuple[Path, FileExtraction | UnusableFileError]]:
    """``extract_file`` over many files, in order, the OCR of ``settings.ocr_batch_envelopes``
    files at a time in one tesseract process per OCR setting (what the nightly flow does).

    A file that can't be read is yielded with its ``UnusableFileError``; the rest go on.
    """
    options = ExtractOptions.from_settings(settings)
    size = max(1, settings.ocr_batch_envelopes)
    for start in range(0, len(paths), size):
        batch: list[tuple[Path, list[PageResult] | UnusableFileError]] = []
        for path in paths[start : start + size]:
            try:
                batch.append((path, _read_pages(path, settings, options)))
            except UnusableFileError as e:
                batch.append((path, e))
        read_pending_texts([pages for _, pages in batch if isinstance(pages, list)], options)
        for path, pages in batch:
            yield path, (_finish(path, pages, lookup) if isinstance(pages, list) else pages)


def _read_pages(path: Path, settings: Settings, options: ExtractOptions) -> list[PageResult]:
    """The pages of ``path``, text fields pending OCR, without their pixels."""
    info = inspect_file(
        path, max_pixels=settings.max_image_pixels, max_pages=settings.max_pages_per_file
    )
    pages = []
    for page in iter_pages(path, info.media_type, default_templates(), options, defer_text=True):
        page.image = None
        page.fields = [without_pixels(f) for f in page.fields]
        for item in page.pending:
            item.read = without_pixels(item.read)
        pages.append(page)
    return pages


def _finish(path: Path, pages: list[PageResult], lookup: RegisterLookup | None) -> FileExtraction:
    extraction = assemble(pages)
    entry = find_register_entry(extraction.field_map(), lookup) if lookup is not None else None
    checked = cross_check(extraction.fields, entry)
    extraction.fields = checked.fields
    return FileExtraction(path, extraction, checked.checks)
