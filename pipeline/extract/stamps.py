"""Foreign ink on a page: received stamps (受付印) and the like.

A stamp is ink the form does not print and no field explains, at least 12 mm both
ways, found on the whole aligned page at 100 dpi; a checkbox under one is uncertain
unless none of the stamp's ink reaches it. A grey scan of red ink is mid grey, so ink
is anything clearly darker than the paper; everything the blank prints is taken away
first (its thin rulings included, else a thick scan of them joins ticks and typed
values into table-wide "stamps"), so are long straight lines (a fax's streak down the
sheet, a ruling the scan put off its print, which join a column's values into one), and
a stamp cut by a ruling is joined across it.
Paper is judged against its own surroundings (a phone's shadow or a copy's grey cast
is paper), and on colour scans the red ink is a mask of its own: the grey page has
dropped it, and only a seal field could take it for a seal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from pipeline.extract.crops import MM_PER_INCH, ink_mask, mm_to_px
from pipeline.forms.schema import Box, FieldKind, FormTemplate
from pipeline.imaging.local import LocalWarp, dewarp

ZONE_DPI = 100.0  # the page is looked at coarsely for stamps
ZONE_MIN_MM = 12.0  # ink this large both ways, not printed by the form, is a stamp or the like
ZONE_JOIN_MM = 1.0  # a stamp's broken ring and its date are one piece once joined this much
ZONE_PRINT_GROW_MM = 1.0  # the blank's print, widened by the coarse alignment's error
# Paper is judged against its own surroundings: wider than any stroke of a stamp, narrower
# than the shadow of a hand-held phone or the grey cast of a copy of a copy.
ZONE_PAPER_MM = 6.0
STAMP_GREY = 190  # darker than this is ink here: a grey scan of a red stamp is mid grey
BLANK_PRINT_GREY = 200  # a clean render: anything this dark is print
# The sheet's own edge: a scanner's border, a binding's darkest strip, the desk a photograph
# shows beside the paper. No stamp lies wholly in it.
ZONE_EDGE_MM = 4.0
# A straight run this long along a page axis is a line: a fax's or a scanner's streak down
# the sheet, a ruling the scan put off its print. No received stamp has a stroke so long,
# and left in, such a line joins the values along it into a column-high "stamp".
ZONE_LINE_MM = 45.0
ZONE_LINE_GAP_MM = 4.0  # dropouts a fax or a copy leaves in a line, and values it runs through
ZONE_LINE_AXIS_DEG = 2.0  # a streak or a ruling lies this near an axis of the aligned page
ZONE_LINE_THICK_MM = 1.0  # and is no thicker than this


@dataclass(frozen=True)
class PageMarks:
    """Ink on a page the form does not print and no field explains: received stamps
    and the like, as boxes in mm. ``zones``: in the grey page, where checkboxes under one
    are uncertain; ``red_zones``: a colour scan's red stamps, which the grey page has
    dropped (checkboxes see through them), and which only a seal field could take for a
    seal."""

    zones: tuple[Box, ...] = field(default=())
    red_zones: tuple[Box, ...] = field(default=())

    def covers(self, box: Box) -> bool:
        return any(_overlap(zone, box) for zone in self.zones)

    def covers_in_red(self, box: Box) -> bool:
        return any(_overlap(zone, box) for zone in (*self.zones, *self.red_zones))

    @classmethod
    def find(
        cls,
        page: np.ndarray,
        blank: np.ndarray,
        dpi: float,
        template: FormTemplate,
        red: np.ndarray | None = None,
        local: LocalWarp | None = None,
    ) -> PageMarks:
        """Stamps and the like on an aligned ``page``; ``red``: a colour scan's red ink;
        ``local``: where the sheet sits off the homography (a fold, curl), undone on the
        coarse page."""
        scale = ZONE_DPI / dpi
        small = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if local is not None and local.worth_applying:
            small = dewarp(small, local, ZONE_DPI)
        printed = cv2.resize(blank, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
        grow = max(1, mm_to_px(ZONE_PRINT_GROW_MM, ZONE_DPI))
        printed_ink = cv2.dilate(blank_print(printed), np.ones((2 * grow + 1,) * 2, np.uint8))
        added = _added_ink(small, printed_ink)
        red_zones: tuple[Box, ...] = ()
        if red is not None:
            reds = cv2.resize(red, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
            if local is not None and local.worth_applying:
                reds = dewarp(reds, local, ZONE_DPI, fill=0)
            red_zones = _zones((reds > 60).astype(np.uint8) * 255, template)
        return cls(_zones(across_print(added, printed_ink, grow), template), red_zones)


def _added_ink(small: np.ndarray, printed_ink: np.ndarray) -> np.ndarray:
    """Ink clearly darker than its paper that the blank does not print, clear of the
    sheet's edge."""
    lit = evenly_lit(small)
    ink = cv2.bitwise_or(ink_mask(lit), ((lit < STAMP_GREY) * 255).astype(np.uint8))
    added = cv2.bitwise_and(ink, cv2.bitwise_not(printed_ink))
    added = cv2.bitwise_and(added, cv2.bitwise_not(long_lines(ink)))
    edge = mm_to_px(ZONE_EDGE_MM, ZONE_DPI)
    added[:edge, :] = added[-edge:, :] = 0
    added[:, :edge] = added[:, -edge:] = 0
    return added


