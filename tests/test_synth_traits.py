"""Each capture trait changes the pages the way it says, and only where it says.

The pages are scanned without the scanner's own motion (no skew, shift or
perspective), so a millimetre on the form is a known pixel; a trait's pages are
compared with the same envelope scanned without it (the same scanner draws).
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from pipeline.errors import ValidationError
from pipeline.forms.loader import default_templates
from pipeline.synth.capture import capture_pages, plan_capture
from pipeline.synth.envelope import assemble, render_clean_pdf
from pipeline.synth.records import ApplicantRecord, RenderOptions
from pipeline.synth.scan import PageMotion, ScanSettings, scan_pdf, write_outputs
from pipeline.synth.scenarios import build_record
from pipeline.synth.traits import (
    DEFAULT_PROBABILITIES,
    TRAITS,
    draw_traits,
    parse_traits,
    trait_problem,
)

DPI = 100
K = DPI / 25.4  # pixels per mm
SCANNED_AT = datetime(2024, 6, 10, 9, 0)


def _record() -> ApplicantRecord:
    record = build_record(random.Random(7), "T-1", "eligible", date(2024, 6, 10))
    record.render.missing_forms = ["C", "D"]  # R, A, B: three pages keep the tests fast
    record.render.shuffle = record.render.cover_letter = False
    record.render.handwritten_fields = []
    record.render.upside_down = []
    record.seal = False
    return record


def _settings(mode: str = "gray") -> ScanSettings:
    return ScanSettings(
        dpi=DPI,
        mode=mode,
        blur_sigma=0.0,
        noise_sigma=0.5,
        jpeg_quality=80,
        threshold=160,
        white_point=235,
    )


def _scan(traits: list[str], mode: str = "gray", record: ApplicantRecord | None = None):
    """(pages, plan) of the test envelope scanned with ``traits`` (plan None without)."""
    record = (record or _record()).model_copy(deep=True)
    record.render.traits = traits
    rng = random.Random("fixed")
    slots, _ = assemble(record, rng)
    pdf, _ = render_clean_pdf(record, slots, default_templates(), rng)
    motions = [PageMotion() for _ in slots]
    nrng = np.random.default_rng(1)
    if not traits:
        return scan_pdf(pdf, motions, _settings(mode), nrng), None
    plan = plan_capture(record, _settings(mode), len(slots), np.random.default_rng(2))
    return capture_pages(pdf, motions, plan, nrng, np.random.default_rng(3)), plan


@pytest.fixture(scope="module")
def plain():
    return _scan([])[0]


def _changed(a: np.ndarray, b: np.ndarray, tol: int = 8) -> np.ndarray:
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return (diff.max(axis=2) if diff.ndim == 3 else diff) > tol


def test_stamp_lands_on_the_first_page_only_and_nowhere_else(plain) -> None:
    pages, plan = _scan(["stamp"])
    stamp = plan.details["stamp"]
    assert stamp["page"] == 0 and 20 <= stamp["size_mm"][0] <= 32
    changed = _changed(pages[0], plain[0])
    ys, xs = np.nonzero(changed)
    assert len(ys) > 300
    reach = max(stamp["size_mm"]) * 0.75 + 1
    assert np.abs(xs / K - stamp["centre_mm"][0]).max() < reach
    assert np.abs(ys / K - stamp["centre_mm"][1]).max() < reach
    assert (pages[0][changed].astype(int) - plain[0][changed]).mean() < -20  # darker: ink
    for later, before in zip(pages[1:], plain[1:], strict=True):
        assert not _changed(later, before).any()


def test_stamp_is_red_in_a_colour_scan() -> None:
    base, _ = _scan(["color"])
    pages, _ = _scan(["color", "stamp"])
    changed = _changed(pages[0], base[0], tol=40)
    assert pages[0].ndim == 3 and changed.sum() > 300
    r, g, b = (pages[0][changed][:, i].astype(int) for i in range(3))
    assert ((r > g + 10) & (r > b + 10)).mean() > 0.9  # red ink, faint or dense
    assert ((r - g > 80) & (r - b > 60)).sum() > 100


def test_fold_creases_near_a_third_and_two_thirds_and_panels_moved(plain) -> None:
    pages, plan = _scan(["fold"])
    creases = [c["y_mm"] for c in plan.details["fold"]["creases"]]
    assert abs(creases[0] - 99) <= 5 and abs(creases[1] - 198) <= 5
    margins = np.r_[round(1 * K) : round(7 * K), round(203 * K) : round(209 * K)]
    rows = slice(round(25 * K), round(270 * K))  # between the corner marks
    darker = (plain[1][rows, margins].astype(float) - pages[1][rows, margins]).mean(axis=1)
    peaks = (np.argsort(darker)[-6:] + rows.start) / K  # the darkest rows of the blank margins
    # at the margins a crease is off its middle by its tilt and by the panels' turn
    assert all(min(abs(p - c) for c in creases) < 3.5 for p in peaks), (peaks, creases)
    assert all(min(abs(p - c) for p in peaks) < 3.5 for c in creases), (peaks, creases)
    middle = slice(round((creases[0] + 14) * K), round((creases[1] - 14) * K))
    assert not _changed(pages[1][middle], plain[1][middle]).any()  # the middle panel lies flat
    outer = [page[: round((creases[0] - 14) * K)] for page in (pages[1], plain[1])]
    assert _changed(*outer).sum() > 200  # the top panel does not


def test_curl_moves_the_sheet_smoothly(plain) -> None:
    pages, plan = _scan(["curl"])
    lift = plan.details["curl"]["pages"]["1"]["lift"]
    assert 1.5 <= lift["amount_mm"] <= 4
    assert _changed(pages[1], plain[1]).sum() > 500


def test_photograph_shows_the_desk_around_a_colour_sheet() -> None:
    pages, plan = _scan(["photo"])
    assert plan.settings.mode == "color" and plan.settings.device == "phone"
    assert 150 <= plan.settings.dpi <= 250 and plan.settings.declared_dpi == (72.0, 72.0)
    frame = pages[0]
    sheet_px = (297 * plan.settings.dpi / 25.4, 210 * plan.settings.dpi / 25.4)
    assert frame.ndim == 3 and frame.shape[0] > sheet_px[0]
    assert abs(frame.shape[1] / frame.shape[0] - 0.75) < 0.01
    shot = plan.details["photo"]["pages"]["0"]
    assert 0.74 <= shot["fill"] <= 0.92 and shot["desk"] in ("wood", "grey", "white", "dark", "mat")


def test_fax_is_bitonal_at_its_resolution_with_a_header_line() -> None:
    pages, plan = _scan(["fax"])
    fax = plan.details["fax"]
    rows = 2339 if fax["fine"] else 1169  # 297 mm at 200 or 100 lines per inch
    assert plan.settings.dpi == 200 and plan.settings.dpi_y == (200 if fax["fine"] else 100)
    for page in pages:
        assert page.shape == (rows, 1654) and set(np.unique(page)) <= {0, 255}
        header = page[: round(rows * 5.5 / 297)]
        assert (header == 0).sum() > 200  # the sending machine's identification line
    assert fax["header"].startswith("2024/06/")


def test_photocopy_of_a_photocopy_greys_the_page_and_adds_specks(plain) -> None:
    pages, plan = _scan(["photocopy"])
    assert plan.details["photocopy"]["generations"] == 2
    blank = plain[1] == 255
    assert np.median(pages[1][blank]) < 245  # a greyer background
    assert (pages[1][blank] < 150).sum() > 20  # toner specks


def test_binding_shadow_darkens_one_edge(plain) -> None:
    pages, plan = _scan(["binding-shadow"])
    edge = plan.details["binding-shadow"]["edge"]
    band = round(3 * K)
    strips = {
        "left": np.s_[:, :band],
        "right": np.s_[:, -band:],
        "top": np.s_[:band, :],
        "bottom": np.s_[-band:, :],
    }
    for name, strip in strips.items():
        drop = float(plain[1][strip].mean()) - float(pages[1][strip].mean())
        assert (drop > 40) if name == edge else (drop < 25), (name, edge, drop)


def test_punch_holes_show_the_backing_at_their_centres(plain) -> None:
    pages, plan = _scan(["punch-holes"])
    holes = plan.details["punch-holes"]
    assert len(holes["centres_mm"]) == 2 and 5.5 <= holes["diameter_mm"] <= 6.5
    for page in pages:
        for x, y in holes["centres_mm"]:
            centre = page[round(y * K) - 2 : round(y * K) + 3, round(x * K) - 2 : round(x * K) + 3]
            assert abs(float(centre.mean()) - holes["backing"]) < 20


def test_margin_ticks_are_in_the_margins_of_their_pages(plain) -> None:
    pages, plan = _scan(["margin-ticks"])
    ticks = plan.details["margin-ticks"]["ticks"]
    assert ticks and {t["colour"] for t in ticks} <= {(200, 30, 40), (25, 25, 30)}
    for i, (page, before) in enumerate(zip(pages, plain, strict=True)):
        _, xs = np.nonzero(_changed(page, before))
        mine = [t for t in ticks if t["page"] == i]
        assert bool(len(xs)) == bool(mine)
        if mine:
            assert ((xs / K < 27) | (xs / K > 183)).all()  # outside the form's table


def test_speckle_adds_isolated_dots(plain) -> None:
    pages, plan = _scan(["speckle"])
    density = plan.details["speckle"]["density"]
    black = ((pages[1] == 0) & (plain[1] > 200)).mean()
    assert density * 0.5 < black < density * 3


def test_dither_is_error_diffused_bitonal_at_200_dpi() -> None:
    pages, plan = _scan(["dither"])
    assert plan.settings.dpi == 200 and plan.settings.dither and plan.settings.mode == "bitonal"
    page = pages[1]  # form A: its label column is printed light grey
    assert set(np.unique(page)) <= {0, 255}
    k = 200 / 25.4
    label = page[round(178 * k) : round(181 * k), round(24 * k) : round(36 * k)]
    assert 0.03 < (label == 0).mean() < 0.5  # grey becomes a pattern of dots, not white


def test_colour_scan_keeps_rgb_and_the_seal_red() -> None:
    record = _record()
    record.seal = True
    pages, _ = _scan(["color"], record=record)
    seal = default_templates()[("A", 1)].field("seal").frame_mm
    crop = pages[1][
        round(seal.y * K) : round(seal.bottom * K), round(seal.x * K) : round(seal.right * K)
    ]
    r, g = crop[..., 0].astype(int), crop[..., 1].astype(int)
    assert pages[1].ndim == 3 and ((r - g) > 80).sum() > 30


@pytest.mark.parametrize(
    ("trait", "size_pt"),
    [("resave-b5", (515.9, 728.5)), ("resave-letter", (612.0, 792.0)), ("dpi-72", None)],
)
def test_resaved_pages_declare_their_size(tmp_path, trait, size_pt) -> None:
    pages, plan = _scan([trait, "dither"])
    files = write_outputs(
        pages[:1], plan.settings, tmp_path, "x", ("pdf", "tiff"), SCANNED_AT, zero_slack=True
    )
    box = PdfReader(io.BytesIO((tmp_path / files["pdf"][0]).read_bytes())).pages[0].mediabox
    dpi = Image.open(tmp_path / files["tiff"][0]).info["dpi"]
    if size_pt is None:
        assert dpi == (72, 72) and float(box.width) == pytest.approx(1654, abs=1)
    else:
        assert (float(box.width), float(box.height)) == pytest.approx(size_pt, abs=1.5)


def test_fax_files_declare_200_by_100_dpi(tmp_path) -> None:
    pages, plan = _scan(["fax"])
    files = write_outputs(
        pages[:1], plan.settings, tmp_path, "x", ("pdf", "tiff"), SCANNED_AT, zero_slack=True
    )
    box = PdfReader(io.BytesIO((tmp_path / files["pdf"][0]).read_bytes())).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((595.3, 841.9), abs=1)
    assert Image.open(tmp_path / files["tiff"][0]).info["dpi"] == (200, plan.settings.dpi_y)


def test_traits_are_drawn_with_their_probabilities_never_in_conflict() -> None:
    rng = random.Random(3)
    draws = [draw_traits(rng, DEFAULT_PROBABILITIES) for _ in range(3000)]
    assert all(trait_problem(d) is None for d in draws)
    share = {k: sum(k in d for d in draws) / len(draws) for k in TRAITS}
    assert share["stamp"] == pytest.approx(TRAITS["stamp"].probability, abs=0.03)
    assert share["photo"] == pytest.approx(TRAITS["photo"].probability, abs=0.015)
    assert 0 < share["dither"] <= TRAITS["dither"].probability + 0.015
    assert any(len(d) >= 4 for d in draws) and any(not d for d in draws)


def test_trait_keys_and_conflicts_are_checked() -> None:
    assert parse_traits("stamp, fold") == ["fold", "stamp"]
    with pytest.raises(ValidationError, match=r"unknown trait\(s\) coffee-stain; known: photo"):
        parse_traits("stamp,coffee-stain")
    with pytest.raises(ValidationError, match="cannot happen together: color and fax"):
        parse_traits("fax,color")
    with pytest.raises(ValueError, match="photo and resave-b5"):
        RenderOptions(traits=["photo", "resave-b5"])
