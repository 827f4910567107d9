"""Telling two readings apart where they differ (``verify.contrast``).

Whole-line scores tie when one kanji or one slashed zero is all that
separates two readings at 200 dpi (智 / 留, 2016 / 2010): the worst window is
quantised to whole pixels and the mean is diluted by the shared characters.
These tests check the contrast sees the difference, that the judge, the
slashed-zero repair and the register's dates use it, and that it never turns
a reading into what the ink does not show.
"""

from __future__ import annotations

from datetime import date

import pytest

import pipeline.extract.fields as fields_mod
from pipeline.extract.attested import OTHER_FORM, confirm_attested_rows
from pipeline.extract.crops import clean_text_crop
from pipeline.extract.crosscheck import REGISTER, cross_check
from pipeline.extract.fields import (
    CONTRAST_MIN_GAIN,
    REDRAWN,
    SECOND_READING,
    CandidateJudge,
    PendingText,
    _apply_text,
    _repair_zeros,
)
from pipeline.extract.verify import contrast
from pipeline.extract.zeros import is_zero_slip
from pipeline.forms.loader import load_templates
from pipeline.forms.schema import FieldSpec
from pipeline.ocr.tesseract import LineRead
from pipeline.storage.models import FieldStatus
from tests.test_extract_evidence import THRESHOLDS, _attestation, _entry, _read
from tests.test_extract_placement import DPI, GOTHIC, _box_image


def _spec(form: str, name: str) -> FieldSpec:
    return load_templates()[(form, 1)].field(name)


def _item(spec: FieldSpec, printed: str, read_as: str, key: str) -> PendingText:
    """``printed`` on the form, read by Tesseract as ``read_as``."""
    crop = clean_text_crop(_box_image(spec, printed), DPI)
    item = PendingText(_read(key, None), spec, crop)
    _apply_text(item.read, spec, LineRead(read_as, 0.9), THRESHOLDS, crop)
    return item


@pytest.mark.parametrize(
    ("printed", "other"),
    [
        ("庄司智子", "庄司留子"),
        ("阿部剛", "阿部隊"),
        ("2016/11", "2010/11"),
        ("2010/11", "2016/11"),
    ],
)
def test_contrast_favours_what_the_ink_shows(printed: str, other: str) -> None:
    spec = _spec("B", "applicant_name") if printed[0] != "2" else _spec("B", "exp1_to")
    ink = 255 - clean_text_crop(_box_image(spec, printed), DPI).image
    towards_ink = contrast(ink, other, printed, (GOTHIC,))
    away = contrast(ink, printed, other, (GOTHIC,))
    assert towards_ink is not None and away is not None
    assert towards_ink.gain >= CONTRAST_MIN_GAIN
    assert towards_ink.loss < towards_ink.gain / 2
    assert away.gain == pytest.approx(towards_ink.loss)  # the same windows, seen the other way
    assert away.loss == pytest.approx(towards_ink.gain)


def test_contrast_of_a_reading_with_itself_is_nil() -> None:
    spec = _spec("B", "applicant_name")
    ink = 255 - clean_text_crop(_box_image(spec, "庄司智子"), DPI).image
    same = contrast(ink, "庄司智子", "庄司　智子", (GOTHIC,))  # spacing is not drawn
    assert same is not None and same.gain == 0.0 and same.loss == 0.0


@pytest.mark.parametrize(("candidate", "taken"), [("庄司　智子", True), ("庄司　留子", False)])
def test_the_judge_takes_a_tied_candidate_only_where_the_ink_shows_it(
    candidate: str, taken: bool
) -> None:
    spec = _spec("C", "applicant_name")
    item = _item(spec, "庄司智子", "庄司留子", "C.applicant_name")
    judge = CandidateJudge(item, THRESHOLDS)
    trial = fields_mod._reading_as(item, LineRead(candidate, 0.0), THRESHOLDS)
    # As at 200 dpi bitonal: both whole-line scores tie, and so do their means.
    item.read.verify_score = trial.verify_score
    item.read.verify_mean = trial.verify_mean
    better = judge.better(candidate)
    assert (better is not None) == taken
    if taken:
        assert better is not None and better.value == "庄司 智子"  # spacing normalised


def test_the_judge_needs_the_candidate_within_the_consensus_distance() -> None:
    spec = _spec("C", "applicant_name")
    item = _item(spec, "庄司智子", "庄司留子", "C.applicant_name")
    strict = fields_mod.Thresholds(0.9, verify_fonts=(GOTHIC,), consensus_max_score=0.0)
    judge = CandidateJudge(item, strict)
    item.read.verify_score, item.read.verify_mean = 0.5, 0.0  # no other rule can take it
    assert judge.better("庄司　智子") is None  # as handwriting that re-draws loosely


