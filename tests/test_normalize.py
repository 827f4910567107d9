"""Normalisation by the templates' named validators."""

from __future__ import annotations

import pytest

from pipeline.extract.normalize import NORMALIZERS, FieldInvalid, normalize
from pipeline.forms.schema import VALIDATORS


def test_every_template_validator_has_a_normaliser() -> None:
    assert set(VALIDATORS) == set(NORMALIZERS)


@pytest.mark.parametrize(
    ("validator", "raw", "expected"),
    [
        ("pass_number", "２２１１ ２１１３３５", "2211211335"),
        ("date", "令和5年4月1日", "2023-04-01"),
        ("yearmonth", "H31.4", "2019-04"),
        ("yearmonth_or_present", "現在", "present"),
        ("katakana", "さとう　きょうこ", "サトウ キョウコ"),
        ("katakana", "ｻﾄｳ ｷｮｳｺ", "サトウ キョウコ"),
        ("katakana", "コーヒー", "コーヒー"),
        # A received stamp's ring beside the name, read as a bracket after a space.
        ("katakana", "イマイショウコ (", "イマイショウコ"),
        ("katakana", "| イマイ ショウコ", "イマイ ショウコ"),
        ("postcode", "〒100ー0005", "100-0005"),
        ("postcode", "1000005", "100-0005"),
        ("phone", "03(5293)1881", "03-5293-1881"),
        ("phone", "090−1234−5678", "090-1234-5678"),
        ("phone", "0120-123-456", "0120-123-456"),
        # A mobile number without its hyphens (a fax thinned them away) has one grouping;
        # a fixed line's area code is two to five digits, so it stays as read.
        ("phone", "09091395083", "090-9139-5083"),
        ("phone", "0312345678", "0312345678"),
        ("email", "Info@Conken.ORG", "info@conken.org"),
        ("exam_type", "OMP（オペレーションマネジメント）", "OMP"),
        ("exam_type", "スーパーバイザー", "SV"),
        ("exam_result", "合格", "pass"),
        ("exam_result", "不合格", "fail"),
        ("substitution_years", "1.5年", "1.5"),
        ("row_number", "０３", "3"),
        ("nonempty", "  株式会社　日本  ", "株式会社 日本"),
        # A copy's speck after the last glyph, read as a full stop by both engines.
        ("nonempty", "北斗カード株式会社.", "北斗カード株式会社"),
        ("nonempty", "ABC Co., Ltd.", "ABC Co., Ltd."),
        # ...or between an organisation and its telephone number.
        ("nonempty", "大和テレコム株式会社.075-108-0351", "大和テレコム株式会社075-108-0351"),
        ("nonempty", "大和テレコム株式会社 075-108-0351", "大和テレコム株式会社 075-108-0351"),
        ("nonempty", "ABC Co. 03-1234-5678", "ABC Co. 03-1234-5678"),
    ],
)
def test_normalise(validator: str, raw: str, expected: str) -> None:
    assert normalize(validator, raw) == expected


@pytest.mark.parametrize(
    ("validator", "raw"),
    [
        ("pass_number", "221121133"),
        ("pass_number", "22112113a5"),
        ("date", "2023年13月1日"),
        ("katakana", "サトウ京子"),
        ("katakana", "イマイショウコ("),  # a bracket joined to the name is no stamp beside it
        ("postcode", "100-000"),
        ("phone", "12345"),
        ("phone", "070-2062-675"),  # a lost 1: the subscriber part is four digits
        ("phone", "0701234567"),  # a mobile number has eleven
        ("phone", "039717-0521"),  # a hyphen lost: grouped numbers have three parts (E167-0021)
        ("email", "taro93@example.p"),  # a lost j: no one-letter top-level domain
        ("email", "info@"),
        ("exam_type", "CAP OMP"),
        ("exam_result", "合"),
        ("substitution_years", "9"),
        ("row_number", "17"),
        ("nonempty", "   "),
    ],
)
def test_refuse(validator: str, raw: str) -> None:
    with pytest.raises(FieldInvalid):
        normalize(validator, raw)
