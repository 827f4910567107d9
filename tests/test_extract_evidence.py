"""Evidence beyond one reading: faint strokes, slashed zeros, form B against form C, the register.

No tesseract: readings are given, the crops are drawn where the PC form prints.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.extract.attested import OTHER_FORM, confirm_attested_rows
from pipeline.extract.crops import clean_text_crop
from pipeline.extract.crosscheck import REGISTER, cross_check
from pipeline.extract.fields import (
    REDRAWN,
    SECOND_READING,
    CandidateJudge,
    FieldRead,
    PendingText,
    Thresholds,
    _allow_for_drift,
    _apply_text,
    _repair_zeros,
    _spacing,
)
from pipeline.extract.verify import compare
from pipeline.extract.zeros import is_digit_field, zero_candidates
from pipeline.forms.loader import load_templates
from pipeline.forms.schema import FieldSpec
from pipeline.ocr.tesseract import LineRead
from pipeline.storage.models import FieldStatus, RegistryEntry
from tests.test_extract_placement import DPI, GOTHIC, _box_image
from tests.test_extract_units import _read as _unit_read

THRESHOLDS = Thresholds(0.9, verify_fonts=(GOTHIC,))


@pytest.fixture(scope="module")
def spec() -> FieldSpec:
    return load_templates()[("B", 1)].field("exp1_from")


def _read(
    key: str,
    value: str | None,
    status: FieldStatus = FieldStatus.LOW_CONFIDENCE,
    *,
    fits: bool = True,
    raw: str | None = None,
    by: str | None = None,
) -> FieldRead:
    read = _unit_read(key, value, status, fits=fits)
    if raw is not None:
        read.raw_text = raw
    read.confirmed_by = by
    return read


def test_faint_strokes_touching_ink_are_kept_and_loose_specks_are_not() -> None:
    gray = np.full((60, 200), 250, np.uint8)
    gray[10:50, 40:44] = 30  # a dark vertical stroke
    gray[28:30, 44:90] = 175  # a thin horizontal stroke, lighter than Otsu's cut
    gray[28:30, 140:180] = 175  # the same grey, touching nothing
    crop = clean_text_crop(gray, 300)
    ink = crop.image[crop.pad : -crop.pad, crop.pad : -crop.pad] < 128
    assert ink[28:30, 50:85].mean() > 0.9  # the stroke joined to the vertical
    assert not ink[:, 135:185].any()  # not a stroke of anything kept
    assert crop.ocr_image is not None and crop.ocr_image.min() < 60


def test_zero_candidates_undo_the_slips_of_a_slashed_zero() -> None:
    assert "2019/04" in zero_candidates("2919/94")  # 0 read as 9, twice
    assert "2312753024" in zero_candidates("231275324")  # a 0 vanished
    assert "2211774593" in zero_candidates("22117745938")  # the slash read as a digit
    assert "2919/94" not in zero_candidates("2919/94")
    assert is_digit_field("0123456789年月日/.-現在")
    assert not is_digit_field(None)
    assert not is_digit_field("アイウ")


def test_slashed_zero_misreading_is_repaired_by_redrawing(spec: FieldSpec) -> None:
    crop = clean_text_crop(_box_image(spec, "2019/04"), DPI)
    read = _read("B.exp1_from", None, FieldStatus.INVALID, raw="2919/94")
    _repair_zeros(PendingText(read, spec, crop), THRESHOLDS)
    assert read.value == "2019-04"
    assert read.status == FieldStatus.CONFIRMED
    assert read.confirmed_by == REDRAWN
    assert read.raw_text == "2919/94"  # what Tesseract said stays visible


@pytest.mark.parametrize(
    ("printed", "raw", "dx_mm"),
    [
        ("2019/04", "2919/94", 6.0),  # the right candidate, but not where the PC form prints
        ("2017/11", "2919/94", 0.0),  # no candidate re-draws as the ink
    ],
)
def test_no_repair_without_a_clear_well_placed_candidate(
    spec: FieldSpec, printed: str, raw: str, dx_mm: float
) -> None:
    crop = clean_text_crop(_box_image(spec, printed, dx_mm=dx_mm), DPI)
    read = _read("B.exp1_from", None, FieldStatus.INVALID, raw=raw)
    _repair_zeros(PendingText(read, spec, crop), THRESHOLDS)
    assert read.status == FieldStatus.INVALID
    assert read.value is None
    assert read.confirmed_by is None


def _attestation(
    b_status: FieldStatus,
    c_status: FieldStatus,
    *,
    c_fits: bool = True,
    c_org: str = "北斗カード株式会社",
) -> dict[str, list[FieldRead]]:
    values = {"org": "北斗カード株式会社", "from": "2019-09", "to": "2020-02"}
    fields = {f"B.exp3_{k}": [_read(f"B.exp3_{k}", v, b_status)] for k, v in values.items()}
    fields.update(
        {f"C.att2_{k}": [_read(f"C.att2_{k}", v, c_status, fits=c_fits)] for k, v in values.items()}
    )
    fields["C.att2_org"][0].value = c_org
    fields["C.att2_row"] = [_read("C.att2_row", "3")]
    return fields


def test_history_row_confirmed_by_its_confident_attestation() -> None:
    fields = _attestation(FieldStatus.LOW_CONFIDENCE, FieldStatus.OK)
    confirmed = confirm_attested_rows(fields)
    for part in ("org", "from", "to"):
        read = fields[f"B.exp3_{part}"][0]
        assert read.status == FieldStatus.CONFIRMED and read.confirmed_by == OTHER_FORM
    assert fields["C.att2_row"][0].status == FieldStatus.CONFIRMED  # three values point at row 3
    assert set(confirmed) == {"B.exp3_org", "B.exp3_from", "B.exp3_to", "C.att2_row"}


@pytest.mark.parametrize(
    ("b_status", "c_status", "c_fits"),
    [
        (FieldStatus.LOW_CONFIDENCE, FieldStatus.LOW_CONFIDENCE, True),  # two unsure readings
        (FieldStatus.LOW_CONFIDENCE, FieldStatus.OK, False),  # the attestation looks handwritten
    ],
)
def test_no_confirmation_from_an_unsure_or_handwritten_other_side(
    b_status: FieldStatus, c_status: FieldStatus, c_fits: bool
) -> None:
    fields = _attestation(b_status, c_status, c_fits=c_fits)
    confirm_attested_rows(fields)
    assert fields["B.exp3_org"][0].status == FieldStatus.LOW_CONFIDENCE
    assert fields["B.exp3_org"][0].confirmed_by is None


def test_other_form_disagreeing_undoes_an_agreement_of_readings_and_a_sure_one() -> None:
    fields = _attestation(FieldStatus.OK, FieldStatus.OK, c_org="北キカード株式会社")
    fields["C.att2_org"][0].status = FieldStatus.CONFIRMED
    fields["C.att2_org"][0].confirmed_by = SECOND_READING
    confirm_attested_rows(fields)
    doubted = fields["C.att2_org"][0]
    assert doubted.status == FieldStatus.LOW_CONFIDENCE and doubted.confirmed_by is None
    assert "様式B" in (doubted.reason or "")
    sure = fields["B.exp3_org"][0]  # read confidently on its own, yet one form is wrong
    assert sure.status == FieldStatus.LOW_CONFIDENCE and "様式B" in (sure.reason or "")
    # The organisations differ, but the period, read surely on both forms, is row 3's alone.
    assert fields["C.att2_row"][0].confirmed_by == OTHER_FORM


@pytest.mark.parametrize(
    ("c_org", "another_org"),
    [
        ("株式会社ネクストサービスデザイン", True),  # the forms name another employer
        ("北キカード株式会社", False),  # one stroke apart: one reading may be the slip
        ("北斗力ード株式会社", False),
    ],
)
def test_an_attestation_naming_another_employer_is_left_to_the_rules(
    c_org: str, another_org: bool
) -> None:
    fields = _attestation(FieldStatus.OK, FieldStatus.OK, c_org=c_org)
    fields["B.exp3_org"][0].status = FieldStatus.CONFIRMED
    fields["B.exp3_org"][0].confirmed_by = SECOND_READING
    confirm_attested_rows(fields)
    history, attested = fields["B.exp3_org"][0], fields["C.att2_org"][0]
    if another_org:
        # Neither reading is in question: each keeps what its own crop settled, and the
        # rules find the attestation from another organisation.
        assert (history.status, history.confirmed_by) == (FieldStatus.CONFIRMED, SECOND_READING)
        assert attested.status == FieldStatus.OK and attested.reason is None
    else:
        assert history.status == attested.status == FieldStatus.LOW_CONFIDENCE
        assert "様式B" in (attested.reason or "")
    # Whichever employer, the period read surely on both forms is row 3's alone.
    assert fields["C.att2_row"][0].confirmed_by == OTHER_FORM


@pytest.mark.parametrize(
    ("dates_status", "twin_row", "confirmed"),
    [
        (FieldStatus.OK, False, True),  # the period points at row 3 alone
        (FieldStatus.OK, True, False),  # row 5 has the same period: which row is unsure
        (FieldStatus.LOW_CONFIDENCE, False, False),  # two unsure readings prove nothing
    ],
)
def test_a_row_number_is_confirmed_by_its_period_when_the_employer_differs(
    dates_status: FieldStatus, twin_row: bool, confirmed: bool
) -> None:
    fields = _attestation(FieldStatus.OK, FieldStatus.OK, c_org="株式会社ネクストサービスデザイン")
    for key in ("B.exp3_from", "B.exp3_to", "C.att2_from", "C.att2_to"):
        fields[key][0].status = dates_status
    if twin_row:
        fields["B.exp5_from"] = [_read("B.exp5_from", "2019-09", FieldStatus.OK)]
        fields["B.exp5_to"] = [_read("B.exp5_to", "2020-02", FieldStatus.OK)]
    confirm_attested_rows(fields)
    row = fields["C.att2_row"][0]
    assert (row.status == FieldStatus.CONFIRMED) is confirmed
    assert (row.confirmed_by == OTHER_FORM) is confirmed


def _entry(**extra: object) -> RegistryEntry:
    return RegistryEntry(
        pass_number="2312753020",
        name="山本　浩二",
        kana="ヤマモト コウジ",
        exam_type="CAP",
        **extra,
    )


ENTRY = _entry()


def test_register_undoes_agreeing_readings_that_contradict_it() -> None:
    fields = {
        "R.pass_number": [_read("R.pass_number", "2312753020", FieldStatus.OK)],
        "R.name_kanji": [
            _read("R.name_kanji", "山本浩三", FieldStatus.CONFIRMED, by=SECOND_READING)
        ],
        "A.name_kanji": [_read("A.name_kanji", "山本浩二", FieldStatus.OK)],
    }
    cross_check(fields, ENTRY)
    doubted = fields["R.name_kanji"][0]
    assert doubted.status == FieldStatus.LOW_CONFIDENCE
    assert "山本　浩二" in (doubted.reason or "")


def test_register_number_behind_a_slashed_zero_slip_is_confirmed() -> None:
    fields = {
        "R.pass_number": [_read("R.pass_number", "2312753020", FieldStatus.OK)],
        "A.pass_number": [_read("A.pass_number", "2312753028")],  # its last 0 read as 8
        "A.name_kanji": [_read("A.name_kanji", "山本浩二", FieldStatus.OK)],
    }
    cross_check(fields, ENTRY)
    repaired = fields["A.pass_number"][0]
    assert repaired.value == "2312753020"
    assert repaired.status == FieldStatus.CONFIRMED and repaired.confirmed_by == REGISTER
    assert repaired.raw_text == "2312753028"


def test_unregistered_number_is_not_settled_by_agreeing_readings() -> None:
    fields = {
        "A.pass_number": [
            _read("A.pass_number", "2312753028", FieldStatus.CONFIRMED, by=SECOND_READING)
        ],
    }
    checks = cross_check(fields, None)
    assert fields["A.pass_number"][0].status == FieldStatus.LOW_CONFIDENCE
    assert any(c.outcome == "register_missing" for c in checks)


def test_slash_slips_and_hyphens_in_numbers() -> None:
    from pipeline.extract.normalize import pass_number

    assert "2016/07" in zero_candidates("2016707")  # the slash read as 7
    assert "2013/3" in zero_candidates("20133")  # the slash lost
    assert pass_number("22122049-25") == "2212204925"  # a cell separator read as a hyphen


def test_cell_crops_drop_separator_specks_but_keep_the_slash_of_a_zero() -> None:
    gray = np.full((80, 200), 255, np.uint8)
    gray[15:65, 20:60] = 0
    gray[25:55, 30:50] = 255  # a ring: the zero
    gray[38:42, 38:42] = 0  # its slash, inside the ring, not touching it
    gray[70:74, 100:104] = 0  # a speck left of a dashed separator
    for cells, speck_kept in ((True, False), (False, True)):
        crop = clean_text_crop(gray, 300, glyph_cells=cells)
        ink = crop.image[crop.pad : -crop.pad, crop.pad : -crop.pad] < 128
        assert ink[38:42, 38:42].all()
        assert ink[70:74, 100:104].any() == speck_kept


def test_names_printed_alike_agree_with_the_register() -> None:
    fields = {
        "R.pass_number": [_read("R.pass_number", "2312753020", FieldStatus.OK)],
        "R.name_kanji": [_read("R.name_kanji", "山本浩ニ")],  # katakana ニ for kanji 二
    }
    cross_check(fields, ENTRY)
    read = fields["R.name_kanji"][0]
    assert read.status == FieldStatus.CONFIRMED and read.confirmed_by == REGISTER
    assert read.value == "山本　浩二"


def _placed(spec: FieldSpec, text: str, *, page: int = 0, **draw: float) -> PendingText:
    crop = clean_text_crop(_box_image(spec, text, **draw), DPI)
    item = PendingText(_read(f"B.{spec.name}", None), spec, crop, page=page)
    _apply_text(item.read, spec, LineRead(text, 0.9), THRESHOLDS, crop)
    return item


def test_placement_allows_for_the_drift_of_the_whole_page() -> None:
    templates = load_templates()
    specs = [templates[("B", 1)].field(n) for n in ("exp1_from", "exp1_to", "exp2_from")]
    target = templates[("B", 1)].field("exp2_to")
    typed = [_placed(s, "2019/04", dy_mm=0.6) for s in specs]  # the page sits 0.6 mm low
    late = _placed(target, "2020/03", dy_mm=0.6)
    pen = _placed(templates[("B", 1)].field("exp3_from"), "2021/05", scale=1.4, dy_mm=1.5)
    items = [*typed, late, pen]
    assert not any(i.read.placement_fits for i in items)
    _allow_for_drift(items, {id(i): LineRead(i.read.raw_text, 0.9) for i in items}, THRESHOLDS)
    assert all(i.read.placement_fits for i in [*typed, late])
    assert late.read.status == FieldStatus.OK, (late.read.verify_score, late.read.reason)
    assert not pen.read.placement_fits  # handwriting is off the page's print too


def test_a_value_from_elsewhere_is_judged_on_the_fields_own_crop(spec: FieldSpec) -> None:
    org = load_templates()[("B", 1)].field("exp1_org")
    item = _placed(org, "北斗カード株式会社")
    item.read.verify_score = 0.2  # as if Tesseract had read 北キカード株式会社 there
    judge = CandidateJudge(item, THRESHOLDS)
    better = judge.better("北斗カード株式会社")
    assert better is not None and better.value == "北斗カード株式会社"
    assert judge.better("南海カード株式会社") is None  # does not re-draw as the ink


def test_a_candidate_with_a_much_smaller_mean_distance_wins_a_tie_of_worst_windows() -> None:
    org = load_templates()[("B", 1)].field("exp1_org")
    item = _placed(org, "北斗カード株式会社")
    judge = CandidateJudge(item, THRESHOLDS)
    # As if the reading had tied on its worst window with a far larger mean distance.
    item.read.verify_score = (judge.better("北斗カード株式会社") or item.read).verify_score
    item.read.verify_mean = 1.0
    assert judge.better("北斗カード株式会社") is not None
    item.read.verify_mean = 0.0  # the reading fits on average as well as anything could
    assert judge.better("北斗カード株式会社") is None


@pytest.mark.parametrize(("printed", "confirmed"), [("山本　浩二", True), ("山田　花子", False)])
def test_a_name_tesseract_could_not_read_is_judged_against_the_register(
    printed: str, confirmed: bool
) -> None:
    spec = load_templates()[("B", 1)].field("applicant_name")
    crop = clean_text_crop(_box_image(spec, printed), DPI)
    item = PendingText(_read("B.applicant_name", None), spec, crop)
    _apply_text(item.read, spec, LineRead("", 0.0), THRESHOLDS, crop)  # nothing read
    item.read.judge = CandidateJudge(item, THRESHOLDS)
    fields = {
        "R.pass_number": [_read("R.pass_number", "2312753020", FieldStatus.OK)],
        "A.name_kanji": [_read("A.name_kanji", "山本浩二", FieldStatus.OK)],
        "B.applicant_name": [item.read],
    }
    cross_check(fields, ENTRY)
    assert (item.read.status == FieldStatus.CONFIRMED) == confirmed
    assert (item.read.value == "山本　浩二") == confirmed
    assert item.read.judge is None  # crops released once cross-checked


def test_a_period_the_other_form_reads_surely_settles_a_slashed_zero_tie() -> None:
    fields = _attestation(FieldStatus.OK, FieldStatus.OK)
    unsure = fields["B.exp3_to"][0]
    unsure.value, unsure.status, unsure.raw_text = None, FieldStatus.INVALID, "2929/92"
    unsure.alternatives = ("2020-02", "2026-02")  # 6 and 0 re-draw alike at 200 dpi
    confirm_attested_rows(fields)
    assert unsure.value == "2020-02"  # the attestation's sure reading picks one
    assert unsure.status == FieldStatus.CONFIRMED and unsure.confirmed_by == OTHER_FORM
    stranger = _attestation(FieldStatus.OK, FieldStatus.OK)
    other = stranger["B.exp3_to"][0]
    other.value, other.status, other.alternatives = None, FieldStatus.INVALID, ("2021-02",)
    confirm_attested_rows(stranger)
    assert other.status == FieldStatus.INVALID  # not among what the ink could be


def test_agreeing_readings_of_a_slashed_zero_yield_to_the_other_forms_zero() -> None:
    fields = _attestation(FieldStatus.OK, FieldStatus.OK)
    history, attested = fields["B.exp3_to"][0], fields["C.att2_to"][0]
    history.raw_text = "2020年2月"
    attested.value, attested.raw_text = "2029-02", "2029年2月"  # 0 read as 9 twice
    attested.status, attested.confirmed_by = FieldStatus.CONFIRMED, SECOND_READING
    confirm_attested_rows(fields)
    assert attested.value == "2020-02" and attested.confirmed_by == OTHER_FORM
    assert history.value == "2020-02"
    # The other way round a 9 vouched for only by agreeing readings settles nothing.
    fields = _attestation(FieldStatus.LOW_CONFIDENCE, FieldStatus.OK)
    history, attested = fields["B.exp3_to"][0], fields["C.att2_to"][0]
    history.value, history.raw_text, history.alternatives = None, "2929年2月", ("2029-02",)
    attested.value, attested.raw_text = "2029-02", "2029年2月"
    attested.status, attested.confirmed_by = FieldStatus.CONFIRMED, SECOND_READING
    confirm_attested_rows(fields)
    assert history.value is None and history.status == FieldStatus.LOW_CONFIDENCE


@pytest.mark.parametrize(("printed", "confirmed"), [("2024/05/10", False), ("2024/05/19", True)])
def test_agreeing_readings_of_an_informational_date_must_beat_its_zero_candidates(
    monkeypatch: pytest.MonkeyPatch, printed: str, confirmed: bool
) -> None:
    import pipeline.extract.fields as fields_mod
    from pipeline.extract.fields import _second_look
    from pipeline.ocr.tesseract import OcrRequest

    spec = load_templates()[("C", 1)].field("att1_date")
    assert not spec.decides and spec.ocr is not None
    crop = clean_text_crop(_box_image(spec, printed), DPI)
    read = _read("C.att1_date", None)
    _apply_text(read, spec, LineRead("2024/05/19", 0.5), THRESHOLDS, crop)
    read.status = FieldStatus.LOW_CONFIDENCE  # as if the first reading were unsure

    def read_lines(images, request, cmd):  # type: ignore[no-untyped-def]
        return [LineRead("2024/05/19", 0.9)] * len(images)  # every rendition: 19

    monkeypatch.setattr(fields_mod, "read_lines", read_lines)
    request = OcrRequest(spec.ocr.lang, spec.ocr.psm, spec.ocr.whitelist)
    _second_look([PendingText(read, spec, crop)], request, THRESHOLDS, "tesseract")
    assert (read.confirmed_by == SECOND_READING) == confirmed
    if not confirmed:
        assert read.alternatives == ("2024-05-10",)  # kept as what the ink may also be


def test_the_exam_date_is_checked_against_the_register() -> None:
    from datetime import date

    entry = _entry(exam_date=date(2023, 5, 5))
    agrees = _read("R.exam_date", "2023-05-05")
    slipped = _read("R.exam_date", "2023-05-06", FieldStatus.CONFIRMED, by=SECOND_READING)
    for read, status in ((agrees, FieldStatus.CONFIRMED), (slipped, FieldStatus.LOW_CONFIDENCE)):
        fields = {
            "R.pass_number": [_read("R.pass_number", "2312753020", FieldStatus.OK)],
            "A.name_kanji": [_read("A.name_kanji", "山本浩二", FieldStatus.OK)],
            "R.exam_date": [read],
        }
        checks = {c.item: c for c in cross_check(fields, entry)}
        assert read.status == status
        assert "exam_date" in checks


def test_full_width_parentheses_read_as_ascii_still_re_draw_as_the_print() -> None:
    """Tesseract reads the typed （ ） as ( ): drawn half as wide they pushed the rest of
    a blurred line off its ink (a qualification's note re-drew at 0.078, not 0.031, on
    seed 31). The reading is kept; its re-drawing is judged with the print's widths."""
    spec = load_templates()[("B", 1)].field("sub1_name")
    typed = "情報処理技術者試験（ITストラテジスト）"
    blurred = cv2.GaussianBlur(_box_image(spec, typed), (0, 0), 1.6)
    crop = clean_text_crop(np.where(blurred < 180, 0, 255).astype(np.uint8), DPI)
    ascii_ = typed.replace("（", "(").replace("）", ")")
    read = _read("B.sub1_name", None)
    _apply_text(read, spec, LineRead(ascii_, 0.9), THRESHOLDS, crop)
    assert read.value == ascii_ and read.raw_text == ascii_
    as_typed = compare(255 - crop.image, typed, (GOTHIC,), **_spacing(spec))
    as_read = compare(255 - crop.image, ascii_, (GOTHIC,), **_spacing(spec))
    assert as_typed is not None and as_read is not None
    assert read.verify_score == as_typed.score < as_read.score
    # A wrong reading gains nothing from the wider parentheses.
    wrong = _read("B.sub1_name", None)
    _apply_text(
        wrong, spec, LineRead("情報処理技術者試験(ITスペシャリスト)", 0.9), THRESHOLDS, crop
    )
    assert wrong.status != FieldStatus.OK
