"""The blank's print followed across a fold's crease round a checkbox.

A fold does not move a sheet in one piece: the panel beyond the crease lies a
millimetre or two off the panel before it, so within the few millimetres looked
at round a checkbox the rulings and the box's own sides bend where the crease
runs. Laid in one place, the blank's print leaves the moved half of every line
as ink the form does not print, joined into pieces that cross the box: every box
of the row was "crossed", and a tick joined to those pieces was taken away with
them. Where the print is not all shown in one place, the looked-at square is
split at a crease (across its rows, or its columns) and each side's print laid
where the page shows it, each side as a whole: rulings, the box's square and its
neighbours at the form's own spacing, which a pen's circle or tick does not
repeat (laid band by band, the box's edges were pulled onto a circle drawn
round it). The print where the crease blends the two panels is laid at every
offset between theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.extract.crops import mm_to_px

FOLLOW_MM = 2.0  # how far a panel may lie off the registration here
SHOWN_WHOLE = 0.97  # of the print the page shows in place: nothing to follow
EXPLAINED = 0.93  # of the print the two panels must show, laid each at its offset
LEAST_GAIN = 0.08  # and that much more of it than in place
CREASE_STEP_MM = 0.5  # where a crease is tried
# Either side of the crease, rows left out of the fit (the panels blend there): a sharp
# crease blends them within half a millimetre, a soft one over a millimetre and more; the
# wider is tried only where the narrower does not explain the print.
BLEND_MM = (0.5, 1.0)
LAY_BLEND_MM = 1.0  # either side of the crease, print laid at every offset between
LEAST_SIDE_MM = 2.0  # a side narrower than this says little of where its panel lies
# The box was registered where most of its print is: the panel it lies on lies there,
# else the box itself is elsewhere and its inside is not where it is judged (a crease
# through the box leaves it on both).
IN_PLACE_MM = 0.25


@dataclass(frozen=True)
class Panels:
    """Where a crease splits the looked-at square (a row, or a column when
    ``across_columns``) and how far each side's print lies off (dx, dy pixels)."""

    at: int
    across_columns: bool
    before: tuple[int, int]
    after: tuple[int, int]
    shown: float  # of the print, laid so


Rect = tuple[int, int, int, int]  # x, y, w, h in pixels of the looked-at square


def print_followed(
    written: np.ndarray,
    printed: np.ndarray,
    box: Rect,
    dpi: float,
    *,
    faint: np.ndarray | None = None,
) -> np.ndarray:
    """``printed`` (the blank's print of a looked-at square, 0/255, the shape of
    ``written``, the page's ink there; ``box`` the checkbox in it), with the print laid
    where a crease's two panels put it when that shows it and one place does not.
    ``faint``: the page's faint ink there (``find_panels``)."""
    panels = find_panels(written, printed, box, dpi, faint=faint)
    if panels is None:
        return printed
    return cv2.bitwise_or(printed, lay_print(printed, panels, dpi))


def find_panels(
    written: np.ndarray,
    printed: np.ndarray,
    box: Rect,
    dpi: float,
    *,
    faint: np.ndarray | None = None,
) -> Panels | None:
    """The crease and panel offsets that show the most of the print, if they show
    nearly all of it and clearly more than one place does. Where the ink alone shows
    too little of the print for that, ``faint``, the page's faint ink, is looked at too:
    a line the fold lifted off the glass prints lighter than ink."""
    for blend_mm in BLEND_MM:
        found = _laid_best(written, printed, dpi, blend_mm)
        if found is not None and found[0].shown < EXPLAINED and faint is not None:
            found = _laid_best(cv2.bitwise_or(written, faint), printed, dpi, blend_mm)
        if found is None or found[0].shown >= EXPLAINED:
            break
    if found is None:
        return None
    best, in_place = found
    if best.shown < EXPLAINED or best.shown - in_place < LEAST_GAIN:
        return None
    x, y, w, h = box
    first, last = (x, x + w) if best.across_columns else (y, y + h)
    if best.at <= first:
        own = [best.after]
    elif best.at >= last:
        own = [best.before]
    else:  # the crease runs through the box: it lies on both
        own = [best.before, best.after]
    if min(np.hypot(*o) for o in own) > mm_to_px(IN_PLACE_MM, dpi):
        return None
    return best


