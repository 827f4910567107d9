"""Debian's Chromium driven by Playwright (no browser download): the browser fixture the
browser tests share. Import ``browser`` into a test module to use it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

playwright_api = pytest.importorskip("playwright.sync_api")
if shutil.which(CHROMIUM) is None:  # pragma: no cover - make test installs chromium
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()
