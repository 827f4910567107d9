"""Reading a bank statement file into typed rows.

``read_statement`` decodes the file with a profile (given, or the first
built-in profile whose header it finds), parses each row into a
``StatementRow`` and reports each malformed row as a ``RowProblem`` with file
and line number; a bad row never stops the others. Whole-file problems raise:
``InputFileError`` (unreadable, too large, binary, undecodable) or
``ValidationError`` (no header with the profile's columns). Cells are kept as
text and never evaluated (a payer name starting with ``=`` is just a name).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.errors import InputFileError, ValidationError
from pipeline.payments.keys import KeyAssigner, content_of
from pipeline.payments.profiles import Profile, builtin_profiles
from pipeline.text.dates import DateParseError
from pipeline.text.dates import parse_date as parse_written_date

MAX_STATEMENT_BYTES = 50 * 1024 * 1024
MAX_PAYER_CHARS = 256
MAX_DESCRIPTION_CHARS = 128
_SNIFF_BYTES = 64 * 1024
_AMOUNT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)")


@dataclass(frozen=True)
class StatementRow:
    """One transaction as the bank listed it; amounts in yen, withdrawal/deposit >= 0."""

    source: str
    line: int
    booked_on: date
    description: str | None
    payer_raw: str
    deposit_yen: int
    withdrawal_yen: int
    balance_yen: int | None
    memo: str | None
    txn_key: str

    @property
    def is_deposit(self) -> bool:
        return self.deposit_yen > 0


@dataclass(frozen=True)
class RowProblem:
    source: str
    line: int
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"file": self.source, "line": self.line, "message": self.message}


@dataclass
class ParsedStatement:
    source: str
    sha256: str
    profile: str
    rows: list[StatementRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.problems)


class _RowError(Exception):
    """A malformed cell; becomes a RowProblem."""


def read_statement(path: Path, profile: Profile | None = None) -> ParsedStatement:
    """Parse a statement file (see the module docstring)."""
    try:
        size = path.stat().st_size
        if size > MAX_STATEMENT_BYTES:
            raise InputFileError(
                f"{path}: {size:,} バイトあり、明細として受け付ける上限（{MAX_STATEMENT_BYTES:,} "
                "バイト）を超えています。期間を分けて出力し直してください"
            )
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise InputFileError(f"{path}: ファイルがありません") from e
    except IsADirectoryError as e:
        raise InputFileError(f"{path}: フォルダです（明細のファイルを指定してください）") from e
    except PermissionError as e:
        raise InputFileError(f"{path}: 読み取る権限がありません（{e.strerror}）") from e
    return parse_statement_bytes(data, str(path), profile)


def parse_statement_bytes(
    data: bytes, source: str, profile: Profile | None = None
) -> ParsedStatement:
    """Parse statement bytes; ``source`` names the file in problems and errors."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise InputFileError(
            f"{source}: 明細として受け付ける上限（{MAX_STATEMENT_BYTES:,} バイト）を超えています"
        )
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputFileError(f"{source}: CSV の明細ではありません（テキストでないデータです）")
    candidates = (profile,) if profile is not None else _ordered_profiles(data)
    decoded_any = False
    last_error: ValidationError | None = None
    for candidate in candidates:
        try:
            text = data.decode(candidate.encoding)
        except UnicodeDecodeError:
            continue
        decoded_any = True
        try:
            _, header, reader = _find_header(text, candidate, source)
        except ValidationError as e:
            last_error = e
            continue
        parsed = ParsedStatement(
            source=source, sha256=hashlib.sha256(data).hexdigest(), profile=candidate.name
        )
        _parse_rows(reader, header, candidate, parsed)
        return parsed
    if not decoded_any:
        encodings = ", ".join(dict.fromkeys(p.encoding for p in candidates))
        raise InputFileError(
            f"{source}: 文字コード（{encodings}）として読めません。銀行の入出金明細か確認してください"
        )
    assert last_error is not None
    raise last_error


def _ordered_profiles(data: bytes) -> Sequence[Profile]:
    profiles = builtin_profiles()
    if data.startswith(codecs.BOM_UTF8):
        return sorted(profiles, key=lambda p: not p.encoding.lower().startswith("utf"))
    return profiles


def _find_header(text: str, profile: Profile, source: str) -> tuple[int, dict[str, int], Any]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=profile.delimiter)
    wanted = profile.columns.required()
    try:
        for _ in range(profile.header_search_lines):
            row = next(reader, None)
            if row is None:
                break
            cells = [c.strip().lstrip("\ufeff") for c in row]
            if all(w in cells for w in wanted):
                return reader.line_num, {c: i for i, c in enumerate(cells) if c}, reader
    except csv.Error as e:
        raise ValidationError(f"{source}: CSV の明細として読めません（{e}）") from e
    raise ValidationError(
        f"{source}: 最初の {profile.header_search_lines} 行に、明細の形式「{profile.name}」の"
        f"見出し（{'、'.join(wanted)}）がありません"
    )


def _parse_rows(
    reader: Any,  # csv reader (has line_num)
    header: dict[str, int],
    profile: Profile,
    parsed: ParsedStatement,
) -> None:
    keys = KeyAssigner()
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            parsed.problems.append(
                RowProblem(parsed.source, reader.line_num, f"CSV として読めない行です（{e}）")
            )
            continue
        if not any(c.strip() for c in cells):
            continue
        try:
            row = _parse_row(cells, header, profile, parsed.source, reader.line_num, keys)
        except _RowError as e:
            parsed.problems.append(RowProblem(parsed.source, reader.line_num, str(e)))
            continue
        parsed.rows.append(row)


