"""The Tesseract wrapper reads many crops in one process and hands each its own text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.errors import ExternalToolError
from pipeline.ocr.tesseract import (
    LineRead,
    OcrRequest,
    TesseractCrashError,
    check_tesseract,
    read_lines,
    read_words,
)

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


CRASHING = Path(__file__).parent / "fixtures" / "scans" / "tesseract_crashes_on_this_date.png"


def test_a_crop_that_kills_tesseract_costs_only_its_own_reading() -> None:
    """Tesseract 5 dies of a floating-point exception on this ordinary date crop (a
    photocopied (A)); in a batch it took every other field of the envelope with it and
    the envelope failed as 'timed out'. Now the others are read and it reads as nothing
    (its field rests on the other engine, which alone never makes a value sure)."""
    crashing = np.asarray(Image.open(CRASHING).convert("L"))
    assert _tesseract_dies_on(crashing), "this Tesseract reads the crop: pick another"
    request = OcrRequest("jpn", 7)
    lines = read_lines([_crop("山田太郎"), crashing, _crop("株式会社オデッセイ")], request)
    assert [line.text for line in lines] == ["山田太郎", "", "株式会社オデッセイ"]
    assert read_lines([crashing], request) == [LineRead("", 0.0, ())]  # alone too


def _tesseract_dies_on(image: np.ndarray) -> bool:
    try:
        read_words(image, OcrRequest("jpn", 7))
    except TesseractCrashError:
        return True
    return False


def test_a_failure_that_is_no_crash_still_stops_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Missing language data or a bad argument fails every crop alike: reading them one
    by one would hide it, so it is raised with the end of Tesseract's message."""
    import pytesseract

    def fails(*args: object, **kwargs: object) -> None:
        raise pytesseract.TesseractError(1, "Error opening data file /x/jpn.traineddata")

    monkeypatch.setattr(pytesseract, "image_to_data", fails)
    with pytest.raises(ExternalToolError, match=r"jpn\.traineddata") as raised:
        read_lines([_crop("山田"), _crop("太郎")], OcrRequest("jpn", 7))
    assert not isinstance(raised.value, TesseractCrashError)
