"""Reading PDFs the way a person checks them: poppler's pdftotext and pdftoppm.

``words`` gives every word with its box in millimetres from the page's top-left
corner (pdftotext -bbox), so a test can say "the address lies inside the
envelope window" or "nothing crosses the right margin". ``ink_boxes`` renders
a page with pdftoppm and returns where ink is, independently of the text layer.
"""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

MM_PER_PT = 25.4 / 72
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
_PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.DOTALL)


def _as_file(pdf: bytes | Path, folder: Path) -> Path:
    if isinstance(pdf, Path):
        return pdf
    path = folder / "in.pdf"
    path.write_bytes(pdf)
    return path


def pdf_text(pdf: bytes | Path, *, layout: bool = False) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        args = ["pdftotext", *(["-layout"] if layout else []), str(_as_file(pdf, Path(tmp))), "-"]
        return subprocess.run(args, check=True, capture_output=True, timeout=60).stdout.decode()


@dataclass(frozen=True)
class Word:
    page: int  # 1-based
    text: str
    left: float
    top: float
    right: float
    bottom: float


TOLERANCE = 0.6  # mm: pdftotext's word boxes include the font's side bearings


def inside(word: Word, left: float, top: float, right: float, bottom: float) -> bool:
    """Whether the word's box lies in the rectangle (mm), give or take :data:`TOLERANCE`."""
    return (
        word.left >= left - TOLERANCE
        and word.right <= right + TOLERANCE
        and word.top >= top - TOLERANCE
        and word.bottom <= bottom + TOLERANCE
    )


def words(pdf: bytes | Path) -> list[Word]:
    with tempfile.TemporaryDirectory() as tmp:
        args = ["pdftotext", "-bbox", str(_as_file(pdf, Path(tmp))), "-"]
        out = subprocess.run(args, check=True, capture_output=True, timeout=60).stdout.decode()
    found: list[Word] = []
    for number, page in enumerate(_PAGE.findall(out), start=1):
        for x1, y1, x2, y2, text in _WORD.findall(page):
            box = [float(v) * MM_PER_PT for v in (x1, y1, x2, y2)]
            found.append(Word(number, html.unescape(text), *box))
    return found


def page_count(pdf: bytes | Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["pdfinfo", str(_as_file(pdf, Path(tmp)))], check=True, capture_output=True, timeout=60
        ).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]


def render_page(pdf: bytes | Path, page: int = 1, dpi: int = 100) -> np.ndarray:
    """The page as a grey image (0 black, 255 white), via pdftoppm."""
    with tempfile.TemporaryDirectory() as tmp:
        source = _as_file(pdf, Path(tmp))
        stem = Path(tmp) / "page"
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(dpi),
                "-gray",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(source),
                str(stem),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return np.array(Image.open(stem.with_suffix(".pgm")))


def ink_in(
    image: np.ndarray, dpi: int, *, left: float, top: float, right: float, bottom: float
) -> int:
    """Dark pixels inside a rectangle given in mm."""
    px = dpi / 25.4
    region = image[int(top * px) : int(bottom * px), int(left * px) : int(right * px)]
    return int((region < 128).sum())
