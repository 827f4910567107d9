"""Serving stored files without trusting the paths stored for them.

A path read from the database (a crop, a page image, a report) is relative to
the data root. It is refused unless it is relative, resolves (following every
symbolic link) to a regular file inside the allowed folder, and has one of the
allowed suffixes. Refusal is :class:`FileRefused`; routes answer 404 so a
probe learns nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif"})
REPORT_SUFFIXES = frozenset({".html", ".css", ".png", ".svg", ".jpg", ".jpeg", ".csv", ".json"})


class FileRefused(Exception):  # noqa: N818 - not an error of the app, a refusal to serve
    """The stored path does not name a file we may serve."""


def safe_path(root: Path, stored: str | None, *, suffixes: Iterable[str]) -> Path:
    """The file ``stored`` names under ``root``, or raise :class:`FileRefused`."""
    if not stored or "\x00" in stored:
        raise FileRefused("no path")
    if PurePosixPath(stored).is_absolute() or PureWindowsPath(stored).is_absolute():
        raise FileRefused("absolute path")
    if PureWindowsPath(stored).drive or ".." in PurePosixPath(stored.replace("\\", "/")).parts:
        raise FileRefused("path leaves its folder")
    try:
        base = root.resolve(strict=True)
        target = (base / stored).resolve(strict=True)
    except (OSError, RuntimeError) as e:
        raise FileRefused("no such file") from e
    if not target.is_relative_to(base) or not target.is_file():
        raise FileRefused("outside the allowed folder")
    if target.suffix.lower() not in set(suffixes):
        raise FileRefused("file type not served")
    return target