def _laid_best(
    written: np.ndarray, printed: np.ndarray, dpi: float, blend_mm: float
) -> tuple[Panels, float] | None:
    """The split showing the most of the print and the share shown in place; None when
    there is no print, or it is shown whole in place."""
    reach = max(1, mm_to_px(FOLLOW_MM, dpi))
    shown = np.pad(cv2.dilate(written, np.ones((3, 3), np.uint8)), reach)  # a pixel off counts
    page = shown.astype(np.float32) / 255
    print_ = printed.astype(np.float32) / 255
    total = float(print_.sum())
    if total == 0.0 or shown.shape != tuple(n + 2 * reach for n in printed.shape):
        return None
    in_place = float((page[reach:-reach, reach:-reach] * print_).sum()) / total
    if in_place >= SHOWN_WHOLE:
        return None
    best: Panels | None = None
    for across_columns in (False, True):
        found = _best_split(
            page.T if across_columns else page,
            print_.T if across_columns else print_,
            reach,
            mm_to_px(blend_mm, dpi),
            dpi,
        )
        if found is None:
            continue
        at, before, after, shown_share = found
        if across_columns:
            before, after = before[::-1], after[::-1]
        if best is None or shown_share > best.shown:
            best = Panels(at, across_columns, before, after, shown_share)
    return (best, in_place) if best is not None else None


def _best_split(
    page: np.ndarray, print_: np.ndarray, reach: int, blend: int, dpi: float
) -> tuple[int, tuple[int, int], tuple[int, int], float] | None:
    """The row splitting ``print_`` into two panels, each laid at its own best offset,
    that shows the most of the print outside ``blend`` rows either side of it (row,
    offsets, share)."""
    rows = print_.shape[0]
    step = max(1, mm_to_px(CREASE_STEP_MM, dpi))
    side = mm_to_px(LEAST_SIDE_MM, dpi)
    steps = np.arange(-reach, reach + 1, dtype=np.float32)
    nearest = 1e-6 * np.hypot(*np.meshgrid(steps, steps))  # ties go to the smaller offset
    best = None
    for at in range(side + blend, rows - side - blend + 1, step):
        before, after = print_[: at - blend], print_[at + blend :]
        weights = float(before.sum()), float(after.sum())
        if min(weights) == 0.0:
            continue
        laid = []
        for part, top in ((before, 0), (after, at + blend)):
            overlap = cv2.matchTemplate(
                page[top : top + part.shape[0] + 2 * reach], part, cv2.TM_CCORR
            )
            _, _, _, (bx, by) = cv2.minMaxLoc(overlap - nearest * float(part.sum()))
            laid.append(((bx - reach, by - reach), float(overlap[by, bx])))
        share = (laid[0][1] + laid[1][1]) / sum(weights)
        if best is None or share > best[3]:
            best = (at, laid[0][0], laid[1][0], share)
    return best


def lay_print(printed: np.ndarray, panels: Panels, dpi: float) -> np.ndarray:
    """The print laid as ``panels`` says: each side at its panel's offset, and across
    the blend at every offset between the two."""
    source = printed.T if panels.across_columns else printed
    before = panels.before[::-1] if panels.across_columns else panels.before
    after = panels.after[::-1] if panels.across_columns else panels.after
    laid = np.zeros_like(source)
    rows = source.shape[0]
    blend = mm_to_px(LAY_BLEND_MM, dpi)
    top, bottom = max(0, panels.at - blend), min(rows, panels.at + blend)
    _paste(laid, source, 0, top, before)
    _paste(laid, source, bottom, rows, after)
    span = max(abs(after[0] - before[0]), abs(after[1] - before[1]), 1)
    for t in np.linspace(0.0, 1.0, span + 1):
        offset = (
            round(before[0] + t * (after[0] - before[0])),
            round(before[1] + t * (after[1] - before[1])),
        )
        _paste(laid, source, top, bottom, offset)
    return laid.T if panels.across_columns else laid


def _paste(
    into: np.ndarray, source: np.ndarray, first: int, last: int, offset: tuple[int, int]
) -> None:
    """Rows ``first:last`` of ``source`` OR-ed into ``into``, moved by ``offset`` (dx, dy)."""
    dx, dy = offset
    rows, cols = into.shape
    y0, y1 = max(0, first + dy), min(rows, last + dy)
    x0, x1 = max(0, dx), min(cols, cols + dx)
    if y0 >= y1 or x0 >= x1:
        return
    part = source[y0 - dy : y1 - dy, x0 - dx : x1 - dx]
    into[y0:y1, x0:x1] = np.maximum(into[y0:y1, x0:x1], part)