def _cell(cells: list[str], header: dict[str, int], column: str | None) -> str | None:
    if column is None:
        return None
    index = header[column]
    if index >= len(cells):
        raise _RowError(f"この行は {len(cells)} 列しかなく、「{column}」の列がありません")
    return cells[index].strip()


def _parse_row(
    cells: list[str],
    header: dict[str, int],
    profile: Profile,
    source: str,
    line: int,
    keys: KeyAssigner,
) -> StatementRow:
    cols = profile.columns
    booked_on = parse_date(_cell(cells, header, cols.date) or "", profile.date_formats)
    payer = _cell(cells, header, cols.payer) or ""
    if len(payer) > MAX_PAYER_CHARS:
        raise _RowError(f"振込名義が {MAX_PAYER_CHARS} 文字を超えています")
    description = _cell(cells, header, cols.description) or None
    if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
        raise _RowError(f"摘要が {MAX_DESCRIPTION_CHARS} 文字を超えています")
    deposit, withdrawal = _amounts(cells, header, profile)
    balance_text = _cell(cells, header, cols.balance)
    balance = parse_amount(balance_text, cols.balance or "") if balance_text else None
    memo = _cell(cells, header, cols.memo) or None
    content = content_of(booked_on, deposit, withdrawal, balance, description, payer)
    return StatementRow(
        source=source,
        line=line,
        booked_on=booked_on,
        description=description,
        payer_raw=payer,
        deposit_yen=deposit,
        withdrawal_yen=withdrawal,
        balance_yen=balance,
        memo=memo,
        txn_key=keys.key(content),
    )


def _amounts(cells: list[str], header: dict[str, int], profile: Profile) -> tuple[int, int]:
    cols = profile.columns
    if cols.amount is not None:
        text = _cell(cells, header, cols.amount) or ""
        if not text:
            raise _RowError(f"金額の列「{cols.amount}」が空です")
        value = parse_amount(text, cols.amount)
        if value == 0:
            raise _RowError(f"金額の列「{cols.amount}」が 0 です")
        return (value, 0) if value > 0 else (0, -value)
    dep_text = _cell(cells, header, cols.deposit) or ""
    wd_text = _cell(cells, header, cols.withdrawal) or ""
    deposit = parse_amount(dep_text, cols.deposit or "") if dep_text else 0
    withdrawal = parse_amount(wd_text, cols.withdrawal or "") if wd_text else 0
    if deposit < 0 or withdrawal < 0:
        raise _RowError("入金・出金の列にマイナスの金額があります")
    direction = _direction(cells, header, profile)
    if direction == "deposit" and deposit == 0:
        raise _RowError(f"入金の行ですが「{cols.deposit}」が空か 0 です")
    if direction == "withdrawal" and withdrawal == 0:
        raise _RowError(f"出金の行ですが「{cols.withdrawal}」が空か 0 です")
    if (deposit > 0) == (withdrawal > 0):
        raise _RowError("入金と出金のどちらか一方だけに金額が必要です")
    return deposit, withdrawal


def _direction(cells: list[str], header: dict[str, int], profile: Profile) -> str | None:
    text = _cell(cells, header, profile.columns.direction)
    if text is None or not profile.direction_values:
        return None
    for direction, values in profile.direction_values.items():
        if text in values:
            return direction
    raise _RowError(
        f"「{profile.columns.direction}」の値 {text!r} が入金・出金のどちらか分かりません"
    )


def parse_amount(text: str, column: str) -> int:
    """``"11,000"``, ``１１，０００``, ``¥11000``, ``11000円`` → 11000.

    Anything else (``1,1000``, blank, text) is a row problem."""
    value = unicodedata.normalize("NFKC", text).strip().lstrip("¥\\").removesuffix("円").strip()
    if not _AMOUNT.fullmatch(value):
        raise _RowError(f"「{column}」の {text!r} は円の金額として読めません")
    return int(value.replace(",", ""))


# Dates a bank export may carry besides its profile's formats: unambiguous only
# (four-digit year first, or an era name). Day-first, month-first and two-digit
# years (22/04/2023, 04/22/2023, 23/4/22) are refused, never guessed.
_WESTERN_DATE = re.compile(
    r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|(\d{2})(\d{2})|年(\d{1,2})月(\d{1,2})日)"
)
_ERA_DATE = re.compile(
    r"(?:令和|平成|R|H)(?:\d{1,2}|元)[年./-]\d{1,2}[月./-]\d{1,2}日?", re.IGNORECASE
)
ACCEPTED_DATES = (
    "2023/4/22, 2023-04-22, 2023.04.22, 20230422, 2023年4月22日, 令和5年4月22日, R5.4.22"
)


@lru_cache(maxsize=4096)
def _read_date(value: str, formats: tuple[str, ...]) -> date | None:
    for fmt in formats:
        try:
            found = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if found.year >= 1900:  # strptime's %Y also reads "23" as the year 23
            return found
    return _read_unambiguous(value)


def _read_unambiguous(value: str) -> date | None:
    if match := _WESTERN_DATE.fullmatch(value):
        year, *rest = match.groups()
        month, day = [int(v) for v in rest if v is not None]
        try:
            return date(int(year), month, day)
        except ValueError:
            return None
    if _ERA_DATE.fullmatch(value):
        try:
            return parse_written_date(value)
        except DateParseError:
            return None
    return None


def parse_date(text: str, formats: Sequence[str]) -> date:
    """The first of ``formats`` (or an unambiguous bank-export form) that reads ``text``."""
    found = _read_date(unicodedata.normalize("NFKC", text).strip(), tuple(formats))
    if found is not None:
        return found
    raise _RowError(f"日付 {text!r} を一つの日付として読めません（使える書き方: {ACCEPTED_DATES}）")
