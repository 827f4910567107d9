"""Signatures and seals: judged by ink above what the blank prints in their box.

A seal may be faint (photocopied to light grey) and a colour scan's seal is red,
which the grey page has dropped; under a received stamp nothing is sure.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.extract.crops import cut, evenly_lit, ink_mask, mm_to_px, remove_rulings
from pipeline.extract.faint_ink import faint_mask, ink_or_faint
from pipeline.extract.marks import (
    BOX_FOUND_SHARE,
    PRINT_TOLERANCE_MM,
    SEAL,
    SIGNATURE,
    MarkRead,
    judge,
    print_halo_px,
    register_box,
)
from pipeline.extract.reading import MarkEvidence
from pipeline.extract.stamps import PageMarks
from pipeline.forms.schema import Box, FieldKind, FieldSpec

_WRITING = {FieldKind.SIGNATURE: SIGNATURE, FieldKind.SEAL: SEAL}


def _added_share(ink: np.ndarray, printed: np.ndarray, dpi: float, *, faint: bool = False) -> float:
    """Share of a box inked beyond the blank's print there (guides such as 印), the
    print widened by how thick this scan prints it; ``faint``: counting any ink
    noticeably darker than the paper (``faint_mask``), on the page and in the blank alike:
    the blank prints its guides light grey, which only the faint eye sees as print."""
    written = faint_mask(ink, dpi) if faint else ink_mask(ink)
    drawn = ink_or_faint(printed, dpi) if faint else ink_mask(printed)
    if drawn.shape != written.shape:
        drawn = cv2.resize(
            drawn, (written.shape[1], written.shape[0]), interpolation=cv2.INTER_NEAREST
        )
    grow = max(mm_to_px(PRINT_TOLERANCE_MM, dpi), print_halo_px(written, drawn, dpi) + 1)
    grown = cv2.dilate(drawn, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    added = cv2.bitwise_and(written, cv2.bitwise_not(grown))
    added, _ = remove_rulings(added, dpi, bent=False)  # a signature is long thin strokes
    side = max(2, mm_to_px(0.2, dpi))
    added = cv2.morphologyEx(added, cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
    return float(cv2.countNonZero(added)) / float(added.size or 1)


def judge_writing(
    page: np.ndarray,
    blank: np.ndarray,
    spec: FieldSpec,
    dpi: float,
    *,
    red: np.ndarray | None = None,
    foreign: PageMarks | None = None,
    start_mm: tuple[float, float] = (0.0, 0.0),
) -> MarkRead:
    """A signature or seal: ink in its box above what the blank prints there (guides such
    as 印). ``red``: a colour scan's red ink, which a seal is made of but the grey page
    has dropped. Under a received stamp (``foreign``) nothing is sure."""
    box = spec.box_mm.inset(0.5)
    (dx, dy), _shown = register_box(page, blank, box, dpi, start_mm=start_mm)
    printed = cut(blank, box, dpi)
    ink = _box_ink(page, red, box, (dx, dy), dpi)  # where the page shows the box's print
    ratio = _added_share(ink, printed, dpi)
    thresholds = _WRITING[FieldKind(spec.kind)]
    judged = judge(ratio, thresholds)
    evidence = MarkEvidence(ratio)
    covered = foreign is not None and (
        foreign.covers_in_red(box) if red is not None else foreign.covers(box)
    )
    if covered:
        evidence = MarkEvidence(ratio, crossed_by="stamp")
        doubt = "受付印などの印影が欄に重なっています"
        return MarkRead(judged.present, min(judged.confidence, 0.4), False, ratio, evidence, doubt)
    if judged.certain and not judged.present:
        # The guides (印, a dashed ring) are printed light grey: where the page shows
        # them is found by the faint eye too, or they are ink beside their own print.
        shift, shown = register_box(page, blank, box, dpi, start_mm=start_mm, faint=True)
        if shown < BOX_FOUND_SHARE:  # no guides to go by (a coarse bitonal scan loses them)
            shift = (dx, dy)
        faint = _added_share(_box_ink(page, red, box, shift, dpi), printed, dpi, faint=True)
        if faint > thresholds.empty:
            doubt = f"薄い記入の可能性があります（薄いインク比率 {faint:.3f}）"
            return MarkRead(False, 0.3, False, ratio, evidence, doubt)
    return MarkRead(judged.present, judged.confidence, judged.certain, ratio, evidence, None)


def _box_ink(
    page: np.ndarray, red: np.ndarray | None, box: Box, shift_mm: tuple[float, float], dpi: float
) -> np.ndarray:
    """The page's grey in ``box`` moved by ``shift_mm``, red ink put back in as dark ink."""
    here = box._replace(x=box.x + shift_mm[0], y=box.y + shift_mm[1])
    # A phone's shadow over an empty box leaves its paper mid grey, which ink's threshold
    # would split into paper and "ink": the box is judged as if its paper were white
    # where a shadow darkens it; on light paper as it is, so a copy's light grey seal
    # stays ink.
    ink = evenly_lit(cut(page, here, dpi), dpi, shadow_below=SHADOWED_PAPER)
    return ink if red is None else np.minimum(ink, 255 - cut(red, here, dpi))


# Paper darker than this (grey levels) lies in a shadow: ink's threshold, which stops at
# 160 so that light grey is never ink, would split such paper into paper and "ink".
SHADOWED_PAPER = 180.0
