"""What a multifunction printer makes of an envelope's pages.

The clean PDF is rasterised at the scan resolution, each page is moved the way
paper moves on a feeder (skew, shift, slight scale and perspective, sometimes
upside down), then blurred, given paper tone and sensor noise, and either kept
grayscale (saved as JPEG, so JPEG artefacts) or thresholded to bitonal
(CCITT G4). Outputs: one PDF per envelope, a multi-page TIFF and a JPEG per page.
"""

from __future__ import annotations

import io
import math
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

from pipeline.forms.render import rasterize_pdf
from pipeline.synth.traits import DEFAULT_PROBABILITIES

ScanMode = Literal["gray", "bitonal", "color"]


class PageMotion(BaseModel):
    """How one sheet moved on its way through the scanner."""

    rotation: Literal[0, 180] = 0
    skew_deg: float = 0.0
    shift_mm: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    perspective: float = 0.0  # corner displacement as a share of the page size
    photocopy: bool = False  # a copy of a copy: darker tone, toner specks


@dataclass(frozen=True)
class DegradationMix:
    """The ranges degradations are drawn from (one draw per envelope / page)."""

    dpis: tuple[tuple[int, float], ...] = ((200, 0.5), (300, 0.42), (400, 0.08))
    bitonal_share: float = 0.35
    max_skew_deg: float = 3.0
    max_shift_mm: float = 4.0
    max_scale_delta: float = 0.01
    max_perspective: float = 0.003
    blur_sigma: tuple[float, float] = (0.0, 1.1)
    noise_sigma: tuple[float, float] = (1.0, 4.0)
    jpeg_quality: tuple[int, int] = (45, 85)
    upside_down_share: float = 0.35
    formats: tuple[str, ...] = ("pdf", "tiff", "jpeg")
    # each trait's probability per envelope (``traits.TRAITS``), drawn for fresh records
    traits: tuple[tuple[str, float], ...] = DEFAULT_PROBABILITIES

    @classmethod
    def default(cls) -> DegradationMix:
        return cls()

    @classmethod
    def office(cls) -> DegradationMix:
        """What an office's scanner sends (the committed demo sample): 300 dpi grey, an
        occasional bitonal page, stamps and folds; no colour or photographs (file size)."""
        return cls(
            dpis=((300, 1.0),),
            bitonal_share=0.1,
            jpeg_quality=(35, 45),
            noise_sigma=(0.2, 0.6),
            blur_sigma=(0.0, 0.6),
            upside_down_share=0.2,
            formats=("pdf",),
            traits=tuple(
                (k, p) for k, p in DEFAULT_PROBABILITIES if k not in ("color", "photo", "fax")
            ),
        )

    @classmethod
    def light(cls) -> DegradationMix:
        """Small files for the committed sample: 200 dpi, moderate quality, no colour."""
        return cls(
            dpis=((200, 1.0),),
            bitonal_share=0.7,
            jpeg_quality=(35, 45),
            noise_sigma=(0.5, 1.5),
            traits=tuple((k, p) for k, p in DEFAULT_PROBABILITIES if k not in ("color", "photo")),
        )


class ScanSettings(BaseModel):
    dpi: int = Field(description="Sampling resolution (across the sheet).")
    mode: ScanMode
    blur_sigma: float
    noise_sigma: float
    jpeg_quality: int
    threshold: int
    white_point: int
    device: Literal["scanner", "fax", "phone"] = "scanner"
    dither: bool = Field(False, description="Bitonal by error diffusion, not a threshold.")
    dpi_y: int | None = Field(None, description="Down the sheet, when not dpi (a fax).")
    declared_dpi: tuple[float, float] | None = Field(
        None, description="Resolution the files declare, when not the sampling one."
    )
    declared_page_mm: tuple[float, float] | None = Field(
        None, description="Page size the files declare (the image fitted in), when re-saved."
    )


def draw_settings(rng: np.random.Generator, mix: DegradationMix) -> ScanSettings:
    dpis = [d for d, _ in mix.dpis]
    weights = np.array([w for _, w in mix.dpis], dtype=float)
    dpi = int(dpis[int(rng.choice(len(dpis), p=weights / weights.sum()))])
    mode: ScanMode = "bitonal" if rng.random() < mix.bitonal_share else "gray"
    return ScanSettings(
        dpi=dpi,
        mode=mode,
        blur_sigma=round(float(rng.uniform(*mix.blur_sigma)), 3),
        noise_sigma=round(float(rng.uniform(*mix.noise_sigma)), 3),
        jpeg_quality=int(rng.integers(mix.jpeg_quality[0], mix.jpeg_quality[1] + 1)),
        threshold=int(rng.integers(150, 185)),
        white_point=int(rng.integers(222, 240)),
    )


