"""Dates and year-months in every form applicants write them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.dates import (
    DateParseError,
    parse_date,
    parse_year_month,
    parse_year_month_or_present,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023年4月22日", date(2023, 4, 22)),
        ("２０２３年４月２２日", date(2023, 4, 22)),
        ("2023/4/22", date(2023, 4, 22)),
        ("2023/04/22", date(2023, 4, 22)),
        ("2023-04-22", date(2023, 4, 22)),
        ("2023.4.22", date(2023, 4, 22)),
        ("2023 年 4 月 22 日", date(2023, 4, 22)),
        ("20230422", date(2023, 4, 22)),
        ("令和5年4月22日", date(2023, 4, 22)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R5.4.22", date(2023, 4, 22)),
        ("r5/4/22", date(2023, 4, 22)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("H2.1.8", date(1990, 1, 8)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("昭和60年12月3日", date(1985, 12, 3)),
        ("㍻10年2月3日", date(1998, 2, 3)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2023年2月30日",
        "平成32年1月1日",
        "令和元年4月30日",
        "昭和65年1月1日",
        "abc",
        "2023年4月",
        "1800/1/1",
    ],
)
def test_parse_date_refuses(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019年4月", (2019, 4)),
        ("2019/04", (2019, 4)),
        ("２０１９．４", (2019, 4)),
        ("201904", (2019, 4)),
        ("H31.4", (2019, 4)),
        ("令和元年5月", (2019, 5)),
        ("平成20年10月", (2008, 10)),
    ],
)
def test_parse_year_month(text: str, expected: tuple[int, int]) -> None:
    assert parse_year_month(text) == expected


@pytest.mark.parametrize("text", ["2019年13月", "平成31年5月", "2019", "現在"])
def test_parse_year_month_refuses(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_year_month(text)


@pytest.mark.parametrize("text", ["現在", " 現 在 ", "現職"])
def test_present(text: str) -> None:
    assert parse_year_month_or_present(text) == "present"


@given(st.dates(min_value=date(1927, 1, 1), max_value=date(2099, 12, 31)))
@settings(max_examples=200)
def test_western_and_japanese_renderings_agree(day: date) -> None:
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == day
    assert parse_date(day.strftime("%Y/%m/%d")) == day
    if day >= date(2019, 5, 1):
        era = "令和"
        y = day.year - 2018
    elif day >= date(1989, 1, 8):
        era, y = "平成", day.year - 1988
    else:
        era, y = "昭和", day.year - 1925
    assert parse_date(f"{era}{y}年{day.month}月{day.day}日") == day


@given(st.text(max_size=20))
@settings(max_examples=300)
def test_parser_never_crashes(text: str) -> None:
    try:
        value = parse_date(text)
    except DateParseError as e:
        assert str(e)  # a reason, never an empty message
        return
    assert date(1900, 1, 1) <= value <= date(2100, 12, 31)


@pytest.mark.parametrize(
    "text", ["1", "2023/13/1", "平成32年1月1日", "2023/2/30", "", "1850/1/1", "令和0年1月1日"]
)
def test_a_date_that_cannot_be_read_says_why_in_japanese(text: str) -> None:
    """The reason reaches staff on the review screen: no English in it."""
    with pytest.raises(DateParseError) as refused:
        parse_date(text)
    reason = str(refused.value)
    assert reason and not any(word in reason for word in ("cannot", "era", "date", "range"))
    assert any("\u3040" <= ch <= "\u9fff" for ch in reason)


def test_a_year_month_that_cannot_be_read_says_why_in_japanese() -> None:
    from pipeline.extract.normalize import FieldInvalid, yearmonth

    with pytest.raises(FieldInvalid) as refused:
        yearmonth("1")
    assert str(refused.value) == "年月として読めません: 年・月の数字が読み取れません（'1'）"
