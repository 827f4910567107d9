"""Reading statement files: MUFG cp932, other banks by profile, and bad input."""

from __future__ import annotations

import random
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import InputFileError, ValidationError
from pipeline.payments.names import parse_payer
from pipeline.payments.profiles import builtin_profiles, load_profile_file, resolve_profile
from pipeline.payments.statements import parse_statement_bytes, read_statement
from tests.payments_support import MUFG_HEADER, Txn, mufg_csv, write

D = date(2023, 4, 22)


def test_mufg_file_is_read_with_its_quirks(tmp_path: Path):
    path = write(
        tmp_path / "mufg.csv",
        mufg_csv(
            [
                Txn(D, "０１２３コンケンタロウ", deposit=11_000, description="振込１"),
                Txn(D, "ｺﾝｹﾝﾊﾅｺ", deposit=10_560),
                Txn(date(2023, 5, 1), "デンキダイ", withdrawal=5_000, description="口座振替"),
            ]
        ),
    )
    parsed = read_statement(path)
    assert parsed.profile == "mufg"
    assert parsed.problems == []
    first, second, third = parsed.rows
    assert (first.booked_on, first.deposit_yen, first.balance_yen) == (D, 11_000, 1_011_000)
    assert first.description == "振込１" and first.payer_raw == "０１２３コンケンタロウ"
    assert first.line == 2 and second.line == 3
    assert second.payer_raw == "ｺﾝｹﾝﾊﾅｺ"  # stored as the bank wrote it
    assert third.withdrawal_yen == 5_000 and not third.is_deposit
    assert len({r.txn_key for r in parsed.rows}) == 3


def test_cp932_hyphen_family_decodes_to_one_long_vowel(tmp_path: Path):
    # 0x817C (－), 0x815D (‐), 0x815C (―) and 0x815B (ー) as MUFG writes them
    lines = [MUFG_HEADER.encode("cp932")]
    for i, dash in enumerate([b"\x81\x7c", b"\x81\x5d", b"\x81\x5c", b"\x81\x5b"]):
        payer = "0123スズキジロ".encode("cp932") + dash
        lines.append(
            f"2023/4/{i + 1},振込,".encode("cp932") + payer + ',,"11,000",,,,入金'.encode("cp932")
        )
    parsed = parse_statement_bytes(b"\r\n".join(lines), "dash.csv")
    names = {parse_payer(r.payer_raw).normalized for r in parsed.rows}
    assert names == {"0123スズキジロー"}


def test_generic_utf8_bom_profile_with_a_signed_amount(tmp_path: Path):
    text = (
        "取引日,取引区分,振込依頼人名,金額,残高,備考\n"
        "2023-04-22,振込,0123 コンケン タロウ,11000,50000,\n"
        "2023-04-23,振替,デンキダイ,-5000,45000,\n"
    )
    path = write(tmp_path / "other.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    parsed = read_statement(path)
    assert parsed.profile == "generic_utf8"
    assert [(r.deposit_yen, r.withdrawal_yen) for r in parsed.rows] == [(11_000, 0), (0, 5_000)]


def test_a_custom_profile_file_maps_another_banks_columns(tmp_path: Path):
    profile_path = tmp_path / "bank.yaml"
    profile_path.write_text(
        "name: otherbank\nencoding: utf-8\ndate_formats: ['%d.%m.%Y']\n"
        "header_search_lines: 5\ndelimiter: ';'\n"
        "columns: {date: Datum, payer: Auftraggeber, deposit: Haben, withdrawal: Soll}\n",
        encoding="utf-8",
    )
    data = "Konto 123\n\nDatum;Auftraggeber;Soll;Haben\n22.04.2023;0123ｺﾝｹﾝ;;11000\n"
    parsed = parse_statement_bytes(data.encode(), "x.csv", resolve_profile(str(profile_path)))
    assert parsed.profile == "otherbank"
    assert parsed.rows[0].booked_on == D and parsed.rows[0].line == 4


def test_invalid_profiles_are_refused_with_the_reason(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncolumns: {date: d, payer: p}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="deposit"):
        load_profile_file(bad)
    with pytest.raises(ValidationError, match="unknown statement profile"):
        resolve_profile("nosuchbank")
    assert {p.name for p in builtin_profiles()} >= {"mufg", "generic_utf8"}


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ('2023/4/22,振込,A,,"1,1000","1",,,入金', "1,1000"),
        ("2023/4/22,振込,A,,,,,,入金", "入金の行ですが"),
        ('2023/13/45,振込,A,,"11,000",,,,入金', "日付"),
        ('2023/4/22,振込,A,,"11,000",,,,返金', "どちらか分かりません"),
        ('2023/4/22,振込,A,"5,000","11,000",,,,入金', "どちらか一方だけ"),
        ('2023/4/22,振込,A,,"11,000"', "列がありません"),
        ('2023/4/22,振込,A,,"abc",,,,入金', "abc"),
    ],
)
def test_malformed_rows_become_problems_with_line_numbers(cells: str, message: str):
    good = '2023/4/22,振込,B,,"11,000",,,,入金'
    data = "\r\n".join([MUFG_HEADER, good, cells, good.replace(",B,", ",C,")])
    parsed = parse_statement_bytes(data.encode("cp932"), "f.csv")
    assert [r.line for r in parsed.rows] == [2, 4]
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert (problem.source, problem.line) == ("f.csv", 3)
    assert message in problem.message


