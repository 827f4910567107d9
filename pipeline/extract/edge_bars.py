"""A side of a checkbox printed thick is no mark.

A fax that repeats or smears a scan line, or a fold that lays one strip of the
sheet over the next, can print a stretch of a box's side as a solid bar reaching
into the box. Beyond the print, that bar is ink inside the box, as much as a tick
leaves; but no tick, circle or fill is one solid rectangle along a single side
(a fill covers the box from side to side, a tick runs across it).
"""

from __future__ import annotations

import cv2
import numpy as np

Rect = tuple[int, int, int, int]  # x, y, w, h in pixels

SOLID = 0.8  # of its bounding rectangle the bar's ink fills
MOST = 0.9  # of the ink inside the box the bar holds
DEEPEST = 0.45  # of the box: how far a side's bar reaches in, at most
ALONG = 0.25  # of the box: a bar runs along at least this much of its side
TOUCH_PX = 2  # the bar starts this close to the side


def is_edge_bar(own: np.ndarray, box: Rect) -> bool:
    """Whether the ink made for the box (``own``, 255 on 0) inside ``box`` is one solid
    bar along exactly one of its sides."""
    x, y, w, h = box
    inside = (own[max(0, y) : y + h, max(0, x) : x + w] > 0).astype(np.uint8)
    total = int(inside.sum())
    if total == 0:
        return False
    _, _, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=8)
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    bx, by, bw, bh, area = (int(v) for v in stats[biggest])
    if area < MOST * total or area < SOLID * bw * bh:
        return False
    rows, cols = inside.shape
    top, bottom = by <= TOUCH_PX, by + bh >= rows - TOUCH_PX
    left, right = bx <= TOUCH_PX, bx + bw >= cols - TOUCH_PX
    along_row = (top != bottom) and bh <= DEEPEST * rows and bw >= ALONG * cols
    along_column = (left != right) and bw <= DEEPEST * cols and bh >= ALONG * rows
    return along_row or along_column
