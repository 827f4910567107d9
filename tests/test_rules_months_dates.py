"""Year-month arithmetic and the certification dates, at their boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.rules import dates
from pipeline.rules.months import (
    PRESENT,
    YearMonth,
    months_between,
    parse_end,
    resolve_end,
    union_months,
)


def ym(text: str) -> YearMonth:
    return YearMonth.parse(text)


def test_inclusive_range_2019_04_to_2024_03_is_60_months() -> None:
    assert months_between(ym("2019-04"), ym("2024-03")) == 60
    assert months_between(ym("2019-05"), ym("2024-03")) == 59
    assert months_between(ym("2024-03"), ym("2024-03")) == 1


def test_union_counts_overlap_once() -> None:
    a = (ym("2019-04"), ym("2022-03"))  # 36
    b = (ym("2021-04"), ym("2024-03"))  # 36, overlapping 12
    assert len(union_months([a, b])) == 60
    assert len(union_months([a, a])) == 36


def test_union_of_adjacent_and_disjoint_periods() -> None:
    a = (ym("2019-01"), ym("2019-12"))
    b = (ym("2020-01"), ym("2020-06"))
    c = (ym("2022-01"), ym("2022-01"))
    assert len(union_months([a, b, c])) == 12 + 6 + 1


@pytest.mark.parametrize("text", ["現在", "present", "現職", " 現在 "])
def test_present_words(text: str) -> None:
    assert parse_end(text) == PRESENT


def test_present_ends_at_received_month() -> None:
    assert resolve_end(PRESENT, ym("2024-05")) == ym("2024-05")
    assert resolve_end(ym("2023-01"), ym("2024-05")) == ym("2023-01")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-04", (2019, 4)),
        ("2019/4", (2019, 4)),
        ("2019年4月", (2019, 4)),
        ("２０１９－０４", (2019, 4)),
    ],
)
def test_parse_year_month_forms(text: str, expected: tuple[int, int]) -> None:
    assert ym(text) == YearMonth(*expected)


@pytest.mark.parametrize("text", ["2019-13", "2019", "April 2019", "2019-00"])
def test_parse_rejects_non_year_months(text: str) -> None:
    with pytest.raises(ValueError, match=r"year-month|month must be"):
        ym(text)


# --- the exam result report: valid through the day before the third anniversary ---------


def test_report_last_valid_day_example_from_the_issue() -> None:
    assert dates.report_last_valid_day(date(2021, 6, 15)) == date(2024, 6, 14)


def test_report_valid_on_last_day_not_the_day_after() -> None:
    issued = date(2021, 6, 15)
    assert dates.report_valid_on(issued, date(2024, 6, 14))
    assert not dates.report_valid_on(issued, date(2024, 6, 15))
    assert dates.report_valid_on(issued, issued)


def test_report_issued_on_29_february() -> None:
    # anniversary in 2023 (no 29 Feb) is 1 March: last valid day 28 February
    assert dates.report_last_valid_day(date(2020, 2, 29)) == date(2023, 2, 28)


# --- certification period: from the first 1 April strictly after issue ----------------


@pytest.mark.parametrize(
    ("issued", "valid_from"),
    [
        (date(2023, 4, 1), date(2024, 4, 1)),  # on 1 April: the NEXT one
        (date(2023, 3, 31), date(2023, 4, 1)),  # the day before: this year's
        (date(2023, 4, 2), date(2024, 4, 1)),
        (date(2023, 12, 31), date(2024, 4, 1)),
        (date(2024, 1, 1), date(2024, 4, 1)),
    ],
)
def test_first_valid_from(issued: date, valid_from: date) -> None:
    assert dates.first_valid_from(issued) == valid_from


def test_three_fiscal_years_end_31_march() -> None:
    assert dates.valid_to(date(2024, 4, 1)) == date(2027, 3, 31)
    assert dates.valid_to(date(2023, 4, 1)) == date(2026, 3, 31)


def test_renewal_window_in_a_leap_year_ends_29_february() -> None:
    opens, closes = dates.renewal_window(date(2028, 3, 31))
    assert (opens, closes) == (date(2028, 1, 1), date(2028, 2, 29))


def test_renewal_window_in_a_common_year_ends_28_february() -> None:
    assert dates.renewal_window(date(2027, 3, 31)) == (date(2027, 1, 1), date(2027, 2, 28))


def test_certification_dates_chain_for_a_leap_expiry() -> None:
    # issued June 2024 → valid from 2025-04-01 → to 2028-03-31 → renewal to 2028-02-29
    d = dates.certification_dates(date(2024, 6, 1))
    assert d.valid_from == date(2025, 4, 1)
    assert d.valid_to == date(2028, 3, 31)
    assert d.renewal_opens == date(2028, 1, 1)
    assert d.renewal_closes == date(2028, 2, 29)
    assert d.report_last_valid_day == date(2027, 5, 31)
