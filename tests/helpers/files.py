"""Small generated input files for intake tests (valid and broken on purpose)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw


def page_image(text: str = "test", size: tuple[int, int] = (400, 560)) -> Image.Image:
    im = Image.new("L", size, 255)
    ImageDraw.Draw(im).text((20, 20), text, fill=0)
    return im


def write_pdf(path: Path, pages: int = 1, text: str = "test") -> Path:
    images = [page_image(f"{text} {i}") for i in range(pages)]
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=72)
    return path


def write_png(path: Path) -> Path:
    page_image().save(path, "PNG")
    return path


def write_tiff(path: Path, pages: int = 2) -> Path:
    images = [page_image(f"p{i}") for i in range(pages)]
    images[0].save(path, "TIFF", save_all=True, append_images=images[1:])
    return path


def write_jpeg(path: Path) -> Path:
    page_image().save(path, "JPEG", quality=80)
    return path


def write_encrypted_pdf(path: Path, user_password: str = "secret") -> Path:
    """Encrypted PDF; with ``user_password=""`` only an owner password (opens anywhere)."""
    from pypdf import PdfReader, PdfWriter

    plain = io.BytesIO()
    page_image().save(plain, "PDF")
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(plain.getvalue())).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def write_truncated_pdf(path: Path) -> Path:
    buf = io.BytesIO()
    page_image().save(buf, "PDF")
    data = buf.getvalue()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_zip_named_pdf(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    return path


def write_huge_png_header(path: Path, width: int = 30_000, height: int = 30_000) -> Path:
    """A PNG that declares width x height pixels but is only a few bytes long."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    body = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(body)
    return path
