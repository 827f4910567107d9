"""Cutting a field out of an aligned page and cleaning it for OCR.

Every position comes from the template (mm); this module only converts to
pixels at the aligned page's DPI.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.forms.schema import Box

MM_PER_INCH = 25.4


def mm_to_px(value_mm: float, dpi: float) -> int:
    return round(value_mm / MM_PER_INCH * dpi)


def box_to_px(box: Box, dpi: float, margin_mm: float = 0.0) -> tuple[int, int, int, int]:
    x = mm_to_px(box.x - margin_mm, dpi)
    y = mm_to_px(box.y - margin_mm, dpi)
    w = mm_to_px(box.w + 2 * margin_mm, dpi)
    h = mm_to_px(box.h + 2 * margin_mm, dpi)
    return x, y, w, h


def cut(page: np.ndarray, box: Box, dpi: float, margin_mm: float = 0.0) -> np.ndarray:
    x, y, w, h = box_to_px(box, dpi, margin_mm)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(page.shape[1], x + w), min(page.shape[0], y + h)
    if x1 <= x0 or y1 <= y0:
        return np.full((max(1, h), max(1, w)), 255, dtype=np.uint8)
    return page[y0:y1, x0:x1].copy()


OCR_DPI = 200.0  # Tesseract's jpn model reads these 10.5 pt lines best near 200 dpi (calibrated)
PAD_PX = 12


@dataclass(frozen=True)
class CleanCrop:
    image: np.ndarray  # binary uint8, black ink on white, padded (the binarised rendition)
    ink_ratio: float  # share of ink pixels in the unpadded crop after cleaning
    lines_removed: int
    ocr_image: np.ndarray | None = None  # greyscale, rulings whitened, at OCR_DPI, padded
    px_per_mm: float = 0.0  # scale of ``image``
    pad: int = PAD_PX


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0, robust to dither and speckle (Otsu, with a floor for blank crops)."""
    smoothed = cv2.medianBlur(gray, 3)
    otsu, _ = cv2.threshold(smoothed, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # On a blank crop Otsu splits paper noise (never call light grey ink); on a
    # bitonal crop it returns 0, where any mid value separates ink from paper.
    threshold = 128.0 if otsu < 50 else min(otsu, 160.0)
    # cv2 puts a pixel at the threshold itself on the dark side: so do we.
    return (smoothed <= threshold).astype(np.uint8) * 255


def remove_rulings(ink: np.ndarray, dpi: float, *, bent: bool = True) -> tuple[np.ndarray, int]:
    """Remove printed ruling lines (long horizontal/vertical runs), keep handwriting and type.

    ``bent``: also pieces long and thin enough to be a ruling a fold or curl bent (not for
    a signature's box, where a long thin stroke is the signature)."""
    h, w = ink.shape
    removed = 0
    result = ink.copy()
    min_h_len = max(mm_to_px(8, dpi), int(w * 0.5))
    # Outside the crop is paper: by default OpenCV erodes as if ink went on past the edge,
    # and a glyph touching the crop's top or bottom (a tall 長, 木 or 1, typed near the
    # box's edge) kept its vertical stroke through the opening and lost it as a "ruling".
    horiz = cv2.morphologyEx(
        ink,
        cv2.MORPH_OPEN,
        cv2.getStructuringElement(cv2.MORPH_RECT, (min_h_len, 1)),
        borderType=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    # Dashed cell separators: close the gaps vertically before looking for long runs.
    closed = cv2.morphologyEx(
        ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, mm_to_px(1.2, dpi)))
    )
    min_v_len = max(3, int(h * 0.8))
    vert = cv2.morphologyEx(
        closed,
        cv2.MORPH_OPEN,
        cv2.getStructuringElement(cv2.MORPH_RECT, (1, min_v_len)),
        borderType=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    vert = cv2.bitwise_and(vert, ink)
    for lines in (horiz, vert):
        if cv2.countNonZero(lines):
            removed += 1
            grown = cv2.dilate(lines, np.ones((3, 3), np.uint8))
            result = cv2.bitwise_and(result, cv2.bitwise_not(grown))
    bent_lines = _thin_long_pieces(result, dpi) if bent else None
    if bent_lines is not None and bent_lines.any():
        removed += 1
        result[bent_lines] = 0
    return result, removed


# A ruling bent by a fold or curl is no straight run, but still a piece of ink this
# long and, for its length, this thin; no glyph is (a long vowel ー at 14 pt is 5 mm).
RULING_MIN_MM = 6.0
RULING_MAX_THICKNESS_MM = 0.55
# ...and narrow across: a fold bends a ruling by a millimetre or so over its length.
# A long piece wider than this is a ruling or streak with glyphs hanging on it (a fax
# streak through コ): only its straight runs go, and the glyphs stay.
RULING_MAX_ACROSS_MM = 1.5
RULING_ACROSS_SHARE = 0.12
STRAIGHT_RUN_MM = 4.0  # a straight run this long, in a piece glyphs hang on, is the ruling


EDGE_MM = 0.3  # a ruling's stub lies this close to the crop's edge; typed text keeps clear
STUB_HEIGHT_SHARE = 0.6  # a vertical ruling's stub spans most of the crop's height
# A stub the crop cut off a ruling is a sliver along the edge; a voiced mark typed at
# the box's very top touches the edge too, but is no longer than it is tall.
STUB_MIN_ELONGATION = 3.0


def _thin_long_pieces(ink: np.ndarray, dpi: float) -> np.ndarray:
    """The pixels of pieces of ink that are a ruling: long, thin and narrow anywhere (bent
    by a fold or curl), or thin stubs the crop cut off a ruling — along the top or bottom
    edge, or down a side edge over most of the crop's height (a typed 1 is shorter). Of a
    long thin piece that is not narrow, only its straight runs."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return np.zeros(ink.shape, dtype=bool)
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    length = np.maximum(w, h).astype(float)
    across = np.minimum(w, h).astype(float)
    thickness = stats[:, cv2.CC_STAT_AREA] / np.maximum(length, 1.0)
    px_per_mm = dpi / MM_PER_INCH
    edge = EDGE_MM * px_per_mm
    rows, cols = ink.shape
    thin = thickness <= RULING_MAX_THICKNESS_MM * px_per_mm
    narrow = across <= np.minimum(RULING_MAX_ACROSS_MM * px_per_mm, RULING_ACROSS_SHARE * length)
    long = length >= RULING_MIN_MM * px_per_mm
    sliver = w >= STUB_MIN_ELONGATION * h
    along_top_or_bottom = sliver & ((y <= edge) | (y + h >= rows - edge))
    down_a_side = (h > w) & ((x <= edge) | (x + w >= cols - edge)) & (h >= STUB_HEIGHT_SHARE * rows)
    line = thin & ((long & narrow) | along_top_or_bottom | down_a_side)
    line[0] = False
    found = line[labels]
    laden = thin & long & ~line
    laden[0] = False
    if laden.any():
        found |= _straight_part(np.where(laden[labels], 255, 0).astype(np.uint8), dpi)
    return found


def _straight_part(pieces: np.ndarray, dpi: float) -> np.ndarray:
    """The straight horizontal and vertical runs of ``pieces``, a pixel's slant allowed."""
    return _straight_runs(pieces, max(3, mm_to_px(STRAIGHT_RUN_MM, dpi)))


def _straight_runs(pieces: np.ndarray, run: int) -> np.ndarray:
    """Where ``pieces`` runs straight across or down for ``run`` pixels or more (bool)."""
    found = np.zeros(pieces.shape, dtype=bool)
    for kernel, slack in (((run, 1), (3, 1)), ((1, run), (1, 3))):
        # Grown a pixel across first, a line that steps by one pixel is still one run.
        grown = cv2.dilate(pieces, np.ones(slack, np.uint8))
        opened = cv2.morphologyEx(
            grown,
            cv2.MORPH_OPEN,
            cv2.getStructuringElement(cv2.MORPH_RECT, kernel),
            borderType=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        found |= (opened > 0) & (pieces > 0)
    return found


# In per-character cells every glyph is a digit of the field's size: a piece of
# ink under this share of the largest is left of a dashed cell separator.
CELL_SPECK_SHARE = 0.12


# Paper whose brightness varies across a crop by more than this (grey levels) is lit
# unevenly: a phone photograph's shadow, a binding's curve. One threshold for the crop
# takes the dark side's paper for ink, and the clean-up drops it with the glyphs on it
# as one blob (an organisation read as its last two characters by both engines).
UNEVEN_PAPER = 40.0
PAPER_MM = 2.5  # wider than any stroke: a closing this wide leaves the paper alone


def evenly_lit(gray: np.ndarray, dpi: float, *, shadow_below: float | None = None) -> np.ndarray:
    """The crop divided by its paper's brightness around each point, where that varies
    (or, given ``shadow_below``, where the paper is darker than that all over: a
    shadow); else the crop as it is."""
    size = max(3, mm_to_px(PAPER_MM, dpi)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.blur(cv2.morphologyEx(gray, cv2.MORPH_CLOSE, kernel), (size, size))
    low, middle, high = np.percentile(paper, [2, 50, 98])
    shadowed = shadow_below is not None and middle < shadow_below
    if high - low <= UNEVEN_PAPER and not shadowed:
        return gray
    ratio = gray.astype(np.float32) * 255.0 / np.maximum(paper.astype(np.float32), 1.0)
    return np.clip(ratio, 0, 255).astype(np.uint8)


def clean_text_crop(
    gray: np.ndarray,
    dpi: float,
    *,
    pad: int = PAD_PX,
    glyph_cells: bool = False,
    form: np.ndarray | None = None,
    for_ocr: bool = True,
) -> CleanCrop:
    """Binarise, take away what the form prints (``form``: where the blank prints, as a
    mask the size of ``gray``) and what is left of rulings and specks, pad; plus the
    grey rendition the engines read (``for_ocr``; a crop only measured needs none).

    ``glyph_cells``: the field prints one character per cell; ink much smaller than
    the largest glyph is dropped too (what dashed separators leave on bitonal scans).
    """
    gray = evenly_lit(gray, dpi)
    found = ink_mask(gray)
    kept = found
    if form is not None and form.shape == found.shape:
        kept = cv2.bitwise_and(found, cv2.bitwise_not(form))
    ink, removed = remove_rulings(kept, dpi)
    ink = _drop_specks(ink, min_area=max(4, mm_to_px(0.25, dpi) ** 2))
    ink = _drop_lone_specks(ink, dpi, gray)
    # Faint strokes never grow back into what was taken away as form or ruling.
    taken = cv2.subtract(found, ink)
    if form is not None and form.shape == found.shape:
        taken = cv2.bitwise_or(taken, form)
    ink = with_faint_strokes(gray, ink, rulings=taken, dpi=dpi)
    ink[_thin_long_pieces(ink, dpi)] = 0  # what the faint strokes brought back of a ruling
    if glyph_cells:
        ink = _drop_small_pieces(ink, share=CELL_SPECK_SHARE)
    ratio = float(cv2.countNonZero(ink)) / float(ink.size or 1)
    image = cv2.bitwise_not(ink)
    scale = 1.0
    if dpi < 290:
        # The re-drawing check compares shapes at 300 dpi or more; enlarge low-resolution crops.
        scale = 300.0 / dpi
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        image = cv2.threshold(image, 127, 255, cv2.THRESH_BINARY)[1]
    image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    return CleanCrop(
        image,
        ratio,
        removed,
        ocr_image=grey_for_ocr(gray, ink, dpi, pad=pad) if for_ocr else None,
        px_per_mm=dpi * scale / MM_PER_INCH,
        pad=pad,
    )


# A faint pixel is ink when it is darker than this share of the way from paper
# to ink and touches a stroke Otsu kept.
FAINT_SHARE = 0.3


def faint_ink(gray: np.ndarray, ink: np.ndarray) -> np.ndarray | None:
    """Every pixel darker than ``FAINT_SHARE`` of the way from the crop's paper to its
    ink (255 on 0); None where paper and ink are too close to tell faint ink from paper."""
    if not ink.any():
        return None
    dark = float(np.percentile(gray[ink > 0], 5))
    paper = float(np.median(gray[ink == 0])) if (ink == 0).any() else 255.0
    if paper - dark < 40.0:
        return None
    return (gray < paper - FAINT_SHARE * (paper - dark)).astype(np.uint8) * 255


def with_faint_strokes(
    gray: np.ndarray, ink: np.ndarray, *, rulings: np.ndarray, dpi: float = 300.0
) -> np.ndarray:
    """Ink plus the faint strokes connected to it (hysteresis).

    Mincho's horizontal strokes are a third as thick as its verticals; on a
    blurred 200-dpi grey scan they come out light grey, below Otsu's cut, and
    上田 became ト用 for Tesseract and for the re-drawing check alike. A faint
    component is kept only where it touches kept ink, so paper noise and the
    removed rulings stay out.
    """
    faint = faint_ink(gray, ink)
    if faint is None:
        return ink
    faint = cv2.bitwise_and(faint, cv2.bitwise_not(cv2.dilate(rulings, np.ones((3, 3), np.uint8))))
    faint = cv2.bitwise_or(faint, ink)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(faint, connectivity=8)
    if count <= 1:
        return ink
    touches = np.zeros(count, dtype=bool)
    touches[np.unique(labels[ink > 0])] = True
    touches[0] = False
    kept = np.where(touches[labels], 255, 0).astype(np.uint8)
    return cv2.bitwise_or(kept, _faint_marks(faint, labels, stats, touches, kept, dpi))


# A voiced mark is drawn a hair apart from its glyph, and its thin ring or ticks come out
# light grey where the glyph stays dark: a faint piece of a mark's size this near kept ink
# is kept too (パ lost its ring and read ハ on both engines). A speck of a pixel or two is
# not a mark, nor is a sliver: the thin faint stroke of a glyph (長's bars) that does not
# reach its body is left to the engines as it was.
MARK_NEAR_MM = 0.5
MARK_MAX_MM = 1.2
MARK_MIN_MM = 0.25


def _faint_marks(
    faint: np.ndarray,
    labels: np.ndarray,
    stats: np.ndarray,
    touches: np.ndarray,
    kept: np.ndarray,
    dpi: float,
) -> np.ndarray:
    near = max(1, mm_to_px(MARK_NEAR_MM, dpi))
    reach = cv2.dilate(kept, np.ones((2 * near + 1,) * 2, np.uint8)) > 0
    candidates = np.unique(labels[reach & (faint > 0)])
    candidates = candidates[(candidates != 0) & ~touches[candidates]]
    most, least = mm_to_px(MARK_MAX_MM, dpi), max(2, mm_to_px(MARK_MIN_MM, dpi))
    w, h = stats[candidates, cv2.CC_STAT_WIDTH], stats[candidates, cv2.CC_STAT_HEIGHT]
    marks = candidates[(np.minimum(w, h) >= least) & (np.maximum(w, h) <= most)]
    return np.where(np.isin(labels, marks), 255, 0).astype(np.uint8)


def grey_for_ocr(gray: np.ndarray, ink: np.ndarray, dpi: float, *, pad: int = PAD_PX) -> np.ndarray:
    """The crop's own grey levels around the kept ink, paper and rulings white, at OCR_DPI.

    Tesseract's LSTM reads the grey image; a binarised, resampled crop loses the
    thin strokes of Mincho and of 200-dpi scans (calibrated on the synthetic corpus).
    """
    keep = cv2.dilate(ink, np.ones((5, 5), np.uint8)) > 0
    out: np.ndarray = np.where(keep, gray, 255).astype(np.float32)
    if keep.any():
        dark = float(np.percentile(gray[ink > 0], 5)) if ink.any() else 0.0
        paper = float(np.median(gray[~keep])) if (~keep).any() else 255.0
        paper = max(paper, dark + 40.0)
        out = (out - dark) * 255.0 / (paper - dark)
    out = np.clip(out, 0, 255).astype(np.uint8)
    factor = OCR_DPI / dpi
    if abs(factor - 1.0) > 0.02:
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        out = cv2.resize(out, None, fx=factor, fy=factor, interpolation=interpolation)
    return cv2.copyMakeBorder(out, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


def _drop_small_pieces(ink: np.ndarray, *, share: float) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 2:
        return ink
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, dtype=bool)
    keep[1:] = areas >= share * areas.max()
    # A small piece inside a kept glyph is part of it: the slash of a slashed zero.
    x, y, w, h = (stats[:, k] for k in range(4))
    cx, cy = x + w / 2, y + h / 2
    big = np.nonzero(keep)[0]
    for i in np.nonzero(~keep[1:])[0] + 1:  # label 0 is the paper
        inside = (x[big] <= cx[i]) & (cx[i] <= x[big] + w[big])
        inside &= (y[big] <= cy[i]) & (cy[i] <= y[big] + h[big])
        keep[i] = bool(inside.any())
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def _drop_specks(ink: np.ndarray, min_area: int) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return ink
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return np.where(keep[labels], 255, 0).astype(np.uint8)


# A speck of toner or dust this small, this far from any other ink, is no part of a
# character: next to a glyph it was read as a voiced mark (アクシス as アクジス).
# A full stop or a voiced mark sits within a character's pitch of its neighbours.
SPECK_MAX_MM = 0.6
LONE_GAP_MM = 2.0
# ...unless it is the dark end of a faint stroke this long: Mincho's 一 is a hairline
# with a serif, and on a blurred scan only the serif is dark enough for Otsu (松本雄一
# read 松本雄 by both engines).
STROKE_MIN_MM = 1.5


def _drop_lone_specks(ink: np.ndarray, dpi: float, gray: np.ndarray | None = None) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 2:
        return ink
    small = max(1, mm_to_px(SPECK_MAX_MM, dpi))
    gap = max(1, mm_to_px(LONE_GAP_MM, dpi))
    rows, cols = ink.shape
    lone = []
    for i in np.nonzero((stats[1:, 2] <= small) & (stats[1:, 3] <= small))[0] + 1:
        x, y, w, h = (int(v) for v in stats[i, :4])
        window = labels[
            max(0, y - gap) : min(rows, y + h + gap), max(0, x - gap) : min(cols, x + w + gap)
        ]
        if not ((window != 0) & (window != i)).any():
            lone.append(i)
    if lone and gray is not None:
        strokes = _faint_stroke_ink(gray, ink, dpi)
        lone = [i for i in lone if not (strokes[labels == i]).any()]
    if not lone:
        return ink
    return np.where(np.isin(labels, lone), 0, ink).astype(np.uint8)


def _faint_stroke_ink(gray: np.ndarray, ink: np.ndarray, dpi: float) -> np.ndarray:
    """Where the crop's faint ink forms pieces at least ``STROKE_MIN_MM`` long (bool)."""
    faint = faint_ink(gray, ink)
    if faint is None:
        return np.zeros(ink.shape, dtype=bool)
    _count, labels, stats, _ = cv2.connectedComponentsWithStats(faint, connectivity=8)
    length = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    long = length >= mm_to_px(STROKE_MIN_MM, dpi)
    long[0] = False
    return np.asarray(long[labels], dtype=bool)


# Left alone at a text box's edge, thin straight strokes along the page's axes are no
# value: rulings (or their corners) a fold, curl or photograph moved off their print, a
# crease's shadow. A typed value may touch the box's edge, but not every glyph of it does.
STRAY_RUN_MM = 2.0  # a straight run at least this long (a ruling's corner arm)
STRAY_LINE_MAX_THICKNESS_MM = 0.5
STRAY_SPECK_MM = 0.6
STRAY_EDGE_MM = 1.0
STRAY_STRAIGHT_SHARE = 0.85


def only_stray_lines(cleaned: CleanCrop) -> bool:
    """Whether all the ink a crop kept (specks aside) is thin straight strokes along the
    page's axes, each reaching within ``STRAY_EDGE_MM`` of the crop's edge; and there is
    some."""
    ink = np.where(cleaned.image < 128, 255, 0).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    px = cleaned.px_per_mm or 300.0 / MM_PER_INCH
    straight = _straight_runs(ink, max(3, round(STRAY_RUN_MM * px)))
    rows, cols = ink.shape
    inner = cleaned.pad + STRAY_EDGE_MM * px
    lines = 0
    for k in range(1, count):
        x, y, w, h, area = (int(stats[k, i]) for i in range(5))
        if max(w, h) <= STRAY_SPECK_MM * px:
            continue
        at_edge = min(x, y, cols - (x + w), rows - (y + h)) <= inner
        thin = area / (w + h) <= STRAY_LINE_MAX_THICKNESS_MM * px
        dash = min(w, h) <= STRAY_LINE_MAX_THICKNESS_MM * px  # a bit of a broken line
        share = float(straight[labels == k].mean())
        if not (at_edge and thin and (dash or share >= STRAY_STRAIGHT_SHARE)):
            return False
        lines += 1
    return lines > 0


# A glyph is at least this tall at the smallest size values are typed in (8 pt digits
# stand about 2 mm); a crease's shadow, a ruling's edge or specks are not, once pieces
# this near each other are taken together (a dithered glyph's dots). A value the crop
# cut through still leaves a row of pieces half this tall.
GLYPH_MIN_HEIGHT_MM = 1.0
GLYPH_PART_MM = 0.5
GLYPH_JOIN_MM = 0.3


@dataclass(frozen=True)
class GlyphInk:
    """How much of a crop's ink could be glyphs (``glyph_ink``)."""

    width_mm: float  # the columns where a piece stands a glyph's height, summed
    pieces: int  # pieces at least ``GLYPH_PART_MM`` tall: glyphs, or parts of them


def glyph_ink(cleaned: CleanCrop) -> GlyphInk:
    """The crop's ink as glyphs: pieces (those this near each other taken together) that
    stand a glyph's height, and how wide they stand so, piece by piece; and how many
    pieces are at least half that tall. A written date or organisation spans several
    glyphs; a crease or a ruling's edge crossing the box is flat however long, and a
    stub of a ruling that a fold moved into it is one stroke wide."""
    ink = np.where(cleaned.image < 128, 255, 0).astype(np.uint8)
    px = cleaned.px_per_mm or 300.0 / MM_PER_INCH
    join = max(1, round(GLYPH_JOIN_MM * px))
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((join, join), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    tall = GLYPH_MIN_HEIGHT_MM * px
    columns = 0
    for k in range(1, count):
        x, y, w, h = (int(v) for v in stats[k][:4])
        if h < tall:
            continue
        piece = labels[y : y + h, x : x + w] == k
        rows = np.arange(h)[:, None]
        top = np.where(piece, rows, h).min(axis=0)
        bottom = np.where(piece, rows, -1).max(axis=0)
        columns += int(np.count_nonzero(bottom - top + 1 >= tall))
    parts = int(np.count_nonzero(stats[1:, cv2.CC_STAT_HEIGHT] >= GLYPH_PART_MM * px))
    return GlyphInk(columns / px, parts)


def ink_ratio(gray: np.ndarray, dpi: float, *, remove_lines: bool = True) -> float:
    """Share of the crop covered by ink (after removing rulings and specks)."""
    ink = ink_mask(gray)
    if remove_lines:
        ink, _ = remove_rulings(ink, dpi, bent=False)
    ink = _drop_specks(ink, min_area=max(3, mm_to_px(0.2, dpi) ** 2))
    return float(cv2.countNonZero(ink)) / float(ink.size or 1)
