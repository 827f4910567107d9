"""The Tesseract wrapper reads many crops in one process and hands each its own text."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.errors import ExternalToolError
from pipeline.ocr.tesseract import OcrRequest, check_tesseract, read_lines

pytestmark = pytest.mark.ocr
GOTHIC = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"


def _crop(text: str) -> np.ndarray:
    font = ImageFont.truetype(GOTHIC, 40)
    image = Image.new("L", (60 + 40 * len(text), 70), 255)
    ImageDraw.Draw(image).text((20, 10), text, font=font, fill=0)
    return np.asarray(image)


def test_each_crop_gets_its_own_reading_in_order() -> None:
    texts = ["2211211335", "03-5293-1881", "100-0005", "4567"]
    lines = read_lines([_crop(t) for t in texts], OcrRequest("eng", 7, "0123456789-"))
    assert [line.text for line in lines] == texts
    assert all(0 < line.confidence <= 1 for line in lines)


def test_japanese_lines_join_without_spaces() -> None:
    lines = read_lines([_crop("株式会社オデッセイ"), _crop("山田太郎")], OcrRequest("jpn", 7))
    assert [line.text for line in lines] == ["株式会社オデッセイ", "山田太郎"]


def test_missing_binary_is_a_clear_error() -> None:
    with pytest.raises(ExternalToolError, match="tesseract not found"):
        check_tesseract("/nonexistent/tesseract")
