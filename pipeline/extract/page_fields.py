"""One aligned page's fields: marks judged, empty boxes found, text fields cut and cleaned.

Everything but the text engines runs here, page by page (what the flow fans out);
``text_reading.read_texts`` reads the pending text fields of many pages at once.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from pipeline.extract import marks, stamps, writing
from pipeline.extract.box_darkness import hold_dark_empties
from pipeline.extract.crops import (
    CleanCrop,
    clean_text_crop,
    cut,
    ink_mask,
    mm_to_px,
    only_stray_lines,
)
from pipeline.extract.frame_rulings import side_shifts
from pipeline.extract.reading import FieldRead, MarkEvidence
from pipeline.extract.text_reading import PendingText
from pipeline.forms.schema import Box, FieldKind, FieldSpec, FormTemplate
from pipeline.imaging.local import LocalWarp
from pipeline.imaging.raster import with_red
from pipeline.vocabulary import FieldStatus

MARK_KINDS = (FieldKind.CHECKBOX, FieldKind.SIGNATURE, FieldKind.SEAL)
CROP_MARGIN_MM = 1.0  # what staff see around a field's printed frame
EMPTY_INK_RATIO = 0.0025  # below this a text box is blank
# A lone straight stroke may be all of a row number or a count of years (1); of no other
# text field (``crops.only_stray_lines``).
LINE_MAY_BE_VALUE = frozenset({"row_number", "substitution_years", "pass_number"})
LINES_ONLY_JA = "未記入（罫線や折り目のような直線だけがあります）"


def prepare_page_fields(
    aligned: np.ndarray,
    template: FormTemplate,
    dpi: float,
    *,
    blank: np.ndarray,
    page_index: int | None = None,
    red: np.ndarray | None = None,
    local: LocalWarp | None = None,
) -> tuple[list[FieldRead], list[PendingText]]:
    """Every field of ``template`` on ``aligned``: marks and empty boxes settled, text
    fields as placeholders with their ``PendingText`` (read later, many pages at once).

    ``aligned`` is grey with red ink dropped; ``red`` (colour scans) is that red ink,
    which counts for seals only and is painted back into the crops staff see. ``local``
    says where each part of the sheet sits off the homography: every field is cut there."""
    foreign = stamps.PageMarks.find(aligned, blank, dpi, template, red, local)
    shown = with_red(aligned, red)
    reads: list[FieldRead] = []
    pending: list[PendingText] = []
    strokes: set[str] = set()  # lone strokes where one may be the value (``LINE_MAY_BE_VALUE``)
    for spec in template.fields:
        start = _offset(local, spec.frame_mm)
        frame = spec.frame_mm._replace(x=spec.frame_mm.x + start[0], y=spec.frame_mm.y + start[1])
        crop = cut(shown, frame, dpi, margin_mm=CROP_MARGIN_MM)
        base = _blank_read(spec, template, crop, page_index)
        if spec.kind in MARK_KINDS:
            reads.append(_judged_mark(base, spec, aligned, blank, dpi, foreign, red, start))
            continue
        cleaned = _clean_text(aligned, blank, spec, dpi, start)
        blank_box = cleaned.ink_ratio < EMPTY_INK_RATIO
        stray = not blank_box and only_stray_lines(cleaned)
        lines_only = stray and spec.validator not in LINE_MAY_BE_VALUE
        lines_only_value = stray and spec.validator in LINE_MAY_BE_VALUE
        if blank_box or lines_only:
            reads.append(
                replace(
                    base,
                    status=FieldStatus.MISSING,
                    confidence=1.0,
                    reason=(LINES_ONLY_JA if lines_only else "未記入") if spec.required else None,
                )
            )
            continue
        reads.append(base)
        pending.append(PendingText(base, spec, cleaned))
        if lines_only_value:
            strokes.add(spec.name)
    pending = [
        replace(item, doubt_ja=STUB_JA)
        if item.spec.name in strokes and _alone(item.spec, reads)
        else item
        for item in pending
    ]
    return hold_dark_empties(reads, aligned, blank, template, dpi), pending


STUB_JA = "同じ行の他の欄は空欄で、この欄には直線が1本あるだけです（罫線の切れ端の可能性）"


def _alone(spec: FieldSpec, reads: list[FieldRead]) -> bool:
    """Whether nothing else of ``spec``'s row is written: a lone stroke may be a row's 1
    only where something else of its row is; in a row left empty it is a ruling's stub
    both engines read as 1."""
    if spec.row is None:
        return False
    row = [r for r in reads if r.group == spec.group and r.row == spec.row and r.name != spec.name]
    return bool(row) and not any(_written(r) for r in row)


def _written(read: FieldRead) -> bool:
    """Text in the box, or a mark made in it (an empty signature box is no writing)."""
    if read.kind in MARK_KINDS:
        return read.value != "false"
    return read.status != FieldStatus.MISSING


# A typed value may sit anywhere in its frame (left, centred, near the top or bottom
# ruling): the whole frame is read, clear of the ruling itself. What else the form
# prints inside (a 〒, a 年) is taken away with the blank's print.
READ_INSET_MM = 0.2


def read_area(spec: FieldSpec) -> Box:
    """Where a text field's value may be: its printed frame, inside the ruling."""
    return spec.frame_mm.inset(READ_INSET_MM)


