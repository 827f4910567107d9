"""The second OCR engine: PP-OCR's text recogniser, from the ``rapidocr`` wheel.

Tesseract and PP-OCR share no code, no training data and no model, so where the
two read a crop alike the agreement is evidence that does not depend on how the
value was printed. Only recognition runs here: the crops are already cut where
the form says the value is (PP-OCR's detector and its angle classifier are never
loaded).

The recognition model ships inside the installed wheel (``rapidocr/models``); it
is loaded from there with ONNX Runtime on one thread (the nightly flow runs one
worker per core). ``rapidocr`` downloads a model only when none is given: the
path is always given, and ``model_file`` refuses to go on if the wheel lacks it,
so nothing is fetched at run time.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.errors import ExternalToolError
from pipeline.imaging.ink_line import line_extent
from pipeline.ocr.tesseract import LineRead

log = logging.getLogger(__name__)

ENGINE = "ppocr"
MODEL_NAME = "PP-OCRv6_rec_small.onnx"
INPUT_HEIGHT = 48  # the recogniser's input height (rapidocr's rec_img_shape)
BATCH = 1  # one crop a call: padding to a batch's widest crop changed readings, and saved no time
# The recogniser expects a line cut by its detector: text filling most of the height.
# A field's box is often much taller than its text (a 16-mm year-month box), so the
# crop is cut to the ink with this share of its height as margin.
MARGIN_SHARE = 0.25
INK_LEVEL = 160  # grey level below which a pixel of a cleaned crop is ink


def model_file() -> Path:
    """The recognition model inside the installed ``rapidocr`` wheel."""
    try:
        path = Path(str(resources.files("rapidocr") / "models" / MODEL_NAME))
    except ModuleNotFoundError as e:
        raise ExternalToolError(
            "the rapidocr package is not installed (make install installs it)"
        ) from e
    if not path.is_file():
        raise ExternalToolError(
            f"the PP-OCR recognition model is missing from the rapidocr package ({path}); "
            "reinstall the pinned rapidocr wheel (make install)"
        )
    return path


class Recogniser:
    """PP-OCR recognition on ONNX Runtime, one thread, model from the wheel."""

    def __init__(self) -> None:
        path = model_file()
        try:
            from rapidocr import RapidOCR
        except ImportError as e:  # onnxruntime or a rapidocr dependency missing
            raise ExternalToolError(f"rapidocr cannot be imported: {e}") from e
        params: dict[str, Any] = {
            "Global.use_det": False,
            "Global.use_cls": False,
            "Global.use_rec": True,
            "Global.log_level": "error",
            "Rec.model_path": str(path),
            "Rec.rec_batch_num": BATCH,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            # ONNX Runtime's memory arena (off in rapidocr's defaults) saves re-allocating per line.
            "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
        }
        self._engine = RapidOCR(params=params)
        self._engine.recognize_txt([np.full((INPUT_HEIGHT, INPUT_HEIGHT, 3), 255, np.uint8)])
        self.model_path = path

    def read_lines(self, crops: list[np.ndarray]) -> list[LineRead]:
        """One reading per crop (grey or BGR uint8, text dark on light)."""
        if not crops:
            return []
        prepared = [line_image(crop) for crop in crops]
        wanted = [k for k, image in enumerate(prepared) if image is not None]
        out = [LineRead("", 0.0) for _ in crops]
        if not wanted:
            return out
        # ONNX Runtime sessions may be run from several threads at once (the flow's
        # workers are threads); the model was loaded in __init__, under a lock.
        lines = [image for image in prepared if image is not None]
        result = self._engine.recognize_txt(lines)
        for k, text, score in zip(wanted, result.txts or (), result.scores or (), strict=True):
            text = str(text).strip()
            out[k] = LineRead(text, float(score) if text else 0.0)
        return out


def line_image(crop: np.ndarray) -> np.ndarray | None:
    """The crop cut to its ink with a margin, as three channels; None when it has no ink."""
    line = tight_line(crop)
    return None if line is None else cv2.cvtColor(line, cv2.COLOR_GRAY2BGR)


def tight_line(crop: np.ndarray) -> np.ndarray | None:
    """A grey crop cut to its line of ink, with a margin of ``MARGIN_SHARE`` of the
    line's height: what a text detector would have cut (None when there is no ink).
    A speck above the line or a scrap of ruling far to its side is left out: the line
    would otherwise be cut tall or wide and read small."""
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    extent = line_extent(grey < INK_LEVEL)
    if extent is None:
        return None
    top, bottom, left, right = extent
    margin = max(4, round(MARGIN_SHARE * (bottom - top)))
    return cv2.copyMakeBorder(
        grey[top:bottom, left:right], margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255
    )


_LOAD_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _shared() -> Recogniser:
    log.debug("loading the PP-OCR recogniser")
    return Recogniser()


def recogniser() -> Recogniser:
    """The process's recogniser (the model is loaded once, on first use)."""
    with _LOAD_LOCK:
        return _shared()


def read_lines(crops: list[np.ndarray]) -> list[LineRead]:
    return recogniser().read_lines(crops)
