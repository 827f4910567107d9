"""Specks: a scanner's or a copier's dust, one dot on its own.

Speckle leaves dots a few tenths of a millimetre across, scattered over the sheet; a dot
in a checkbox's surround is enough ink to keep the box from being surely empty, though
no mark made for a box is one dot on its own. Dots that lie close together are kept: a
circle a dithered copy broke into dots is a row of them, each next to the next.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.extract.crops import mm_to_px

SPECK_MM = 0.5  # a speck's extent, either way
ALONE_MM = 1.0  # no other ink this near: a dot of a broken stroke has its neighbours


def without_lone_specks(ink: np.ndarray, dpi: float) -> np.ndarray:
    """``ink`` (255 on 0) without the dots that stand alone."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return ink
    small = mm_to_px(SPECK_MM, dpi)
    alone = mm_to_px(ALONE_MM, dpi)
    out = ink.copy()
    for k in range(1, count):
        x, y, bw, bh, _ = stats[k]
        if bw > small or bh > small:
            continue
        window = labels[max(0, y - alone) : y + bh + alone, max(0, x - alone) : x + bw + alone]
        if np.any((window != 0) & (window != k)):
            continue  # a neighbour within reach: part of something drawn
        out[labels == k] = 0
    return out
