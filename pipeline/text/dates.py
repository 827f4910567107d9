"""Dates and year-months as applicants write them: 西暦 and 和暦, full width, 元年.

``parse_date`` and ``parse_year_month`` return ISO values or raise
``DateParseError`` with a reason staff can read. Era dates outside their era
(平成32年) are refused rather than guessed: they go to review.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from pipeline.errors import ValidationError


class DateParseError(ValidationError):
    """The text is not a date we can read with certainty."""


@dataclass(frozen=True)
class Era:
    name: str
    first_day: date
    last_day: date | None

    def year_to_western(self, era_year: int) -> int:
        return self.first_day.year + era_year - 1


ERAS: dict[str, Era] = {
    "令和": Era("令和", date(2019, 5, 1), None),
    "平成": Era("平成", date(1989, 1, 8), date(2019, 4, 30)),
    "昭和": Era("昭和", date(1926, 12, 25), date(1989, 1, 7)),
}
_ERA_ALIASES = {"R": "令和", "H": "平成", "S": "昭和", "㋿": "令和", "㍻": "平成", "㍼": "昭和"}

PRESENT_WORDS = ("現在", "現職", "在職中", "継続中", "至現在", "今")

_SEPARATORS = re.compile(r"\s*[/\-.．・,、]\s*")


def _clean(text: str) -> str:
    # NFKC turns full-width digits and slashes half-width, and ㍻ into 平成.
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+", "", t)
    return re.sub(r"元(?=年|[./\-])", "1", t)  # 令和元年, R元.5.1


def _era_and_rest(t: str) -> tuple[Era | None, str]:
    for alias, name in _ERA_ALIASES.items():
        if t.upper().startswith(alias) and (len(t) > 1 and (t[1].isdigit())):
            return ERAS[name], t[len(alias) :]
    for name, era in ERAS.items():
        if t.startswith(name):
            return era, t[len(name) :]
    return None, t


_PARTS = {2: "年・月", 3: "年・月・日"}


def _numbers(rest: str, expected: int) -> list[int]:
    rest = rest.replace("年", "/").replace("月", "/").replace("日", "")
    rest = rest.strip("/")
    parts = [p for p in _SEPARATORS.split(rest) if p]
    if len(parts) != expected or not all(p.isdigit() for p in parts):
        raise DateParseError(f"{_PARTS[expected]}の数字が読み取れません（{rest!r}）")
    return [int(p) for p in parts]


def _western_year(era: Era | None, year: int, text: str) -> int:
    if era is None:
        if year < 1900 or year > 2100:
            raise DateParseError(f"{year}年は範囲外です（{text!r}）")
        return year
    if year < 1:
        raise DateParseError(f"{year}年という元号の年はありません（{text!r}）")
    return era.year_to_western(year)


def _check_era_range(era: Era | None, day: date, text: str) -> None:
    if era is None:
        return
    # Month precision: 平成31年4月 is fine, 平成31年5月 is not.
    first = era.first_day.replace(day=1)
    if day < first or (era.last_day is not None and day > era.last_day):
        raise DateParseError(f"{text!r} は{era.name}の期間外です")


def parse_date(text: str) -> date:
    """A calendar date from 西暦/和暦 text: ``2023年4月22日``, ``R5.4.22``, ``２０２３/４/２２``."""
    t = _clean(text)
    if not t:
        raise DateParseError("日付が空です")
    era, rest = _era_and_rest(t)
    if era is None and re.fullmatch(r"\d{8}", rest):
        rest = f"{rest[:4]}/{rest[4:6]}/{rest[6:]}"
    y, m, d = _numbers(rest, 3)
    year = _western_year(era, y, text)
    try:
        value = date(year, m, d)
    except ValueError as e:
        raise DateParseError(f"{text!r} は存在しない日付です") from e
    _check_era_range(era, value, text)
    if era is not None and era.first_day > value:
        raise DateParseError(f"{text!r} は{era.name}の始まりより前です")
    return value


def parse_year_month(text: str) -> tuple[int, int]:
    """A (year, month) from ``2019年4月``, ``2019/04``, ``H31.4``, ``令和元年5月``."""
    t = _clean(text)
    if not t:
        raise DateParseError("年月が空です")
    era, rest = _era_and_rest(t)
    if era is None and re.fullmatch(r"\d{6}", rest):
        rest = f"{rest[:4]}/{rest[4:]}"
    y, m = _numbers(rest, 2)
    year = _western_year(era, y, text)
    if not 1 <= m <= 12:
        raise DateParseError(f"{m}月という月はありません（{text!r}）")
    _check_era_range(era, date(year, m, 1), text)
    return year, m


def year_month_run_together(text: str) -> tuple[int, int] | None:
    """The (year, month) of a year and a one-digit month read with nothing between them
    (``20197``: the separator a copy thinned away), or None. Never a sure reading: the
    lost separator could have hidden a digit, so a person confirms it."""
    found = re.fullmatch(r"(\d{4})([1-9])", _clean(text))
    if found is None or not 1900 <= int(found[1]) <= 2100:
        return None
    return int(found[1]), int(found[2])


def is_present(text: str) -> bool:
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return t in PRESENT_WORDS


def parse_year_month_or_present(text: str) -> str:
    """``YYYY-MM`` or ``present`` (for 至 columns written as 現在)."""
    if is_present(text):
        return "present"
    year, month = parse_year_month(text)
    return f"{year:04d}-{month:02d}"
