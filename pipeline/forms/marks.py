"""Registration marks (OpenCV ArUco) and the page QR code, drawn as vector graphics."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from pipeline.forms.schema import Box, MarkerSpec

ARUCO_DICTIONARIES = {"DICT_4X4_50": cv2.aruco.DICT_4X4_50}


def aruco_dictionary(name: str = "DICT_4X4_50") -> cv2.aruco.Dictionary:
    return cv2.aruco.getPredefinedDictionary(ARUCO_DICTIONARIES[name])


@lru_cache(maxsize=64)
def marker_bits(marker_id: int, dictionary: str = "DICT_4X4_50") -> tuple[tuple[bool, ...], ...]:
    """The marker's cells including its black border (True = black), top row first."""
    d = aruco_dictionary(dictionary)
    side = d.markerSize + 2
    img = cv2.aruco.generateImageMarker(d, marker_id, side)
    return tuple(tuple(bool(v < 128) for v in row) for row in img)


def draw_marker(c: Canvas, spec: MarkerSpec, page_h_mm: float, dictionary: str) -> None:
    bits = marker_bits(spec.id, dictionary)
    n = len(bits)
    cell = spec.size_mm / n
    box = spec.box
    c.saveState()
    c.setFillGray(0)
    c.setStrokeGray(0)
    for r, row in enumerate(bits):
        for col, black in enumerate(row):
            if black:
                x = box.x + col * cell
                y = page_h_mm - (box.y + (r + 1) * cell)
                # overlap cells by a hair so no seams appear when rasterised
                c.rect(x * mm, y * mm, cell * mm + 0.05, cell * mm + 0.05, stroke=0, fill=1)
    c.restoreState()


def draw_qr(c: Canvas, payload: str, box: Box, page_h_mm: float) -> None:
    """QR code filling ``box`` (the box includes the 4-module quiet zone)."""
    widget = QrCodeWidget(payload, barLevel="M", barBorder=4)
    x0, y0, x1, y1 = widget.getBounds()
    w, h = x1 - x0, y1 - y0
    side = min(box.w, box.h) * mm
    drawing = Drawing(side, side, transform=[side / w, 0, 0, side / h, 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, box.x * mm, (page_h_mm - box.y - min(box.w, box.h)) * mm)


def marker_image(marker_id: int, px: int, dictionary: str = "DICT_4X4_50") -> np.ndarray:
    return cv2.aruco.generateImageMarker(aruco_dictionary(dictionary), marker_id, px)
