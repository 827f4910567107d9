"""From raw OCR text to a typed value, by the template's named validator.

``normalize(validator, raw)`` returns the canonical value (dates ISO, year-
months ``YYYY-MM`` or ``present``, katakana full width) or raises
``FieldInvalid`` with a reason staff can read. OCR noise that cannot change
the meaning (spaces inside digits, full-width forms, look-alike dashes) is
cleaned; anything that could is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from pipeline.text.dates import (
    DateParseError,
    parse_date,
    parse_year_month,
    parse_year_month_or_present,
)
from pipeline.text.kana import DASHES, hiragana_to_katakana, normalize_spaces, unify_long_vowels


class FieldInvalid(ValueError):  # noqa: N818 - a value judgement, not a program error
    """The text does not satisfy the field's validator."""


_DASH_CLASS = "[" + re.escape("".join(sorted(DASHES))) + "]"
EXAM_TYPES = ("CAP", "OMP", "SV", "OP", "EN")
_EXAM_NAMES = {
    "CAP": ("コンタクトセンターアーキテクチャ", "アーキテクチャ"),
    "OMP": ("オペレーションマネジメント", "マネジメント"),
    "SV": ("スーパーバイザー",),
    "OP": ("オペレーター",),
    "EN": ("エントリー",),
}


# PP-OCR, trained on Chinese as much as Japanese, reads the katakana long vowel as the
# kanji 一 (コ一ポ for コーポ). After a katakana it can only be the long vowel.
_ONE_AFTER_KATAKANA = re.compile("(?<=[\u30a1-\u30fa])\u4e00")


def _nfkc(text: str) -> str:
    return _ONE_AFTER_KATAKANA.sub("ー", unicodedata.normalize("NFKC", text).strip())


