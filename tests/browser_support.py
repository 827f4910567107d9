"""A real headless Chromium for the review app's browser tests (Debian's ``chromium``,
driven by Playwright; no browser download), logged-in pages and screenshots.

Importing this skips the importing test module when Playwright or Chromium is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.review_support import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

playwright_api = pytest.importorskip("playwright.sync_api")
if shutil.which(CHROMIUM) is None:  # pragma: no cover - make test installs chromium
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def shot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot under ``tests/artifacts/`` for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def log_in(
    browser: Any, base: str, username: str, size: tuple[int, int] = (1360, 900)
) -> tuple[Any, Any]:
    """A new browser context logged in as ``username``: (context, page on the queue)."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="ja-JP")
    page = context.new_page()
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('ログイン')")
    page.wait_for_url(base + "/")
    return context, page
