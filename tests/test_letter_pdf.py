"""Letters as A4 pages: every kind rendered and read back with poppler, every text in its box.

The address must print inside the 長形3号 envelope window and nothing else there;
nothing may cross the margins, however long the address, the organisation or
the name, and a character no font has refuses the letter instead of printing a
hole. Rendering runs pdftoppm, reading runs pdftotext (no OCR).
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.config import Settings
from pipeline.outputs.fonts import FontChain, MissingGlyphError, faces
from pipeline.outputs.layouts import letter_layout
from pipeline.outputs.letter_pdf import Recipient, letters_pdf, plan_letter, window_box
from pipeline.outputs.letter_text import KINDS, compose
from pipeline.outputs.samples import sample_letter, sample_values
from pipeline.outputs.typeset import NO_END, NO_START, TextDoesNotFit, tokens, wrap
from pipeline.outputs.wareki import era_date
from tests.pdf_support import (
    TOLERANCE,
    Word,
    ink_in,
    inside,
    page_count,
    pdf_text,
    render_page,
    words,
)

LONG_ADDRESS = (
    "北海道札幌市中央区北一条西二丁目一番地三十五号 札幌時計台前ロングネームビルディング十二階 "
    "株式会社ロングネームコンタクトセンターソリューションズ カスタマーエクスペリエンス本部 気付"
)
LONG_ORGANISATION = (
    "特定非営利活動法人日本コンタクトセンターカスタマーエクスペリエンス人材育成推進機構 "
    "東日本統括本部 オペレーションマネジメント推進部"
)


def _pdf(doc, cfg: Settings) -> bytes:
    return letters_pdf([plan_letter(doc, cfg)], cfg, title="test")


def _assert_within_margins(found: list[Word]) -> None:
    layout = letter_layout()
    outside = [
        w
        for w in found
        if not inside(w, layout.margins.left, 5, layout.right, 297 - layout.margins.bottom)
        and not inside(w, *_window_edges(Settings()))
    ]
    assert outside == []


def _window_edges(cfg: Settings) -> tuple[float, float, float, float]:
    box = window_box(cfg)
    return box.left, box.top, box.right, box.bottom


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_prints_recipient_date_sender_subject_and_references(kind: str) -> None:
    cfg = Settings()
    doc = sample_letter(kind, cfg)
    pdf = _pdf(doc, cfg)
    text = pdf_text(pdf)
    subject = doc.text.split("\n", 1)[0].removeprefix("件名：")
    for expected in (
        "〒150-0002",
        "山田 花子 様",
        "令和7年6月21日",
        "申請番号",
        "2123014489",
        "一般社団法人",
        "日本コンタクトセンター教育検定協会",
        subject,
        "拝啓",
        "敬具",
        "info@conken.org",
    ):
        assert expected in text, expected
    for gap in ("None", "{{", "}}", "（）", "「」", "申請者 様"):
        assert gap not in text
    assert "件名：" not in text  # the subject is a centred title, not a label
    assert page_count(pdf) == 1
    _assert_within_margins(words(pdf))


@pytest.mark.parametrize(
    "window",
    [(23.0, 13.0, 90.0, 45.0), (20.0, 40.0, 95.0, 45.0)],
    ids=["default 長形3号 window", "a window set lower"],
)
def test_the_address_prints_inside_the_envelope_window_and_nothing_else_does(
    window: tuple[float, float, float, float],
) -> None:
    cfg = Settings(envelope_window_mm=window)
    pdf = _pdf(sample_letter("missing_documents", cfg), cfg)
    left, top, right, bottom = _window_edges(cfg)
    found = [w for w in words(pdf) if w.page == 1]
    address = [w for w in found if inside(w, left, top, right, bottom)]
    assert "".join(w.text for w in address).startswith("〒150-0002東京都渋谷区")
    assert "".join(w.text for w in address).endswith("山田花子様")
    # nothing else overlaps the window as it lies on the sheet
    wl, wt, ww, wh = window
    others = [w for w in found if w not in address]
    assert others
    overlapping = [
        w for w in others if w.right > wl and w.left < wl + ww and w.bottom > wt and w.top < wt + wh
    ]
    assert overlapping == []
    dpi = 100
    image = render_page(pdf, dpi=dpi)
    assert ink_in(image, dpi, left=left, top=top, right=right, bottom=bottom) > 500
    window_ink = ink_in(image, dpi, left=wl, top=wt, right=wl + ww, bottom=wt + wh)
    address_ink = ink_in(
        image, dpi, left=left - 0.3, top=top - 0.3, right=right + 0.3, bottom=bottom + 0.3
    )
    assert window_ink == address_ink


def test_long_address_long_organisation_and_a_name_outside_jis_x_0208_stay_in_their_boxes() -> None:
    cfg = Settings()
    values = sample_values("missing_documents")
    values["items"] = [
        f"(C) 上司もしくは監督者による証明（業務経歴 2 行目：{LONG_ORGANISATION} 2016年4月～2024年3月）"
    ]
    doc = replace(
        sample_letter("missing_documents", cfg),
        recipient=Recipient("060-0001", LONG_ADDRESS, "𠮷田 髙太郎"),
        text=compose("missing_documents", values),
    )
    pdf = _pdf(doc, cfg)
    found = words(pdf)
    _assert_within_margins(found)
    left, top, right, bottom = _window_edges(cfg)
    address = [w for w in found if w.page == 1 and w.top < 60 and w.left < 115]
    assert address and all(inside(w, left, top, right, bottom) for w in address)
    text = pdf_text(pdf)
    assert "𠮷田 髙太郎 様" in text  # U+20BB7 and U+9AD9: drawn and searchable
    assert "オペレーションマネジメント推進部" in text.replace("\n", "")
    assert "気付" in text


def test_an_address_too_long_for_the_window_refuses_the_letter() -> None:
    cfg = Settings()
    doc = replace(
        sample_letter("not_required", cfg),
        recipient=Recipient("060-0001", LONG_ADDRESS * 3, "山田 花子"),
    )
    with pytest.raises(TextDoesNotFit, match="宛先"):
        plan_letter(doc, cfg)


def test_a_character_no_font_has_refuses_the_letter() -> None:
    cfg = Settings()
    doc = replace(
        sample_letter("not_required", cfg),
        recipient=Recipient("100-0005", "東京都千代田区", "山田 \U0001f600"),
    )
    with pytest.raises(MissingGlyphError, match="U\\+1F600"):
        plan_letter(doc, cfg)


def test_a_long_letter_continues_on_a_second_page_with_page_numbers() -> None:
    cfg = Settings()
    values = sample_values("missing_documents")
    values["items"] = [
        f"(C) 上司もしくは監督者による証明（業務経歴 {n} 行目：{LONG_ORGANISATION}）"
        for n in range(1, 16)
    ]
    doc = replace(
        sample_letter("missing_documents", cfg), text=compose("missing_documents", values)
    )
    pdf = _pdf(doc, cfg)
    assert page_count(pdf) == 2
    text = pdf_text(pdf)
    assert "1/2" in text and "2/2" in text and "以上" in text
    layout = letter_layout()
    body = [w for w in words(pdf) if w.top < layout.body_bottom - 1]
    footer = [w for w in words(pdf) if w.top >= layout.body_bottom]
    assert body and footer
    assert all(w.bottom <= layout.body_bottom + TOLERANCE for w in body)
    _assert_within_margins(words(pdf))


def test_dates_are_printed_in_the_japanese_era() -> None:
    assert era_date(date(2025, 6, 21)) == "令和7年6月21日"
    assert era_date(date(2019, 5, 1)) == "令和元年5月1日"
    assert era_date(date(2019, 4, 30)) == "平成31年4月30日"


KANA_KANJI = "あいうえおかきくけこ漢字認定申請書類"
WORD = st.tuples(  # a word never starts with 々, ー or a small kana
    st.sampled_from(KANA_KANJI),
    st.text(alphabet=KANA_KANJI + "ー々っゃ", max_size=7),
).map("".join) | st.from_regex(r"[A-Za-z0-9@.]{1,12}", fullmatch=True)
PIECE = st.tuples(
    st.sampled_from(["", "「", "（"]),
    WORD,
    st.sampled_from(["", "、", "。", "」", "）", "。」", " "]),
)
JAPANESE = st.lists(PIECE, min_size=1, max_size=40).map(
    lambda ps: "".join(a + b + c for a, b, c in ps)
)


@settings(max_examples=80, deadline=None)
@given(JAPANESE, st.floats(min_value=20, max_value=160))
# No break here follows 禁則 and fits: 「あ、 would have to move down with .0000, too wide.
@example("あああああああ「あ、.0000", 20.0)
def test_wrapped_lines_fit_keep_every_character_and_follow_kinsoku(text: str, width: float) -> None:
    fonts = faces(Settings()).mincho
    lines = wrap(text, fonts, 10.5, width)
    mm = 72 / 25.4
    for line in lines:
        assert fonts.width(line, 10.5) <= width * mm + 1e-6 or len(line) == 1
    assert "".join(lines).replace(" ", "") == " ".join(text.split()).replace(" ", "")
    for before, after in itertools.pairwise(lines):
        # a closing mark opens no line, an opening mark ends none...
        # the rule yields only where no break that follows it leaves the next line room
        first = (tokens(after) or [""])[0]
        must = not _a_proper_break_fits(tokens(before), first, fonts, width * mm)
        assert not after or after[0] not in NO_START or must
        assert before[-1] not in NO_END or must


def _a_proper_break_fits(line: list[str], nxt: str, fonts: FontChain, room: float) -> bool:
    """Whether ``line`` could end at some token so that neither side breaks 禁則 and what
    moves down, with ``nxt``, still fits a line."""
    for cut in range(1, len(line)):
        kept, moved = [t for t in line[:cut] if t != " "], [t for t in line[cut:] if t != " "]
        if not kept or not moved or moved[0][0] in NO_START or kept[-1][-1] in NO_END:
            continue
        if fonts.width("".join(moved) + nxt, 10.5) <= room:
            return True
    return False
