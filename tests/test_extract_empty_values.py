"""A box holding no glyphs: empty, whatever the engines made of its specks and stubs.

The crops are cleaned crops of the corpora (seed 23): an empty row 7 of form B crossed by
a dithered copy's crease (the engines read '-', 'w', '4'), the same row on a folded sheet
where a ruling's corner moved into the box (PP-OCR read '1'), and a birth date both
engines misread as '1' (the value is there: it must stay with a person); seed 31: an
empty organisation box a fold bent a ruling into; seed 23 again: an organisation box
cut through its value.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.extract.crops import CleanCrop, clean_text_crop, glyph_ink
from pipeline.extract.normalize import FieldInvalid, normalize
from pipeline.extract.reading import Engine, EngineReading
from pipeline.extract.text_reading import VALUE_MIN_WIDTH_MM, PendingText, TextPolicy, settle
from pipeline.forms.loader import load_templates
from pipeline.vocabulary import FieldStatus
from tests.helpers.reads import P, T, field

SCANS = Path(__file__).parent / "fixtures" / "scans"
PX_PER_MM = 300 / 25.4
POLICY = TextPolicy(handwriting_threshold=0.99)
VL_GOTHIC = "/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf"


def _cleaned(name: str) -> CleanCrop:
    image = cv2.imread(str(SCANS / name), cv2.IMREAD_GRAYSCALE)
    return CleanCrop(image, float((image < 128).mean()), 0, px_per_mm=PX_PER_MM)


def _junk(validator: str, engine: Engine, text: str) -> EngineReading:
    """What ``engine`` read, as ``text_reading.normalised`` leaves it: no value."""
    with pytest.raises(FieldInvalid) as problem:
        normalize(validator, text)
    return EngineReading(engine, text, 0.5, None, str(problem.value))


def _settled(form: str, name: str, crop: str, texts: list[tuple[Engine, str]]) -> object:
    spec = load_templates()[(form, 1)].field(name)
    assert spec.validator is not None
    readings = tuple(_junk(spec.validator, engine, text) for engine, text in texts)
    placeholder = field(f"{form}.{name}", None, FieldStatus.LOW_CONFIDENCE, readings=())
    return settle(PendingText(placeholder, spec, _cleaned(crop)), readings, POLICY)


def test_a_crease_across_an_empty_year_month_box_is_no_value() -> None:
    read = _settled(
        "B", "exp7_from", "yearmonth_empty_under_crease.png", [(T, "-"), (P, "w"), (T, "-4")]
    )
    assert (read.status, read.value) == (FieldStatus.MISSING, None)
    # What the engines made of the crease stays with the field.
    assert [r.text for r in read.readings] == ["-", "w", "-4"]


def test_a_ruling_stub_in_an_empty_year_month_box_is_no_value() -> None:
    read = _settled("B", "exp7_from", "yearmonth_empty_ruling_stub.png", [(P, "1")])
    assert (read.status, read.value) == (FieldStatus.MISSING, None)


def test_a_year_month_one_engine_read_is_no_stub() -> None:
    """現在 is two glyphs: a value one engine read in a box with little ink stays with a
    person (seed 197's E197-0042, where PP-OCR alone read 現在)."""
    spec = load_templates()[("B", 1)].field("exp7_to")
    readings = (EngineReading(P, "現在", 0.9, "present"), _junk("yearmonth_or_present", T, "1"))
    placeholder = field("B.exp7_to", None, FieldStatus.LOW_CONFIDENCE, readings=())
    item = PendingText(placeholder, spec, _cleaned("yearmonth_empty_ruling_stub.png"))
    assert settle(item, readings, POLICY).status == FieldStatus.LOW_CONFIDENCE


def test_a_written_date_the_engines_misread_stays_with_a_person() -> None:
    read = _settled("A", "birth_date", "date_written_engines_misread.png", [(T, "1"), (P, "1")])
    assert read.status == FieldStatus.INVALID
    assert read.reason is not None


def test_a_ruling_stub_in_an_empty_organisation_box_is_no_value() -> None:
    """Seed 31's E31-0001: a fold bent row 8's ruling into the empty organisation box;
    Tesseract read イイ, PP-OCR 一 (a value, but the engines disagree)."""
    spec = load_templates()[("B", 1)].field("exp8_org")
    readings = (EngineReading(T, "イイ", 0.6, "イイ"), EngineReading(P, "一", 0.7, "一"))
    placeholder = field("B.exp8_org", None, FieldStatus.LOW_CONFIDENCE, readings=())
    item = PendingText(placeholder, spec, _cleaned("org_empty_ruling_stub.png"))
    assert settle(item, readings, POLICY).status == FieldStatus.MISSING
    # Both engines reading the same value is left to them, however little ink it has.
    agreed = (EngineReading(T, "一", 0.9, "一"), EngineReading(P, "一", 0.9, "一"))
    assert settle(item, agreed, POLICY).status == FieldStatus.OK


def test_a_name_of_one_kanji_and_a_flat_one_is_no_stub() -> None:
    """林一 typed at 8 pt: 一 is flat and 林 one glyph, but a glyph all the same."""
    face = ImageFont.truetype(VL_GOTHIC, 33)  # 8 pt at 300 dpi
    image = Image.new("L", (600, 80), 250)
    ImageDraw.Draw(image).text((30, 20), "林一", font=face, fill=20)
    spec = load_templates()[("C", 1)].field("att1_name")
    readings = (EngineReading(T, "林", 0.6, "林"), EngineReading(P, "林一", 0.9, "林一"))
    placeholder = field("C.att1_name", None, FieldStatus.LOW_CONFIDENCE, readings=())
    item = PendingText(placeholder, spec, clean_text_crop(np.array(image), 300))
    assert glyph_ink(item.cleaned).width_mm < VALUE_MIN_WIDTH_MM
    assert settle(item, readings, POLICY).status == FieldStatus.LOW_CONFIDENCE


def test_a_lone_stroke_may_be_a_row_number() -> None:
    """A row number is one narrow digit: its box is never judged by glyph ink."""
    spec = load_templates()[("C", 1)].field("att1_row")
    readings = (EngineReading(T, "1", 0.9, "1"), EngineReading(P, "7", 0.9, "7"))
    placeholder = field("C.att1_row", None, FieldStatus.LOW_CONFIDENCE, readings=())
    item = PendingText(placeholder, spec, _cleaned("yearmonth_empty_ruling_stub.png"))
    assert settle(item, readings, POLICY).status == FieldStatus.LOW_CONFIDENCE


def test_a_value_the_crop_cut_through_stays_with_a_person() -> None:
    """Seed 23's E23-0026: a photographed, folded sheet; the organisation box was cut a
    few millimetres off its value, whose glyphs show as halves (the engines read
    、…にここ and 株式会れトラベルリマバン). No glyph stands whole, but a row of halves is a
    value, not a stub."""
    spec = load_templates()[("B", 1)].field("exp2_org")
    readings = (
        EngineReading(T, "、…にここ", 0.2, "、…にここ"),
        EngineReading(P, "株式会れトラベルリマバン", 0.6, "株式会れトラベルリマバン"),
    )
    placeholder = field("B.exp2_org", None, FieldStatus.LOW_CONFIDENCE, readings=())
    item = PendingText(placeholder, spec, _cleaned("org_value_cut_in_half.png"))
    assert glyph_ink(item.cleaned).width_mm < 3.0
    assert settle(item, readings, POLICY).status == FieldStatus.LOW_CONFIDENCE


def test_glyph_ink_is_measured_by_glyph_sized_pieces() -> None:
    crease = glyph_ink(_cleaned("yearmonth_empty_under_crease.png"))
    assert crease.width_mm < 1.0 and crease.pieces <= 2
    stub = glyph_ink(_cleaned("yearmonth_empty_ruling_stub.png"))
    assert stub.width_mm < 3.0 and stub.pieces <= 2
    assert glyph_ink(_cleaned("date_written_engines_misread.png")).width_mm > 15.0
    assert glyph_ink(_cleaned("org_value_cut_in_half.png")).pieces > 10