def long_lines(ink: np.ndarray) -> np.ndarray:
    """The ink (at ``ZONE_DPI``) of thin strokes that run straight, within
    ``ZONE_LINE_AXIS_DEG`` of a page axis, for ``ZONE_LINE_MM`` or more. Only strokes
    no thicker than ``ZONE_LINE_THICK_MM`` are taken (a stamp's ring crossing a line
    keeps its ink); morphology finds them in milliseconds, where a Hough transform took
    a tenth of a second a page."""
    run = mm_to_px(ZONE_LINE_MM, ZONE_DPI)
    gap = mm_to_px(ZONE_LINE_GAP_MM, ZONE_DPI)
    thick = mm_to_px(ZONE_LINE_THICK_MM, ZONE_DPI)
    slack = max(1, round(run * math.tan(math.radians(ZONE_LINE_AXIS_DEG)) / 2))
    found = np.zeros_like(ink)
    for vertical in (True, False):
        broad = cv2.morphologyEx(ink, cv2.MORPH_OPEN, _line_kernel(1, thick + 1, vertical))
        thin = cv2.bitwise_and(ink, cv2.bitwise_not(broad))
        # Widened across by the drift a slanted line makes over a run, bridged along.
        across = _line_kernel(1, 2 * slack + 1, vertical)
        bridged = cv2.morphologyEx(
            cv2.dilate(thin, across), cv2.MORPH_CLOSE, _line_kernel(gap, 1, vertical)
        )
        core = cv2.morphologyEx(bridged, cv2.MORPH_OPEN, _line_kernel(run, 1, vertical))
        found |= cv2.bitwise_and(cv2.dilate(core, across), thin)
    return found


def _line_kernel(along: int, across: int, vertical: bool) -> np.ndarray:
    return np.ones((along, across) if vertical else (across, along), np.uint8)


def evenly_lit(small: np.ndarray) -> np.ndarray:
    """The coarse page divided by its paper's own brightness around each point: a phone's
    shadow, uneven light or a copy's grey cast is paper, not ink the form does not print
    (one threshold for the whole page took half a photographed sheet for a stamp)."""
    size = max(3, mm_to_px(ZONE_PAPER_MM, ZONE_DPI)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    paper = cv2.blur(paper, (size, size))
    ratio = small.astype(np.float32) * 255.0 / np.maximum(paper.astype(np.float32), 1.0)
    return np.clip(ratio, 0, 255).astype(np.uint8)


def blank_print(small_blank: np.ndarray) -> np.ndarray:
    """Everything the blank form prints, at the coarse scale: its thin rulings come out
    light grey there, which the scan's own ink threshold (median-smoothed) loses, and a
    thickened scan of them would count as ink the form does not print."""
    light = ((small_blank < BLANK_PRINT_GREY) * 255).astype(np.uint8)
    return cv2.bitwise_or(ink_mask(small_blank), light)


def across_print(added: np.ndarray, printed: np.ndarray, grow: int) -> np.ndarray:
    """``added`` ink joined across the form's print where it lies on both sides of it: a
    stamp over a ruling is cut there by the print taken away (a cut ring is no ring)."""
    reach = np.ones((2 * grow + 3,) * 2, np.uint8)
    return cv2.bitwise_or(added, cv2.bitwise_and(printed, cv2.dilate(added, reach)))


def _zones(added: np.ndarray, template: FormTemplate) -> tuple[Box, ...]:
    """Pieces of ``added`` ink (at ``ZONE_DPI``) large enough both ways to be a stamp,
    but for a seal or signature where the form asks for one."""
    join = max(1, mm_to_px(ZONE_JOIN_MM, ZONE_DPI))
    added = cv2.morphologyEx(added, cv2.MORPH_CLOSE, np.ones((2 * join + 1,) * 2, np.uint8))
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(added, connectivity=8)
    mm_per_px = MM_PER_INCH / ZONE_DPI
    expected = [
        spec.frame_mm.inset(-2.0)
        for spec in template.fields
        if spec.kind in (FieldKind.SIGNATURE, FieldKind.SEAL)
    ]
    zones = []
    for x, y, w, h, _area in stats[1:count]:
        if min(w, h) * mm_per_px < ZONE_MIN_MM:
            continue
        zone = Box(x * mm_per_px - 1, y * mm_per_px - 1, w * mm_per_px + 2, h * mm_per_px + 2)
        if any(_inside(zone, room, share=0.7) for room in expected):
            continue  # a seal or signature where the form asks for one
        zones.append(zone)
    return tuple(zones)


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _inside(a: Box, room: Box, *, share: float) -> bool:
    """At least ``share`` of ``a``'s area lies inside ``room``."""
    w = max(0.0, min(a.x + a.w, room.x + room.w) - max(a.x, room.x))
    h = max(0.0, min(a.y + a.h, room.y + room.h) - max(a.y, room.y))
    return w * h >= share * a.w * a.h