@pytest.mark.parametrize(("printed", "value"), [("2016/11", "2016-11"), ("2010/11", "2010-11")])
def test_a_slashed_zero_tie_is_settled_where_the_candidates_differ(
    monkeypatch: pytest.MonkeyPatch, printed: str, value: str
) -> None:
    spec = _spec("B", "exp1_to")
    crop = clean_text_crop(_box_image(spec, printed), DPI)
    read = _read("B.exp1_to", None, FieldStatus.INVALID, raw="2916/11")
    monkeypatch.setattr(fields_mod, "ZERO_MARGIN", 1.0)  # every candidate ties at its worst
    _repair_zeros(PendingText(read, spec, crop), THRESHOLDS)
    assert read.value == value
    assert read.status == FieldStatus.CONFIRMED and read.confirmed_by == REDRAWN
    assert read.raw_text == "2916/11"


def test_zero_slips_are_counted_digit_for_digit() -> None:
    assert is_zero_slip("2020-08", "2626/98")  # three zeros, separators aside
    assert is_zero_slip("2020-12", "2620/12")
    assert not is_zero_slip("2020-08", "2020/08")  # no slip at all
    assert not is_zero_slip("2026-08", "2020/08")  # a 0 for a 6 is not how the font slips
    assert not is_zero_slip("2020-08", "2021/08")
    assert not is_zero_slip("2020-08", "2020/8")  # digits shifted: ``zero_candidates``' job


def test_a_sure_period_settles_three_zero_slips_on_the_other_form() -> None:
    fields = _attestation(FieldStatus.OK, FieldStatus.OK)
    history, attested = fields["B.exp3_to"][0], fields["C.att2_to"][0]
    history.raw_text = "2020/02"
    attested.value, attested.raw_text = "2626-92", "2626/92"  # as if it had normalised
    attested.status, attested.confirmed_by = FieldStatus.CONFIRMED, SECOND_READING
    confirmed = confirm_attested_rows(fields)
    assert attested.value == "2020-02" and attested.confirmed_by == OTHER_FORM
    assert "C.att2_to" in confirmed


@pytest.mark.parametrize(
    ("printed", "confirmed"), [("2024年4月10日", True), ("2024年4月16日", False)]
)
def test_a_register_date_behind_a_zero_slip_is_taken_only_where_the_ink_shows_it(
    monkeypatch: pytest.MonkeyPatch, printed: str, confirmed: bool
) -> None:
    spec = _spec("R", "issue_date")
    item = _item(spec, printed, "2024年4月16日", "R.issue_date")
    item.read.confirm(SECOND_READING)  # two renditions agreed on the 6
    item.read.judge = CandidateJudge(item, THRESHOLDS)
    # Whole-line scores tie at 200 dpi; only where 6 and 0 differ can tell.
    monkeypatch.setattr(fields_mod, "CANDIDATE_MARGIN", 1.0)
    monkeypatch.setattr(fields_mod, "CANDIDATE_MEAN_SHARE", 0.0)
    fields = {
        "R.pass_number": [_read("R.pass_number", "2312753020", FieldStatus.OK)],
        "A.name_kanji": [_read("A.name_kanji", "山本浩二", FieldStatus.OK)],
        "R.issue_date": [item.read],
    }
    checks = {c.item: c for c in cross_check(fields, _entry(issue_date=date(2024, 4, 10)))}
    if confirmed:
        assert item.read.value == "2024-04-10"
        assert item.read.status == FieldStatus.CONFIRMED and item.read.confirmed_by == REGISTER
        assert checks["issue_date"].outcome == "agree"
    else:
        assert item.read.value == "2024-04-16"
        assert item.read.status == FieldStatus.LOW_CONFIDENCE
        assert "2024-04-10" in (item.read.reason or "")


