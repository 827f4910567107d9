"""The katakana normaliser shared by payments and extraction."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.kana import (
    halfwidth_to_fullwidth,
    hiragana_to_katakana,
    kana_match_key,
    normalize_kana,
    normalize_spaces,
    small_to_large,
    unify_long_vowels,
)


def test_hiragana_becomes_katakana_and_nothing_else_changes():
    assert (
        hiragana_to_katakana("こんけん たろう ゔ ゝ ABC 漢字") == "コンケン タロウ ヴ ヽ ABC 漢字"
    )


@pytest.mark.parametrize(
    ("half", "full"),
    [("ﾀﾞ", "ダ"), ("ｶﾞｷﾞｸﾞ", "ガギグ"), ("ﾊﾟﾋﾟ", "パピ"), ("ｺﾝｹﾝ ﾀﾛｳ", "コンケン タロウ"), ("ｳﾞ", "ヴ")],
)
def test_halfwidth_kana_widened_with_voiced_marks_joined(half: str, full: str):
    assert halfwidth_to_fullwidth(half) == full
    assert normalize_kana(half) == full


def test_halfwidth_only_touches_the_halfwidth_block():
    assert halfwidth_to_fullwidth("ＡＢＣ１２３ﾀ") == "ＡＢＣ１２３タ"


def test_a_voiced_mark_that_cannot_combine_is_dropped():
    assert normalize_kana("ｱﾞ") == "ア"
    assert normalize_kana("ア゛") == "ア"
    # the spacing mark after a kana that takes it combines instead of becoming a space
    assert normalize_kana("カ゛") == "ガ"


def test_small_kana_become_large_as_in_the_banks_charset():
    assert (
        small_to_large("キョウ ッ ァィゥェォ ャュョ ヮヵヶ") == "キヨウ ツ アイウエオ ヤユヨ ワカケ"
    )
    assert normalize_kana("きょうこ") == "キヨウコ"


@pytest.mark.parametrize("dash", ["ー", "ｰ", "−", "－", "‐", "―", "‑", "-", "—", "–"])
def test_every_long_vowel_variant_reads_as_choonpu(dash: str):
    assert normalize_kana(f"ス{dash}ジ{dash}") == "スージー"


def test_a_dash_not_after_kana_stays_a_hyphen():
    assert unify_long_vowels("0123-4567") == "0123-4567"
    assert unify_long_vowels("−ア") == "-ア"
    assert normalize_kana("ア ‐") == "ア ー"  # spaces are skipped when looking back


def test_spaces_of_any_width():
    assert normalize_spaces("\u3000コンケン\u3000 タロウ  ") == "コンケン タロウ"
    assert normalize_spaces("コン ケン\u3000タロウ", "remove") == "コンケンタロウ"
    assert normalize_spaces(" a ", "keep") == " a "
    assert normalize_kana("ｺﾝｹﾝ\u3000ﾀﾛｳ", spaces="remove") == "コンケンタロウ"


def test_nfkc_widens_digits_and_can_be_turned_off():
    assert normalize_kana("０１２３ｺﾝｹﾝ") == "0123コンケン"
    assert normalize_kana("０１２３ｺﾝｹﾝ", nfkc=False) == "０１２３コンケン"


@pytest.mark.parametrize(
    "variant",
    [
        "コンケン タロウ",
        "こんけん　たろう",
        "ｺﾝｹﾝﾀﾛｳ",
        "コンケン・タロウ",
        "コンケンタロー",
        "ｺﾝｹﾝ ﾀﾛ-",
    ],
)
def test_match_key_equates_the_ways_a_name_is_written(variant: str):
    # ー is dropped, so タロウ and タロー differ only by ウ; the key of the plain spelling
    base = kana_match_key("コンケン タロウ")
    key = kana_match_key(variant)
    assert key in {base, "コンケンタロ"}
    assert " " not in key and "ー" not in key


def test_match_key_keeps_digits_and_folds_case():
    assert kana_match_key("ＡＢＣ ０１２３") == "abc0123"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalize_is_idempotent_and_total(text: str):
    once = normalize_kana(text)
    assert normalize_kana(once) == once
    removed = normalize_kana(text, spaces="remove")
    assert normalize_kana(removed, spaces="remove") == removed


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_match_key_is_idempotent_and_total(text: str):
    key = kana_match_key(text)
    assert kana_match_key(key) == key
    assert " " not in key


_KANA = st.text(
    alphabet=st.sampled_from(
        list("アイウエオカキクケコガギグゲゴャュョッァーｰｱｶﾞﾀﾞﾊﾟ －−‐―\u3000あいうえおがぎ0123")
    )
)


@settings(max_examples=200, deadline=None)
@given(_KANA)
def test_normalize_is_idempotent_on_kana_heavy_text(text: str):
    once = normalize_kana(text)
    assert normalize_kana(once) == once
    assert not set("ャュョッァ") & set(once)  # no small kana survive
    assert not set("ｰｱｶﾀﾊ\u3000") & set(once)  # no half-width kana or wide spaces
