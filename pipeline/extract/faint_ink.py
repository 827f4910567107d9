"""Faint ink: what a far more sensitive eye than the ink threshold sees on a crop, and
the crop made fit for it (a dither's dots smoothed away, a shadow's band evened out)."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.extract.crops import MM_PER_INCH, ink_mask, mm_to_px

# A mark may be faint (a seal photocopied to light grey, a pencil tick): before a box
# is called empty for sure, it must look like paper even to a far more sensitive eye.
FAINT_CONTRAST = 28  # grey levels darker than the crop's paper
FAINT_SPECK_MM = 0.5


def faint_mask(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Everything noticeably darker than the crop's paper, dust aside (thin strokes stay)."""
    paper = float(np.percentile(gray, 75))
    dark = (cv2.medianBlur(gray, 3) < paper - FAINT_CONTRAST).astype(np.uint8) * 255
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    least = mm_to_px(FAINT_SPECK_MM, dpi) ** 2
    kept = np.zeros(count, dtype=bool)
    kept[1:] = stats[1:, cv2.CC_STAT_AREA] >= least
    return np.where(kept[labels], 255, 0).astype(np.uint8)


def ink_or_faint(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Ink, and whatever the faint eye sees besides (light grey print, a pale seal)."""
    return cv2.bitwise_or(ink_mask(gray), faint_mask(gray, dpi))


# A dithered bitonal scan prints the paper as a field of dots a few tenths of a millimetre
# apart; smoothed over that, they are light grey paper again, while a crease's shadow or
# a stamp's line, wider than the dots, stays darker than it. Only a crop that is dots:
# smoothing a clean scan spreads a thick ruling's edge into a faint fringe that joined a
# tick to the ruling. Most of a crop is paper: where the paper is dots, the typical pixel
# differs from its smoothing by 14-36 grey levels; where it is clean, by 0 or 1, however
# many rulings the crop holds.
DOT_SMOOTH_MM = 0.13
DOT_TEXTURE = 8.0


def without_dots(gray: np.ndarray, dpi: float) -> np.ndarray:
    """``gray`` smoothed over a dither's dots where it is dots (else as it is): counted
    as faint ink, the dots of the paper join into one piece reaching every side, and
    every box reads as crossed."""
    sigma = DOT_SMOOTH_MM * dpi / MM_PER_INCH
    smooth = cv2.GaussianBlur(gray, (0, 0), sigma)
    texture = float(np.median(cv2.absdiff(gray, smooth)))
    return smooth if texture >= DOT_TEXTURE else gray


# A fold's or a phone's shadow darkens a band of paper millimetres wide; a crease, a line
# printed light or a pencil stroke is narrower. Faint ink is looked for against the paper
# as it is around it (the page with every darker feature narrower than this closed over):
# counted as faint ink, a shadow joins a tick to the border and it "passes through".
SHADING_MM = 1.6


def without_shading(gray: np.ndarray, dpi: float) -> np.ndarray:
    """``gray`` on even paper: each pixel as dark as it is against the paper around it."""
    k = 2 * mm_to_px(SHADING_MM / 2, dpi) + 1
    paper = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    return cv2.bitwise_not(cv2.subtract(paper, gray))
