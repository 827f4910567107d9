"""Rasterise a scanned file page by page (never the whole document in memory).

A page comes out as grey, text dark on light, at a resolution of the A4 sheet it
shows: a page declared B5 or Letter (an A4 scan re-saved at another paper size)
is rasterised finer so the sheet on it still gets ``dpi`` pixels an inch, and an
image's declared resolution is believed only when it makes an A4-sized sheet.

Colour pages keep their red apart. A received stamp (受付印) or a seal is red or
vermilion; in the grey image the red channel is used, in which red ink all but
vanishes (a scanner's "red dropout"), so stamps do not read as marks or text,
while black and blue ink stay dark. The red ink itself is kept as a mask for
the seal fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from pipeline.errors import ExternalToolError, InputFileError

MM_PER_INCH = 25.4
A4_SHORT_MM = 210.0
A4_WIDTH_IN = A4_SHORT_MM / MM_PER_INCH
# A declared resolution is believed when it makes the sheet's short side this long (mm):
# from A5 to A3, which covers every paper size a scan of an A4 form is saved at.
PLAUSIBLE_SHORT_SIDE_MM = (140.0, 300.0)
# Red ink: clearly redder than it is green or blue, and not dark.
RED_MARGIN = 50
RED_MIN = 110


@dataclass(frozen=True)
class PageImage:
    index: int  # 0-based position in the file
    image: np.ndarray  # uint8 grey, text dark on light, red ink dropped (colour scans)
    dpi: float  # pixels per inch of the A4 sheet on ``image``
    red: np.ndarray | None = None  # uint8, 255 where the colour scan shows red ink


def page_images(path: Path, media_type: str, *, dpi: int, max_pixels: int) -> Iterator[PageImage]:
    """Yield each page at ``dpi`` (PDF) or its own resolution (images)."""
    if media_type == "application/pdf":
        yield from _pdf_pages(path, dpi=dpi)
    else:
        yield from _image_pages(path, max_pixels=max_pixels)


def single_page(path: Path, media_type: str, index: int, *, dpi: int, max_pixels: int) -> PageImage:
    """Only page ``index`` (0-based): what one fanned-out extraction task needs."""
    if media_type == "application/pdf":
        return _pdf_page(path, index, dpi=dpi)
    Image.MAX_IMAGE_PIXELS = max_pixels
    with Image.open(path) as im:
        frames = getattr(im, "n_frames", 1)
        if not 0 <= index < frames:
            raise InputFileError(f"{path.name} has no page {index + 1}")
        im.seek(index)
        return _frame_page(index, im)


def _pdf_page(path: Path, index: int, *, dpi: int) -> PageImage:
    from pdf2image import convert_from_path

    short_mm, colour = _pdf_page_facts(path, index)
    render_dpi = render_dpi_for(dpi, short_mm)
    images = convert_from_path(
        str(path),
        dpi=render_dpi,
        first_page=index + 1,
        last_page=index + 1,
        grayscale=not colour,
        timeout=120,
    )
    if not images:
        raise InputFileError(f"{path.name}: page {index + 1} could not be rasterised")
    grey, red = split_red(images[0])
    return PageImage(index, grey, float(dpi), red)


def render_dpi_for(dpi: int, short_mm: float | None) -> int:
    """The resolution that gives the A4 sheet on a page ``dpi`` pixels an inch."""
    if short_mm is None or abs(short_mm - A4_SHORT_MM) < 3:
        return dpi
    return round(dpi * A4_SHORT_MM / short_mm)


def _pdf_page_facts(path: Path, index: int) -> tuple[float | None, bool]:
    """The page's short side in mm as declared, and whether it holds colour images."""
    try:
        from pypdf import PdfReader

        page = PdfReader(str(path)).pages[index]
        box = page.mediabox
        short_mm = min(float(box.width), float(box.height)) * MM_PER_INCH / 72.0
        return short_mm, _has_colour_images(page)
    except Exception:  # rasterising will say what is wrong with the file
        return None, False


def _has_colour_images(page: object) -> bool:
    try:
        resources = page["/Resources"]  # type: ignore[index]
        objects = resources.get("/XObject") or {}
        for ref in objects.values():
            xobject = ref.get_object()
            space = xobject.get("/ColorSpace")
            if space is None:
                continue
            space = space.get_object() if hasattr(space, "get_object") else space
            name = str(space[0] if isinstance(space, list) else space)
            if name in ("/DeviceRGB", "/CalRGB", "/DeviceCMYK", "/Indexed"):
                return True
            if name == "/ICCBased":
                stream = space[1].get_object()
                if int(stream.get("/N", 1)) >= 3:
                    return True
    except Exception:
        return False
    return False


def _pdf_pages(path: Path, *, dpi: int) -> Iterator[PageImage]:
    from pdf2image import pdfinfo_from_path
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError

    try:
        info = pdfinfo_from_path(str(path))
    except PDFInfoNotInstalledError as e:
        raise ExternalToolError("pdfinfo not found; install poppler-utils") from e
    except (PDFPageCountError, PDFSyntaxError) as e:
        raise InputFileError(f"{path.name}: cannot read the PDF ({e})") from e
    for number in range(int(info["Pages"])):
        yield _pdf_page(path, number, dpi=dpi)


def _image_pages(path: Path, *, max_pixels: int) -> Iterator[PageImage]:
    Image.MAX_IMAGE_PIXELS = max_pixels
    with Image.open(path) as im:
        frames = getattr(im, "n_frames", 1)
        for index in range(frames):
            im.seek(index)
            yield _frame_page(index, im)


def _frame_page(index: int, im: Image.Image) -> PageImage:
    frame = ImageOps.exif_transpose(im.copy()) or im.copy()
    grey, red = split_red(frame)
    return PageImage(index, grey, image_dpi(frame), red)


def image_dpi(frame: Image.Image) -> float:
    """Pixels per inch of the sheet on an image: as declared when that makes an A4-sized
    sheet, else estimated from the short side (the A4 width whichever way it lies)."""
    estimated = min(frame.size) / A4_WIDTH_IN
    declared = _declared_dpi(frame)
    if declared is None:
        return estimated
    short_mm = min(frame.size) / declared * MM_PER_INCH
    low, high = PLAUSIBLE_SHORT_SIDE_MM
    return declared if low <= short_mm <= high else estimated


def _declared_dpi(image: Image.Image) -> float | None:
    value = image.info.get("dpi")
    if not value:
        return None
    x = float(value[0]) if isinstance(value, tuple) else float(value)
    return x if 50 <= x <= 1200 else None


def split_red(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Grey with red ink dropped, and the red ink as a mask (None for a grey image)."""
    if image.mode not in ("RGB", "RGBA", "P", "CMYK"):
        return np.asarray(image.convert("L"), dtype=np.uint8).copy(), None
    rgb = np.asarray(image.convert("RGB"))
    r = rgb[:, :, 0]
    g_or_b = np.maximum(rgb[:, :, 1], rgb[:, :, 2])
    red = ((r.astype(np.int16) - g_or_b) > RED_MARGIN) & (r > RED_MIN)
    return r.copy(), (red.astype(np.uint8) * 255 if red.any() else None)


STAFF_RED_BGR = (40, 40, 210)


def with_red(grey: np.ndarray, red: np.ndarray | None) -> np.ndarray:
    """What staff see: the grey page with its red ink painted back in (BGR), or the grey."""
    if red is None:
        return grey
    import cv2

    shown = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    shown[red > 0] = STAFF_RED_BGR
    return shown