def plain(text: str | None) -> str:
    """NFKC without any whitespace: the key two readings of one value compare equal by."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _digits_only(text: str) -> str:
    return re.sub(r"\s+", "", _nfkc(text))


def pass_number(raw: str) -> str:
    # Hyphens are no part of a pass number: written ones (2212-204925), or a dashed cell
    # separator read as one.
    text = _digits_only(raw).replace("-", "")
    if not re.fullmatch(r"\d{10}", text):
        raise FieldInvalid(f"合格者番号は10桁の数字です（読み取り: {raw!r}）")
    return text


def date_iso(raw: str) -> str:
    try:
        return parse_date(raw).isoformat()
    except DateParseError as e:
        raise FieldInvalid(f"日付として読めません: {e}") from e


def yearmonth(raw: str) -> str:
    try:
        year, month = parse_year_month(raw)
    except DateParseError as e:
        raise FieldInvalid(f"年月として読めません: {e}") from e
    return f"{year:04d}-{month:02d}"


def yearmonth_or_present(raw: str) -> str:
    try:
        return parse_year_month_or_present(raw)
    except DateParseError as e:
        raise FieldInvalid(f"年月または「現在」として読めません: {e}") from e


_KATAKANA = re.compile(r"^[\u30a1-\u30fa\u30fc ]+$")


# A mark standing apart from a furigana name, after a space, is something beside it read
# as well (a received stamp's ring read as "(": E11-0021): no name has one.
_APART_FROM_KANA = re.compile(
    r"(^[()（）\[\]|/\\・、。,.:;'\"`「」]+\s+|\s+[()（）\[\]|/\\・、。,.:;'\"`「」]+$)"
)


def katakana(raw: str) -> str:
    text = hiragana_to_katakana(_nfkc(raw))
    text = _APART_FROM_KANA.sub("", text.strip())
    text = unify_long_vowels(normalize_spaces(text, "single")).strip()
    if not text or not _KATAKANA.match(text):
        raise FieldInvalid(f"カタカナ以外の文字があります（読み取り: {raw!r}）")
    return text


def postcode(raw: str) -> str:
    text = re.sub(_DASH_CLASS, "-", _digits_only(raw)).lstrip("〒")
    digits = text.replace("-", "")
    if not re.fullmatch(r"\d{7}", digits) or (
        ("-" in text) and not re.fullmatch(r"\d{3}-\d{4}", text)
    ):
        raise FieldInvalid(f"郵便番号は7桁（123-4567）です（読み取り: {raw!r}）")
    return f"{digits[:3]}-{digits[3:]}"


def phone(raw: str) -> str:
    text = re.sub(_DASH_CLASS, "-", _digits_only(raw))
    text = text.replace("(", "-").replace(")", "-").strip("-")
    text = re.sub("-+", "-", text)
    digits = text.replace("-", "")
    if not re.fullmatch(r"0\d{9,10}", digits) or not re.fullmatch(r"[\d-]+", text):
        raise FieldInvalid(f"電話番号として読めません（読み取り: {raw!r}）")
    # A Japanese number's subscriber part is four digits (free dial 0120's three), and
    # mobile and IP numbers (070, 080, 090, 050) have eleven: a digit whose thin stroke
    # was lost on the scan shows here.
    groups = text.split("-")
    # Grouped, a number has three parts, the area code at most five digits: two parts
    # (039717-0521) are three with a hyphen lost.
    if len(groups) == 2 or (len(groups) > 2 and len(groups[0]) > 5):
        raise FieldInvalid(
            f"電話番号の区切りが足りません（ハイフンの読み落としの可能性、読み取り: {raw!r}）"
        )
    if len(groups) > 1 and len(groups[-1]) != (3 if digits.startswith("0120") else 4):
        raise FieldInvalid(f"電話番号の末尾は4桁です（読み取り: {raw!r}）")
    if re.match(r"0[5789]0", digits) and len(digits) != 11:
        raise FieldInvalid(f"携帯・IP電話の番号は11桁です（読み取り: {raw!r}）")
    if len(groups) == 1 and re.match(r"0[5789]0", digits):
        # Written, or read, without hyphens: a mobile or IP number has one grouping.
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return text


# The last label of a domain is a top-level domain: letters, at least two (``.p`` is a
# ``.jp`` whose j was lost).
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")


def email(raw: str) -> str:
    text = _LEADING_JUNK.sub("", re.sub(r"\s+", "", _nfkc(raw)))
    if not _EMAIL.match(text):
        raise FieldInvalid(f"メールアドレスとして読めません（読み取り: {raw!r}）")
    return text.lower()


def exam_type(raw: str) -> str:
    text = _nfkc(raw).upper().replace(" ", "")
    codes = [code for code in EXAM_TYPES if re.search(rf"(?<![A-Z]){code}(?![A-Z])", text)]
    if len(codes) == 1:
        return codes[0]
    names = [code for code, words in _EXAM_NAMES.items() if any(w in text for w in words[:1])]
    if len(names) == 1:
        return names[0]
    raise FieldInvalid(f"試験種別（CAP/OMP/SV/OP/EN）として読めません（読み取り: {raw!r}）")


def exam_result(raw: str) -> str:
    """``pass`` for 合格, ``fail`` for 不合格."""
    text = _nfkc(raw).replace(" ", "")
    if "不合格" in text:
        return "fail"
    if text == "合格" or (text.endswith("合格") and len(text) <= 3):
        return "pass"
    raise FieldInvalid(f"結果（合格／不合格）として読めません（読み取り: {raw!r}）")


def substitution_years(raw: str) -> str:
    text = _digits_only(raw).removesuffix("年")
    if not re.fullmatch(r"\d(\.\d)?", text):
        raise FieldInvalid(f"代替年数として読めません（読み取り: {raw!r}）")
    value = float(text)
    if not 0 < value <= 5:
        raise FieldInvalid(f"代替年数 {value} は範囲外です")
    return text


def row_number(raw: str) -> str:
    text = _digits_only(raw)
    if not re.fullmatch(r"\d{1,2}", text) or not 1 <= int(text) <= 16:
        raise FieldInvalid(f"経歴番号として読めません（読み取り: {raw!r}）")
    return str(int(text))


# Specks and ruling stubs at a line's ends come back as punctuation (・、|_ ーー): no name,
# organisation, title or address begins with one, nor ends with one but a long vowel.
_LEADING_JUNK = re.compile(r"^[\s・、。,.|_~'\"`「」『』ー\-—:;*^]+")
_TRAILING_JUNK = re.compile(r"[\s・、。,|_~'\"`「」『』:;*^]+$")
# A full stop closes a Latin abbreviation (Co., Ltd.), never a Japanese name: after kana
# or kanji it is a speck of a copy read by both engines (北斗カード株式会社.).
_DOT_AFTER_JAPANESE = re.compile(r"(?<=[^\x00-\x7f])\s*\.+$")
# Nor does one part a Japanese word from the digits after it (a supervisor's contact
# line: 大和テレコム株式会社.075-108-0351).
_DOT_BEFORE_DIGITS = re.compile(r"(?<=[^\x00-\x7f])\s*\.(?=\s*[0-9])")


# One stroke alone is what an empty cell leaves of a ruling the crop caught on a bent or
# photographed sheet (both engines read it as 1); no name, organisation or title is one.
_LONE_STROKE = re.compile(r"^[1lIi|!丨ー一/\\]$")


def nonempty(raw: str) -> str:
    text = re.sub(r"\s+", " ", _nfkc(raw)).strip()
    text = _TRAILING_JUNK.sub("", _LEADING_JUNK.sub("", text))
    text = _TRAILING_JUNK.sub("", _DOT_AFTER_JAPANESE.sub("", text))
    text = _DOT_BEFORE_DIGITS.sub("", text)
    if not text:
        raise FieldInvalid("空欄です")
    if _LONE_STROKE.match(text):
        raise FieldInvalid(f"線が1本あるだけです（罫線の切れ端の可能性: '{text}'）")
    return text


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "pass_number": pass_number,
    "date": date_iso,
    "yearmonth": yearmonth,
    "yearmonth_or_present": yearmonth_or_present,
    "katakana": katakana,
    "postcode": postcode,
    "phone": phone,
    "email": email,
    "exam_type": exam_type,
    "exam_result": exam_result,
    "substitution_years": substitution_years,
    "row_number": row_number,
    "nonempty": nonempty,
}


def normalize(validator: str | None, raw: str) -> str:
    """The canonical value for ``raw`` under ``validator`` (None: trimmed text)."""
    if validator is None:
        return nonempty(raw)
    return NORMALIZERS[validator](raw)
