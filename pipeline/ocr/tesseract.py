"""The Tesseract wrapper: owns its arguments, environment, timeouts and stderr.

Starting tesseract (loading its Japanese model) costs far more than
recognising one field, so text fields are read in batches: the crops of one
page that share a language and whitelist go to a single process as a list
file, each read as its own one-line page, and the words come back tagged
with the crop they belong to.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytesseract
from pytesseract import Output

from pipeline.errors import ExternalToolError

# One thread per tesseract process: we parallelise across pages instead, and
# OpenMP's thread start-up dominates on small crops.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

DEFAULT_TIMEOUT_S = 60

log = logging.getLogger(__name__)


class TesseractCrashError(ExternalToolError):
    """Tesseract was killed by a signal reading an image (Tesseract 5 dies of a
    floating-point exception on some ordinary one-line crops)."""


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class LineRead:
    """What Tesseract read in one crop."""

    text: str
    confidence: float  # 0..1; 0 when nothing was read
    words: tuple[Word, ...] = field(default=())


@dataclass(frozen=True)
class OcrRequest:
    lang: str = "jpn"
    psm: int = 7
    whitelist: str | None = None

    def config(self) -> str:
        parts = [f"--psm {self.psm}", "-c preserve_interword_spaces=1"]
        if self.whitelist:
            # pytesseract splits config with shlex: quote, and spaces can't be listed.
            allowed = "".join(ch for ch in dict.fromkeys(self.whitelist) if not ch.isspace())
            parts.append(f"-c tessedit_char_whitelist={_shell_quote(allowed)}")
        return " ".join(parts)


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


@lru_cache(maxsize=4)
def check_tesseract(cmd: str = "tesseract") -> str:
    """The tesseract version, or ExternalToolError naming the fix."""
    path = shutil.which(cmd)
    if path is None:
        raise ExternalToolError(
            f"tesseract not found ({cmd!r}); install tesseract-ocr and tesseract-ocr-jpn "
            "(make install does this)"
        )
    pytesseract.pytesseract.tesseract_cmd = path
    try:
        langs = set(pytesseract.get_languages(config=""))
    except Exception as e:
        raise ExternalToolError(f"tesseract does not run: {e}") from e
    missing = {"jpn", "eng"} - langs
    if missing:
        raise ExternalToolError(
            f"tesseract lacks language data {sorted(missing)}; install tesseract-ocr-jpn"
        )
    return str(pytesseract.get_tesseract_version())


def _image_to_data(
    source: np.ndarray | str, request: OcrRequest, *, cmd: str, timeout: int
) -> dict[str, list[Any]]:
    check_tesseract(cmd)
    try:
        return pytesseract.image_to_data(
            source,
            lang=request.lang,
            config=request.config(),
            output_type=Output.DICT,
            timeout=timeout,
        )
    except pytesseract.TesseractError as e:  # before RuntimeError: it is one
        if isinstance(e.status, int) and e.status < 0:
            raise TesseractCrashError(f"tesseract crashed (signal {-e.status})") from e
        raise ExternalToolError(f"tesseract failed: {e.message.strip()[-200:]}") from e
    except RuntimeError as e:  # pytesseract's timeout
        raise ExternalToolError(f"tesseract timed out after {timeout}s") from e


def _words(data: dict[str, list[Any]]) -> list[tuple[int, Word]]:
    """(page number, word) for every recognised word of tesseract's TSV output."""
    words: list[tuple[int, Word]] = []
    for i, text in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if conf < 0 or not str(text).strip():
            continue
        word = Word(
            text=str(text).strip(),
            confidence=conf / 100.0,
            left=int(data["left"][i]),
            top=int(data["top"][i]),
            width=int(data["width"][i]),
            height=int(data["height"][i]),
        )
        words.append((int(data["page_num"][i]), word))
    return words


def read_words(
    image: np.ndarray,
    request: OcrRequest,
    *,
    cmd: str = "tesseract",
    timeout: int = DEFAULT_TIMEOUT_S,
) -> list[Word]:
    """Words in a grayscale or bitonal image (uint8, text dark on white)."""
    return [w for _, w in _words(_image_to_data(image, request, cmd=cmd, timeout=timeout))]


def read_lines(
    crops: list[np.ndarray],
    request: OcrRequest,
    *,
    cmd: str = "tesseract",
    timeout: int = DEFAULT_TIMEOUT_S,
) -> list[LineRead]:
    """Read many single-line crops in ONE tesseract process.

    The crops are written as images and handed to tesseract as a list file:
    it loads its model once and reads each crop as its own page with the
    request's page segmentation (psm 7, one line), so nothing is lost to
    layout analysis and the start-up cost is paid once per call.
    """
    if not crops:
        return []
    if len(crops) == 1:
        return [_read_alone(crops[0], request, cmd=cmd, timeout=timeout)]
    with tempfile.TemporaryDirectory(prefix="conken-ocr-") as tmp:
        folder = Path(tmp)
        names = []
        for index, crop in enumerate(crops):
            name = folder / f"crop-{index:04d}.png"
            if not cv2.imwrite(str(name), crop):
                raise ExternalToolError(f"could not write an OCR crop to {folder}")
            names.append(str(name))
        listing = folder / "crops.txt"
        listing.write_text("\n".join(names) + "\n", encoding="utf-8")
        try:
            data = _image_to_data(
                str(listing), request, cmd=cmd, timeout=timeout * max(1, len(crops) // 20 + 1)
            )
        except TesseractCrashError:
            # One crop killed the process and the batch with it: each alone, so only
            # that crop goes unread (its field then rests on the other engine alone).
            return [_read_alone(crop, request, cmd=cmd, timeout=timeout) for crop in crops]
    per_crop: list[list[Word]] = [[] for _ in crops]
    for page_num, word in _words(data):
        if 1 <= page_num <= len(crops):
            per_crop[page_num - 1].append(word)
    return [_line_from_words(ws, request.lang) for ws in per_crop]


def _read_alone(crop: np.ndarray, request: OcrRequest, *, cmd: str, timeout: int) -> LineRead:
    try:
        return _line_from_words(read_words(crop, request, cmd=cmd, timeout=timeout), request.lang)
    except TesseractCrashError as e:
        log.warning("%s on a %dx%d crop: read as nothing", e, crop.shape[1], crop.shape[0])
        return LineRead("", 0.0, ())


_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


def _line_from_words(words: list[Word], lang: str) -> LineRead:
    if not words:
        return LineRead("", 0.0, ())
    ordered = sorted(words, key=lambda w: w.left)
    text = ordered[0].text
    for prev, word in itertools.pairwise(ordered):
        joined_cjk = _CJK.search(prev.text[-1]) or _CJK.search(word.text[0])
        text += ("" if (lang.startswith("jpn") and joined_cjk) else " ") + word.text
    confidence = min(w.confidence for w in ordered)
    return LineRead(text, confidence, tuple(ordered))
