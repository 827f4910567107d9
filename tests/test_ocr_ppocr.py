"""The second engine: PP-OCR from the rapidocr wheel, on small rendered lines.

It must load its model from the installed package and never reach the network,
read what it is shown, and be independent of Tesseract: where one misreads,
the two disagree.
"""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.ocr import ppocr
from pipeline.ocr.tesseract import OcrRequest, read_lines

BIZ_GOTHIC = "/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Regular.ttf"
BIZ_MINCHO = "/usr/share/fonts/truetype/bizud-mincho/BIZUDMincho-Regular.ttf"


def line(text: str, font: str, px: int = 42) -> np.ndarray:
    """``text`` typed in ``font``, black on white, with a margin."""
    face = ImageFont.truetype(font, px)
    left, top, right, bottom = face.getbbox(text)
    image = Image.new("L", (right - left + 40, bottom - top + 30), 255)
    ImageDraw.Draw(image).text((20 - left, 15 - top), text, font=face, fill=0)
    return np.array(image)


def test_the_model_comes_from_the_installed_package_and_nothing_is_downloaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rapidocr
    from rapidocr.utils.download_file import DownloadFile

    def no_network(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the engine tried to reach the network")

    monkeypatch.setattr(DownloadFile, "run", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    ppocr._shared.cache_clear()  # load afresh, under the guards
    try:
        engine = ppocr.recogniser()
        read = engine.read_lines([line("山田太郎", BIZ_GOTHIC)])
    finally:
        ppocr._shared.cache_clear()
    package = Path(rapidocr.__file__).parent
    assert engine.model_path.is_relative_to(package)
    assert engine.model_path.name == ppocr.MODEL_NAME
    assert read[0].text == "山田太郎"


def test_a_missing_model_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pipeline.errors import ExternalToolError

    monkeypatch.setattr(ppocr, "MODEL_NAME", "not-there.onnx")
    with pytest.raises(ExternalToolError, match="missing from the rapidocr package"):
        ppocr.model_file()


def test_both_engines_read_a_typed_line_alike() -> None:
    text = "株式会社ネクストサービスデザイン"
    crop = line(text, BIZ_GOTHIC)
    tesseract = read_lines([crop, crop], OcrRequest("jpn", 7))[0]
    paddle = ppocr.read_lines([crop])[0]
    assert tesseract.text == paddle.text == text
    assert paddle.confidence > 0.9


def test_where_tesseract_misreads_a_line_the_engines_disagree() -> None:
    text = "ブルーオーシャンシステムズ株式会社"
    crop = line(text, BIZ_MINCHO)
    tesseract = read_lines([crop, crop], OcrRequest("jpn", 7))[0]
    paddle = ppocr.read_lines([crop])[0]
    assert paddle.text == text
    assert tesseract.text != text  # システムメズ: Tesseract's own slip, not PP-OCR's


def test_empty_crops_and_tall_boxes() -> None:
    blank = np.full((80, 300), 255, np.uint8)
    typed = line("2019/04", BIZ_GOTHIC)
    tall = np.full((300, typed.shape[1] + 100), 255, np.uint8)  # a 16-mm box, one short line
    tall[120 : 120 + typed.shape[0], 20 : 20 + typed.shape[1]] = typed
    reads = ppocr.read_lines([blank, tall])
    assert reads[0].text == "" and reads[0].confidence == 0.0
    assert reads[1].text == "2019/04"  # cut to its ink, not squeezed with the whole box


def test_a_speck_above_and_a_scrap_of_ruling_aside_are_left_out_of_the_line() -> None:
    """A field crop is wide and mostly empty: a speck over the line or a scrap of the
    ruling at the crop's edge would make the cut line tall or wide, and read small."""
    text = line("高橋 由美", BIZ_GOTHIC, px=26)
    crop = np.full((120, 1000), 255, dtype=np.uint8)
    crop[50 : 50 + text.shape[0], 420 : 420 + text.shape[1]] = text
    crop[5:8, 500:503] = 0  # a speck well above
    crop[84:98, 2:4] = 0  # the end of a ruling, far to the left
    cut = ppocr.tight_line(crop)
    assert cut is not None
    assert cut.shape[0] < 2 * text.shape[0] and cut.shape[1] < 1.5 * text.shape[1]
    assert ppocr.read_lines([crop])[0].text.replace(" ", "") == "高橋由美"
