"""What a file really is, and whether it can be used, judged by its bytes.

Each refusal is a ``UnusableFileError`` carrying a stable reason code (used in the
quarantine reason file, the run report and the tests) and a message that says
what is wrong and what to do.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PIL import (
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    UnidentifiedImageError,
)

from pipeline.errors import InputFileError
from pipeline.imaging.raster import MM_PER_INCH, render_dpi_for


class QuarantineReason(StrEnum):
    EMPTY = "empty"
    TRUNCATED = "truncated"
    ENCRYPTED = "encrypted"
    NOT_A_DOCUMENT = "not_a_document"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_MANY_PAGES = "too_many_pages"
    NO_PAGES = "no_pages"
    SYMLINK = "symlink"
    UNREADABLE = "unreadable"


REASON_JA: dict[QuarantineReason, str] = {
    QuarantineReason.EMPTY: "ファイルが空です（0バイト）。スキャンをやり直してください。",
    QuarantineReason.TRUNCATED: "ファイルが途中で切れています。スキャンまたは転送をやり直してください。",
    QuarantineReason.ENCRYPTED: (
        "PDFが暗号化されていて、開くにはパスワードが必要です。パスワードを解除して再投入してください。"
    ),
    QuarantineReason.NOT_A_DOCUMENT: "PDF・TIFF・JPEG・PNGのいずれでもありません。",
    QuarantineReason.TOO_MANY_PIXELS: "画像が大きすぎます（画素数の上限を超えています）。",
    QuarantineReason.TOO_MANY_PAGES: "ページ数が上限を超えています。封筒ごとに分けてスキャンしてください。",
    QuarantineReason.NO_PAGES: "ページがありません。",
    QuarantineReason.SYMLINK: "シンボリックリンクは受け付けません。実ファイルを置いてください。",
    QuarantineReason.UNREADABLE: "ファイルを読み取れません。",
}


class UnusableFileError(InputFileError):
    """A file that must go to quarantine; ``reason`` is a stable code."""

    def __init__(self, reason: QuarantineReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class FileInfo:
    media_type: str  # application/pdf, image/tiff, image/jpeg, image/png
    page_count: int
    width_px: int | None = None  # images only
    height_px: int | None = None


_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]


def sniff_media_type(head: bytes) -> str | None:
    """The media type from the first bytes, or None for anything we do not take."""
    # Some scanners put a few bytes of junk before %PDF; the PDF spec allows 1024.
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    return None


WORK_DPI_BOUND = 300  # the resolution pages are rasterised at, or above it for small sheets


def inspect_file(path: Path, *, max_pixels: int, max_pages: int) -> FileInfo:
    """Check that ``path`` is a usable scan; raise ``UnusableFileError`` saying why not."""
    if path.is_symlink():
        raise UnusableFileError(QuarantineReason.SYMLINK, f"{path.name} is a symbolic link")
    size = path.stat().st_size
    if size == 0:
        raise UnusableFileError(QuarantineReason.EMPTY, f"{path.name} has 0 bytes")
    with path.open("rb") as fh:
        head = fh.read(2048)
    media_type = sniff_media_type(head)
    if media_type is None:
        raise UnusableFileError(
            QuarantineReason.NOT_A_DOCUMENT,
            f"{path.name} is not a PDF, TIFF, JPEG or PNG (starts with {head[:8]!r})",
        )
    if media_type == "application/pdf":
        return _inspect_pdf(path, max_pixels=max_pixels, max_pages=max_pages)
    return _inspect_image(path, media_type, max_pixels=max_pixels, max_pages=max_pages)


def _inspect_pdf(path: Path, *, max_pixels: int, max_pages: int) -> FileInfo:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 2048))
        tail = fh.read()
    if b"%%EOF" not in tail:
        raise UnusableFileError(
            QuarantineReason.TRUNCATED, f"{path.name} has no end-of-file marker"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(str(path), strict=False)
            # Only an owner password (a scanner locking edits): the empty user password
            # opens it, as in any viewer, and poppler rasterises it. A user password: refused.
            if reader.is_encrypted and not reader.decrypt(""):
                raise UnusableFileError(
                    QuarantineReason.ENCRYPTED, f"{path.name} needs a password to open"
                )
            count = len(reader.pages)
            if count == 0:
                raise UnusableFileError(QuarantineReason.NO_PAGES, f"{path.name} has no pages")
            if count > max_pages:
                raise UnusableFileError(
                    QuarantineReason.TOO_MANY_PAGES,
                    f"{path.name} has {count} pages; the limit is {max_pages}",
                )
            # A page so large that rasterising it would blow memory up. Pages are rasterised
            # so that an A4 sheet on them gets the working resolution whatever size the file
            # declares (``imaging.raster``): only a shape no sheet has can be too large.
            for number, page in enumerate(reader.pages, start=1):
                box = page.mediabox
                w_in, h_in = float(box.width) / 72, float(box.height) / 72
                dpi = render_dpi_for(WORK_DPI_BOUND, min(w_in, h_in) * MM_PER_INCH)
                if w_in * h_in * dpi * dpi > max_pixels:
                    raise UnusableFileError(
                        QuarantineReason.TOO_MANY_PIXELS,
                        f"{path.name} page {number} measures {w_in:.0f}x{h_in:.0f} inches",
                    )
    except UnusableFileError:
        raise
    except (FileNotDecryptedError, DependencyError) as e:
        raise UnusableFileError(
            QuarantineReason.ENCRYPTED, f"{path.name} is encrypted and cannot be opened: {e}"
        ) from e
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise UnusableFileError(
            QuarantineReason.TRUNCATED, f"{path.name} cannot be parsed: {e}"
        ) from e
    return FileInfo("application/pdf", count)


# Each format's reader, opened directly rather than through Image.open: Image.open
# applies Pillow's own pixel limit (refusing at 178,956,970 pixels, warning above half),
# and its message would quote that instead of the configured limit checked below.
_READERS: dict[str, Callable[[Path], ImageFile.ImageFile]] = {
    "image/png": PngImagePlugin.PngImageFile,
    "image/jpeg": JpegImagePlugin.JpegImageFile,
    "image/tiff": TiffImagePlugin.TiffImageFile,
}


def _inspect_image(path: Path, media_type: str, *, max_pixels: int, max_pages: int) -> FileInfo:
    # The reader parses only the header: the pixel check happens before decoding.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _READERS[media_type](path) as im:
                width, height = im.size
                if width * height > max_pixels:
                    raise UnusableFileError(
                        QuarantineReason.TOO_MANY_PIXELS,
                        f"{path.name} is {width}x{height} pixels ({width * height:,}); "
                        f"the limit is {max_pixels:,}",
                    )
                frames = getattr(im, "n_frames", 1)
                if frames > max_pages:
                    raise UnusableFileError(
                        QuarantineReason.TOO_MANY_PAGES,
                        f"{path.name} has {frames} pages; the limit is {max_pages}",
                    )
                for index in range(frames):
                    im.seek(index)
                    fw, fh = im.size
                    if fw * fh > max_pixels:
                        raise UnusableFileError(
                            QuarantineReason.TOO_MANY_PIXELS,
                            f"{path.name} page {index + 1} is {fw}x{fh} pixels; "
                            f"the limit is {max_pixels:,}",
                        )
                im.seek(frames - 1)
                im.load()  # decodes the last frame only: catches truncation cheaply
    except UnusableFileError:
        raise
    except Image.DecompressionBombError as e:  # a TIFF tile, on decoding
        raise UnusableFileError(
            QuarantineReason.TOO_MANY_PIXELS,
            f"{path.name} is larger than the limit of {max_pixels:,} pixels",
        ) from e
    except UnidentifiedImageError as e:
        raise UnusableFileError(QuarantineReason.UNREADABLE, f"{path.name}: {e}") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise UnusableFileError(QuarantineReason.TRUNCATED, f"{path.name} is damaged: {e}") from e
    return FileInfo(media_type, frames, width, height)