def _bounded_normal(rng: np.random.Generator, limit: float) -> float:
    """Mostly small, now and then up to the limit (sd = limit / 3, clipped)."""
    return float(np.clip(rng.normal(0, limit / 3), -limit, limit))


def draw_motion(
    rng: np.random.Generator, mix: DegradationMix, *, upside_down: bool, photocopy: bool
) -> PageMotion:
    return PageMotion(
        rotation=180 if upside_down else 0,
        skew_deg=round(_bounded_normal(rng, mix.max_skew_deg), 3),
        shift_mm=(
            round(_bounded_normal(rng, mix.max_shift_mm), 2),
            round(_bounded_normal(rng, mix.max_shift_mm), 2),
        ),
        scale=round(1 + float(rng.uniform(-mix.max_scale_delta, mix.max_scale_delta)), 4),
        perspective=round(float(rng.uniform(0, mix.max_perspective)), 5),
        photocopy=photocopy,
    )


def page_homography(
    w: int, h: int, motion: PageMotion, dpi: int, rng: np.random.Generator
) -> np.ndarray:
    """Maps clean-page pixels to scan pixels (same canvas size)."""
    cx, cy = w / 2, h / 2
    a = math.radians(motion.skew_deg + motion.rotation)
    s = motion.scale
    dx = motion.shift_mm[0] * dpi / 25.4
    dy = motion.shift_mm[1] * dpi / 25.4
    cos, sin = math.cos(a) * s, math.sin(a) * s
    affine = np.array(
        [
            [cos, -sin, cx - cos * cx + sin * cy + dx],
            [sin, cos, cy - sin * cx - cos * cy + dy],
            [0.0, 0.0, 1.0],
        ]
    )
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    jitter = rng.uniform(-1, 1, size=(4, 2)) * motion.perspective * np.array([w, h])
    dst = (src + jitter).astype(np.float32)
    persp = cv2.getPerspectiveTransform(src, dst)
    return affine @ persp


# sheet points (x, y arrays, pixels) -> their offsets (dx, dy) from the printed position
Displacement = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class PageEffects(Protocol):
    """What happened to one sheet besides the scanner's own motion (``capture``)."""

    def on_paper(self, img: np.ndarray, paper: float) -> np.ndarray:
        """Marks and wear on the sheet itself (copies, stamp, ticks, holes, creases)."""

    def displacement(self) -> Displacement | None:
        """How far each point of the sheet lies from where it was printed (folds, curl)."""

    def on_scanner(self, img: np.ndarray) -> np.ndarray:
        """Light on the scanner's glass (binding shadow)."""

    def transmit(self, img: np.ndarray) -> np.ndarray | None:
        """A device that quantises the page itself (fax), or None for the scanner's mode."""

    def after(self, img: np.ndarray) -> np.ndarray:
        """Defects of the stored image (speckle)."""


def degrade_page(
    clean: np.ndarray,
    motion: PageMotion,
    settings: ScanSettings,
    rng: np.random.Generator,
    effects: PageEffects | None = None,
) -> np.ndarray:
    """A scan (uint8; grey, RGB in colour, 0/255 when bitonal) of one clean page image."""
    h, w = clean.shape[:2]
    matrix = page_homography(w, h, motion, settings.dpi, rng)
    img, paper = paper_tone(clean, motion, rng)
    if effects is not None:
        img = effects.on_paper(img, paper)
    moved = effects.displacement() if effects is not None else None
    img = place_on_glass(img, matrix, paper, moved)
    if effects is not None:
        img = effects.on_scanner(img)
    img = sensor(img, motion, settings, rng)
    sent = effects.transmit(img) if effects is not None else None
    img = sent if sent is not None else quantise(img, settings, rng)
    return effects.after(img) if effects is not None else img


