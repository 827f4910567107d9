"""Certification dates: the report's validity, the certificate's period, renewal.

Readings (see ``readings.py``):

* The exam result report is valid through the day before the Nth anniversary of
  its issue date (N = 3). A 29 February issue has its anniversary on 1 March in
  a common year (so the last valid day is 28 February, as in 民法143条②).
* The first certification is valid from the first 1 April strictly after the
  pass certificate's issue date, for three fiscal years, i.e. to 31 March.
* Renewal applications are accepted from 1 January to the last day of February
  of the expiry year (29 February in a leap year).
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel

from pipeline.rules.readings import Readings

_DEFAULT = Readings()


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → a year without one
        return date(day.year + years, 3, 1)


def report_last_valid_day(issue_date: date, readings: Readings = _DEFAULT) -> date:
    """Last day the exam result report can be used (2021-06-15 → 2024-06-14)."""
    return add_years(issue_date, readings.exam_report_valid_years) - timedelta(days=1)


def report_valid_on(issue_date: date, received_on: date, readings: Readings = _DEFAULT) -> bool:
    """True when an application received on ``received_on`` can use the report."""
    return issue_date <= received_on <= report_last_valid_day(issue_date, readings)


def first_valid_from(issue_date: date, readings: Readings = _DEFAULT) -> date:
    """The first 1 April strictly after the issue date (2023-04-01 → 2024-04-01)."""
    start = date(issue_date.year, readings.fiscal_year_start_month, 1)
    return start if issue_date < start else date(issue_date.year + 1, start.month, 1)


def valid_to(valid_from: date, readings: Readings = _DEFAULT) -> date:
    """The last day of the Nth fiscal year from ``valid_from`` (2024-04-01 → 2027-03-31)."""
    end_exclusive = date(
        valid_from.year + readings.certification_fiscal_years, valid_from.month, valid_from.day
    )
    return end_exclusive - timedelta(days=1)


def renewal_window(expiry: date, readings: Readings = _DEFAULT) -> tuple[date, date]:
    """First and last day to apply for renewal of a certificate expiring on ``expiry``."""
    first_month, last_month = readings.renewal_window_months
    opens = date(expiry.year, first_month, 1)
    after_last = (
        date(expiry.year, last_month + 1, 1) if last_month < 12 else date(expiry.year + 1, 1, 1)
    )
    return opens, after_last - timedelta(days=1)


class CertificationDates(BaseModel):
    """All dates that follow from the pass certificate's issue date."""

    report_issue_date: date
    report_last_valid_day: date
    valid_from: date
    valid_to: date
    renewal_opens: date
    renewal_closes: date


def certification_dates(issue_date: date, readings: Readings = _DEFAULT) -> CertificationDates:
    start = first_valid_from(issue_date, readings)
    end = valid_to(start, readings)
    opens, closes = renewal_window(end, readings)
    return CertificationDates(
        report_issue_date=issue_date,
        report_last_valid_day=report_last_valid_day(issue_date, readings),
        valid_from=start,
        valid_to=end,
        renewal_opens=opens,
        renewal_closes=closes,
    )