def test_formula_payers_are_kept_as_text():
    data = "\r\n".join(
        [
            MUFG_HEADER,
            '2023/4/22,振込,=1+2,,"11,000",,,,入金',
            '2023/4/22,振込,@SUM(A1),,"1",,,,入金',
        ]
    )
    parsed = parse_statement_bytes(data.encode("cp932"), "f.csv")
    assert [r.payer_raw for r in parsed.rows] == ["=1+2", "@SUM(A1)"]


def test_ten_megabytes_of_junk_are_refused_quickly(tmp_path: Path):
    rng = random.Random(5)
    binary = write(tmp_path / "junk.bin", rng.randbytes(10 * 1024 * 1024))
    text = write(tmp_path / "junk.csv", b"x" * (10 * 1024 * 1024))
    lines = write(tmp_path / "lines.csv", b"a,b,c\n" * (10 * 1024 * 1024 // 6))
    start = time.perf_counter()
    with pytest.raises(InputFileError, match="テキストでない"):
        read_statement(binary)
    with pytest.raises(ValidationError, match="CSV の明細として読めません"):
        read_statement(text)
    with pytest.raises(ValidationError, match="見出し"):
        read_statement(lines)
    assert time.perf_counter() - start < 5


def test_undecodable_and_missing_files():
    with pytest.raises(InputFileError, match="文字コード"):
        parse_statement_bytes(
            b"\x82\xa0\xff\xfe\xfd" * 10, "x.csv", resolve_profile("generic_utf8")
        )
    with pytest.raises(InputFileError, match="ファイルがありません"):
        read_statement(Path("nope.csv"))
    with pytest.raises(InputFileError, match="フォルダです"):
        read_statement(Path.cwd())


def test_missing_columns_are_named():
    data = "日付,摘要,摘要内容\r\n2023/4/22,振込,A\r\n".encode("cp932")
    with pytest.raises(ValidationError, match="預かり金額"):
        parse_statement_bytes(data, "x.csv", resolve_profile("mufg"))


def test_identical_rows_on_one_day_keep_distinct_keys_and_reread_gives_the_same_keys():
    # a profile without balance: two identical payments on one day
    text = "取引日,取引区分,振込依頼人名,金額,残高,備考\n" + "2023-04-22,振込,0123ア,11000,,\n" * 2
    first = parse_statement_bytes(text.encode(), "a.csv")
    again = parse_statement_bytes(text.encode(), "b.csv")
    assert len({r.txn_key for r in first.rows}) == 2
    assert [r.txn_key for r in first.rows] == [r.txn_key for r in again.rows]


_ROW = st.builds(
    Txn,
    day=st.dates(min_value=date(2023, 1, 1), max_value=date(2023, 12, 31)),
    payer=st.text(alphabet="0123アイウエオカキクケコｱｲｳ　ー－ ", max_size=12),
    deposit=st.sampled_from([0, 10_560, 11_000, 22_000]),
    withdrawal=st.just(0),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=15))
def test_keys_do_not_depend_on_the_file_a_row_came_from(rows: list[Txn]):
    rows = [r if r.deposit else Txn(r.day, r.payer, withdrawal=500) for r in rows]
    whole = parse_statement_bytes(mufg_csv(rows), "whole.csv")
    again = parse_statement_bytes(mufg_csv(rows), "again.csv")
    assert [r.txn_key for r in whole.rows] == [r.txn_key for r in again.rows]
    assert len({r.txn_key for r in whole.rows}) == len(whole.rows)


@pytest.mark.parametrize(
    "written",
    [
        "2023/4/22",
        "2023/04/22",
        "2023-04-22",
        "2023.04.22",
        "20230422",
        "2023年4月22日",
        "令和5年4月22日",
        "R5.4.22",
        "Ｒ５．４．２２",
        "２０２３／４／２２",
    ],
)
def test_unambiguous_date_forms_of_bank_exports_are_read(written: str):
    data = "\r\n".join([MUFG_HEADER, f'{written},振込,A,,"11,000",,,,入金'])
    parsed = parse_statement_bytes(data.encode("cp932"), "f.csv")
    assert parsed.problems == []
    assert [r.booked_on for r in parsed.rows] == [D]


@pytest.mark.parametrize(
    "written",
    [
        "23/4/22",  # two-digit year
        "22/04/2023",  # day first
        "04/22/2023",  # month first
        "2023/2/30",  # no such day
        "平成36年4月22日",  # outside its era (that day is 令和)
        "2023/04/22 10:15",  # a time is not a booking date
        "2023422",  # seven digits
        "",
    ],
)
def test_ambiguous_or_unreal_dates_are_line_numbered_problems_and_nothing_else_is_lost(
    written: str,
):
    good = '2023/4/22,振込,B,,"11,000",,,,入金'
    rows = [MUFG_HEADER, good, f'{written},振込,A,,"11,000",,,,入金', good.replace(",B,", ",C,")]
    parsed = parse_statement_bytes("\r\n".join(rows).encode("cp932"), "f.csv")
    assert [(r.line, r.payer_raw) for r in parsed.rows] == [(2, "B"), (4, "C")]
    (problem,) = parsed.problems
    assert problem.line == 3
    assert f"日付 {written!r} を一つの日付として読めません" in problem.message
    # Fixed and dropped in again, the file adds only the row that was refused.
    fixed_rows = [*rows[:2], '2023/4/22,振込,A,,"11,000",,,,入金', rows[3]]
    fixed = parse_statement_bytes("\r\n".join(fixed_rows).encode("cp932"), "g.csv")
    assert fixed.problems == [] and len(fixed.rows) == 3
    assert {r.txn_key for r in parsed.rows} < {r.txn_key for r in fixed.rows}
