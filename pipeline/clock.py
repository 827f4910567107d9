"""The business date: what day it is for the association, in its time zone.

Waits, deadlines, received dates and certificate years are dates in the
configured business time zone (Asia/Tokyo), never the host's: a server in UTC
would otherwise start a new day at 09:00 in Tokyo. Every "today" of the
project comes from :func:`business_today`; a date given on the command line
from :func:`parse_date_option`.
"""

from __future__ import annotations

from datetime import date, datetime

from pipeline.config import Settings
from pipeline.errors import ValidationError


def business_today(settings: Settings) -> date:
    """Today in the business time zone."""
    return business_date_of(datetime.now(settings.tz), settings)


def business_date_of(moment: datetime, settings: Settings) -> date:
    """The business date of a timezone-aware moment (e.g. an envelope's arrival)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime refused: pass a timezone-aware value")
    return moment.astimezone(settings.tz).date()


def parse_date_option(value: str | None, option: str = "--today") -> date | None:
    """A YYYY-MM-DD command-line date, or None when the option was not given."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise ValidationError(f"{option} must be a date like 2024-05-01, not {value!r}") from e
