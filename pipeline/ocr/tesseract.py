"""The Tesseract wrapper: owns its arguments, environment, timeouts and stderr.

Starting tesseract costs far more than recognising one field, so text fields
are read in batches: the crops of one page that share a language and
whitelist are stacked into one image with white gaps, read in a single
process with TSV output, and the words are mapped back to their crop by
vertical position.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pytesseract
from pytesseract import Output

from pipeline.errors import ExternalToolError

# One thread per tesseract process: we parallelise across pages instead, and
# OpenMP's thread start-up dominates on small crops.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

DEFAULT_TIMEOUT_S = 60


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


def read_words(
    image: np.ndarray,
    request: OcrRequest,
    *,
    cmd: str = "tesseract",
    timeout: int = DEFAULT_TIMEOUT_S,
) -> list[Word]:
    """Words in a grayscale or bitonal image (uint8, text dark on white)."""
    check_tesseract(cmd)
    try:
        data = pytesseract.image_to_data(
            image,
            lang=request.lang,
            config=request.config(),
            output_type=Output.DICT,
            timeout=timeout,
        )
    except RuntimeError as e:  # pytesseract's timeout
        raise ExternalToolError(f"tesseract timed out after {timeout}s") from e
    except pytesseract.TesseractError as e:
        raise ExternalToolError(f"tesseract failed: {e.message.strip()[:200]}") from e
    words: list[Word] = []
    for i, text in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if conf < 0 or not text.strip():
            continue
        words.append(
            Word(
                text=text.strip(),
                confidence=conf / 100.0,
                left=int(data["left"][i]),
                top=int(data["top"][i]),
                width=int(data["width"][i]),
                height=int(data["height"][i]),
            )
        )
    return words


def stack_crops(
    crops: list[np.ndarray], *, gap: int | None = None, pad: int = 20
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Stack crops vertically on white with gaps; returns the sheet and each crop's (top, bottom)."""
    if not crops:
        raise ValueError("no crops to stack")
    tallest = max(c.shape[0] for c in crops)
    gap = gap if gap is not None else max(24, tallest)
    width = max(c.shape[1] for c in crops) + 2 * pad
    height = sum(c.shape[0] for c in crops) + gap * (len(crops) - 1) + 2 * pad
    sheet = np.full((height, width), 255, dtype=np.uint8)
    bands: list[tuple[int, int]] = []
    y = pad
    for crop in crops:
        h, w = crop.shape[:2]
        sheet[y : y + h, pad : pad + w] = crop
        bands.append((y, y + h))
        y += h + gap
    return sheet, bands


def read_lines(
    crops: list[np.ndarray],
    request: OcrRequest,
    *,
    cmd: str = "tesseract",
    timeout: int = DEFAULT_TIMEOUT_S,
) -> list[LineRead]:
    """Read many single-line crops in one tesseract process (psm 6 over the stacked sheet)."""
    if not crops:
        return []
    if len(crops) == 1:
        words = read_words(crops[0], request, cmd=cmd, timeout=timeout)
        return [_line_from_words(words, request.lang)]
    sheet, bands = stack_crops(crops)
    sheet_request = OcrRequest(lang=request.lang, psm=6, whitelist=request.whitelist)
    words = read_words(sheet, sheet_request, cmd=cmd, timeout=timeout)
    per_crop: list[list[Word]] = [[] for _ in crops]
    for word in words:
        centre = word.top + word.height / 2
        index = _band_of(centre, bands)
        if index is not None:
            per_crop[index].append(word)
    return [_line_from_words(ws, request.lang) for ws in per_crop]


def _band_of(y: float, bands: list[tuple[int, int]]) -> int | None:
    best, best_dist = None, float("inf")
    for i, (top, bottom) in enumerate(bands):
        if top <= y <= bottom:
            return i
        dist = min(abs(y - top), abs(y - bottom))
        if dist < best_dist:
            best, best_dist = i, dist
    return best


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
