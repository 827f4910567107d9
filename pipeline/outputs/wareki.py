"""Dates as a Japanese office prints them: 令和7年6月21日, and 2025年6月21日 beside it.

The era is the one in force on the day (令和 from 2019-05-01); its first year is
元年. Digits are half-width, as in horizontal business letters.
"""

from __future__ import annotations

from datetime import date

from pipeline.text.dates import ERAS


def era_date(day: date) -> str:
    """``令和7年6月21日`` (``令和元年5月1日`` in an era's first year)."""
    for era in ERAS.values():
        if day >= era.first_day and (era.last_day is None or day <= era.last_day):
            year = day.year - era.first_day.year + 1
            shown = "元" if year == 1 else str(year)
            return f"{era.name}{shown}年{day.month}月{day.day}日"
    raise ValueError(f"no Japanese era known for {day.isoformat()}")


def western_date(day: date) -> str:
    """``2025年6月21日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def both_dates(day: date) -> str:
    """``令和7年6月21日（2025年6月21日）``."""
    return f"{era_date(day)}（{western_date(day)}）"
