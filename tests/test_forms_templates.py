"""The form definitions in templates_ocr/: valid, complete, geometrically sound."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipeline.errors import TemplateError
from pipeline.forms import FieldKind, load_templates
from pipeline.forms.loader import DEFAULT_TEMPLATE_DIR

SEVEN = [
    "コンタクトセンター戦略",
    "カスタマーサービス",
    "CRM",
    "オペレーション",
    "ヒューマンリソースマネジメント",
    "センターアーキテクト",
    "ICTマネジメント",
]
TEXT_KINDS = {
    FieldKind.TEXT,
    FieldKind.KATAKANA,
    FieldKind.DIGITS,
    FieldKind.DATE,
    FieldKind.YEARMONTH,
    FieldKind.TABLE_CELL,
    FieldKind.EMAIL,
    FieldKind.PHONE,
    FieldKind.POSTCODE,
}


@pytest.fixture(scope="module")
def templates():
    return load_templates()


def test_every_page_of_the_form_set_is_defined(templates) -> None:
    assert set(templates) >= {("R", 1), ("A", 1), ("B", 1), ("B", 2), ("C", 1), ("D", 1)}
    assert len({t.version for t in templates.values()}) == 1


def test_report_and_application_fields(templates) -> None:
    report = {f.name for f in templates[("R", 1)].fields}
    assert report == {
        "pass_number",
        "name_kanji",
        "name_kana",
        "exam_type",
        "exam_result",
        "exam_date",
        "issue_date",
    }
    a = {f.name for f in templates[("A", 1)].fields}
    assert {
        "qual_cap",
        "qual_omp",
        "name_kanji",
        "name_kana",
        "birth_date",
        "postcode",
        "address",
        "phone",
        "email",
        "pass_number",
        "report_issue_date",
        "application_date",
        "signature",
    } <= a
    assert templates[("A", 1)].field("qual_cap").kind == FieldKind.CHECKBOX


def test_career_page_has_eight_rows_with_seven_named_fields(templates) -> None:
    b1 = templates[("B", 1)]
    for n in range(1, 9):
        for part in ("org", "dept", "from", "to"):
            assert b1.field(f"exp{n}_{part}").row == n
        for k, name in enumerate(SEVEN, start=1):
            spec = b1.field(f"exp{n}_field_{k}")
            assert spec.kind == FieldKind.CHECKBOX and spec.group == "experience"
            assert name in spec.label_ja
    for n in range(1, 4):
        assert b1.field(f"sub{n}_years").validator == "substitution_years"
    assert b1.field("exp1_to").validator == "yearmonth_or_present"
    assert templates[("B", 2)].field("exp9_org").row == 9


def test_attestation_blocks_carry_the_row_they_attest(templates) -> None:
    c_pages = sorted(p for (code, p) in templates if code == "C")
    numbers = []
    for page in c_pages:
        t = templates[("C", page)]
        rows = sorted({f.row for f in t.fields if f.group == "attestation"})
        numbers += rows
        for n in rows:
            assert t.field(f"att{n}_row").kind == FieldKind.DIGITS
            assert t.field(f"att{n}_signature").decides
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 16  # one block for every possible experience row


def test_boxes_inside_page_inside_frames_and_never_overlapping(templates) -> None:
    for t in templates.values():
        w, h = t.page_size_mm
        for f in t.fields:
            x, y, bw, bh = f.box_mm
            assert x >= 0 and y >= 0 and x + bw <= w and y + bh <= h, (t.key, f.name)
            fx, fy, fw, fh = f.frame_mm
            assert fx <= x and fy <= y and x + bw <= fx + fw and y + bh <= fy + fh
        boxes = [(f.name, f.box_mm) for f in t.fields]
        for i, (na, a) in enumerate(boxes):
            for nb, b in boxes[i + 1 :]:
                apart = (
                    a[0] + a[2] <= b[0]
                    or b[0] + b[2] <= a[0]
                    or a[1] + a[3] <= b[1]
                    or b[1] + b[3] <= a[1]
                )
                assert apart, (t.key, na, nb)


def test_text_boxes_are_tall_enough_and_padded(templates) -> None:
    for t in templates.values():
        for f in t.fields:
            if f.kind in TEXT_KINDS:
                assert f.box_mm.h >= 7.0, (t.key, f.name, f.box_mm)
                assert f.box_mm.x - f.frame_mm.x >= 0.5, (t.key, f.name)
                assert f.ocr is not None


def test_numbers_and_only_numbers_get_the_latin_zero_look(templates) -> None:
    """A date, period, pass number or phone may be typed with a dotted zero; a name read
    again by the Latin model would only add noise."""
    numeric = {FieldKind.DATE, FieldKind.YEARMONTH, FieldKind.DIGITS, FieldKind.PHONE}
    numeric |= {FieldKind.POSTCODE}
    for t in templates.values():
        for f in t.fields:
            if f.ocr is not None:
                number = f.kind in numeric or f.validator == "substitution_years"
                assert f.ocr.latin_zero_look == number, (t.key, f.name, f.kind)


def test_markers_are_distinct_per_corner(templates) -> None:
    for t in templates.values():
        by_corner = {m.corner: m.id for m in t.markers}
        assert by_corner == {"TL": 0, "TR": 1, "BR": 2, "BL": 3}
        assert t.qr.box_mm.w >= 22


def _copy_templates(tmp_path: Path) -> Path:
    target = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, target, ignore=shutil.ignore_patterns("blank"))
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_overlapping_fields_raise_template_error_naming_the_file(tmp_path: Path) -> None:
    root = _copy_templates(tmp_path)

    def overlap(data):
        data["fields"][1]["box_mm"] = list(data["fields"][0]["box_mm"])
        data["fields"][1]["frame_mm"] = list(data["fields"][0]["frame_mm"])

    _edit(root / "A_p1.yaml", overlap)
    with pytest.raises(TemplateError) as err:
        load_templates(root)
    assert "A_p1.yaml" in str(err.value) and "overlap" in str(err.value)


def test_unknown_validator_and_bad_yaml_are_reported(tmp_path: Path) -> None:
    root = _copy_templates(tmp_path)
    _edit(root / "D_p1.yaml", lambda d: d["fields"][0].update(validator="no_such_rule"))
    with pytest.raises(TemplateError, match=r"D_p1\.yaml.*no_such_rule"):
        load_templates(root)
    root2 = _copy_templates(tmp_path / "second")
    (root2 / "R_p1.yaml").write_text("form_code: [unclosed", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"R_p1\.yaml.*not valid YAML"):
        load_templates(root2)


def test_box_outside_page_and_wrong_qr_payload_are_reported(tmp_path: Path) -> None:
    root = _copy_templates(tmp_path)

    def outside(data):
        data["fields"][0]["box_mm"] = [200.0, 290.0, 30.0, 9.0]
        data["fields"][0]["frame_mm"] = [199.0, 289.0, 32.0, 11.0]

    _edit(root / "B_p1.yaml", outside)
    with pytest.raises(TemplateError, match=r"B_p1\.yaml.*outside the page"):
        load_templates(root)
    root2 = _copy_templates(tmp_path / "second")
    _edit(root2 / "C_p2.yaml", lambda d: d["qr"].update(payload="CONKEN|C|1|v2024.1"))
    with pytest.raises(TemplateError, match=r"C_p2\.yaml.*qr payload"):
        load_templates(root2)


def test_missing_directory_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="not found"):
        load_templates(tmp_path / "nowhere")


def test_a_fact_source_is_named_as_people_read_it() -> None:
    """The rules' trace names each fact by the form's label or by what it is: never an id,
    and an unknown source is shown as it is rather than dropped."""
    from pipeline.forms.labels import source_label

    assert source_label("B.exp1_field_2") == "様式B「経歴1 2 カスタマーサービス（CS）」"
    assert source_label("R.result") == "試験結果レポート「結果」"  # the rules' name for it
    assert source_label("B.sub2_months") == "様式B「代替2 代替年数」"
    assert source_label("envelope.received_on") == "封筒の受付日"
    assert source_label("somewhere.else") == "somewhere.else"
