"""A page filled in by hand sends every text value on it to a person (issue 17).

No OCR runs here: fields carry the handwriting scores the engines' step would give.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pipeline.config import Settings
from pipeline.extract import envelope
from pipeline.extract.crops import clean_text_crop
from pipeline.extract.envelope import PageResult, read_pending_texts
from pipeline.extract.handwritten_page import (
    MIN_MEASURED,
    PageRule,
    WrittenPage,
    hold_handwritten_page,
    hold_handwritten_writing,
)
from pipeline.extract.identify import PageKind
from pipeline.extract.options import ExtractOptions
from pipeline.extract.page_fields import MARK_KINDS
from pipeline.extract.reading import FieldRead, HandwritingBasis
from pipeline.extract.text_reading import HANDWRITTEN_JA, PendingText, TextPolicy, settle
from pipeline.forms.loader import load_templates
from pipeline.vocabulary import FieldStatus
from tests.helpers.reads import P, T, field, reading

NAMES = ("name_kanji", "name_kana", "address", "phone", "email", "birth_date")


def typed_ok(name: str, score: float) -> FieldRead:
    """Read alike by both engines, under the per-field threshold: ``ok`` on its own."""
    return field(f"A.{name}", f"値{name}", handwriting=score)


def page_scored(scores: tuple[float, ...]) -> list[FieldRead]:
    return [typed_ok(name, s) for name, s in zip(NAMES, scores, strict=False)]


PEN_PAGE = (0.12, 0.20, 0.24, 0.26, 0.30, 0.33)  # median 0.25
TYPED_PAGE = (0.04, 0.06, 0.09, 0.11, 0.13, 0.40)  # median 0.10


def test_a_page_that_looks_handwritten_has_every_text_value_held_and_proposed() -> None:
    page = page_scored(PEN_PAGE)
    held = hold_handwritten_page(page, PageRule(0.18))
    assert len(held) == len(page)
    for before, after in zip(page, held, strict=True):
        assert after.handwritten and after.status == FieldStatus.LOW_CONFIDENCE
        assert not after.confident
        assert after.value == before.value  # proposed, one key to confirm
        assert "ページ" in (after.reason or "") and "手書き" in (after.reason or "")
        assert "0.25" in (after.reason or "")  # the page's median, said to staff
        assert after.readings == before.readings and after.confidence == before.confidence
        assert after.handwriting == before.handwriting


def test_a_page_that_looks_handwritten_keeps_other_reasons_marks_and_empty_boxes() -> None:
    already = replace(
        typed_ok("name_kanji", 0.6).held(HANDWRITTEN_JA), handwritten_by=HandwritingBasis.FIELD
    )  # as ``settle`` leaves a field over the per-field threshold
    disagreeing = field(
        "A.name_kana",
        "ヤマダ",
        FieldStatus.LOW_CONFIDENCE,
        readings=(reading(T, "ヤマグ"), reading(P, "ヤマダ")),
        handwriting=0.22,
        reason="2つの読み取りエンジンの結果が一致しません",
    )
    unreadable = field(
        "A.birth_date",
        None,
        FieldStatus.INVALID,
        readings=(reading(T, None, "19xx"),),
        handwriting=0.3,
        reason="日付として読めません",
    )
    empty = field("A.email", None, FieldStatus.MISSING)
    box = field("A.agree", "true", kind="checkbox")
    seal = field("A.seal", "true", kind="seal", handwriting=0.9)
    others = page_scored((0.25, 0.25, 0.25))
    page = [already, disagreeing, unreadable, empty, box, seal, *others]
    held = hold_handwritten_page(page, PageRule(0.18))
    assert held[0] is already
    assert held[1].handwritten and held[1].value == "ヤマダ"
    assert "ページ" in (held[1].reason or "") and held[1].status == FieldStatus.LOW_CONFIDENCE
    assert held[2].handwritten and held[2].status == FieldStatus.INVALID
    assert held[2].reason == "日付として読めません"  # nothing to propose: its own reason
    assert held[3] is empty  # a blank box was written neither way
    assert held[4] is box and held[5] is seal and not box.handwritten
    assert all(f.handwritten for f in held[6:])


def test_a_typed_page_is_left_as_it_was() -> None:
    page = page_scored(TYPED_PAGE)
    assert [f.status for f in page] == [FieldStatus.OK] * len(page)
    kept = hold_handwritten_page(page, PageRule(0.18))
    assert kept == page and all(a is b for a, b in zip(kept, page, strict=True))


def test_too_few_measured_fields_say_nothing_about_the_page() -> None:
    few = page_scored((0.5,) * (MIN_MEASURED - 1))
    page = [*few, field("A.email", None, FieldStatus.MISSING), field("A.x", "true", kind="seal")]
    assert hold_handwritten_page(page, PageRule(0.18)) == page
    enough = page_scored((0.5,) * MIN_MEASURED)
    assert all(f.handwritten for f in hold_handwritten_page(enough, PageRule(0.18)))


def test_the_threshold_is_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().handwritten_page_threshold == 0.05
    monkeypatch.setenv("CONKEN_HANDWRITTEN_PAGE_THRESHOLD", "0.30")
    options = ExtractOptions.from_settings(Settings())
    assert options.text.handwritten_page_threshold == 0.30
    page = page_scored(PEN_PAGE)
    assert hold_handwritten_page(page, PageRule(options.text.handwritten_page_threshold)) == page


def _page_pending(index: int, scores: tuple[float, ...]) -> tuple[PageResult, list[float]]:
    """A page of form A whose text fields wait for the engines, and the score each will get."""
    template = load_templates()[("A", 1)]
    specs = [s for s in template.fields if s.kind not in MARK_KINDS][: len(scores)]
    cleaned = clean_text_crop(np.full((40, 120), 250, np.uint8), 300)
    placeholders = [
        replace(
            field(f"A.{s.name}", None, FieldStatus.LOW_CONFIDENCE, kind=str(s.kind)),
            page_index=index,
        )
        for s in specs
    ]
    box = field("A.agree", "true", kind="checkbox")
    page = PageResult(
        index=index,
        kind=PageKind.FORM,
        form_code="A",
        form_page=1,
        version=template.version,
        identified_by="test",
        rotation=0,
        alignment_method=None,
        residual_mm=None,
        note="",
        fields=[*placeholders, box],
        pending=[PendingText(p, s, cleaned) for p, s in zip(placeholders, specs, strict=True)],
    )
    return page, list(scores)


def test_read_pending_texts_holds_a_handwritten_page_and_not_its_typed_neighbour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pen, pen_scores = _page_pending(0, PEN_PAGE)
    typed, typed_scores = _page_pending(1, TYPED_PAGE)
    scores = iter([*pen_scores, *typed_scores])

    def engines_agree(pending: list[PendingText], policy: TextPolicy) -> list[FieldRead]:
        """What ``read_texts`` gives when both engines agree under the per-field threshold."""
        return [
            replace(
                typed_ok(item.spec.name, next(scores)),
                kind=item.read.kind,
                page_index=item.read.page_index,
            )
            for item in pending
        ]

    monkeypatch.setattr(envelope, "read_texts", engines_agree)
    # The pages' scores are on the scale of PageRule(0.18) used above (the default
    # threshold is lower: test_the_threshold_is_the_setting).
    monkeypatch.setenv("CONKEN_HANDWRITTEN_PAGE_THRESHOLD", "0.18")
    options = ExtractOptions.from_settings(Settings())
    read_pending_texts([[pen], [typed]], options)
    assert not pen.pending and not typed.pending
    pen_text, pen_box = pen.fields[:-1], pen.fields[-1]
    assert len(pen_text) == len(PEN_PAGE)
    assert all(f.handwritten and not f.confident and f.value for f in pen_text)
    assert pen_box.status == FieldStatus.OK and not pen_box.handwritten
    assert all(f.status == FieldStatus.OK and not f.handwritten for f in typed.fields)


def _form(code: str, scores: tuple[float, ...]) -> list[FieldRead]:
    names = [f"v{i}" for i in range(len(scores))]
    return [
        field(f"{code}.{n}", f"値{n}", handwriting=s) for n, s in zip(names, scores, strict=True)
    ]


def test_the_pages_one_writer_filled_in_are_judged_together() -> None:
    """The applicant wrote (A), (B) and (D) by pen: (A) shows it on its own, (B) with one
    row and (D) with a date and a name have too few values to, and were accepted. The
    supervisor's typed (C) and the association's report stay as they were."""
    a = WrittenPage(_form("A", PEN_PAGE), "applicant")
    b = WrittenPage(_form("B", (0.2, 0.15, 0.33, 0.14)), "applicant")
    d = WrittenPage(_form("D", (0.23, 0.03)), "applicant")
    c = WrittenPage(_form("C", TYPED_PAGE), "attester")
    r = WrittenPage(_form("R", PEN_PAGE), "association")  # printed: never by hand
    held = hold_handwritten_writing([r, a, b, c, d], PageRule(0.18))
    assert all(f.handwritten and not f.confident for f in held[1] + held[2] + held[4])
    assert "申請者が記入する様式" in (held[2][0].reason or "")
    assert "ページ" in (held[1][0].reason or "")  # (A) on its own page's evidence
    assert held[0] == r.fields and held[3] == c.fields
    # What judged each so is kept for staff: (A) its page, (B) and (D) their writer's pages.
    assert {f.handwritten_by for f in held[1]} == {HandwritingBasis.PAGE}
    assert {f.handwritten_by for f in held[2] + held[4]} == {HandwritingBasis.WRITER}
    assert held[2][0].evidence()["handwritten_by"] == "writer"
    # Alone, (B) and (D) say nothing.
    assert hold_handwritten_writing([b, d], PageRule(0.18)) == [b.fields, d.fields]


def test_staff_read_what_judged_a_field_handwritten() -> None:
    """A field scoring 0.16 on its own, held because its page looks handwritten, must not
    read 「手書きらしさ 0.16（手書きと判定）」 as if its own ink had decided."""
    from pipeline.review.labels import evidence_lines

    held = hold_handwritten_page(page_scored(PEN_PAGE), PageRule(0.18))
    low = next(f for f in held if f.handwriting == 0.12)
    line = evidence_lines(low.evidence(), None)[-1]
    assert line.startswith("手書きらしさ 0.12") and "ページ全体" in line
    own = replace(typed_ok("name_kanji", 0.6), handwritten_by=HandwritingBasis.FIELD)
    assert "この欄の文字から手書きと判定" in evidence_lines(own.evidence(), None)[-1]
    typed = evidence_lines(typed_ok("name_kanji", 0.05).evidence(), None)[-1]
    assert typed == "手書きらしさ 0.05（印字と判定）"


def test_a_typed_writer_with_one_wobbly_short_page_is_left_as_it_was() -> None:
    a = WrittenPage(_form("A", TYPED_PAGE), "applicant")
    b = WrittenPage(_form("B", (0.25, 0.25, 0.25)), "applicant")
    assert hold_handwritten_writing([a, b], PageRule(0.18)) == [a.fields, b.fields]


def test_a_value_without_a_score_is_held_with_the_rest_of_its_page() -> None:
    """A value read without a handwriting score was written by the same pen as its page."""
    short = field("C.att1_row", "1", handwriting=None)
    page = [*page_scored(PEN_PAGE), short]
    held = hold_handwritten_page(page, PageRule(0.18))
    assert held[-1].handwritten and held[-1].status == FieldStatus.LOW_CONFIDENCE


def test_too_few_glyphs_to_measure_give_no_handwriting_score() -> None:
    """A score of 0 for an unmeasured value counted as print in its page's median, and the
    short values of a handwritten (C) (row numbers, 現在, 室長) hid the page."""
    spec = load_templates()[("C", 1)].field("att1_title")
    placeholder = field("C.att1_title", None, FieldStatus.LOW_CONFIDENCE, readings=())
    grey = np.full((80, 300), 250, np.uint8)
    grey[20:60, 20:60] = 20  # two glyphs: too few to say how they were made
    grey[20:60, 80:120] = 20
    both = (reading(T, "室長"), reading(P, "室長"))
    read = settle(PendingText(placeholder, spec, clean_text_crop(grey, 300)), both, TextPolicy())
    assert read.handwriting is None and read.status == FieldStatus.OK


def test_a_page_no_less_regular_than_its_own_print_is_not_handwritten() -> None:
    """A fax makes typed values wander like a pen's (median 0.25), but the form's printed
    labels on the same sheet wander as much (0.22): the page was typed. The same values
    beside labels printed cleanly (0.10) were written by hand."""
    rule = PageRule(0.18, margin=0.06)
    page = page_scored(PEN_PAGE)
    assert hold_handwritten_page(page, rule, printed=0.22) == page
    held = hold_handwritten_page(page, rule, printed=0.10)
    assert all(f.handwritten for f in held)
    assert "印刷された項目名は 0.10" in (held[0].reason or "")
    # Print not measured (too few labels): the values are judged on their own.
    assert all(f.handwritten for f in hold_handwritten_page(page, rule, printed=None))


def test_a_writer_is_judged_beside_the_print_of_their_own_pages() -> None:
    """(B) with four values says nothing on its own; the applicant's pages together do,
    against the median of those pages' print."""
    a = WrittenPage(_form("A", PEN_PAGE), "applicant", printed=0.21)
    b = WrittenPage(_form("B", (0.2, 0.26, 0.33, 0.24)), "applicant", printed=0.08)
    rule = PageRule(0.18, margin=0.06)
    # (A) alone is no further from its print than 0.04; the pair's print is 0.145.
    held = hold_handwritten_writing([a, b], rule)
    assert [f.handwritten_by for f in held[0]] == [HandwritingBasis.WRITER] * len(PEN_PAGE)
    assert "これらの様式の印刷された項目名は 0.14" in (held[1][0].reason or "")
    noisy = WrittenPage(b.fields, "applicant", printed=0.25)
    assert hold_handwritten_writing([a, noisy], rule) == [a.fields, noisy.fields]


