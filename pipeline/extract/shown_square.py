"""A checkbox's printed square where the page really shows it, each edge found on its own.

A fold that hides a strip of the sheet, or a fax that drops scan lines, squashes a box:
one edge lies a millimetre or more inside where the blank prints it, and measured at the
blank's place that edge looks like a mark. ``weakest_side`` notices the moved
edge and sends the box to a person. Here the square is looked for as it is: each of its
four edges a straight line near its print that runs the square's width and stops at its
corners. When all four are found that clearly, or three and nothing near the fourth's
print (a dropped or hidden edge, from which nothing moved in), the inside of *that*
square is judged; otherwise nothing is said and the box stays with a person.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.extract.crops import cut, ink_mask, mm_to_px
from pipeline.forms.schema import Box

SEARCH_MM = 2.5  # how far an edge may lie from its print (a hidden strip, a dropped band)
EDGE_SHOWN = 0.85  # of the span between the square's corners an edge's line must cover
EDGE_BAND_MM = 0.25  # an edge's line: this either side of the row (column) it is found at
BEYOND_MM = (0.3, 1.6)  # just past a corner: an edge stops there, a crease carries on
# Of that stretch a line past the corner may cover and still be an edge: a ruling that
# crosses it covers a third or so, a crease or a ruling that carries on nearly all.
BEYOND_MAX = 0.5
LEAST_SIZE = 0.5  # of the printed square's height (width) the square found keeps
INSET_MM = 0.45  # the inside: this clear of each edge's line
# A line is what is darker than the paper right beside it, as a box's edges and a frame's
# rulings are told everywhere (``weakest_side``, ``frame_rulings``).
LINE_MM = 1.0  # wider than any printed edge, narrower than a fold's shadow
LINE_CONTRAST = 25  # grey levels darker than the paper beside it
LOOK_MM = 1.2  # the printed square lies within this of the box's inside


@dataclass(frozen=True)
class ShownSquare:
    """The square as the page shows it: its edges' rows and columns in the looked-at crop
    (pixels), how much of each edge's span its line covers, and the share of its inside
    (clear of the edges) that is inked."""

    top: int
    bottom: int
    left: int
    right: int
    edges_shown: tuple[float, float, float, float]
    inside: float


def shown_square(
    page: np.ndarray, blank: np.ndarray, box: Box, dpi: float, shift_mm: tuple[float, float]
) -> ShownSquare | None:
    """The printed square round ``box`` found edge by edge on the page (shifted by
    ``shift_mm``), or None when two of its edges do not show clearly, a line runs through
    it, or what is found is less than half the printed square either way."""
    look = box.inset(-(LOOK_MM + SEARCH_MM))
    printed = ink_mask(cut(blank, look, dpi)) > 0
    gray = cut(page, look._replace(x=look.x + shift_mm[0], y=look.y + shift_mm[1]), dpi)
    if gray.shape != printed.shape:
        return None
    inner = box.inset(-LOOK_MM)
    margin = mm_to_px(SEARCH_MM, dpi)
    at = _printed_edges(printed, margin, mm_to_px(inner.h, dpi), mm_to_px(inner.w, dpi))
    if at is None:
        return None
    top, bottom, left, right = at
    lines = lines_beside_paper(gray, dpi)
    reach, band = mm_to_px(SEARCH_MM, dpi), max(1, mm_to_px(EDGE_BAND_MM, dpi))
    beyond = (mm_to_px(BEYOND_MM[0], dpi), mm_to_px(BEYOND_MM[1], dpi))
    rows = lines.T  # the horizontal edges are looked for as columns of the transpose
    if _crossed(rows, (top, bottom), (left, right), band, beyond) or _crossed(
        lines, (left, right), (top, bottom), band, beyond
    ):
        return None  # a crease or a streak runs through the square: not for this look
    found_top = _edge(rows, top, (left, right), reach, band, beyond)
    found_bottom = _edge(rows, bottom, (left, right), reach, band, beyond)
    span = (_at(found_top, top), _at(found_bottom, bottom))
    found_left = _edge(lines, left, span, reach, band, beyond)
    found_right = _edge(lines, right, span, reach, band, beyond)
    found = (found_top, found_bottom, found_left, found_right)
    # One edge a fax dropped or a fold hid is left where it is printed: no line moved in
    # from it (none was found near it), so nothing inside can be that edge.
    if sum(edge is None for edge in found) > 1:
        return None
    t, b = span
    lft, rgt = _at(found_left, left), _at(found_right, right)
    if b - t < LEAST_SIZE * (bottom - top) or rgt - lft < LEAST_SIZE * (right - left):
        return None
    clear = mm_to_px(INSET_MM, dpi) + band
    inside = ink_mask(gray)[t + clear : b - clear + 1, lft + clear : rgt - clear + 1]
    if inside.size == 0:
        return None
    top_s, bottom_s, left_s, right_s = (edge[1] if edge is not None else 0.0 for edge in found)
    shown = (top_s, bottom_s, left_s, right_s)
    return ShownSquare(t, b, lft, rgt, shown, float((inside > 0).mean()))


def _at(found: tuple[int, float] | None, printed_at: int) -> int:
    return found[0] if found is not None else printed_at


def _printed_edges(
    printed: np.ndarray, margin: int, inner_h: int, inner_w: int
) -> tuple[int, int, int, int] | None:
    """The rows of the blank's top and bottom edge and the columns of its left and right
    one, each the most inked line in its half of the square's neighbourhood."""
    h, w = printed.shape
    square = printed[margin : h - margin, margin : w - margin]
    if square.size == 0 or not square.any():
        return None
    top, bottom, left, right = _most_inked_lines(square)
    if bottom - top < inner_h // 2 or right - left < inner_w // 2:
        return None
    return top + margin, bottom + margin, left + margin, right + margin


