"""Typed values as applicants type them: every family draws, placement follows the style."""

from __future__ import annotations

import io
import random
import subprocess

import numpy as np
import pytest
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from pipeline.errors import ValidationError
from pipeline.forms.fonts import DEFAULT_TYPED_FAMILIES, TYPED_FAMILIES, parse_families
from pipeline.forms.loader import default_templates
from pipeline.forms.render import rasterize_pdf
from pipeline.forms.schema import Box
from pipeline.forms.typeface import OutlineFace, TrueTypeFace, typeface
from pipeline.synth.records import TypedStyle
from pipeline.synth.typeset import choose_style, draw_styled, place_line

DPI = 100
PAGE_MM = (100.0, 40.0)
BOX = Box(10.0, 10.0, 80.0, 12.0)
TEXT = "東京都千代田区 ヤマダ 2024/06"


def _draw(draw) -> tuple[np.ndarray, bytes]:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_MM[0] * mm, PAGE_MM[1] * mm), invariant=1)
    draw(c)
    c.save()
    return rasterize_pdf(buf.getvalue(), DPI)[0], buf.getvalue()


def _ink(img: np.ndarray) -> np.ndarray:
    return img < 128


def _px(box: Box) -> tuple[slice, slice]:
    k = DPI / 25.4
    return slice(round(box.y * k), round(box.bottom * k)), slice(
        round(box.x * k), round(box.right * k)
    )


def _line(key: str, size: float = 11, align: str = "left", valign: str = "middle", box: Box = BOX):
    face = typeface(key)
    return _draw(lambda c: place_line(c, face, TEXT, box, PAGE_MM[1], size, align, valign, 1.0))


@pytest.mark.parametrize("key", list(TYPED_FAMILIES))
def test_every_family_draws_its_glyphs_in_its_box_and_text_layer(key: str) -> None:
    img, pdf = _line(key)
    ink = _ink(img)
    rows, cols = _px(BOX)
    inside = int(ink[rows, cols].sum())
    assert inside > 400, (key, inside)
    assert int(ink.sum()) == inside  # nothing drawn outside the box
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    assert "千代田区" in text.stdout.decode()


def test_cff_families_are_drawn_as_outlines_and_look_like_themselves() -> None:
    assert isinstance(typeface("noto-sans"), OutlineFace)
    assert isinstance(typeface("mplus"), OutlineFace)
    assert isinstance(typeface("bizud-gothic"), TrueTypeFace)


def test_default_families_do_not_draw_as_ipa() -> None:
    """The default mix keeps IPA's glyphs out: Takao's fonts are IPA's, pixel for pixel."""
    ipa = {style: _ink(_line(f"ipa-{style}")[0]) for style in ("gothic", "mincho")}
    for key in DEFAULT_TYPED_FAMILIES:
        drawn = _ink(_line(key)[0])
        assert (drawn != ipa[TYPED_FAMILIES[key].style]).sum() > 150, key
    for style in ("gothic", "mincho"):
        assert (_ink(_line(f"takao-{style}")[0]) != ipa[style]).sum() == 0


def test_alignment_and_vertical_alignment_move_the_line() -> None:
    rows, cols = _px(BOX)

    def centre(align: str, valign: str) -> tuple[float, float]:
        ys, xs = np.nonzero(_ink(_line("noto-sans", 9, align, valign)[0])[rows, cols])
        return float(xs.mean()), float(ys.mean())

    left, centred, right = (centre(a, "middle")[0] for a in ("left", "center", "right"))
    assert left + 40 < centred < right - 40
    top, middle, bottom = (centre("left", v)[1] for v in ("top", "middle", "bottom"))
    assert top + 2 < middle < bottom - 2


def test_too_wide_a_value_is_shrunk_into_its_box() -> None:
    narrow = Box(10.0, 10.0, 30.0, 8.0)
    img, _ = _line("bizud-mincho", 14, box=narrow)
    rows, cols = _px(narrow)
    assert int(_ink(img).sum()) == int(_ink(img)[rows, cols].sum()) > 50


def test_size_sets_the_height_of_the_line() -> None:
    def height(size: float) -> int:
        ys, _ = np.nonzero(_ink(_line("ipaex-gothic", size)[0]))
        return int(ys.max() - ys.min())

    assert height(14) > height(8) * 1.4


@pytest.mark.parametrize("in_cells", [True, False])
def test_pass_number_one_digit_a_cell_or_one_string(in_cells: bool) -> None:
    spec = default_templates()[("A", 1)].field("pass_number")
    style = TypedStyle(
        font_family="vlgothic", size_pt=10.5, align="left", pass_number_in_cells=in_cells
    )
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(210 * mm, 297 * mm), invariant=1)
    draw_styled(c, spec, "2311438485", 297.0, style)
    c.save()
    img = rasterize_pdf(buf.getvalue(), DPI)[0]
    step = spec.frame_mm.w / spec.cells
    filled = 0
    for i in range(spec.cells):
        cell = Box(spec.frame_mm.x + i * step + 0.8, spec.frame_mm.y, step - 1.6, spec.frame_mm.h)
        rows, cols = _px(cell)
        filled += int(_ink(img)[rows, cols].sum() > 3)
    assert filled == 10 if in_cells else filled <= 7


def test_default_mix_draws_every_family_but_ipa() -> None:
    rng = random.Random(5)
    drawn = {choose_style(rng).font_family for _ in range(400)}
    assert drawn == set(DEFAULT_TYPED_FAMILIES)
    assert not {"ipa-gothic", "ipa-mincho"} & drawn
    styles = [choose_style(rng) for _ in range(400)]
    assert {s.align for s in styles} == {"left", "center", "right"}
    assert min(s.size_pt for s in styles) >= 8 and max(s.size_pt for s in styles) <= 14
    assert {s.leading_spaces for s in styles} == {0, 1, 2}
    assert {s.pass_number_in_cells for s in styles} == {True, False}
    only = {choose_style(rng, ["ipa-mincho", "mplus"]).font_family for _ in range(50)}
    assert only == {"ipa-mincho", "mplus"}


def test_family_keys_are_checked() -> None:
    assert parse_families("all") == list(TYPED_FAMILIES)
    assert parse_families("noto-sans, ipa-gothic") == ["noto-sans", "ipa-gothic"]
    with pytest.raises(ValidationError, match="unknown font family comic-sans; known: bizud"):
        parse_families("noto-sans,comic-sans")
    with pytest.raises(ValueError, match="unknown font family"):
        TypedStyle(font_family="arial", size_pt=10)
