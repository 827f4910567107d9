"""The placement check, the grey OCR input and the second reading (no tesseract needed)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import pipeline.extract.fields as fields_mod
from pipeline.extract.crops import OCR_DPI, clean_text_crop
from pipeline.extract.fields import (
    SECOND_READING,
    FieldRead,
    PendingText,
    Thresholds,
    _second_look,
)
from pipeline.extract.placement import Placement, check_placement
from pipeline.forms.layout import PT_PER_MM, typed_placement
from pipeline.forms.loader import load_templates
from pipeline.forms.schema import FieldSpec
from pipeline.ocr.tesseract import LineRead, OcrRequest
from pipeline.storage.models import FieldStatus

DPI = 300
GOTHIC = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"
PX_PER_MM = DPI / 25.4


@pytest.fixture(scope="module")
def spec() -> FieldSpec:
    return load_templates()[("B", 1)].field("exp1_from")


@pytest.fixture(scope="module")
def centred() -> FieldSpec:
    return load_templates()[("C", 1)].field("att1_row")


def _box_image(
    spec: FieldSpec, text: str, *, scale: float = 1.0, dx_mm: float = 0.0, dy_mm: float = 0.0
) -> np.ndarray:
    """``text`` where the PC form prints it (optionally larger or moved), as a grey box crop."""
    box = spec.box_mm
    w, h = round(box.w * PX_PER_MM), round(box.h * PX_PER_MM)
    probe = ImageFont.truetype(GOTHIC, 100)
    place = typed_placement(spec, probe.getlength(text) / 100)
    size_px = place.size_pt / PT_PER_MM * PX_PER_MM * scale
    font = ImageFont.truetype(GOTHIC, max(1, round(size_px)))
    image = Image.new("L", (w, h), 255)
    x = (place.x_mm + dx_mm) * PX_PER_MM
    if spec.align == "center":  # keep a larger print centred on the same point
        x -= (font.getlength(text) - probe.getlength(text) / 100 * size_px / scale) / 2
    baseline = (place.baseline_mm + dy_mm) * PX_PER_MM
    # Larger handwriting grows around the same line centre, as a pen does.
    baseline += (scale - 1.0) * size_px * 0.35
    ImageDraw.Draw(image).text((x, baseline), text, font=font, fill=0, anchor="ls")
    return np.asarray(image)


def _placement(spec: FieldSpec, image: np.ndarray, text: str):  # type: ignore[no-untyped-def]
    crop = clean_text_crop(image, DPI)
    return check_placement(
        crop.image, text, spec, (GOTHIC,), px_per_mm=crop.px_per_mm, pad=crop.pad
    )


def test_typed_value_where_the_form_prints_it_fits(spec: FieldSpec) -> None:
    found = _placement(spec, _box_image(spec, "2019年10月"), "2019年10月")
    assert found is not None
    assert found.fits, found


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"scale": 1.2}, "written larger than the print"),
        ({"dy_mm": 0.6}, "on a lower baseline"),
        ({"dx_mm": 2.5}, "started further right"),
    ],
)
def test_value_off_the_print_layout_does_not_fit(spec: FieldSpec, change: dict, why: str) -> None:
    found = _placement(spec, _box_image(spec, "2019年10月", **change), "2019年10月")
    assert found is not None
    assert not found.fits, why


def test_centred_single_digit_off_centre_does_not_fit(centred: FieldSpec) -> None:
    assert _placement(centred, _box_image(centred, "3"), "3").fits  # type: ignore[union-attr]
    moved = _placement(centred, _box_image(centred, "3", dx_mm=-5.0), "3")
    assert moved is not None and not moved.fits


def test_placement_is_not_judged_without_reading_or_ink(spec: FieldSpec) -> None:
    blank = np.full((40, 200), 255, np.uint8)
    assert check_placement(blank, "2019年", spec, (GOTHIC,), px_per_mm=PX_PER_MM, pad=12) is None
    image = _box_image(spec, "2019年10月")
    assert check_placement(image, "  ", spec, (GOTHIC,), px_per_mm=PX_PER_MM, pad=12) is None


def test_grey_ocr_input_keeps_ink_whitens_rulings_and_scales(spec: FieldSpec) -> None:
    image = _box_image(spec, "2019年10月").copy()
    image[-3:, :] = 0  # the box's bottom ruling
    crop = clean_text_crop(image, DPI)
    assert crop.ocr_image is not None
    ratio = OCR_DPI / DPI
    inner_h = crop.ocr_image.shape[0] - 2 * crop.pad
    assert abs(inner_h - image.shape[0] * ratio) <= 2
    body = crop.ocr_image[crop.pad : -crop.pad, crop.pad : -crop.pad]
    assert body.min() < 60  # the text stays dark
    assert body[-2:, :].min() > 200  # the ruling is gone


def _unsure(value: str, score: float, fits: bool) -> FieldRead:
    return FieldRead(
        form_code="B",
        form_page=1,
        name="exp1_from",
        label_ja="期間 自",
        kind="yearmonth",
        decides=True,
        required=True,
        row=1,
        group="experience",
        value=value,
        raw_text="",
        confidence=0.7,
        status=FieldStatus.LOW_CONFIDENCE,
        verify_score=score,
        placement_fits=fits,
    )


@pytest.mark.parametrize(
    ("first", "score", "fits", "second", "third", "confirmed"),
    [
        # the first reading repeated by another, close enough, in place
        ("2019-10", 0.09, True, "2019年10月", "2019年16月", "2019-10"),
        # no two valid readings agree
        ("2019-10", 0.09, True, "2019年16月", "2019年16月", None),
        # agree, but the re-drawing of the first is too far off (and the other is invalid)
        ("2019-10", 0.15, True, "2019年10月", "2019年16月", None),
        # agree, but not where the form prints (handwriting)
        ("2019-10", 0.09, False, "2019年10月", "2019年16月", None),
        # the first is the odd one out: the other two agree, re-draw and sit right
        ("2019-11", 0.09, True, "2019年10月", "2019年10月", "2019-10"),
    ],
)
def test_two_readings_of_three_confirm_only_on_agreement(
    spec: FieldSpec,
    monkeypatch: pytest.MonkeyPatch,
    first: str,
    score: float,
    fits: bool,
    second: str,
    third: str,
    confirmed: str | None,
) -> None:
    calls: list[int] = []

    def read_lines(images, request, cmd):  # type: ignore[no-untyped-def]
        calls.append(len(images))  # the grey 300-dpi rendition, then the binarised one
        return [LineRead(second if len(calls) == 1 else third, 0.9)] * len(images)

    monkeypatch.setattr(fields_mod, "read_lines", read_lines)
    crop = clean_text_crop(_box_image(spec, "2019年10月"), DPI)
    read = _unsure(first, score, fits)
    thresholds = Thresholds(0.9, verify_fonts=(GOTHIC,))
    _second_look(
        [PendingText(read, spec, crop)], OcrRequest("jpn", 7, None), thresholds, "tesseract"
    )
    if confirmed:
        assert read.status == FieldStatus.CONFIRMED
        assert read.confirmed_by == SECOND_READING
        assert read.value == confirmed
    else:
        assert read.status != FieldStatus.CONFIRMED
        assert read.confirmed_by is None
    # The binarised rendition is read only when the grey one settled nothing.
    assert calls == ([1, 0] if confirmed == first else [1, 1])


def test_agreement_is_no_evidence_for_digits_in_free_text_or_email() -> None:
    templates = load_templates()
    yearmonth = templates[("B", 1)].field("exp1_from")
    contact = templates[("C", 1)].field("att1_contact")
    email = templates[("A", 1)].field("email")
    assert fields_mod._agreement_counts(yearmonth, "2019-10")
    assert fields_mod._agreement_counts(contact, "株式会社日本コールサービス")
    assert not fields_mod._agreement_counts(contact, "株式会社日本コールサービス080-1234-5678")
    assert not fields_mod._agreement_counts(email, "ccpro1@example.com")


@pytest.mark.parametrize(
    ("printed", "status"),
    [("sato.k@example.jp", FieldStatus.OK), ("ccpro1@example.jp", FieldStatus.LOW_CONFIDENCE)],
)
def test_email_with_look_alike_characters_goes_to_staff(printed: str, status: FieldStatus) -> None:
    email = load_templates()[("A", 1)].field("email")
    crop = clean_text_crop(_box_image(email, printed), DPI)
    read = _unsure("", 0.0, False)
    thresholds = Thresholds(0.9, verify_fonts=(GOTHIC,))
    fields_mod._apply_text(read, email, LineRead(printed, 0.9), thresholds, crop)
    assert read.value == printed
    assert read.status == status, read.reason
    if status != FieldStatus.OK:
        assert read.reason is not None and "l と 1" in read.reason


@pytest.mark.parametrize(
    ("address", "doubtful"),
    [
        ("sato.k@mail.example.ne.jp", False),
        ("ccpro1@example.jp", True),
        ("ccprol@example.jp", True),
        ("ccprol9@example.jp", True),
        ("yamada.t2O24@example.jp", True),
        ("hello.world@example.com", False),
    ],
)
def test_email_look_alikes_in_the_local_part(address: str, doubtful: bool) -> None:
    assert fields_mod.email_has_look_alikes(address) is doubtful


def _cells_image(
    spec: FieldSpec, digits: str, *, scale: float = 1.0, dx_mm: float = 0.0
) -> np.ndarray:
    """Digits printed one per cell, centred, as the PC form does (optionally off and larger)."""
    box, frame = spec.box_mm, spec.frame_mm
    step = frame.w / (spec.cells or 1)
    image = Image.new("L", (round(box.w * PX_PER_MM), round(box.h * PX_PER_MM)), 255)
    size_mm = spec.font_pt / PT_PER_MM
    font = ImageFont.truetype(GOTHIC, max(1, round(size_mm * PX_PER_MM * scale)))
    baseline = ((box.h - size_mm) / 2 + 0.88 * size_mm) * PX_PER_MM
    draw = ImageDraw.Draw(image)
    for k, ch in enumerate(digits):
        left = (frame.x - box.x + k * step + dx_mm) * PX_PER_MM
        x = left + (step * PX_PER_MM - font.getlength(ch)) / 2
        draw.text((x, baseline), ch, font=font, fill=0, anchor="ls")
    return np.asarray(image)


def test_digits_in_cells_judged_cell_by_cell() -> None:
    cells = load_templates()[("A", 1)].field("pass_number")
    assert cells.cells
    typed = _placement(cells, _cells_image(cells, "2412226546"), "2412226546")
    assert typed is not None and typed.fits, typed
    by_hand = _placement(cells, _cells_image(cells, "2412226546", scale=1.25), "2412226546")
    assert by_hand is not None and not by_hand.fits
    shifted = _placement(cells, _cells_image(cells, "2412226546", dx_mm=-1.5), "2412226546")
    assert shifted is not None and not shifted.fits


@pytest.mark.parametrize(
    ("top_mm", "bottom_mm", "fits"),
    [
        (
            -0.06,
            -0.36,
            True,
        ),  # 2024/06 at 200 dpi: the slash's descender faded, the digits sit right
        (0.0, 0.0, True),
        (0.0, 0.22, False),  # a pen stroke hanging below the printed baseline
        (-0.06, -0.5, False),  # too short for the reading: not what the form prints
    ],
)
def test_a_typed_value_may_lose_its_descender_but_not_hang_low(
    top_mm: float, bottom_mm: float, fits: bool
) -> None:
    assert Placement(0.2, top_mm, bottom_mm, GOTHIC, centred=False).fits is fits
