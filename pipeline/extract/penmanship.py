"""Print or pen: how regular a field's ink is, whatever font or size it was typed in.

A typed line is one font at one size on one straight line: its characters stand
upright, share a top and a bottom line, are alike in height and follow each other
at a steady pitch. A pen puts each character down on its own: turned a degree
or two, up or down a little, bigger or smaller, nearer or further. None of this
asks where a form filler would have printed the value or in which font, so it
holds for fonts and layouts the project never saw. Where the engine's reading
names each glyph, a glyph is measured against the others of its script: every
typeface sets kana smaller than kanji, and that is no pen's doing. The measures are combined by
weights fitted on training fonts (``conken bench extract --calibrate``) into a
score in 0..1 (``handwriting_score``); a field scoring at or above
``ExtractOptions.handwriting_threshold`` goes to a person whatever its readings
say.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.extract.crops import CleanCrop


@dataclass(frozen=True)
class Regularity:
    """What the ink of one line says about how it was made (near 0 for a perfect print;
    lengths are shares of the line's median glyph height)."""

    glyphs: int  # character-sized pieces measured
    bottom_wander: float  # spread of the full glyphs' bottoms about a straight line
    top_wander: float  # the same for their tops
    height_spread: float  # spread of the full glyphs' heights
    pitch_spread: float  # spread of the steps between square glyphs' centres
    tilt_spread: float  # spread of the glyphs' upright angles, degrees
    tilt_mean: float  # |mean| of those angles, degrees (a writer's hand leans)

    NAMES = (
        "bottom_wander",
        "top_wander",
        "height_spread",
        "pitch_spread",
        "tilt_spread",
        "tilt_mean",
    )

    def as_dict(self) -> dict[str, float]:
        return {"glyphs": self.glyphs, **{n: round(getattr(self, n), 4) for n in self.NAMES}}

    def as_features(self) -> np.ndarray:
        """The measures on a log scale (a spread twice as wide weighs alike at any size)."""
        return np.log1p(20.0 * np.array([getattr(self, n) for n in self.NAMES], dtype=float))


# Logistic weights over ``Regularity.as_features`` and the bias, fitted by ``conken
# bench extract --calibrate`` on the training font families (README, "Handwriting").
WEIGHTS = np.array([0.553, 0.783, 0.515, 0.313, 0.566, 0.080])
BIAS = -5.665
MIN_GLYPHS = 3  # fewer pieces than this say too little about regularity
FULL_SHARE = 0.75  # a glyph at least this share of the median height is full-sized


def handwriting_score(found: Regularity | None) -> float:
    """0..1: how much ink measured ``found`` looks written by hand rather than typed
    (0 when there is too little of it to say)."""
    if found is None:
        return 0.0
    z = float(WEIGHTS @ found.as_features() + BIAS)
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def measure(cleaned: CleanCrop, text: str | None = None) -> Regularity | None:
    return regularity(cleaned.image, text)


def regularity(image: np.ndarray, text: str | None = None) -> Regularity | None:
    """Measures of one line of ink (black on white); None with too few glyphs.

    ``text``, what an engine read there: where it has as many characters as the line
    has glyphs, each glyph is measured against those of its own script (below)."""
    ink = without_stray_rulings((image < 128).astype(np.uint8))
    glyphs = glyph_boxes(ink)
    if text:
        glyphs = _without_strays_at_ends(glyphs, sum(not ch.isspace() for ch in text))
    if len(glyphs) < MIN_GLYPHS:
        return None
    scripts = glyph_scripts(text, len(glyphs))
    if scripts is not None:
        by_script = _by_script(ink, glyphs, scripts)
        if by_script is not None:
            return by_script
    height = float(np.median([h for _, _, _, h in glyphs]))
    full = [g for g in glyphs if g[3] >= FULL_SHARE * height]
    if len(full) < MIN_GLYPHS:
        return None
    line_h = float(np.median([h for _, _, _, h in full]))
    xs = np.array([x + w / 2 for x, _, w, _ in full])
    bottoms = np.array([y + h for _, y, _, h in full], dtype=float)
    tops = np.array([y for _, y, _, _ in full], dtype=float)
    heights = np.array([h for _, _, _, h in full], dtype=float)
    angles = [a for a in (_upright_angle(ink, box) for box in full) if a is not None]
    return Regularity(
        glyphs=len(full),
        bottom_wander=_residual_spread(xs, bottoms) / line_h,
        top_wander=_residual_spread(xs, tops) / line_h,
        height_spread=float(np.median(np.abs(heights - np.median(heights)))) / line_h,
        pitch_spread=_pitch_spread(full, line_h),
        tilt_spread=float(np.std(angles)) if len(angles) >= 2 else 0.0,
        tilt_mean=abs(float(np.mean(angles))) if angles else 0.0,
    )


# Every Japanese typeface sets kana smaller than kanji, digits and capitals shorter still,
# each on its own top line: in a line mixing scripts a typed value's tops and heights
# vary by script, not by hand. Kana's curved strokes leave few edges along an axis, so
# how a kana glyph "stands" says little; kanji, digits and capitals are drawn with
# straight strokes. Small kana, the long-vowel mark, lower-case letters and punctuation
# follow no common line and are left out.
STRAIGHT_SCRIPTS = frozenset({"kanji", "digit", "capital"})
SMALL_KANA = frozenset("ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")


def script_of(ch: str) -> str | None:
    """The script a character is set in, as far as its size and line go (None: none)."""
    code = ord(ch)
    if ch in SMALL_KANA:
        return None
    if 0x4E00 <= code <= 0x9FFF or ch in "々〆":
        return "kanji"
    if 0x3041 <= code <= 0x3096 or 0x30A1 <= code <= 0x30FA:
        return "kana"
    if ch.isdigit():
        return "digit"
    if (ch.isascii() and ch.isupper()) or "Ａ" <= ch <= "Ｚ":
        return "capital"
    return None


def glyph_scripts(text: str | None, glyphs: int) -> list[str | None] | None:
    """Each glyph's script, where ``text`` has one character per glyph; else None."""
    if not text:
        return None
    characters = [ch for ch in text if not ch.isspace()]
    if len(characters) != glyphs:
        return None
    return [script_of(ch) for ch in characters]


def _by_script(
    ink: np.ndarray, glyphs: list[tuple[int, int, int, int]], scripts: list[str | None]
) -> Regularity | None:
    """``regularity`` with each glyph's top, bottom and height taken against the other
    glyphs of its script (a script with one glyph says nothing) and the lean taken from
    straight-stroked glyphs only; None when too few glyphs are left."""
    counts: dict[str, int] = {}
    for script in scripts:
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    kept = [
        (box, script)
        for box, script in zip(glyphs, scripts, strict=True)
        if script is not None and counts[script] >= 2
    ]
    if len(kept) < MIN_GLYPHS:
        return None
    boxes = [box for box, _ in kept]
    names = sorted({script for _, script in kept})
    groups = np.array([names.index(script) for _, script in kept])
    line_h = float(np.median([h for _, _, _, h in boxes]))
    xs = np.array([x + w / 2 for x, _, w, _ in boxes], dtype=float)
    bottoms = np.array([y + h for _, y, _, h in boxes], dtype=float)
    tops = np.array([y for _, y, _, _ in boxes], dtype=float)
    heights = np.array([h for _, _, _, h in boxes], dtype=float)
    own_height = np.array([np.median(heights[groups == g]) for g in groups])
    # A line of kana alone gives no lean: its edges are the typeface's curves.
    straight = [box for box, script in kept if script in STRAIGHT_SCRIPTS]
    angles = [a for a in (_upright_angle(ink, box) for box in straight) if a is not None]
    return Regularity(
        glyphs=len(boxes),
        bottom_wander=_grouped_spread(xs, bottoms, groups) / line_h,
        top_wander=_grouped_spread(xs, tops, groups) / line_h,
        height_spread=float(np.median(np.abs(heights - own_height))) / line_h,
        pitch_spread=_pitch_spread(boxes, line_h),
        tilt_spread=float(np.std(angles)) if len(angles) >= 2 else 0.0,
        tilt_mean=abs(float(np.mean(angles))) if angles else 0.0,
    )


def _grouped_spread(xs: np.ndarray, ys: np.ndarray, groups: np.ndarray) -> float:
    """Median absolute deviation of ``ys`` about one straight line, each group on it at
    its own height (least squares: a common slope, an intercept per group)."""
    design = np.column_stack([xs - xs.mean(), np.eye(int(groups.max()) + 1)[groups]])
    fitted, *_ = np.linalg.lstsq(design, ys, rcond=None)
    return float(np.median(np.abs(ys - design @ fitted)))


# The rows holding all but this share of a line's ink, at either end, are its band: a
# speck, a ruling's remnant a fold moved into the box, a neighbour's descender hold
# little of the ink and say nothing of the line's height.
BAND_TAIL = 0.04
BAND_SLACK = 0.15  # of the band's height: a glyph's ink may reach this far beyond it
TALLEST_GLYPH = 1.3  # of the band's height: a piece taller than this is no glyph of the line


def line_band(ink: np.ndarray) -> tuple[int, int] | None:
    """The first and last row of the line's band (``BAND_TAIL``), or None without ink."""
    per_row = np.asarray(ink.sum(axis=1), dtype=float).ravel()
    total = float(per_row.sum())
    if total == 0.0:
        return None
    share = np.cumsum(per_row) / total
    top = int(np.searchsorted(share, BAND_TAIL, side="right"))
    bottom = int(np.searchsorted(share, 1.0 - BAND_TAIL, side="left"))
    return top, max(top, bottom)


THIN_LINE = 0.12  # of the tallest piece: a horizontal piece this thin is a stroke or a ruling


def without_stray_rulings(ink: np.ndarray) -> np.ndarray:
    """``ink`` without thin horizontal pieces beyond the band of the line's other pieces:
    a ruling's remnant a fold or a skew left in the box lies above or below the line; a
    long-vowel mark, a hyphen, the strokes of 二 and 三 lie within it."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 2:
        return ink
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    thin = (heights <= THIN_LINE * heights.max()) & (widths >= 2 * heights)
    if not thin.any() or thin.all():
        return ink
    body = np.isin(labels, np.nonzero(~thin)[0] + 1)
    band = line_band(body.astype(np.uint8))
    if band is None:
        return ink
    top, bottom = band
    centres = stats[1:, cv2.CC_STAT_TOP] + heights / 2
    stray = thin & ((centres < top) | (centres > bottom))
    out = ink.copy()
    out[np.isin(labels, np.nonzero(stray)[0] + 1)] = 0
    return out


def glyph_boxes(ink: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Character-sized pieces (x, y, w, h) of a line (``without_stray_rulings``): runs of
    inked columns within the line's band, merged while the merged piece stays about as
    wide as the band is tall; pieces mostly outside the band, or far taller than it, are
    not the line's."""
    band = line_band(ink)
    if band is None:
        return []
    top, bottom = band
    slack = round(BAND_SLACK * (bottom - top + 1))
    within = np.zeros_like(ink)
    within[max(0, top - slack) : bottom + slack + 1] = ink[max(0, top - slack) : bottom + slack + 1]
    boxes = _column_pieces(within)
    height = bottom - top + 1
    return [
        (x, y, w, h)
        for x, y, w, h in boxes
        if h <= TALLEST_GLYPH * height and min(y + h, bottom + 1) - max(y, top) >= h / 2
    ]


def _column_pieces(ink: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Runs of inked columns, merged while the merged piece stays about as wide as the
    ink is tall."""
    columns = [bool(inked) for inked in np.asarray(ink.any(axis=0)).ravel()]
    runs: list[tuple[int, int]] = []
    start = None
    for x, inked in enumerate(columns):
        if inked and start is None:
            start = x
        elif not inked and start is not None:
            runs.append((start, x))
            start = None
    if start is not None:
        runs.append((start, len(columns)))
    rows = np.nonzero(ink.any(axis=1))[0]
    if not runs or len(rows) == 0:
        return []
    line_h = float(rows[-1] - rows[0] + 1)
    merged: list[list[int]] = []
    for x0, x1 in runs:
        if merged:
            last = merged[-1]
            gap = x0 - last[1]
            if gap < 0.2 * line_h and (x1 - last[0]) <= 1.05 * line_h:
                last[1] = x1
                continue
        merged.append([x0, x1])
    boxes = []
    for x0, x1 in merged:
        ys = np.nonzero(ink[:, x0:x1].any(axis=1))[0]
        if len(ys) == 0:
            continue
        boxes.append((x0, int(ys[0]), x1 - x0, int(ys[-1] - ys[0] + 1)))
    return boxes


STRAY_GAP = 0.4  # of the line's height: an end piece this far off the rest is not read


def _without_strays_at_ends(
    glyphs: list[tuple[int, int, int, int]], characters: int
) -> list[tuple[int, int, int, int]]:
    """``glyphs`` less pieces at either end, set apart from the rest, that the engine did
    not read as characters (a speck, a ruling's remnant): while there are more pieces than
    ``characters``, the end piece furthest off the rest goes."""
    boxes = list(glyphs)
    while len(boxes) > max(characters, MIN_GLYPHS):
        height = float(np.median([h for _, _, _, h in boxes]))
        first = boxes[1][0] - (boxes[0][0] + boxes[0][2])
        last = boxes[-1][0] - (boxes[-2][0] + boxes[-2][2])
        if max(first, last) < STRAY_GAP * height:
            break
        boxes = boxes[1:] if first >= last else boxes[:-1]
    return boxes


def _residual_spread(xs: np.ndarray, ys: np.ndarray) -> float:
    """Median absolute deviation of ``ys`` about the least-squares line through them."""
    if len(xs) < 3 or float(np.ptp(xs)) == 0.0:
        return float(np.median(np.abs(ys - np.median(ys))))
    slope, intercept = np.polyfit(xs, ys, 1)
    return float(np.median(np.abs(ys - (slope * xs + intercept))))


def _pitch_spread(full: list[tuple[int, int, int, int]], line_h: float) -> float:
    """Spread of the steps between neighbouring square glyphs (kanji, kana, full-width
    digits), a word space aside: a typed line steps evenly, a pen does not."""
    square = [g for g in full if g[2] >= FULL_SHARE * g[3]]
    steps = [
        (b[0] + b[2] / 2) - (a[0] + a[2] / 2)
        for a, b in itertools.pairwise(square)
        if (b[0] - (a[0] + a[2])) < 0.5 * line_h
    ]
    if len(steps) < 2:
        return 0.0
    values = np.array(steps, dtype=float)
    return float(np.median(np.abs(values - np.median(values)))) / line_h


AXIS_WINDOW_DEG = 15.0  # stroke edges this close to horizontal or vertical say how a glyph stands
MIN_EDGE_PIXELS = 30
BLUR_PX = 2.0  # binarised edges are stair steps; blurred, they take the stroke's true angle


def _upright_angle(ink: np.ndarray, box: tuple[int, int, int, int]) -> float | None:
    """How far a glyph is turned (degrees): the weighted median deviation of its stroke
    edges from the nearest axis (a printed glyph's strokes are square to the line, a
    pen's are turned with the hand); None for a glyph with too few straight edges."""
    x, y, w, h = box
    theta, strength = edge_directions(
        ink[max(0, y - 2) : y + h + 2, max(0, x - 2) : x + w + 2], BLUR_PX
    )
    deviation = (theta + 45.0) % 90.0 - 45.0
    near_axis = np.abs(deviation) < AXIS_WINDOW_DEG
    if int(near_axis.sum()) < MIN_EDGE_PIXELS:
        return None
    return _weighted_median(deviation[near_axis], strength[near_axis])


def edge_directions(ink: np.ndarray, blur_px: float) -> tuple[np.ndarray, np.ndarray]:
    """The directions (degrees) of the strong edges of ``ink``, blurred by ``blur_px`` so
    that stair-stepped binary edges take the stroke's angle, and their strengths."""
    blurred = cv2.GaussianBlur(ink.astype(np.float32), (0, 0), blur_px)
    gx = cv2.Sobel(blurred, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(blurred, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    strong = magnitude > 0.3 * float(magnitude.max() or 1.0)
    return np.degrees(np.arctan2(gy[strong], gx[strong])), magnitude[strong]


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
