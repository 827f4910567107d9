"""One envelope: every page identified, aligned and read; forms found and missing.

``read_page`` handles one page and is what the flow fans out; ``assemble``
puts the pages of an envelope together. Neither touches the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pipeline.extract.handwritten_page import (
    PRINTED,
    PageRule,
    WrittenPage,
    hold_handwritten_writing,
)
from pipeline.extract.identify import (
    PageIdentity,
    PageKind,
    TemplateKey,
    blank_reference,
    identify_page,
)
from pipeline.extract.options import ExtractOptions
from pipeline.extract.page_fields import prepare_page_fields
from pipeline.extract.print_reference import print_score
from pipeline.extract.reading import FieldRead
from pipeline.extract.text_reading import PendingText, read_texts
from pipeline.forms.schema import FormTemplate
from pipeline.imaging.local import find_local_warp
from pipeline.imaging.raster import PageImage, page_images, with_red

log = logging.getLogger(__name__)

REQUIRED_FORMS: tuple[str, ...] = ("R", "A", "B", "C", "D")
FORM_NAMES_JA = {
    "R": "試験結果レポート（写し）",
    "A": "(A) 資格認定申請書",
    "B": "(B) 業務経歴証明書",
    "C": "(C) 上司もしくは監督者による証明",
    "D": "(D) 宣誓書",
}


@dataclass
class PageResult:
    index: int
    kind: PageKind
    form_code: str | None
    form_page: int | None
    version: str | None
    identified_by: str | None
    rotation: int
    alignment_method: str | None
    residual_mm: float | None
    note: str
    # The largest local correction made after the homography (folds, curl, photos), mm.
    local_correction_mm: float | None = None
    filled_by: str | None = None  # who fills this form in (the template's ``filled_by``)
    # How regular the form's printed labels are on this capture (``print_reference``).
    print_score: float | None = None
    fields: list[FieldRead] = field(default_factory=list)
    image: np.ndarray | None = field(
        default=None, repr=False
    )  # aligned if aligned, else as scanned
    pending: list[PendingText] = field(default_factory=list, repr=False)  # text not yet OCR'd
    image_path: str | None = None  # relative to the data root, once saved

    @property
    def key(self) -> TemplateKey | None:
        if self.form_code is None or self.form_page is None:
            return None
        return (self.form_code, self.form_page)


@dataclass(frozen=True)
class PageProblem:
    kind: str  # unidentified / unaligned / duplicate_page
    page_index: int
    detail: str


@dataclass
class EnvelopeExtraction:
    pages: list[PageResult]
    documents: dict[str, list[int]]
    missing_forms: list[str]
    extra_pages: list[int]
    problems: list[PageProblem]
    fields: list[FieldRead]

    def field_map(self) -> dict[str, list[FieldRead]]:
        out: dict[str, list[FieldRead]] = {}
        for f in self.fields:
            out.setdefault(f.key, []).append(f)
        return out

    def first(self, key: str) -> FieldRead | None:
        found = self.field_map().get(key)
        return found[0] if found else None


def read_page(
    page: PageImage,
    templates: dict[TemplateKey, FormTemplate],
    options: ExtractOptions,
    *,
    defer_text: bool = False,
) -> PageResult:
    """Identify, align and read one page; never raises for a page we cannot use.

    With ``defer_text`` the text fields are left pending for ``read_pending_texts``,
    which OCRs the pages of an envelope together.
    """
    identity: PageIdentity = identify_page(
        page.image,
        page.dpi,
        templates,
        work_dpi=options.work_dpi,
        max_residual_mm=options.max_residual_mm,
    )
    template = identity.template
    alignment = identity.alignment
    result = PageResult(
        index=page.index,
        kind=identity.kind,
        form_code=template.form_code if template else None,
        form_page=template.page if template else None,
        version=template.version if template else None,
        filled_by=template.filled_by if template else None,
        identified_by=identity.identified_by,
        rotation=alignment.rotation if alignment else 0,
        alignment_method=alignment.method if alignment else None,
        residual_mm=round(alignment.residual_mm, 3) if alignment else None,
        note=identity.note,
    )
    if identity.kind == PageKind.FORM and template is not None and alignment is not None:
        aligned = (
            identity.aligned
            if identity.aligned is not None
            else alignment.warp(page.image, template.page_size_mm)
        )
        red = (
            alignment.warp(page.red, template.page_size_mm, fill=0)
            if page.red is not None
            else None
        )
        blank = blank_reference(template, options.work_dpi)
        local = find_local_warp(aligned, blank, options.work_dpi)
        if local.worth_applying:
            result.local_correction_mm = round(local.largest_mm, 2)
        result.fields, result.pending = prepare_page_fields(
            aligned,
            template,
            options.work_dpi,
            blank=blank,
            page_index=page.index,
            red=red,
            local=local,
        )
        if template.filled_by not in PRINTED:
            result.print_score = print_score(aligned, template, options.work_dpi, local)
        if not defer_text:
            read_pending_texts([[result]], options)
        result.image = with_red(aligned, red)
    elif alignment is not None and template is None:
        result.image = alignment.warp(page.image, next(iter(templates.values())).page_size_mm)
    else:
        result.image = page.image
    log.debug(
        "page %s: %s %s via %s", page.index, identity.kind, identity.key, identity.identified_by
    )
    return result


def read_pending_texts(envelopes: Sequence[Sequence[PageResult]], options: ExtractOptions) -> None:
    """Read the pending text fields of the ``envelopes``' pages together (few tesseract
    starts, full PP-OCR batches); each page's placeholders are replaced by the fields
    read, and where a page, or the pages one person filled in, look filled in by hand,
    their text is held.

    Every path to a page's final text fields comes through here (``read_page`` without
    ``defer_text`` too), so the handwriting rule is applied in this one place; an
    envelope's pages come together so that a writer's pages are judged together."""
    pending = [item for pages in envelopes for page in pages for item in page.pending]
    if not pending:
        return
    done = iter(read_texts(pending, options.text))
    for pages in envelopes:
        waiting = [page for page in pages if page.pending]
        for page in waiting:
            read = {item.spec.name: next(done) for item in page.pending}
            # The page's own placeholder knows where its crop went (saved, or still held).
            page.fields = [
                replace(read[f.name], crop=f.crop, crop_path=f.crop_path) if f.name in read else f
                for f in page.fields
            ]
            page.pending = []
        judged = hold_handwritten_writing(
            [WrittenPage(page.fields, page.filled_by, page.print_score) for page in pages],
            PageRule(options.text.handwritten_page_threshold, options.text.handwritten_page_margin),
        )
        for page, fields in zip(pages, judged, strict=True):
            page.fields = fields


def iter_pages(
    path: Path,
    media_type: str,
    templates: dict[TemplateKey, FormTemplate],
    options: ExtractOptions,
    *,
    defer_text: bool = False,
) -> Iterator[PageResult]:
    """Read the pages of one file in order, rasterising one page at a time."""
    for page in page_images(path, media_type, dpi=options.work_dpi, max_pixels=options.max_pixels):
        yield read_page(page, templates, options, defer_text=defer_text)


def assemble(pages: list[PageResult]) -> EnvelopeExtraction:
    """Forms found, missing and extra, and page-level problems, from the pages read."""
    if any(page.pending for page in pages):
        raise ValueError("pages still have text fields pending OCR (call read_pending_texts)")
    documents: dict[str, list[int]] = {}
    extra: list[int] = []
    problems: list[PageProblem] = []
    seen: dict[TemplateKey, int] = {}
    fields: list[FieldRead] = []
    for page in sorted(pages, key=lambda p: p.index):
        if page.kind == PageKind.EXTRA:
            extra.append(page.index)
            continue
        if page.kind == PageKind.UNIDENTIFIED:
            problems.append(PageProblem("unidentified", page.index, page.note))
            continue
        if page.kind == PageKind.UNALIGNED:
            problems.append(PageProblem("unaligned", page.index, page.note))
        key = page.key
        if key is None:
            continue
        documents.setdefault(key[0], []).append(page.index)
        if key in seen:
            problems.append(
                PageProblem(
                    "duplicate_page",
                    page.index,
                    f"same form page as page {seen[key] + 1}: {key[0]}-{key[1]}",
                )
            )
            continue
        seen[key] = page.index
        fields.extend(page.fields)
    missing = [code for code in REQUIRED_FORMS if code not in documents]
    return EnvelopeExtraction(pages, documents, missing, extra, problems, fields)
