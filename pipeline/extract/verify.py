"""Verifying a reading by re-drawing it (analysis by synthesis).

Forms filled on a PC use one of a few standard fonts. If the text Tesseract
read is right, drawing it in that font gives the same shapes as the crop;
a misread character or handwriting does not. The score is the worst
per-character chamfer distance between the crop and the re-drawn text,
after normalising height and collapsing spaces (OCR drops them), as a
fraction of the line height: near 0 for a faithful reading.

The extraction also uses it to choose between a first reading and an
enlarged second look at the same crop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

NORM_HEIGHT = 64  # px: both images are compared at this ink height
RENDER_SIZE = 72  # px: font size used to draw candidates
MAX_GAP_EM = 0.35  # wider gaps are spaces, which OCR drops: collapse them
# Digits printed one to a cell sit a cell apart, a string's digits a few pixels apart:
# with ``cells`` every gap wider than this is collapsed, on both images.
CELL_GAP_EM = 0.08
# Text typed with spaces between words (organisations, training names), which Tesseract
# drops and the re-drawing lacks. With ``words``, when the ink has more gaps as wide as a
# space than the reading drawn, every gap wider than WORD_GAP_EM is collapsed on both
# images (a space then costs a few pixels, not a third of an em). Text typed without
# spaces is compared as before: collapsing its gaps also blurs one-stroke differences,
# which is why the extraction asks for ``words`` on table cells only, not on names.
SPACE_EM = 0.25
WORD_GAP_EM = 0.15
PERCENTILE = 97  # gaps wider than this are collapsed (spaces are not read)


@dataclass(frozen=True)
class Verification:
    score: float  # worst window distance / height; lower is better
    mean: float  # mean symmetric distance / height
    width_ratio: float  # drawn width / crop width after normalisation
    font: str


@lru_cache(maxsize=16)
def _font(path: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, RENDER_SIZE)


def _bbox(ink: np.ndarray) -> np.ndarray | None:
    ys, xs = np.nonzero(ink)
    if len(xs) == 0:
        return None
    return ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _collapse_gaps(ink: np.ndarray, max_gap: int) -> np.ndarray:
    columns = ink.any(axis=0)
    keep = np.ones(len(columns), dtype=bool)
    run = 0
    for x, has_ink in enumerate(columns):
        if has_ink:
            run = 0
            continue
        run += 1
        if run > max_gap:
            keep[x] = False
    return ink[:, keep]


def _target(
    crop_ink: np.ndarray, text: str, font_paths: tuple[str, ...], *, cells: bool, words: bool
) -> tuple[np.ndarray | None, float]:
    """The crop normalised for comparing with ``text``, and the gap width (em) both
    images are collapsed to: in words, only when the ink has more space-wide gaps than
    ``text`` drawn (its typed spaces were dropped)."""
    if cells:
        return _normalise(crop_ink, CELL_GAP_EM), CELL_GAP_EM
    target = _normalise(crop_ink)
    if words and font_paths and target is not None:
        drawn = _drawn("".join(text.split()), font_paths[0])
        if drawn is not None and _wide_gaps(target) > _wide_gaps(drawn):
            return _normalise(crop_ink, WORD_GAP_EM), WORD_GAP_EM
    return target, MAX_GAP_EM


def _wide_gaps(ink: np.ndarray) -> int:
    """Runs of inkless columns at least a space wide."""
    empty = np.concatenate([[0], (~ink.any(axis=0)).astype(np.int8), [0]])
    change = np.diff(empty)
    widths = np.flatnonzero(change == -1) - np.flatnonzero(change == 1)
    return int(np.count_nonzero(widths >= SPACE_EM * NORM_HEIGHT))


def _normalise(ink: np.ndarray, max_gap_em: float = MAX_GAP_EM) -> np.ndarray | None:
    box = _bbox(ink)
    if box is None or box.shape[0] < 3:
        return None
    scale = NORM_HEIGHT / box.shape[0]
    resized = cv2.resize(
        box, (max(1, round(box.shape[1] * scale)), NORM_HEIGHT), interpolation=cv2.INTER_AREA
    )
    binary = (resized > 96).astype(np.uint8) * 255
    return _collapse_gaps(binary, int(max_gap_em * NORM_HEIGHT))


@lru_cache(maxsize=4096)
def _drawn(text: str, font_path: str, max_gap_em: float = MAX_GAP_EM) -> np.ndarray | None:
    font = _font(font_path)
    left, top, right, bottom = font.getbbox(text)
    width, height = max(1, right - left + 8), max(1, bottom - top + 8)
    canvas = Image.new("L", (width, height), 0)
    ImageDraw.Draw(canvas).text((4 - left, 4 - top), text, font=font, fill=255)
    return _normalise(np.asarray(canvas), max_gap_em)


def _distance_map(ink: np.ndarray) -> np.ndarray:
    return cv2.distanceTransform(cv2.bitwise_not(ink), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def compare(
    crop_ink: np.ndarray,
    text: str,
    font_paths: tuple[str, ...],
    *,
    cells: bool = False,
    words: bool = False,
) -> Verification | None:
    """How well ``text`` drawn in the best of ``font_paths`` matches ``crop_ink`` (255 = ink);
    ``cells``: the form prints one character to a cell; ``words``: text typed in words,
    whose spaces OCR drops (``WORD_GAP_EM``)."""
    target, gap = _target(crop_ink, text, font_paths, cells=cells, words=words)
    compact = "".join(text.split())
    if target is None or not compact:
        return None
    best: Verification | None = None
    dt_target = _distance_map(target)
    for path in font_paths:
        drawn = _drawn(compact, path, gap)
        if drawn is None:
            continue
        ratio = drawn.shape[1] / target.shape[1]
        # A wrong character count shows up as a width mismatch before fitting.
        width_penalty = abs(np.log(ratio)) * 0.5
        if best is not None and width_penalty >= best.score:
            continue  # this font can't do better than the one already tried
        fitted = cv2.resize(drawn, (target.shape[1], NORM_HEIGHT), interpolation=cv2.INTER_NEAREST)
        dt_drawn = _distance_map(fitted)
        score, mean = _window_distance(
            target, fitted, dt_target, dt_drawn, give_up_above=best.score if best else None
        )
        score = max(score, width_penalty)
        result = Verification(score, mean, ratio, path)
        if best is None or result.score < best.score:
            best = result
    return best


def _percentile(values: np.ndarray) -> float:
    """``np.percentile(values, PERCENTILE)`` (linear), by partition: this runs ~40,000 times a page."""
    n = values.size
    rank = (n - 1) * PERCENTILE / 100.0
    low = int(rank)
    high = min(low + 1, n - 1)
    part = np.partition(values, (low, high))
    return float(part[low] + (part[high] - part[low]) * (rank - low))


@lru_cache(maxsize=1024)
def _windows(width: int) -> tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...]:
    """Character-wide windows along a line of ``width``, each with the spans of the other
    image it may be compared with: proportional spacing and scanning drift misplace
    characters slightly along a line, while a wrong character stays wrong wherever it
    is put."""
    step = max(4, NORM_HEIGHT // 2)
    slack = max(1, NORM_HEIGHT // 12)
    found = []
    for x in range(0, max(1, width - NORM_HEIGHT // 2), step):
        x1 = min(width, x + NORM_HEIGHT)
        slides = tuple(
            (x + shift, x1 + shift)
            for shift in range(-slack, slack + 1)
            if x + shift >= 0 and x1 + shift <= width
        )
        found.append((x, x1, slides))
    return tuple(found)


def _window_distance(
    a: np.ndarray,
    b: np.ndarray,
    dt_a: np.ndarray,
    dt_b: np.ndarray,
    *,
    give_up_above: float | None = None,
) -> tuple[float, float]:
    """Worst and mean symmetric chamfer distance over character-wide windows, / height.

    Each window may slide a few pixels against the other image (``_windows``).
    Only the worst window counts, so a window stops sliding as soon as one
    slide fits within the worst found so far; slides are tried nearest the last
    window's best first (drift along a line is gradual). Once the worst is past
    ``give_up_above`` (another font's score) the rest can't matter: the partial
    worst is returned, with no mean.
    """
    ink_a_all = a > 0
    ink_b_all = b > 0
    cols_a = ink_a_all.any(axis=0)
    cols_b = ink_b_all.any(axis=0)
    worst_px = 0.0
    shift = 0
    for x, x1, slides in _windows(a.shape[1]):
        if not cols_a[x:x1].any():
            if not cols_b[x:x1].any():
                continue
            worst_px = max(worst_px, 1.0 * NORM_HEIGHT)  # ink on one side only
        else:
            best, best_shift = float("inf"), shift
            ink_a = ink_a_all[:, x:x1]
            dt_a_here = dt_a[:, x:x1]
            for bx0, bx1 in sorted(slides, key=lambda s: abs(s[0] - x - shift)):
                if not cols_b[bx0:bx1].any():
                    d = 1.0 * NORM_HEIGHT
                else:
                    d = max(
                        _percentile(dt_b[:, bx0:bx1][ink_a]),
                        _percentile(dt_a_here[ink_b_all[:, bx0:bx1]]),
                    )
                if d < best:
                    best, best_shift = d, bx0 - x
                if best <= worst_px:
                    break  # this window can't raise the worst any more
            shift = best_shift
            worst_px = max(worst_px, best)
        if give_up_above is not None and worst_px / NORM_HEIGHT > give_up_above:
            return worst_px / NORM_HEIGHT, float("nan")
    mean = 0.5 * (dt_b[ink_a_all].mean() if ink_a_all.any() else 1.0) + 0.5 * (
        dt_a[ink_b_all].mean() if ink_b_all.any() else 1.0
    )
    return worst_px / NORM_HEIGHT, float(mean / NORM_HEIGHT)


@dataclass(frozen=True)
class Contrast:
    """Where two readings of one crop differ, how much better each re-draws there.

    ``gain`` is the largest amount by which ``b`` fits a window of the crop
    better than ``a`` (mean symmetric chamfer distance / height); ``loss`` the
    largest by which it fits worse. Windows the two drawings share cancel out,
    so one wrong kanji is not diluted by the rest of the line as it is in the
    whole-line scores, and the mean, unlike the worst-window percentile, is not
    quantised to whole pixels.
    """

    gain: float
    loss: float
    font: str


def contrast(
    crop_ink: np.ndarray,
    a: str,
    b: str,
    font_paths: tuple[str, ...],
    *,
    cells: bool = False,
    words: bool = False,
) -> Contrast | None:
    """``b`` against ``a`` on ``crop_ink`` (255 = ink), in the font that fits either best."""
    found = contrasts(crop_ink, [a], b, font_paths, cells=cells, words=words)
    return found[0] if found else None


def contrasts(
    crop_ink: np.ndarray,
    rivals: list[str],
    b: str,
    font_paths: tuple[str, ...],
    *,
    cells: bool = False,
    words: bool = False,
) -> list[Contrast] | None:
    """``contrast`` of ``b`` against each of ``rivals``, the crop and ``b`` drawn once."""
    target, gap = _target(crop_ink, b, font_paths, cells=cells, words=words)
    if target is None:
        return None
    dt_target = _distance_map(target)

    def window_means(text: str, path: str) -> np.ndarray | None:
        drawn = _drawn("".join(text.split()), path, gap)
        if drawn is None:
            return None
        fitted = cv2.resize(drawn, (target.shape[1], NORM_HEIGHT), interpolation=cv2.INTER_NEAREST)
        return _window_means(target, fitted, dt_target, _distance_map(fitted))

    found: list[tuple[float, Contrast] | None] = [None] * len(rivals)
    for path in font_paths:
        means_b = window_means(b, path)
        if means_b is None:
            continue
        for i, rival in enumerate(rivals):
            means_a = window_means(rival, path)
            if means_a is None:
                continue
            diff = means_a - means_b
            fit = float(min(means_a.mean(), means_b.mean()))
            pair = Contrast(float(max(0.0, diff.max())), float(max(0.0, -diff.min())), path)
            best = found[i]
            if best is None or fit < best[0]:
                found[i] = (fit, pair)
    if any(f is None for f in found):
        return None
    return [f[1] for f in found if f is not None]


def _window_means(a: np.ndarray, b: np.ndarray, dt_a: np.ndarray, dt_b: np.ndarray) -> np.ndarray:
    """Mean symmetric chamfer distance / height per character-wide window of ``a``, each
    window of ``b`` allowed to slide (``_windows``)."""
    ink_a_all = a > 0
    ink_b_all = b > 0
    out = []
    for x, x1, slides in _windows(a.shape[1]):
        ink_a = ink_a_all[:, x:x1]
        best = 1.0 * NORM_HEIGHT
        for bx0, bx1 in slides:
            ink_b = ink_b_all[:, bx0:bx1]
            if not ink_a.any() or not ink_b.any():
                continue
            d = 0.5 * dt_b[:, bx0:bx1][ink_a].mean() + 0.5 * dt_a[:, x:x1][ink_b].mean()
            best = min(best, float(d))
        out.append(best / NORM_HEIGHT)
    return np.asarray(out)
