"""Year-month arithmetic for experience periods.

A period on form (B) is a pair of year-months, both inclusive: 2019-04 … 2024-03
is 60 months. The end may be 現在 ("present"), which ends at the month the
application was received (the effective received date: staff override, e.g.
the postmark, or else the envelope's arrival). Overlapping periods count once:
experience is the *union* of the months the periods cover.

Months are handled as integer indexes (``year * 12 + month - 1``) so that a
union is a plain set and its size is the number of months.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

PRESENT: Literal["present"] = "present"
PRESENT_WORDS = frozenset({"present", "現在", "現職", "現在に至る", "至現在"})

_YM = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")


@dataclass(frozen=True, order=True)
class YearMonth:
    """One calendar month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if not 1900 <= self.year <= 2999:
            raise ValueError(f"year out of range: {self.year}")

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        """Parse ``YYYY-MM`` (also ``YYYY/MM``, ``YYYY.MM``, ``YYYY年MM月``)."""
        match = _YM.match(unicodedata.normalize("NFKC", text))
        if match is None:
            raise ValueError(f"not a year-month (YYYY-MM): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> YearMonth:
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> YearMonth:
        return cls(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    def plus(self, months: int) -> YearMonth:
        return YearMonth.from_index(self.index + months)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


YearMonthOrPresent = YearMonth | Literal["present"]


def parse_end(text: str) -> YearMonthOrPresent:
    """Parse a period's end: a year-month or 現在 / present."""
    if unicodedata.normalize("NFKC", text).strip().lower() in PRESENT_WORDS:
        return PRESENT
    return YearMonth.parse(text)


def resolve_end(end: YearMonthOrPresent, received_month: YearMonth) -> YearMonth:
    """現在 ends at the received month; a year-month ends where it says."""
    return received_month if end == PRESENT else end


def months_between(start: YearMonth, end: YearMonth) -> int:
    """Months from ``start`` to ``end`` inclusive (0 when end is before start)."""
    return max(0, end.index - start.index + 1)


def month_set(start: YearMonth, end: YearMonth) -> set[int]:
    """The month indexes a period covers, inclusive of both ends."""
    return set(range(start.index, end.index + 1))


def union_months(periods: Iterable[tuple[YearMonth, YearMonth]]) -> set[int]:
    """The months covered by any of the periods (overlaps count once)."""
    covered: set[int] = set()
    for start, end in periods:
        covered |= month_set(start, end)
    return covered
