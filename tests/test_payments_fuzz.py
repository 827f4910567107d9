"""Fuzzing the statement importer and its date reader: a value or a clear, typed error.

Whatever bytes arrive in the statements folder, ``parse_statement_bytes``
either returns rows (each with a real date and exactly one positive amount)
plus line-numbered problems, or raises one of our ``ConkenError``s with a
message — never a bare exception that would fail the whole run.
"""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import ConkenError
from pipeline.payments.statements import _RowError, parse_date, parse_statement_bytes
from tests.payments_support import MUFG_HEADER

_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["2023/4/22", "R5.4.22", "11,000", "1,1000", "", "入金", "支払い", "=1+2"]),
    st.integers(-(10**12), 10**12).map(str),
)
_LINE = st.lists(_CELL, min_size=0, max_size=11).map(
    lambda cells: ",".join(f'"{c}"' if "," in c else c for c in cells)
)


def _check(data: bytes) -> None:
    try:
        parsed = parse_statement_bytes(data, "fuzz.csv")
    except ConkenError as e:
        assert e.message
        return
    for row in parsed.rows:
        assert isinstance(row.booked_on, date) and row.booked_on.year >= 1900
        assert (row.deposit_yen > 0) != (row.withdrawal_yen > 0)
    for problem in parsed.problems:
        assert problem.line >= 1 and problem.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=8), st.sampled_from(["cp932", "utf-8", "utf-8-sig"]))
def test_rows_under_a_real_header_give_rows_or_problems(lines: list[str], encoding: str):
    text = "\r\n".join([MUFG_HEADER, *lines])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    _check(data)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_importer(data: bytes):
    _check(data)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_the_date_reader_gives_a_date_or_a_row_problem(text: str):
    try:
        value = parse_date(text, ["%Y/%m/%d"])
    except _RowError as e:
        assert "日付" in str(e)
    else:
        assert value.year >= 1900