def paper_tone(
    clean: np.ndarray, motion: PageMotion, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Paper tone and toner density: white becomes paper, black stays dark."""
    paper = float(rng.uniform(238, 252))
    ink = float(rng.uniform(8, 30)) if not motion.photocopy else float(rng.uniform(25, 55))
    lut = np.clip(ink + np.arange(256, dtype=np.float32) / 255.0 * (paper - ink), 0, 255)
    return cv2.LUT(clean, lut.astype(np.uint8)), paper


def place_on_glass(
    img: np.ndarray, matrix: np.ndarray, paper: float, moved: Displacement | None = None
) -> np.ndarray:
    """The sheet as it lies on the glass: moved by ``matrix``, displaced by ``moved``."""
    h, w = img.shape[:2]
    border: float | tuple[float, float, float] = int(paper) if img.ndim == 2 else (paper,) * 3
    if moved is None:
        return cv2.warpPerspective(
            img,
            matrix,
            (w, h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=border,
        )
    map_x, map_y = sheet_maps(matrix, (w, h), (w, h), moved)
    return cv2.remap(
        img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def sheet_maps(
    matrix: np.ndarray,
    out_size: tuple[int, int],
    sheet_size: tuple[int, int],
    moved: Displacement,
    step: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """For each output pixel, the clean-page pixel it shows (``cv2.remap`` maps).

    ``matrix`` maps sheet pixels to output pixels and is inverted at every pixel;
    the sheet's own displacement is smooth, so it is sampled on a coarse grid and
    enlarged (the grid's samples sit where ``cv2.resize`` puts them)."""
    w, h = out_size
    inverse = np.linalg.inv(matrix).astype(np.float64)
    sx, sy = _project(inverse, np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    gw, gh = -(-w // step), -(-h // step)
    cx = (np.arange(gw, dtype=np.float32) + 0.5) * step - 0.5
    cy = (np.arange(gh, dtype=np.float32) + 0.5) * step - 0.5
    gx, gy = _project(inverse, cx, cy)
    gx = np.clip(gx, -sheet_size[0], 2 * sheet_size[0])
    gy = np.clip(gy, -sheet_size[1], 2 * sheet_size[1])
    dx, dy = moved(gx, gy)
    full = (gw * step, gh * step)
    dx = cv2.resize(dx.astype(np.float32), full, interpolation=cv2.INTER_LINEAR)[:h, :w]
    dy = cv2.resize(dy.astype(np.float32), full, interpolation=cv2.INTER_LINEAR)[:h, :w]
    return sx - dx, sy - dy


def _project(m: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``m`` applied to the grid of ``xs`` by ``ys`` (float32, rows by columns)."""
    x, y = xs[None, :], ys[:, None]
    d = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    px = ((m[0, 0] * x + m[0, 1] * y + m[0, 2]) / d).astype(np.float32)
    py = ((m[1, 0] * x + m[1, 1] * y + m[1, 2]) / d).astype(np.float32)
    return px, py


def sensor(
    img: np.ndarray, motion: PageMotion, settings: ScanSettings, rng: np.random.Generator
) -> np.ndarray:
    """Optics and sensor: blur, a copy's specks and darkness, noise."""
    if settings.blur_sigma > 0.05:
        img = cv2.GaussianBlur(img, (0, 0), settings.blur_sigma * settings.dpi / 300)
    if motion.photocopy:
        specks = (_specks(rng, img.shape, settings.dpi, 0.00004) * 150).astype(np.uint8)
        img = cv2.subtract(img, _like(specks, img))
        # OpenCV takes a scalar here; its stub types it as an array only
        img = cv2.subtract(img, int(rng.uniform(0, 12)))  # type: ignore[call-overload]
    noise = np.empty(img.shape, dtype=np.int16)
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    # OpenCV takes a scalar here; its stub types it as an array only
    cv2.randn(noise, 0, settings.noise_sigma)  # type: ignore[call-overload]
    img = cv2.add(img.astype(np.int16), noise)
    return np.clip(img, 0, 255).astype(np.uint8)


def quantise(img: np.ndarray, settings: ScanSettings, rng: np.random.Generator) -> np.ndarray:
    """The scanner's mode: bitonal by threshold or error diffusion, or grey / colour."""
    if settings.mode == "bitonal" and settings.dither:
        img = img.copy()
        img[img > settings.white_point] = 255
        dithered = Image.fromarray(img, mode="L").convert("1", dither=Image.Dither.FLOYDSTEINBERG)
        return np.asarray(dithered.convert("L"))
    if settings.mode == "bitonal":
        _, out = cv2.threshold(img, settings.threshold - 1, 255, cv2.THRESH_BINARY)
        specks = _specks(rng, out.shape, settings.dpi, 0.00002) > 0
        out[specks] = 0
        return out
    # the scanner's background suppression turns near-white paper white
    if img.ndim == 3:
        paper = cv2.inRange(img, (settings.white_point + 1,) * 3, (255, 255, 255))
        return cv2.max(img, cv2.merge([paper, paper, paper]))
    img[img > settings.white_point] = 255
    return img


def _like(mask: np.ndarray, img: np.ndarray) -> np.ndarray:
    """A one-channel layer with as many channels as ``img``."""
    return mask if img.ndim == 2 else cv2.merge([mask, mask, mask])


def _specks(
    rng: np.random.Generator, shape: tuple[int, ...], dpi: int, density: float
) -> np.ndarray:
    mask = np.zeros(shape[:2], dtype=np.float32)
    n = int(shape[0] * shape[1] * density * (300 / dpi) ** 2)
    ys = rng.integers(0, shape[0], size=n)
    xs = rng.integers(0, shape[1], size=n)
    mask[ys, xs] = 1.0
    k = max(1, dpi // 150)
    return cv2.dilate(mask, np.ones((k, k), np.uint8))


def scan_pdf(
    clean_pdf: bytes,
    motions: list[PageMotion],
    settings: ScanSettings,
    rng: np.random.Generator,
    effects: list[PageEffects] | None = None,
) -> list[np.ndarray]:
    pages = rasterize_pdf(clean_pdf, settings.dpi, color=settings.mode == "color")
    if len(pages) != len(motions):
        raise ValueError(f"{len(pages)} pages rendered but {len(motions)} motions given")
    each: Sequence[PageEffects | None] = effects or [None] * len(pages)
    return [
        degrade_page(p, m, settings, rng, e) for p, m, e in zip(pages, motions, each, strict=True)
    ]


def _pil(page: np.ndarray, settings: ScanSettings) -> Image.Image:
    if page.ndim == 3:
        return Image.fromarray(page, mode="RGB")
    img = Image.fromarray(page, mode="L")
    return img.convert("1", dither=Image.Dither.NONE) if settings.mode == "bitonal" else img


def declared(img: Image.Image, settings: ScanSettings) -> tuple[Image.Image, tuple[float, float]]:
    """The image as the files store it, and the resolution they declare.

    A page re-saved at another paper size is fitted into that page (centred,
    white around it); a wrong declared resolution is just written."""
    res = (float(settings.dpi), float(settings.dpi_y or settings.dpi))
    if settings.declared_page_mm is not None:
        page_w, page_h = (v / 25.4 for v in settings.declared_page_mm)
        # the image's physical size scaled uniformly to fit, its pixels unchanged
        scale = min(page_w / (img.width / res[0]), page_h / (img.height / res[1]))
        res = (res[0] / scale, res[1] / scale)
        width, height = round(page_w * res[0]), round(page_h * res[1])
        if (width, height) != img.size:
            canvas = Image.new(img.mode, (max(width, img.width), max(height, img.height)), "white")
            canvas.paste(img, ((canvas.width - img.width) // 2, (canvas.height - img.height) // 2))
            img = canvas
    elif settings.declared_dpi is not None:
        res = settings.declared_dpi
    return img, res


def write_outputs(
    pages: list[np.ndarray],
    settings: ScanSettings,
    out_dir: Path,
    stem: str,
    formats: tuple[str, ...],
    scanned_at: datetime,
    *,
    zero_slack: bool = False,
) -> dict[str, list[str]]:
    """Write the scan as PDF / TIFF / JPEG; returns file names (relative to out_dir) by format.

    ``scanned_at`` is written as the PDF's dates, so the same input gives the same bytes;
    ``zero_slack`` zeroes the unset bytes of bitonal PDF pages (``zero_pdf_slack``)."""
    images, resolutions = zip(*(declared(_pil(p, settings), settings) for p in pages), strict=True)
    res = resolutions[0]
    files: dict[str, list[str]] = {}
    if "pdf" in formats:
        name = f"{stem}.pdf"
        buf = io.BytesIO()
        extra = {"quality": settings.jpeg_quality} if settings.mode != "bitonal" else {}
        images[0].save(
            buf,
            format="PDF",
            save_all=True,
            append_images=list(images[1:]),
            **_pdf_resolution(res),
            creationDate=scanned_at.timetuple(),
            modDate=scanned_at.timetuple(),
            producer="conken-intake scan simulator",
            **extra,
        )
        data = buf.getvalue()
        (out_dir / name).write_bytes(zero_pdf_slack(data) if zero_slack else data)
        files["pdf"] = [name]
    if "tiff" in formats:
        name = f"{stem}.tiff"
        compression = "group4" if settings.mode == "bitonal" else "jpeg"
        kwargs = {"compression": compression, "dpi": res}
        if compression == "jpeg":
            kwargs["quality"] = settings.jpeg_quality
        fresh = [im.copy() for im in images]  # PDF saving leaves encoder state on images
        buf = io.BytesIO()
        fresh[0].save(buf, format="TIFF", save_all=True, append_images=fresh[1:], **kwargs)
        (out_dir / name).write_bytes(zero_tiff_slack(buf.getvalue()))
        files["tiff"] = [name]
    if "jpeg" in formats:
        names = []
        for i, (img, (dpi_x, dpi_y)) in enumerate(zip(images, resolutions, strict=True), 1):
            name = f"{stem}_p{i:02d}.jpg"
            img.convert("RGB" if settings.mode == "color" else "L").save(
                out_dir / name,
                format="JPEG",
                quality=settings.jpeg_quality,
                dpi=(round(dpi_x), round(dpi_y)),
            )
            names.append(name)
        files["jpeg"] = names
    return files


def _pdf_resolution(res: tuple[float, float]) -> dict[str, object]:
    return {"resolution": res[0]} if res[0] == res[1] else {"dpi": res}


_CCITT_IMAGE = re.compile(rb"/Filter \[ /CCITTFaxDecode \].*?/Length (\d+)\n>>stream\n", re.S)
_STRIP_BYTES_ENTRY = struct.pack("<HHI", 279, 4, 1)  # StripByteCounts, LONG, one strip


def zero_pdf_slack(pdf: bytes) -> bytes:
    """Zero the unused bytes Pillow's PDF writer leaves in bitonal images.

    Pillow stores a G4 page as the TIFF libtiff wrote, less its header; libtiff
    pads an odd-length strip with a byte it never set (see ``zero_tiff_slack``).
    The stream is made a TIFF again, its slack zeroed, and put back (same length)."""
    out = bytearray(pdf)
    for match in _CCITT_IMAGE.finditer(pdf):
        start, length = match.end(), int(match.group(1))
        stream = pdf[start : start + length]
        entry = stream.rfind(_STRIP_BYTES_ENTRY)
        if entry < 0:
            continue
        strip = struct.unpack_from("<I", stream, entry + 8)[0]
        header = b"II*\x00" + struct.pack("<I", 8 + strip + (strip & 1))
        out[start : start + length] = zero_tiff_slack(header + stream)[8:]
    return bytes(out)


_TIFF_TYPE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    16: 8,
}


def zero_tiff_slack(data: bytes) -> bytes:
    """Zero the bytes of a TIFF that no header, directory, tag value or strip uses.

    libtiff pads to word boundaries without initialising the pad byte, so the
    same pages written by two processes could differ by a byte; same seed must
    mean same bytes.
    """
    order = "<" if data[:2] == b"II" else ">"
    used = bytearray(len(data))

    def mark(start: int, length: int) -> None:
        used[start : start + length] = b"\x01" * max(0, min(length, len(data) - start))

    def read(fmt: str, at: int) -> tuple[int, ...]:
        return struct.unpack_from(order + fmt, data, at)

    mark(0, 8)
    offset = read("I", 4)[0]
    seen: set[int] = set()
    while offset and offset not in seen and offset + 2 <= len(data):
        seen.add(offset)
        count = read("H", offset)[0]
        mark(offset, 2 + 12 * count + 4)
        strips: dict[int, list[int]] = {}
        for i in range(count):
            entry = offset + 2 + 12 * i
            tag, kind, n = read("HHI", entry)
            size = _TIFF_TYPE_SIZES.get(kind, 1) * n
            where = entry + 8 if size <= 4 else read("I", entry + 8)[0]
            if size > 4:
                mark(where, size)
            if tag in (273, 279, 324, 325):  # strip/tile offsets and byte counts
                fmt = "H" if kind == 3 else "I"
                strips[tag] = list(read(f"{n}{fmt}", where))
        for offsets_tag, counts_tag in ((273, 279), (324, 325)):
            for start, length in zip(
                strips.get(offsets_tag, []), strips.get(counts_tag, []), strict=False
            ):
                mark(start, length)
        offset = read("I", offset + 2 + 12 * count)[0]
    pixels = np.frombuffer(data, dtype=np.uint8).copy()
    pixels[np.frombuffer(bytes(used), dtype=np.uint8) == 0] = 0
    return pixels.tobytes()