FORM_GROW_MM = 0.25  # the blank's print, widened by the residual of its registration
REGISTER_MARGIN_MM = 1.0


def _offset(local: LocalWarp | None, box: Box) -> tuple[float, float]:
    """The sheet's local offset at the centre of ``box`` (none when it is not worth it)."""
    return local.applied_at(*box.centre) if local is not None else (0.0, 0.0)


def _clean_text(
    aligned: np.ndarray,
    blank: np.ndarray,
    spec: FieldSpec,
    dpi: float,
    start: tuple[float, float] = (0.0, 0.0),
) -> CleanCrop:
    area = read_area(spec)
    # Registered on the frame's own rulings (the area inside prints little to go by).
    (dx, dy), _shown = marks.register_box(
        aligned, blank, spec.frame_mm.inset(-REGISTER_MARGIN_MM), dpi, start_mm=start
    )
    sides = side_shifts(aligned, blank, spec.frame_mm, dpi, (dx, dy))
    here = Box(area.x + sides.left, area.y + dy, area.w + sides.right - sides.left, area.h)
    gray = cut(aligned, here, dpi)
    return clean_text_crop(
        gray, dpi, glyph_cells=bool(spec.cells), form=_form_mask(gray, blank, area, dpi)
    )


def _form_mask(gray: np.ndarray, blank: np.ndarray, area: Box, dpi: float) -> np.ndarray:
    """Where the form prints in ``area``, widened by how thick this scan prints it (the
    ruling just outside the area is included: a little registration error brings it in)."""
    margin = mm_to_px(1.0, dpi)
    printed = ink_mask(cut(blank, area, dpi, margin_mm=1.0))
    if printed.shape[1] != gray.shape[1] + 2 * margin:
        # The page stretches the frame (its sides found apart): so is its print.
        printed = cv2.resize(
            printed, (gray.shape[1] + 2 * margin, printed.shape[0]), interpolation=cv2.INTER_NEAREST
        )
    inner = printed[margin : margin + gray.shape[0], margin : margin + gray.shape[1]]
    halo = marks.print_halo_px(ink_mask(gray), inner, dpi) if inner.shape == gray.shape else 0
    grow = max(mm_to_px(FORM_GROW_MM, dpi), halo + 2)
    grown = cv2.dilate(printed, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    return grown[margin : margin + gray.shape[0], margin : margin + gray.shape[1]]


def _judged_mark(
    base: FieldRead,
    spec: FieldSpec,
    aligned: np.ndarray,
    blank: np.ndarray,
    dpi: float,
    foreign: stamps.PageMarks,
    red: np.ndarray | None,
    start: tuple[float, float],
) -> FieldRead:
    judged: marks.MarkRead
    if spec.kind == FieldKind.CHECKBOX:
        judged = marks.judge_checkbox_on_page(
            aligned, blank, spec.box_mm, dpi, foreign, start_mm=start
        )
    else:
        seal_ink = red if spec.kind == FieldKind.SEAL else None
        judged = writing.judge_writing(
            aligned, blank, spec, dpi, red=seal_ink, foreign=foreign, start_mm=start
        )
    evidence = judged.evidence or MarkEvidence(judged.ink_ratio)
    return replace(
        base,
        value="true" if judged.present else "false",
        confidence=judged.confidence,
        status=FieldStatus.OK if judged.certain else FieldStatus.LOW_CONFIDENCE,
        reason=None if judged.certain else (judged.doubt_ja or marks.DOUBT_JA),
        mark=evidence,
    )


def _blank_read(
    spec: FieldSpec, template: FormTemplate, crop: np.ndarray, page_index: int | None
) -> FieldRead:
    """The field before anything is read from it (a placeholder for text fields)."""
    return FieldRead(
        form_code=template.form_code,
        form_page=template.page,
        name=spec.name,
        label_ja=spec.label_ja,
        kind=str(spec.kind),
        decides=spec.decides,
        required=spec.required,
        row=spec.row,
        group=spec.group,
        value=None,
        status=FieldStatus.LOW_CONFIDENCE,
        confidence=0.0,
        page_index=page_index,
        crop=crop,
    )