def test_the_margin_is_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().handwritten_page_margin == 0.02
    monkeypatch.setenv("CONKEN_HANDWRITTEN_PAGE_MARGIN", "0.2")
    assert ExtractOptions.from_settings(Settings()).text.handwritten_page_margin == 0.2


def test_read_pending_texts_weighs_a_page_against_its_own_print(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The score of a page's printed labels, measured when the page was read, reaches
    the page rule: values as irregular as that print are no handwriting."""
    faxed, scores = _page_pending(0, PEN_PAGE)
    faxed.print_score = 0.24
    values = iter(scores)

    def engines_agree(pending: list[PendingText], policy: TextPolicy) -> list[FieldRead]:
        return [
            replace(typed_ok(item.spec.name, next(values)), kind=item.read.kind) for item in pending
        ]

    monkeypatch.setattr(envelope, "read_texts", engines_agree)
    read_pending_texts([[faxed]], ExtractOptions.from_settings(Settings()))
    assert all(f.status == FieldStatus.OK and not f.handwritten for f in faxed.fields)


def test_a_page_whose_print_was_not_measured_is_weighed_against_the_envelopes() -> None:
    """A dithered copy leaves too few legible labels on (C) to measure; the envelope went
    through one scanner, and its other pages' print (0.23) stands in for (C)'s."""
    rule = PageRule(0.18, margin=0.06)
    a = WrittenPage(_form("A", TYPED_PAGE), "applicant", printed=0.23)
    c = WrittenPage(_form("C", PEN_PAGE), "attester", printed=None)
    assert hold_handwritten_writing([a, c], rule) == [a.fields, c.fields]
    alone = hold_handwritten_writing([c], rule)[0]  # nothing to weigh it against
    assert all(f.handwritten_by == HandwritingBasis.PAGE for f in alone)


def test_the_text_policy_defaults_are_the_settings_defaults() -> None:
    """A policy built without settings (tests, a library caller) judges as the nightly run."""
    assert ExtractOptions.from_settings(Settings()).text == replace(
        TextPolicy(), ocr_cmd=Settings().tesseract_cmd
    )
