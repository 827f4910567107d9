"""Print or pen, measured whatever font a value was typed in (issue 17).

Lines are drawn here in the typed families the generator uses; no OCR runs: the text
an engine would have read is given.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.extract.penmanship import (
    glyph_scripts,
    handwriting_score,
    regularity,
    script_of,
    without_stray_rulings,
)
from pipeline.forms.fonts import family_path

MIXED = "ふじのみや市役所"  # kana and kanji: every typeface sets kana smaller


def _typed(text: str, family: str, px: int = 40) -> np.ndarray:
    font = ImageFont.truetype(family_path(family), px)
    image = Image.new("L", (px * (len(text) + 2), 2 * px), 255)
    ImageDraw.Draw(image).text((px // 2, px // 3), text, font=font, fill=0)
    return np.array(image)


def _pen(text: str, family: str, seed: int, px: int = 40) -> np.ndarray:
    """Each glyph put down on its own: turned, raised or lowered, a little bigger or smaller."""
    rng = random.Random(seed)
    image = Image.new("L", (px * (len(text) + 2), 2 * px), 255)
    x = px // 2
    for ch in text:
        size = round(px * rng.uniform(0.9, 1.08))
        glyph = Image.new("L", (2 * px, 2 * px), 0)
        font = ImageFont.truetype(family_path(family), size)
        ImageDraw.Draw(glyph).text((px // 2, px // 2), ch, font=font, fill=255)
        glyph = glyph.rotate(rng.gauss(0, 3.0), resample=Image.Resampling.BILINEAR)
        dy = round(rng.gauss(0, 0.08 * px))
        image.paste(0, (x - px // 2, dy - px // 6), glyph)
        x += round(size * rng.uniform(1.0, 1.1))
    return np.array(image)


@pytest.mark.parametrize("family", ["bizud-gothic", "noto-sans", "ipaex-mincho"])
def test_typed_kana_beside_kanji_are_measured_against_their_own_script(family: str) -> None:
    """Typed kana sit lower-topped and shorter than kanji in every typeface: measured
    together, a typed line of both wandered like a pen's. Against its own script each
    glyph of the line is where print puts it."""
    image = _typed(MIXED, family)
    alone, by_script = regularity(image), regularity(image, MIXED)
    assert alone is not None and by_script is not None
    assert by_script.height_spread < 0.025 < 0.04 < alone.height_spread
    assert by_script.tilt_spread < 0.5 < alone.tilt_spread  # kana's curves left out
    assert by_script.top_wander < 0.02


def test_a_pen_line_still_wanders_when_measured_by_script() -> None:
    typed = regularity(_typed(MIXED, "bizud-gothic"), MIXED)
    for seed in range(5):
        pen = regularity(_pen(MIXED, "bizud-gothic", seed), MIXED)
        assert pen is not None and typed is not None
        assert pen.bottom_wander + pen.top_wander > 3 * (typed.bottom_wander + typed.top_wander)
        assert pen.tilt_spread > typed.tilt_spread


def test_kana_give_no_lean() -> None:
    """A typeface's kana curve: the few edges near an axis lean by design. A line of
    kana alone is measured for its line, never for its glyphs' lean."""
    found = regularity(_typed("ヤマダタロウ", "bizud-gothic"), "ヤマダタロウ")
    assert found is not None and found.tilt_spread == 0.0 and found.tilt_mean == 0.0
    assert regularity(_typed("ヤマダタロウ", "bizud-gothic")).tilt_spread > 1.0  # type: ignore[union-attr]


def test_a_reading_that_does_not_match_the_glyphs_leaves_the_line_measured_whole() -> None:
    image = _typed(MIXED, "bizud-gothic")
    assert glyph_scripts("ふじのみや市役", 8) is None
    assert regularity(image, "ふじのみや市役") == regularity(image)


def test_scripts() -> None:
    assert [script_of(c) for c in "市ふカ7Ａaッー（"] == [
        "kanji",
        "kana",
        "kana",
        "digit",
        "capital",
        None,
        None,
        None,
        None,
    ]


def _with_remnants(image: np.ndarray, px: int = 40) -> np.ndarray:
    """``image`` with what a fold leaves of the box's rulings in a crop: a thin piece of
    the top ruling across the first glyphs, a speck below the line, a piece of the box's
    right side after the value."""
    out = image.copy()
    out[2:5, px // 2 : px // 2 + round(2.5 * px)] = 0
    out[-8:-3, 4:9] = 0
    out[5:-5, -6:-3] = 0
    return out


@pytest.mark.parametrize("family", ["bizud-gothic", "noto-sans"])
def test_what_a_fold_leaves_of_the_rulings_is_not_measured_as_the_line(family: str) -> None:
    """A ruling's remnant above the line, a speck below it and a side after it were taken
    for glyphs: the line's height, the glyphs' tops and the pitch were theirs, and typed
    names scored as a pen (京極 直樹 0.52, センター長 0.46)."""
    for text in ("京極直樹", "センター長", MIXED):
        clean = regularity(_typed(text, family), text)
        found = regularity(_with_remnants(_typed(text, family)), text)
        assert clean is not None and found is not None
        assert handwriting_score(found) < 0.05
        assert found.glyphs == clean.glyphs
        assert abs(found.top_wander - clean.top_wander) < 0.01


def test_thin_strokes_within_the_line_are_glyphs() -> None:
    """二, 三, ー and a hyphen are thin horizontal strokes inside the line's band: kept."""
    image = _typed("三二ー-三", "bizud-gothic")
    ink = (image < 128).astype(np.uint8)
    assert np.array_equal(without_stray_rulings(ink), ink)