@pytest.mark.parametrize(
    ("history_printed", "settled"), [("北斗カード株式会社", True), ("北キカード株式会社", False)]
)
def test_organisations_neither_crop_settles_alone_are_settled_where_both_show_one(
    history_printed: str, settled: bool
) -> None:
    history = _item(_spec("B", "exp1_org"), history_printed, "北キカード株式会社", "B.exp1_org")
    attested = _item(
        _spec("C", "att1_org"), "北斗カード株式会社", "北斗カード株式会社", "C.att1_org"
    )
    shown = history.read.judge = CandidateJudge(history, THRESHOLDS)
    trial = shown.shows("北斗カード株式会社", "北キカード株式会社", within=1.0)
    score = max(attested.read.verify_score or 0.0, trial.verify_score if trial else 0.0)
    # As on a heavy scan: neither crop re-draws within the consensus distance, both
    # within twice it; and the whole-line scores can't tell the two names apart.
    heavy = fields_mod.Thresholds(
        0.9, verify_fonts=(GOTHIC,), consensus_max_score=0.75 * max(score, 0.04)
    )
    history.read.judge = CandidateJudge(history, heavy)
    attested.read.judge = CandidateJudge(attested, heavy)
    for item in (history, attested):
        item.read.status, item.read.verify_score, item.read.verify_mean = (
            FieldStatus.LOW_CONFIDENCE,
            1.5 * heavy.consensus_max_score,
            1.0,
        )
    fields = {
        "B.exp1_org": [history.read],
        "C.att1_org": [attested.read],
        "C.att1_row": [_read("C.att1_row", "1")],
    }
    confirm_attested_rows(fields)
    if settled:
        assert history.read.value == attested.read.value == "北斗カード株式会社"
        assert history.read.confirmed_by == attested.read.confirmed_by == OTHER_FORM
    else:
        assert history.read.value == "北キカード株式会社"
        assert history.read.status == attested.read.status == FieldStatus.LOW_CONFIDENCE
        assert history.read.confirmed_by is None and attested.read.confirmed_by is None


@pytest.mark.parametrize(
    ("printed", "confirmed"),
    [
        ("2020年10月23日", True),
        ("2029年10月23日", False),  # one digit off: re-draws within the consensus distance
        ("2020年10月28日", False),
    ],
)
def test_a_register_date_behind_two_kinds_of_slip_must_beat_every_other_digit(
    printed: str, confirmed: bool
) -> None:
    spec = _spec("R", "exam_date")
    # A zero read as two glyphs (20290) and another as 6: no date at all.
    item = _item(spec, printed, "20290年16月23日", "R.exam_date")
    assert item.read.value is None and item.read.status == FieldStatus.INVALID
    item.read.judge = CandidateJudge(item, THRESHOLDS)
    fields = {
        "R.pass_number": [_read("R.pass_number", "2312753020", FieldStatus.OK)],
        "A.name_kanji": [_read("A.name_kanji", "山本浩二", FieldStatus.OK)],
        "R.exam_date": [item.read],
    }
    cross_check(fields, _entry(exam_date=date(2020, 10, 23)))
    assert (item.read.value == "2020-10-23") == confirmed
    assert (item.read.confirmed_by == REGISTER) == confirmed
    if confirmed:
        assert item.read.placement_fits and item.read.raw_text == "20290年16月23日"


def test_digits_printed_one_to_a_cell_are_compared_cell_gaps_collapsed() -> None:
    from pipeline.extract.verify import compare

    spec = _spec("A", "pass_number")
    assert spec.cells == 10
    image = _box_image(spec, "2 4 1 1 4 1 6 4 3 3".replace(" ", "\u2003"))  # a cell apart
    ink = 255 - clean_text_crop(image, DPI, glyph_cells=True).image
    loose = compare(ink, "2411416433", (GOTHIC,))
    tight = compare(ink, "2411416433", (GOTHIC,), cells=True)
    wrong = compare(ink, "2411416438", (GOTHIC,), cells=True)
    assert loose is not None and tight is not None and wrong is not None
    assert tight.score < THRESHOLDS.verify_max_score < loose.score
    assert wrong.score > tight.score
    towards = contrast(ink, "2411416438", "2411416433", (GOTHIC,), cells=True)
    assert towards is not None and towards.gain >= CONTRAST_MIN_GAIN


def test_forms_that_disagree_send_even_a_sure_reading_to_staff() -> None:
    # パ read ハ surely on one form: the re-drawing can't see a handakuten at 200 dpi.
    fields = _attestation(
        FieldStatus.LOW_CONFIDENCE, FieldStatus.OK, c_org="株式会社トラベルジャハン"
    )
    fields["B.exp3_org"][0].value = "株式会社トラベルジャパン"
    confirm_attested_rows(fields)
    for key in ("B.exp3_org", "C.att2_org"):
        read = fields[key][0]
        assert read.status == FieldStatus.LOW_CONFIDENCE and read.confirmed_by is None
        assert "様式Bと様式C" in (read.reason or "")
    assert fields["C.att2_from"][0].status == FieldStatus.OK  # the agreeing parts stand