def _most_inked_lines(printed: np.ndarray) -> tuple[int, int, int, int]:
    """The most inked row in each half of ``printed`` (top, bottom) and the most inked
    column in each half (left, right): where a square's four edges print."""
    rows, cols = (printed > 0).sum(axis=1), (printed > 0).sum(axis=0)
    h, w = printed.shape
    top, bottom = int(np.argmax(rows[: h // 2])), h // 2 + int(np.argmax(rows[h // 2 :]))
    left, right = int(np.argmax(cols[: w // 2])), w // 2 + int(np.argmax(cols[w // 2 :]))
    return top, bottom, left, right


def lines_beside_paper(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Lines: what is darker than the paper right beside it (a thin edge a light scan
    leaves grey counts; a fold's broad shadow does not)."""
    width = mm_to_px(LINE_MM, dpi) | 1
    beside = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, np.ones((width, width), np.uint8))
    return beside >= LINE_CONTRAST


def _stretches(
    span: tuple[int, int], band: int, beyond: tuple[int, int], length: int
) -> tuple[slice, slice, slice]:
    """Along an edge: the span between its corners (without them, where the other two
    edges run through), and the stretches just past either corner."""
    first, last = span
    inset = band + 1
    along = slice(max(0, first + inset), min(length, last - inset + 1))
    before = slice(max(0, first - beyond[1]), max(0, first - beyond[0]))
    after = slice(min(length, last + beyond[0]), min(length, last + beyond[1]))
    return along, before, after


def _coverage(
    lines: np.ndarray, at: int, band: int, stretches: tuple[slice, slice, slice]
) -> tuple[float, list[float]]:
    """How much of the span column ``at`` (with ``band`` either side) covers, and how
    much of each stretch past the corners."""
    strip: np.ndarray = np.any(lines[:, max(0, at - band) : at + band + 1], axis=1)
    along, before, after = stretches
    past = [float(strip[s].mean()) for s in (before, after) if s.stop > s.start]
    return float(strip[along].mean()), past


def _crossed(
    lines: np.ndarray,
    between: tuple[int, int],
    span: tuple[int, int],
    band: int,
    beyond: tuple[int, int],
) -> bool:
    """A line that runs through the square between its printed edges and on past both
    corners: a crease or a streak."""
    stretches = _stretches(span, band, beyond, lines.shape[0])
    for at in range(between[0] + 2 * band + 1, between[1] - 2 * band):
        shown, past = _coverage(lines, at, band, stretches)
        if shown >= EDGE_SHOWN and len(past) == 2 and min(past) > BEYOND_MAX:
            return True
    return False


def _edge(
    lines: np.ndarray,
    printed_at: int,
    span: tuple[int, int],
    reach: int,
    band: int,
    beyond: tuple[int, int],
) -> tuple[int, float] | None:
    """The column (of ``lines``) nearest ``printed_at`` whose line covers the span between
    the corners and stops at them, with the share it covers; None when none does.

    Each column is taken with ``band`` either side, so a line is found over a few
    neighbouring columns: the one it is darkest along is its place."""
    h, w = lines.shape
    stretches = _stretches(span, band, beyond, h)
    along = stretches[0]
    if along.stop - along.start < 4:
        return None

    def shown(at: int) -> float:
        if at - band < 0 or at + band >= w:
            return 0.0
        share, past = _coverage(lines, at, band, stretches)
        if any(p > BEYOND_MAX for p in past):
            return 0.0  # it carries on past the corner: a crease or a ruling, not this edge
        return share

    nearest = sorted(
        range(printed_at - reach, printed_at + reach + 1), key=lambda c: abs(c - printed_at)
    )
    found = next((at for at in nearest if shown(at) >= EDGE_SHOWN), None)
    if found is None:
        return None
    run = [found]
    for step in (-1, 1):
        at = found + step
        while abs(at - printed_at) <= reach and shown(at) >= EDGE_SHOWN:
            run.append(at)
            at += step
    darkest = max(run, key=lambda c: int(lines[along, c].sum()))
    return darkest, shown(darkest)


def inside_verdict(square: ShownSquare, *, empty: float, marked: float) -> bool | None:
    """Ticked (True) when the inside of the square as shown is marked, empty (False) when
    it is clean; None when its inside is between the two."""
    if square.inside >= marked:
        return True
    if square.inside <= empty:
        return False
    return None


SIDE_MM = 0.5  # an edge of the printed square: its line and this much either side
SIDE_FOUND_SHARE = 0.25  # of each edge's print the page must show where the box was found
SIDE_SLACK_MM = 0.3  # an edge this near its print is shown (a thin line, a rounded shift)


def weakest_side(
    page: np.ndarray, blank: np.ndarray, box: Box, dpi: float, shift_mm: tuple[float, float]
) -> float:
    """The least share of any one edge of the printed square around ``box`` that the page
    shows where the box was found. A fold that hides a strip of the sheet, or paper that
    buckled, moves one edge apart from the others: the box is squashed, its displaced
    edge lies inside it and looks like a mark, though most of its print is shown."""
    look = box.inset(-LOOK_MM)
    printed = ink_mask(cut(blank, look, dpi))
    gray = cut(page, look._replace(x=look.x + shift_mm[0], y=look.y + shift_mm[1]), dpi)
    if gray.shape != printed.shape:
        return 1.0
    # A line is what is darker than the paper right beside it: a thin printed edge a
    # low-resolution scan leaves light grey counts, a fold's broad shadow does not.
    lines = lines_beside_paper(gray, dpi).astype(np.uint8) * 255
    slack = max(1, mm_to_px(SIDE_SLACK_MM, dpi))
    written = cv2.dilate(lines, np.ones((2 * slack + 1,) * 2, np.uint8))
    half = max(1, mm_to_px(SIDE_MM, dpi))
    top, bottom, left, right = _most_inked_lines(printed)
    # Each edge without the corners, where the two edges beside it run through its strip.
    sides = [
        np.s_[max(0, at - half) : at + half + 1, left + half + 1 : right - half]
        for at in (top, bottom)
    ] + [
        np.s_[top + half + 1 : bottom - half, max(0, at - half) : at + half + 1]
        for at in (left, right)
    ]
    shares = []
    for side in sides:
        edge = printed[side] > 0
        if edge.sum() > 0:
            shares.append(float((written[side][edge] > 0).sum()) / float(edge.sum()))
    return min(shares, default=1.0)
