"""Checkboxes, signatures and seals: judged by ink, not OCR.

Each judgement returns a value, a confidence and whether it is certain. The
band between "clearly empty" and "clearly marked" is uncertain on purpose:
a faint smudge or a stray stroke goes to a person.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.extract.crops import MM_PER_INCH, box_to_px, cut, ink_mask, ink_ratio, mm_to_px
from pipeline.forms.schema import Box


@dataclass(frozen=True)
class MarkThresholds:
    """Ink ratios: below ``empty`` → absent, above ``marked`` → present, between → review."""

    empty: float
    marked: float


CHECKBOX = MarkThresholds(empty=0.03, marked=0.09)
# Ink just around the box, above what the blank prints there: a circle drawn round the box.
CHECKBOX_AROUND = MarkThresholds(empty=0.01, marked=0.025)
AROUND_MM = 1.5
SIGNATURE = MarkThresholds(empty=0.002, marked=0.010)
SEAL = MarkThresholds(empty=0.004, marked=0.020)


@dataclass(frozen=True)
class MarkRead:
    present: bool
    confidence: float  # 0..1
    certain: bool
    ink_ratio: float


def judge(ratio: float, thresholds: MarkThresholds) -> MarkRead:
    if ratio <= thresholds.empty:
        # Confidence grows with distance from the uncertain band.
        conf = 1.0 - 0.5 * (ratio / thresholds.empty if thresholds.empty else 0.0)
        return MarkRead(False, conf, True, ratio)
    if ratio >= thresholds.marked:
        conf = min(1.0, 0.5 + 0.5 * min(1.0, ratio / (2 * thresholds.marked)))
        return MarkRead(True, conf, True, ratio)
    middle = (ratio - thresholds.empty) / (thresholds.marked - thresholds.empty)
    return MarkRead(middle >= 0.5, 0.5 * abs(middle - 0.5) * 2 * 0.5, False, ratio)


def added_ink_ratio(
    page: np.ndarray,
    blank: np.ndarray,
    box: Box,
    dpi: float,
    *,
    tolerance_mm: float = 0.2,
    shift_mm: tuple[float, float] = (0.0, 0.0),
) -> float:
    """Share of ``box`` inked on the page but not printed on the blank form.

    The blank's ink is grown by ``tolerance_mm`` first, so thicker scanned lines
    and small alignment residuals do not count as writing. ``shift_mm`` is where
    the page shows ``box`` relative to the blank (``local_shift_mm``).
    """
    dx, dy = shift_mm
    written = ink_mask(cut(page, box._replace(x=box.x + dx, y=box.y + dy), dpi))
    printed = ink_mask(cut(blank, box, dpi))
    if printed.shape != written.shape:
        printed = cv2.resize(
            printed, (written.shape[1], written.shape[0]), interpolation=cv2.INTER_NEAREST
        )
    grow = max(1, mm_to_px(tolerance_mm, dpi))
    printed = cv2.dilate(printed, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    added = cv2.bitwise_and(written, cv2.bitwise_not(printed))
    added = cv2.morphologyEx(added, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))  # specks
    return float(cv2.countNonZero(added)) / float(added.size or 1)


# The page's homography fits the four corner marks; a sheet fed unevenly through
# the scanner still sits up to about a millimetre off between them, and on a
# blurred 200-dpi scan the printed square's edge then lies outside the blank's
# tolerance: "ink around the box", a circled box, on every empty box of a row.
# So each box is first laid onto the blank's print locally, within this distance.
REGISTER_SEARCH_MM = 1.0


def local_shift_mm(
    page: np.ndarray,
    blank: np.ndarray,
    box: Box,
    dpi: float,
    *,
    search_mm: float = REGISTER_SEARCH_MM,
) -> tuple[float, float]:
    """Where the page shows the blank's print of ``box``: the (dx, dy) in mm, within
    ``search_mm``, that lays the most of the blank's ink onto the page's (the nearest
    such shift on a tie; none when the blank prints nothing there)."""
    x, y, w, h = box_to_px(box, dpi)
    pad = mm_to_px(search_mm, dpi)
    inside = pad <= y and y + h + pad <= page.shape[0] and pad <= x and x + w + pad <= page.shape[1]
    printed = ink_mask(blank[y : y + h, x : x + w]).astype(np.float32) / 255
    if pad < 1 or not inside or printed.shape != (h, w) or not printed.any():
        return 0.0, 0.0  # nothing to register on, or the box is at the page's edge
    region = ink_mask(page[y - pad : y + h + pad, x - pad : x + w + pad]).astype(np.float32) / 255
    overlap = cv2.matchTemplate(region, printed, cv2.TM_CCORR)
    steps = np.arange(-pad, pad + 1, dtype=np.float32)
    # A millionth of the print per pixel of distance only breaks ties, towards no shift.
    overlap -= 1e-6 * float(printed.sum()) * np.hypot(*np.meshgrid(steps, steps))
    _, _, _, (x, y) = cv2.minMaxLoc(overlap)
    mm_per_px = MM_PER_INCH / dpi
    return (x - pad) * mm_per_px, (y - pad) * mm_per_px


def checkbox_ratios(
    page: np.ndarray,
    box: Box,
    dpi: float,
    blank: np.ndarray | None = None,
    *,
    shift_mm: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """Ink inside the box (inset: the printed square lies just outside) and around it.

    With the blank form, only ink the blank does not print there counts (the
    printed square and nearby labels never do), after laying the box onto the
    blank's print locally (``shift_mm``, found here when not given); without it,
    raw ink ratios.
    """
    if blank is not None:
        around = box.inset(-AROUND_MM)
        shift = local_shift_mm(page, blank, around, dpi) if shift_mm is None else shift_mm
        return (
            added_ink_ratio(page, blank, box.inset(0.35), dpi, shift_mm=shift),
            added_ink_ratio(page, blank, around, dpi, shift_mm=shift),
        )
    inside = ink_ratio(cut(page, box.inset(0.35), dpi), dpi, remove_lines=False)
    around = ink_ratio(cut(page, box.inset(-AROUND_MM), dpi), dpi, remove_lines=False)
    return inside, around


def judge_checkbox(inside: float, around: float) -> MarkRead:
    """Ticked if marked inside or circled around; empty only if clean in both; else doubtful."""
    a = judge(inside, CHECKBOX)
    b = judge(around, CHECKBOX_AROUND)
    if (a.present and a.certain) or (b.present and b.certain):
        best = a if a.present and a.certain else b
        return MarkRead(True, best.confidence, True, max(inside, around))
    if a.certain and b.certain:
        return MarkRead(False, min(a.confidence, b.confidence), True, max(inside, around))
    return MarkRead(
        a.present or b.present, min(a.confidence, b.confidence), False, max(inside, around)
    )


def read_checkbox(
    page: np.ndarray, box: Box, dpi: float, baseline: tuple[float, float] = (0.0, 0.0)
) -> MarkRead:
    inside, around = checkbox_ratios(page, box, dpi)
    return judge_checkbox(max(0.0, inside - baseline[0]), max(0.0, around - baseline[1]))


def read_signature(page: np.ndarray, box: Box, dpi: float) -> MarkRead:
    crop = cut(page, box.inset(0.5), dpi)
    return judge(ink_ratio(crop, dpi, remove_lines=True), SIGNATURE)


def read_seal(page: np.ndarray, box: Box, dpi: float) -> MarkRead:
    crop = cut(page, box.inset(0.5), dpi)
    return judge(ink_ratio(crop, dpi, remove_lines=True), SEAL)