def test_forms_read_surely_that_differ_stand_for_the_rules_to_judge() -> None:
    # An attestation may cover part of a history row: both readings can be right.
    fields = _attestation(FieldStatus.OK, FieldStatus.OK)
    fields["C.att2_from"][0].value = "2019-12"
    confirm_attested_rows(fields)
    for key in ("B.exp3_from", "C.att2_from"):
        assert fields[key][0].status == FieldStatus.OK and fields[key][0].reason is None


def test_a_text_is_redrawn_once_per_crop_however_often_it_is_read(monkeypatch) -> None:
    """Renditions and candidates often repeat a reading: the crop remembers what a text
    re-drew as, and a repeat gives the same scores without drawing it again."""
    spec = _spec("B", "applicant_name")
    item = _item(spec, "庄司智子", "庄司留子", "B.applicant_name")
    drawn: list[str] = []
    real = fields_mod.compare

    def counting(ink, text, fonts, **how):  # type: ignore[no-untyped-def]
        drawn.append(text)
        return real(ink, text, fonts, **how)

    monkeypatch.setattr(fields_mod, "compare", counting)
    first = fields_mod._reading_as(item, LineRead("庄司智子", 0.5), THRESHOLDS)
    again = fields_mod._reading_as(item, LineRead("庄司智子", 0.7), THRESHOLDS)
    misread = fields_mod._reading_as(item, LineRead("庄司留子", 0.7), THRESHOLDS)
    assert drawn == ["庄司智子"]  # 庄司留子 was drawn by ``_item``'s first reading
    assert (again.verify_score, again.placement) == (first.verify_score, first.placement)
    assert misread.verify_score == item.read.verify_score
    assert first.verify_score is not None and misread.verify_score is not None
    assert first.verify_score < misread.verify_score


@pytest.mark.parametrize(
    ("printed", "read", "misread"),
    [
        (
            "COPC CX規格 コーディネーター研修",
            "COPCCX規格コーディネーター研修",
            "COPCCX規格コーディネーター研究",
        ),
        ("佐藤 京子", "佐藤京子", "佐藤亰子"),
    ],
)
def test_free_text_typed_with_spaces_redraws_as_its_reading_without_them(
    printed: str, read: str, misread: str
) -> None:
    """Tesseract drops the spaces between words; in free text the gaps are cut to one
    width on both images, so the reading re-draws as well as unspaced text does, and a
    wrong character still does not."""
    from pipeline.extract.verify import compare

    spec = _spec("B", "sub1_name")
    ink = 255 - clean_text_crop(_box_image(spec, printed), DPI).image
    right = compare(ink, read, (GOTHIC,), words=True)
    wrong = compare(ink, misread, (GOTHIC,), words=True)
    as_before = compare(ink, read, (GOTHIC,))
    assert right is not None and wrong is not None and as_before is not None
    assert right.score <= THRESHOLDS.verify_max_score
    assert wrong.score > THRESHOLDS.consensus_max_score / 2
    assert as_before.score > THRESHOLDS.verify_max_score  # spaces alone sent it to staff


def test_free_text_typed_without_spaces_is_compared_as_before() -> None:
    """Collapsing every gap also blurs one-stroke differences (庄司智子 / 庄司留子): text
    whose ink has no space the reading lacks keeps the ordinary comparison."""
    from pipeline.extract.verify import compare

    spec = _spec("B", "sub1_name")
    ink = 255 - clean_text_crop(_box_image(spec, "庄司智子"), DPI).image
    for reading in ("庄司智子", "庄司留子"):
        assert compare(ink, reading, (GOTHIC,), words=True) == compare(ink, reading, (GOTHIC,))


@pytest.mark.parametrize(
    ("form", "name", "in_words"),
    [
        ("B", "sub1_name", True),  # qualification and training names
        ("B", "exp1_org", True),
        ("B", "exp1_dept", True),
        ("C", "att1_org", False),  # a text line on (C): form B's row settles it
        ("A", "name_kanji", False),  # personal names: one-stroke slips must not blur
        ("C", "att1_name", False),
        ("B", "exp1_from", False),  # dates keep their digit-by-digit comparison
    ],
)
def test_which_fields_are_compared_with_their_spaces_collapsed(
    form: str, name: str, in_words: bool
) -> None:
    assert fields_mod._typed_in_words(_spec(form, name)) is in_words
