"""Checkboxes: judged by ink, not OCR (signatures and seals, in ``writing``, share the
registration and the faint eye defined here).

A checkbox is judged where its printed square really is: the square is found on
the page near where the alignment put it (``register_box``), and only ink the
blank form does not print counts. A tick, a circle or a fill made for the box
counts; ink that crosses the box and carries on well beyond it (a received
stamp, a signature's tail, a ruling) is not a mark, and a box it crosses is
uncertain. A box whose print cannot be found, or that lies under a stamp, is
uncertain too: it goes to a person, never ``ok``. The band between "clearly
empty" and "clearly marked" is uncertain on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.extract.circles import OWN_SQUARE_MM, circled_beside, circled_share
from pipeline.extract.crease_panels import print_followed
from pipeline.extract.crops import (
    MM_PER_INCH,
    box_to_px,
    cut,
    ink_mask,
    mm_to_px,
)
from pipeline.extract.edge_bars import is_edge_bar
from pipeline.extract.edge_copies import moved_edges
from pipeline.extract.faint_ink import faint_mask, ink_or_faint, without_dots, without_shading
from pipeline.extract.reading import MarkEvidence
from pipeline.extract.shown_square import (
    SIDE_FOUND_SHARE,
    inside_verdict,
    shown_square,
    weakest_side,
)
from pipeline.extract.slanted import one_straight_stroke, slanted_share
from pipeline.extract.specks import without_lone_specks
from pipeline.extract.stamps import PageMarks
from pipeline.extract.streaks import Line, dominant_line, is_streak
from pipeline.forms.schema import Box


@dataclass(frozen=True)
class MarkThresholds:
    """Ink ratios: below ``empty`` → absent, above ``marked`` → present, between → review."""

    empty: float
    marked: float


CHECKBOX = MarkThresholds(empty=0.03, marked=0.09)
# A circle drawn round the box: the share of directions from the box's centre in which
# ink made for the box lies clear of the printed square (a thickened print, a tick's
# tail cover few directions; a circle most).
CIRCLE = MarkThresholds(empty=0.3, marked=0.6)
CIRCLE_CLEAR_MM = 0.15  # ink this far beyond the print's own thickening is drawn
PRINT_TOLERANCE_MM = 0.2  # the least the print is widened by before ink counts
# Ink beyond the print anywhere on the box and its surround: an empty box has next to none.
NEAR = MarkThresholds(empty=0.008, marked=0.5)
AROUND_MM = 1.5
SIGNATURE = MarkThresholds(empty=0.002, marked=0.010)
SEAL = MarkThresholds(empty=0.004, marked=0.020)
DOUBT_JA = "記入の有無が判別しにくい"


@dataclass(frozen=True)
class MarkRead:
    present: bool
    confidence: float  # 0..1
    certain: bool
    ink_ratio: float
    evidence: MarkEvidence | None = None
    doubt_ja: str | None = None  # why it is uncertain, when it is


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


def judge_checkbox(inside: float, around: float, near: float = 0.0) -> MarkRead:
    """Ticked if marked inside or circled around; empty only if clean inside, around and
    near the box; else doubtful.

    ``inside``: the share of the box's inside inked; ``around``: the share of directions
    round the box a circle covers; ``near``: the share of the box and its surround inked
    beyond the print (a circle hugging the printed square shows only here)."""
    a = judge(inside, CHECKBOX)
    b = judge(around, CIRCLE)
    c = judge(near, NEAR)
    if (a.present and a.certain) or (b.present and b.certain):
        best = a if a.present and a.certain else b
        return MarkRead(True, best.confidence, True, max(inside, around))
    if a.certain and b.certain and c.certain and not c.present:
        confidence = min(a.confidence, b.confidence, c.confidence)
        return MarkRead(False, confidence, True, max(inside, around))
    return MarkRead(
        a.present or b.present or c.present,
        min(a.confidence, b.confidence, c.confidence),
        False,
        max(inside, around, near),
    )


# --- one checkbox -------------------------------------------------------------------------

# After the page's alignment (and its local correction) a box still sits a little off
# its print: an uneven feed, a fold. It is laid onto the blank's print within this.
REGISTER_SEARCH_MM = 1.5
BOX_FOUND_SHARE = 0.5  # of the blank's print around the box the page must show
INSET_MM = 0.35  # the inside: clear of the printed square's edges
REACH_MM = 4.0  # a mark made for the box stays within this of it; ink beyond crosses it
LOOK_MM = REACH_MM + 0.5  # how far around the box ink is looked at
BRIDGE_MM = 0.45  # the printed square's line and its tolerance, which a crossing line loses
PAPER_BRIDGE_MM = 0.25  # a dithered line's dots lie this near each other, a tick's tail further


def register_box(
    page: np.ndarray,
    blank: np.ndarray,
    box: Box,
    dpi: float,
    *,
    search_mm: float = REGISTER_SEARCH_MM,
    start_mm: tuple[float, float] = (0.0, 0.0),
    faint: bool = False,
) -> tuple[tuple[float, float], float]:
    """Where the page shows the blank's print of ``box``: the (dx, dy) in mm within
    ``search_mm`` of ``start_mm`` (the page's local offset there) that lays most of the
    blank's ink onto the page's (the nearest on a tie), and the share of that print the
    page shows there (1.0 when the blank prints nothing there). ``faint``: light grey
    print and ink count too (``faint_mask``)."""

    def inked(gray: np.ndarray) -> np.ndarray:
        return ink_or_faint(gray, dpi) if faint else ink_mask(gray)

    x, y, w, h = box_to_px(box, dpi)
    px, py, _, _ = box_to_px(box._replace(x=box.x + start_mm[0], y=box.y + start_mm[1]), dpi)
    pad = mm_to_px(search_mm, dpi)
    rows, cols = page.shape[:2]
    inside = pad <= py and py + h + pad <= rows and pad <= px and px + w + pad <= cols
    printed = inked(blank[y : y + h, x : x + w]).astype(np.float32) / 255
    total = float(printed.sum())
    if pad < 1 or not inside or printed.shape != (h, w) or total == 0.0:
        return start_mm, 1.0
    region: np.ndarray = (
        inked(page[py - pad : py + h + pad, px - pad : px + w + pad]).astype(np.float32) / 255
    )
    # A print one pixel off still counts as shown (blur, a thicker scanned line).
    region = cv2.dilate(region, np.ones((3, 3), np.uint8))
    overlap = cv2.matchTemplate(region, printed, cv2.TM_CCORR)
    steps = np.arange(-pad, pad + 1, dtype=np.float32)
    # A millionth of the print per pixel of distance only breaks ties, towards no shift.
    ranked = overlap - 1e-6 * total * np.hypot(*np.meshgrid(steps, steps))
    _, _, _, (bx, by) = cv2.minMaxLoc(ranked)
    mm_per_px = MM_PER_INCH / dpi
    shown = float(overlap[by, bx]) / total
    found = ((px - x) + bx - pad) * mm_per_px, ((py - y) + by - pad) * mm_per_px
    return found, shown


def _masks(
    page: np.ndarray, blank: np.ndarray, box: Box, dpi: float, shift_mm: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The ink of ``box`` on the page (shifted by ``shift_mm``), and the blank's print there."""
    dx, dy = shift_mm
    written = ink_mask(cut(page, box._replace(x=box.x + dx, y=box.y + dy), dpi))
    printed = ink_mask(cut(blank, box, dpi))
    if printed.shape != written.shape:
        printed = cv2.resize(
            printed, (written.shape[1], written.shape[0]), interpolation=cv2.INTER_NEAREST
        )
    return written, printed


MAX_HALO_MM = 0.6  # a copy of a copy thickens a line by up to this on each side
HALO_STEP_SHARE = 0.2  # growing the print further takes less than this of its outline


def print_halo_px(written: np.ndarray, printed: np.ndarray, dpi: float) -> int:
    """How much thicker this scan prints the form's lines than the blank (pixels on each
    side): the print is grown step by step until a step takes little more of the page's
    ink (a thickened line is used up; a mark drawn near it is not)."""
    outline = max(1, cv2.countNonZero(cv2.dilate(printed, _DISK1)) - cv2.countNonZero(printed))
    left = cv2.countNonZero(cv2.bitwise_and(written, cv2.bitwise_not(printed)))
    grown = printed
    for step in range(1, mm_to_px(MAX_HALO_MM, dpi) + 1):
        grown = cv2.dilate(grown, _DISK1)
        now = cv2.countNonZero(cv2.bitwise_and(written, cv2.bitwise_not(grown)))
        if left - now < HALO_STEP_SHARE * outline:
            return step - 1
        left = now
    return mm_to_px(MAX_HALO_MM, dpi)


_DISK1 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


@dataclass(frozen=True)
class CheckboxInk:
    inside: float  # share of the box's inside inked by marks made for it
    around: float  # share of directions round the box a circle made for it covers
    crossed: bool  # ink crosses the box and carries on beyond ``REACH_MM``
    near: float = 0.0  # share of the box and its surround inked by marks made for it
    halo_mm: float = 0.0  # how much thicker the scan prints the form's lines here
    crease: bool = False  # a thin straight line crossed the box and was taken away
    edge_bar: bool = False  # the ink inside is one solid bar along a side (``edge_bars``)
    # The box judged as if the ink that passes through were made for it: where even then
    # it is surely empty, that ink hides nothing (a neighbour's tick reaching into the
    # surround, a ruling's tail that stops short of the box).
    empty_with_crossing: bool = False
    # A circle round the box told among ink that passes by (``circles.circled_beside``).
    circled_beside: float = 0.0
    # The share of the inside inked at a slant, as no print or crease lies (``slanted``).
    slanted: float = 0.0
    # The same, of ink that reaches beyond the box only across a gap in the paper wider
    # than a dithered copy's: a tick whose tail ends near a line or a crease.
    slanted_apart: float = 0.0


# A fold's crease or a fax's streak crosses a box as one thin straight line: where it
# enters and leaves the looked-at square it is at most this thick.
CREASE_MAX_MM = 1.2


def checkbox_ink(
    page: np.ndarray, blank: np.ndarray, box: Box, dpi: float, shift_mm: tuple[float, float]
) -> CheckboxInk:
    """The added ink around ``box`` sorted into pieces made for the box and pieces that
    only pass through (they reach beyond ``REACH_MM`` of it). The print is followed
    across a fold's crease; a thin straight line that passes through is taken away and
    what is left judged again."""
    look = box.inset(-LOOK_MM)
    written, printed = _masks(page, blank, look, dpi, shift_mm)
    # What passes through is told by where it goes, faint parts included: a fold's crease
    # shows dark inside the box and only faintly outside it.
    gray = cut(page, look._replace(x=look.x + shift_mm[0], y=look.y + shift_mm[1]), dpi)
    whole = gray.shape == written.shape
    seen = without_dots(gray, dpi) if whole else gray
    faint = faint_mask(without_shading(seen, dpi), dpi) if whole else np.zeros_like(written)
    # A line the fold lifted off the glass prints lighter than ink: where the ink alone
    # does not show where the panels lie, the faint print is looked at too (not on a
    # dithered scan, whose dots would show the print wherever it is laid).
    printed = print_followed(
        written,
        printed,
        _sub_box(box, look, dpi),
        dpi,
        faint=faint if whole and seen is gray else None,
    )
    # Only ink beyond how thick this scan prints the form counts as written.
    halo = print_halo_px(written, printed, dpi)
    grow = max(mm_to_px(PRINT_TOLERANCE_MM, dpi), halo + 1)
    grown = cv2.dilate(printed, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    added = cv2.bitwise_and(written, cv2.bitwise_not(grown))
    added = cv2.morphologyEx(added, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))  # specks
    # (the faint edge of a printed line is wider than its ink: that is print too)
    faint_print = cv2.dilate(grown, np.ones((5, 5), np.uint8))  # 2 px: the bridge's + 2
    passing = cv2.bitwise_or(added, cv2.bitwise_and(faint, cv2.bitwise_not(faint_print)))
    # Taking the print away cuts a line that crosses the box where it crosses the box's
    # own edges: pieces are joined across gaps that wide before they are told apart
    # (wider by however much more than the least the print was widened by here).
    bridge = max(1, mm_to_px(BRIDGE_MM, dpi)) + grow - mm_to_px(PRINT_TOLERANCE_MM, dpi) + 2
    frame = _Frame(box, look, dpi, mm_to_px(LOOK_MM - REACH_MM, dpi), bridge)
    own, through, crossing = _pieces(added, passing, frame)
    crease = False
    if crossing.any():
        shifted = box_to_px(look._replace(x=look.x + shift_mm[0], y=look.y + shift_mm[1]), dpi)
        origin = (max(0, shifted[0]), max(0, shifted[1]))
        band = _straight_band(
            through, crossing, added, grown, frame, lambda line: is_streak(page, origin, line, dpi)
        )
        if band is not None:
            added, passing = _without_band(added, passing, band, frame.bridge_px)
            own, through, crossing = _pieces(added, passing, frame)
            crease = True
    clear = halo + mm_to_px(CIRCLE_CLEAR_MM, dpi)
    inside, circled, near = _measured(own, printed, frame, clear)
    inner = _sub_box(box.inset(INSET_MM), look, dpi)
    bar = is_edge_bar(own, _sub_box(box, look, dpi))
    empty_anyway, beside, apart = False, 0.0, 0.0
    if crossing.any():
        crossing_ink = np.isin(through, np.nonzero(crossing)[0])
        counted = np.where((own > 0) | crossing_ink, 255, 0).astype(np.uint8)
        anyway = judge_checkbox(*_measured(counted, printed, frame, clear))
        empty_anyway = anyway.certain and not anyway.present
        beside = _circled_beside(own, counted, printed, frame, clear)
        near_print = cv2.dilate(grown, np.ones((3, 3), np.uint8))
        own_apart = _pieces(added, passing, frame, over_print=near_print)[0]
        if not one_straight_stroke(own_apart, inner):
            apart = slanted_share(own_apart, inner)
    return CheckboxInk(
        inside,
        circled,
        bool(crossing.any()),
        near,
        halo * MM_PER_INCH / dpi,
        crease,
        bar,
        empty_anyway,
        beside,
        slanted_share(own, inner) if inside else 0.0,
        apart,
    )


def _circled_beside(
    own: np.ndarray, counted: np.ndarray, printed: np.ndarray, frame: _Frame, clear_px: int
) -> float:
    """How much of a circle round the box the ink passing by holds (0.0: none), where that
    ink stays out of the box's inside: a circle joined to a neighbour's, or to a line."""
    box, look, dpi = frame.box, frame.look, frame.dpi
    passing = cv2.bitwise_and(counted, cv2.bitwise_not(own))
    if _share(passing, _sub_box(box.inset(INSET_MM), look, dpi)) > CHECKBOX.empty:
        return 0.0
    return circled_beside(
        counted,
        printed,
        _sub_box(box, look, dpi),
        _sub_box(box.inset(-OWN_SQUARE_MM), look, dpi),
        clear_px,
    )


def _measured(
    own: np.ndarray, printed: np.ndarray, frame: _Frame, clear_px: int
) -> tuple[float, float, float]:
    """``own`` ink's share of the box's inside, the share of directions round the box a
    circle of it covers, and its share of the box and its surround."""
    box, look, dpi = frame.box, frame.look, frame.dpi
    circled = circled_share(
        own,
        printed,
        _sub_box(box, look, dpi),
        _sub_box(box.inset(-OWN_SQUARE_MM), look, dpi),
        clear_px,
        (CIRCLE.empty, CIRCLE.marked),
    )
    inner = _sub_box(box.inset(INSET_MM), look, dpi)
    inside = _share(own, inner)
    marked = without_lone_specks(own, dpi)
    # A fold moved an edge of the square off its print: no mark made for the box.
    marked = cv2.bitwise_and(marked, cv2.bitwise_not(moved_edges(marked, inner, dpi)))
    near = _share(marked, _sub_box(box.inset(-AROUND_MM), look, dpi))
    return inside, circled, near


@dataclass(frozen=True)
class _Frame:
    box: Box
    look: Box
    dpi: float
    reach_px: int  # the border of the looked-at square beyond ``REACH_MM`` of the box
    bridge_px: int

    def far(self, x: int, y: int, w: int, h: int, shape: tuple[int, ...]) -> bool:
        r = self.reach_px
        return x < r or y < r or x + w > shape[1] - r or y + h > shape[0] - r


def _pieces(
    added: np.ndarray, passing: np.ndarray, frame: _Frame, over_print: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ink made for the box, each passing pixel's piece label, and which pieces
    cross the box (reach beyond ``REACH_MM`` and touch the box or, with added ink of
    their own, its surround: a circle joined to a stamp's ring is never dropped)."""
    b = frame.bridge_px
    joined = cv2.dilate(passing, np.ones((2 * b + 1, 2 * b + 1), np.uint8))
    if over_print is not None:
        # Joined across the print only (where taking it away cut a line), and across the
        # paper no further than a dithered copy's dots lie apart.
        dots = max(1, mm_to_px(PAPER_BRIDGE_MM, frame.dpi))
        joined = cv2.bitwise_or(
            cv2.bitwise_and(joined, over_print),
            cv2.dilate(passing, np.ones((2 * dots + 1, 2 * dots + 1), np.uint8)),
        )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    through = np.where(passing > 0, labels, 0)
    marked = np.where(added > 0, labels, 0)
    far = np.zeros(count, dtype=bool)
    for k in range(1, count):
        x, y, w, h, _ = stats[k]
        far[k] = frame.far(x, y, w, h, added.shape)
    own = np.where(far[marked] | (marked == 0), 0, 255).astype(np.uint8)
    inner = _sub_box(frame.box.inset(INSET_MM), frame.look, frame.dpi)
    near_box = _sub_box(frame.box.inset(-AROUND_MM), frame.look, frame.dpi)
    touching = np.union1d(np.unique(through[_slice(inner)]), np.unique(marked[_slice(near_box)]))
    crossing = far & np.isin(np.arange(count), touching)
    crossing[0] = False
    return own, through, crossing


def _straight_band(
    through: np.ndarray,
    crossing: np.ndarray,
    added: np.ndarray,
    printed: np.ndarray,
    frame: _Frame,
    streak: Callable[[Line], bool],
) -> np.ndarray | None:
    """The pixels of one thin, straight line through the box, faint (a fold's crease:
    the paper's shadow, not ink) or a ``streak`` down the sheet, told by where the
    crossing pieces pass the looked-at square's border, where only ink that is not the
    box's own can be; ``None`` when they are not one such line: a pen's line, a bent
    one, a stamp's ring. Where the line runs under the ``printed`` form (a streak along
    the box's own side), it cannot be seen and is taken as there."""
    h, w = through.shape
    r = frame.reach_px
    ys, xs = np.nonzero(np.isin(through, np.nonzero(crossing)[0]))
    border = (xs < r) | (ys < r) | (xs >= w - r) | (ys >= h - r)
    if border.sum() < 4:
        return None
    points = np.column_stack([xs[border], ys[border]]).astype(np.float32)
    half = mm_to_px(CREASE_MAX_MM, frame.dpi) / 2
    line = dominant_line(points, half)
    if line is None:
        return None
    vx, vy, x0, y0 = line
    along = (points[:, 0] - x0) * vx + (points[:, 1] - y0) * vy
    across = np.abs((points[:, 0] - x0) * vy - (points[:, 1] - y0) * vx)
    # Only the line's own points: other ink at the border (a ruling's fringe joined to it)
    # is not taken away, and is judged again once the line is gone.
    on_line = across <= half
    inked = added[ys[border][on_line], xs[border][on_line]].mean() > 127
    if inked and not streak(line):  # a pen's line
        return None
    along, across = along[on_line], across[on_line]
    span = mm_to_px(LOOK_MM, frame.dpi)  # it enters on one side of the box, leaves on the other
    if along.min() > -span / 2 or along.max() < span / 2:
        return None
    ally, allx = np.mgrid[0:h, 0:w]
    width = max(float(np.percentile(across, 95)), 1.0) + 1.5
    band = np.abs((allx - x0) * vy - (ally - y0) * vx) <= width
    # Straight all the way: along the line the crossing ink never leaves the band for
    # longer than the print taken away where it crosses the box's edges.
    on = (np.isin(through, np.nonzero(crossing)[0]) | (printed > 0)) & band
    steps = np.unique(np.round((allx[on] - x0) * vx + (ally[on] - y0) * vy).astype(int))
    inner = steps[(steps >= along.min()) & (steps <= along.max())]
    if inner.size < 2 or np.diff(inner).max() > 2 * frame.bridge_px + 2:
        return None
    return np.where(band, 255, 0).astype(np.uint8)


def _without_band(
    added: np.ndarray, passing: np.ndarray, band: np.ndarray, bridge_px: int
) -> tuple[np.ndarray, np.ndarray]:
    """``added`` and ``passing`` with the line taken away: its dark core, and the faint
    shading along its edges as far as pieces are joined (else that shading, still
    reaching the border, joins a mark made for the box back to it)."""
    edges = cv2.dilate(band, np.ones((2 * bridge_px + 1,) * 2, np.uint8))
    faint_edges = cv2.bitwise_and(edges, cv2.bitwise_not(added))
    keep = cv2.bitwise_not(band)
    return (
        cv2.bitwise_and(added, keep),
        cv2.bitwise_and(passing, cv2.bitwise_and(keep, cv2.bitwise_not(faint_edges))),
    )


def _sub_box(inner: Box, outer: Box, dpi: float) -> tuple[int, int, int, int]:
    x, y, w, h = box_to_px(Box(inner.x - outer.x, inner.y - outer.y, inner.w, inner.h), dpi)
    return x, y, w, h


def _slice(rect: tuple[int, int, int, int]) -> tuple[slice, slice]:
    x, y, w, h = rect
    return slice(max(0, y), y + h), slice(max(0, x), x + w)


def _share(mask: np.ndarray, rect: tuple[int, int, int, int]) -> float:
    part = mask[_slice(rect)]
    return float(cv2.countNonZero(part)) / float(part.size or 1)


def share_ja(share: float) -> str:
    """A share as staff read it: a whole percentage, never below 0 % (a correlation's
    rounding left -0 %)."""
    return f"{min(1.0, max(0.0, share)):.0%}"


def judge_checkbox_on_page(
    page: np.ndarray,
    blank: np.ndarray,
    box: Box,
    dpi: float,
    foreign: PageMarks,
    *,
    start_mm: tuple[float, float] = (0.0, 0.0),
) -> MarkRead:
    """A checkbox of an aligned page, judged where its printed square really is (looked
    for around ``start_mm``, the page's local offset there)."""
    around = box.inset(-AROUND_MM)
    shift, shown = register_box(page, blank, around, dpi, start_mm=start_mm)
    ink = checkbox_ink(page, blank, box, dpi, shift)
    side = weakest_side(page, blank, box, dpi, shift)
    judged = judge_checkbox(ink.inside, ink.around, ink.near)
    # A stamp whose ink reaches neither the box nor its surround (a surely empty box that
    # nothing crosses) adds nothing that could be taken for a mark, and hides none.
    stamped = foreign.covers(around) and (ink.crossed or judged.present or not judged.certain)
    # Ink that passes through matters only where, counted as the box's own, it could make
    # the box anything but surely empty.
    harmless = ink.empty_with_crossing and judged.certain and not judged.present
    crossed_by = "stamp" if stamped else ("line" if ink.crossed and not harmless else None)
    if crossed_by is None and ink.crease:
        crossed_by = "crease"  # taken away: the box is judged without it
    elif crossed_by is None and ink.crossed:
        crossed_by = "passing"  # near the box, but it would leave the box empty even as a mark
    if crossed_by == "line" and ink.circled_beside >= CIRCLE.marked:
        # A circle round the box, touched by a neighbour's circle or a line: it is the mark.
        judged, crossed_by = judge_checkbox(ink.inside, ink.circled_beside, ink.near), "beside"
    elif crossed_by == "line" and ink.slanted_apart >= CHECKBOX.marked:
        # A tick inside, joined to a line beyond the box only across the paper.
        judged, crossed_by = judge_checkbox(ink.slanted_apart, ink.around, ink.near), "apart"
    found = shown >= BOX_FOUND_SHARE
    squashed = by_edges = False
    if crossed_by is None and (
        not found or (side < SIDE_FOUND_SHARE and (judged.present or not judged.certain))
    ):
        # The square is not whole where the box was found (a hidden strip, dropped scan
        # lines), or its print hardly shows there (a photograph's blur, a light copy): the
        # box is judged inside the square the page shows, where that is found whole.
        within = _within_shown_square(page, blank, box, dpi, shift, ink.around)
        if within is not None:
            judged, side = within, 1.0
            squashed, by_edges, found = found, not found, True
    evidence = MarkEvidence(
        judged.ink_ratio if squashed or by_edges or crossed_by == "apart" else ink.inside,
        ink.around,
        shift,
        found,
        crossed_by,
        squashed=squashed,
        by_edges=by_edges,
    )
    # A tick or a cross drawn at a slant inside is no moved edge or crease remnant.
    drawn = ink.slanted >= CHECKBOX.marked
    doubt = None
    if crossed_by == "stamp":
        doubt = "受付印などの印影が枠に重なっています"
    elif crossed_by == "line":
        doubt = "枠の外から続く線や印影が枠に重なっています"
    elif not evidence.box_found:
        doubt = f"印刷された枠が見つかりません（{share_ja(shown)} のみ確認）"
    elif side < SIDE_FOUND_SHARE and judged.present and not drawn:
        # A mark, but the square is not whole where the box was found: its missing edge
        # may be the "mark" (a fold hid a strip and moved the edge inside). An empty box
        # with a faint edge (a fax, a light copy) is still judged empty.
        doubt = f"枠の一辺がずれています（折れ・たわみの可能性、{share_ja(side)} のみ確認）"
    elif ink.edge_bar and judged.present:
        doubt = "枠の一辺が太く写っています（ファクスや折れによる写りの可能性）"
    elif crossed_by == "crease" and judged.present and not drawn:
        # A fold hides or shifts a strip of paper: the box's own edge can show inside
        # it, which looks like a mark once the crease's shadow is gone.
        doubt = "折り目や原稿台の汚れによる筋が枠を横切っています（ずれた枠の線の可能性）"
    if doubt is not None:
        return MarkRead(
            judged.present, min(judged.confidence, 0.4), False, judged.ink_ratio, evidence, doubt
        )
    return MarkRead(
        judged.present, judged.confidence, judged.certain, judged.ink_ratio, evidence, None
    )


def _within_shown_square(
    page: np.ndarray,
    blank: np.ndarray,
    box: Box,
    dpi: float,
    shift_mm: tuple[float, float],
    around: float,
) -> MarkRead | None:
    """The box judged inside its printed square as the page shows it: ticked when marked
    there; empty when clean there and nothing circles it; None when the square is not
    found whole, or its inside says neither."""
    square = shown_square(page, blank, box, dpi, shift_mm)
    if square is None:
        return None
    ticked = inside_verdict(square, empty=CHECKBOX.empty, marked=CHECKBOX.marked)
    if ticked is None or (not ticked and around > CIRCLE.empty):
        return None
    return MarkRead(ticked, judge(square.inside, CHECKBOX).confidence, True, square.inside)
