"""Ink drawn at a slant inside a box, told from straight lines along its sides."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.extract.slanted import one_straight_stroke, slanted_share

SIDE = 40  # a box's inside at 300 dpi, in pixels
INSIDE = (10, 10, SIDE, SIDE)


def blank() -> np.ndarray:
    return np.zeros((SIDE + 20, SIDE + 20), np.uint8)


def test_a_tick_and_a_cross_are_drawn_at_a_slant() -> None:
    tick = blank()
    cv2.line(tick, (14, 30), (24, 44), 255, 4)
    cv2.line(tick, (24, 44), (46, 14), 255, 4)
    cross = blank()
    cv2.line(cross, (14, 14), (46, 46), 255, 4)
    cv2.line(cross, (46, 14), (14, 46), 255, 4)
    for ink in (tick, cross):
        assert slanted_share(ink, INSIDE) > 0.09


def test_lines_along_the_sides_are_no_slanted_ink() -> None:
    """A moved edge, a square's corner, and an edge a photograph turned four degrees."""
    edge = blank()
    cv2.line(edge, (10, 22), (50, 22), 255, 4)
    corner = blank()
    cv2.line(corner, (14, 16), (44, 16), 255, 4)
    cv2.line(corner, (14, 16), (14, 46), 255, 4)
    turned = blank()
    rise = round(SIDE * np.tan(np.radians(4.0)))
    cv2.line(turned, (10, 30), (50, 30 - rise), 255, 4)
    for ink in (edge, corner, turned):
        assert slanted_share(ink, INSIDE) == 0.0


def _moved_top_edge() -> np.ndarray:
    ink = blank()
    cv2.line(ink, (10, 16), (50, 16), 255, 4)
    return ink


def test_a_tick_beside_a_moved_edge_counts_only_the_tick() -> None:
    both = _moved_top_edge()
    cv2.line(both, (14, 30), (24, 44), 255, 4)
    cv2.line(both, (24, 44), (46, 22), 255, 4)
    edge_alone = _moved_top_edge()
    share = slanted_share(both, INSIDE)
    assert 0.09 < share < float((both[10:50, 10:50] > 0).mean())
    assert slanted_share(edge_alone, INSIDE) == 0.0


def test_one_straight_stroke_is_told_from_a_tick() -> None:
    stroke = blank()
    cv2.line(stroke, (12, 48), (48, 12), 255, 5)
    tick = blank()
    cv2.line(tick, (14, 30), (24, 44), 255, 4)
    cv2.line(tick, (24, 44), (46, 14), 255, 4)
    assert one_straight_stroke(stroke, INSIDE)
    assert not one_straight_stroke(tick, INSIDE)
