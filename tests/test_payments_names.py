"""Transfer names as the corpus writes them, taken apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.payments.names import employer_key, name_key, parse_payer

TARO = name_key("コンケン タロウ")


@pytest.mark.parametrize(
    "raw",
    [
        "０１２３コンケンタロウ",  # the manual's example, full width as the bank prints it
        "0123コンケンタロウ",
        "０１２３　コンケン　タロウ",  # full-width spaces
        "0123 ｺﾝｹﾝ ﾀﾛｳ",  # half-width kana
        "コンケンタロウ０１２３",  # number after the name
        "コンケン タロウ 0123",
        "ﾌﾘｺﾐ 0123ｺﾝｹﾝﾀﾛｳ",  # bank prefix, half width
        "フリコミ　０１２３コンケンタロウ",
        "０１２３コンケンタロ－",  # long vowel as full-width hyphen-minus (cp932 0x817C)
        "0123コンケンタロ−",  # ... as U+2212 (the same byte read as Shift_JIS)
        "0123コンケンタロ",  # ... or missing
    ],
)
def test_every_corpus_variant_gives_the_digits_and_the_name(raw: str):
    payer = parse_payer(raw)
    assert payer.suffixes == ("0123",)
    # タロウ written タロー or タロ: the key drops long vowels, so only ウ may be missing
    assert payer.name_key in {TARO, "コンケンタロ"}
    assert not payer.is_company


def test_a_missing_number_gives_no_suffix():
    payer = parse_payer("コンケン　タロウ")
    assert payer.suffixes == () and payer.name_key == TARO


def test_small_kana_in_the_register_meet_the_bank_spelling():
    assert parse_payer("0456サトウキヨウコ").name_key == name_key("さとう きょうこ")


@pytest.mark.parametrize(
    ("raw", "company"),
    [
        ("カ）コンケンシヨウジ", "コンケンシヨウジ"),
        ("ｶ)ｺﾝｹﾝｼﾖｳｼﾞ", "コンケンシヨウジ"),
        ("コンケンシヨウジ（カ", "コンケンシヨウジ"),
        ("ｺﾝｹﾝｼﾖｳｼﾞ(ｶ)", "コンケンシヨウジ"),
        ("（カ）コンケンシヨウジ", "コンケンシヨウジ"),
        ("ユ）テストサービス", "テストサービス"),
        ("カブシキガイシヤ　コンケンシヨウジ", "コンケンシヨウジ"),
        ("株式会社コンケン商事", "コンケン商事"),
    ],
)
def test_company_markers_are_found_and_removed_from_the_name(raw: str, company: str):
    payer = parse_payer(raw)
    assert payer.is_company
    assert payer.name_key == name_key(company)
    assert payer.alias_key.startswith(f"{payer.company_marker})")


def test_company_marker_needs_a_bracket_so_names_are_not_mistaken():
    assert not parse_payer("カトウ イチロウ").is_company
    assert not parse_payer("イトウ ユミ").is_company


def test_a_company_paying_for_several_lists_each_suffix():
    assert parse_payer("カ）コンケン 0123 0456,0789").suffixes == ("0123", "0456", "0789")


def test_a_whole_pass_number_gives_its_last_four_digits():
    assert parse_payer("23010123コンケンタロウ").suffixes == ("0123",)


def test_formula_characters_are_plain_text():
    payer = parse_payer('=HYPERLINK("http://x")0123コンケン')
    assert payer.raw.startswith("=") and payer.suffixes == ("0123",)


def test_employer_key_drops_the_legal_form():
    assert employer_key("株式会社 コンケンショウジ") == name_key("コンケンシヨウジ")


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_parsing_never_raises_and_is_stable_under_normalisation(raw: str):
    payer = parse_payer(raw)
    assert parse_payer(payer.normalized).suffixes == payer.suffixes
    assert all(len(s) == 4 and s.isdigit() for s in payer.suffixes)
