"""What is rendered is what the truth says; the truth's decision matches an independent count."""

from __future__ import annotations

import random
import re
import subprocess
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from pipeline.forms import default_templates, parse_qr_payload
from pipeline.forms.marks import aruco_dictionary
from pipeline.forms.render import rasterize_pdf
from pipeline.synth.eligibility import assess, exam_valid_until
from pipeline.synth.envelope import render_envelope
from pipeline.synth.records import ApplicantRecord, Experience, Substitution
from pipeline.synth.scan import DegradationMix
from pipeline.synth.scenarios import SCENARIOS, build_record

LIGHT_PDF = DegradationMix(dpis=((200, 1.0),), formats=("pdf", "jpeg"))


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode("utf-8"))


@pytest.fixture(scope="module")
def envelope(tmp_path_factory):
    out = tmp_path_factory.mktemp("env")
    rng = random.Random(11)
    record = build_record(rng, "T-0001", "eligible", date(2024, 6, 10))
    record.render.handwritten_fields = ["A:address", "B:exp1_org"]
    record.render.cover_letter = True
    record.render.shuffle = True
    record.render.upside_down = [2]
    truth = render_envelope(record, out, seed=5, clean=True, mix=LIGHT_PDF)
    return out, truth


def _printed_pattern(kind: str, field: str, value: str) -> str:
    """How a normalised truth value may appear on paper (any of the date styles)."""
    if kind == "date":
        y, m, d = (int(v) for v in value.split("-"))
        return rf"{y}[年/]0?{m}[月/]0?{d}日?"
    if kind == "yearmonth" and value == "present":
        return "現在"
    if kind == "yearmonth":
        y, m = (int(v) for v in value.split("-"))
        return rf"{y}[年/]0?{m}月?"
    if field == "exam_result":
        return {"pass": "合格", "fail": "不合格"}[value]
    # pdftotext may split a name at its full-width space: each part must be there
    return "".join(f"(?=.*{re.escape(part)})" for part in value.split())


def test_clean_text_layer_holds_every_typed_value(envelope) -> None:
    out, truth = envelope
    text = _text(out / truth.clean_pdf)
    typed = [f for f in truth.fields if isinstance(f.value, str) and not f.handwritten]
    assert len(typed) > 20
    for f in typed:
        pattern = _printed_pattern(f.kind, f.field, f.value)
        assert re.search(pattern, text, re.DOTALL), (f.field, f.value)


def test_ink_lands_where_the_truth_says(envelope) -> None:
    """On the clean render, filled boxes hold ink and empty ones stay blank."""
    out, truth = envelope
    templates = default_templates()
    dpi = 100
    pages = rasterize_pdf((out / truth.clean_pdf).read_bytes(), dpi)
    checked = 0
    for f in truth.fields:
        if f.kind in ("signature", "seal"):
            continue
        spec = templates[(f.form_code, f.page)].field(f.field)
        x, y, w, h = (v * dpi / 25.4 for v in spec.box_mm.inset(0.4))
        crop = pages[f.scan_page][int(y) : int(y + h), int(x) : int(x + w)]
        if spec.kind == "checkbox":
            crop = crop[2:-2, 2:-2]  # inside the printed square
        ink = int((crop < 128).sum())
        filled = f.value not in (None, False)
        assert (ink > 3) == filled, (f.form_code, f.field, f.value, ink)
        checked += 1
    assert checked > 100


def test_handwritten_fields_are_flagged(envelope) -> None:
    _, truth = envelope
    flagged = {(f.form_code, f.field) for f in truth.fields if f.handwritten}
    assert flagged == {("A", "address"), ("B", "exp1_org")}


def test_truth_values_are_normalised(envelope) -> None:
    _, truth = envelope
    rec = truth.record
    assert truth.field_value("A", 1, "birth_date") == rec.birth_date.isoformat()
    assert truth.field_value("R", 1, "exam_type") == rec.report.exam_type
    assert truth.field_value("B", 1, "exp1_from") == rec.experiences[0].start
    assert truth.field_value("A", 1, "signature") is True
    assert truth.field_value("B", 1, "exp8_org") is None
    first = rec.experiences[0]
    for k in range(1, 8):
        assert truth.field_value("B", 1, f"exp1_field_{k}") is (k in first.fields)


def test_pages_and_rotation_recorded(envelope) -> None:
    _, truth = envelope
    assert truth.extra_pages and truth.pages[truth.extra_pages[0]].kind == "cover_letter"
    assert truth.pages[2].motion.rotation == 180
    assert all(p.motion.rotation == 0 for p in truth.pages if p.index != 2)
    assert len(truth.files["jpeg"]) == len(truth.pages)
    for f in truth.fields:
        assert truth.pages[f.scan_page].form_code == f.form_code
        assert f.rotation == truth.pages[f.scan_page].motion.rotation


def test_scanned_pages_identify_themselves_by_qr_and_markers(envelope) -> None:
    """Every scanned form page names itself in its QR code and shows its corner marks
    (at least three: at ±3° skew a corner can leave the scanned area)."""
    out, truth = envelope
    detector = cv2.aruco.ArucoDetector(aruco_dictionary())
    for page in truth.pages:
        img = np.array(Image.open(out / truth.files["jpeg"][page.index]).convert("L"))
        text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(img)
        if page.kind == "cover_letter":
            assert parse_qr_payload(text) is None
            continue
        assert parse_qr_payload(text) == (page.form_code, page.page, "v2024.1"), page.index
        _, ids, _ = detector.detectMarkers(img)
        assert ids is not None and len(set(ids.flatten()) & {0, 1, 2, 3}) >= 3


# --- decisions against an independent month count -------------------------------


def _months(start: str, end: str, received: date) -> set[tuple[int, int]]:
    y, m = (int(v) for v in start.split("-"))
    ey, em = (received.year, received.month) if end == "present" else (int(end[:4]), int(end[5:]))
    out = set()
    while (y, m) <= (ey, em):
        out.add((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_truth_agrees_with_independent_count(scenario: str) -> None:
    rng = random.Random(f"indep:{scenario}")
    for _ in range(3):
        rec = build_record(rng, "X-1", scenario, date(2024, 6, 12))
        truth = assess(rec, {"R", "A", "B", "C", "D"} - set(rec.render.missing_forms))
        union: set[tuple[int, int]] = set()
        required: set[tuple[int, int]] = set()
        need = {"OMP": {4, 5}, "CAP": {6, 7}}.get(rec.qualification or "", set())
        for e in rec.experiences:
            if e.fields:
                months = _months(e.start, e.end, rec.received_date)
                union |= months
                if need & set(e.fields):
                    required |= months
        subs = min(24, round(sum(s.years for s in rec.substitutions) * 12))
        fields = {f for e in rec.experiences for f in e.fields}
        assert truth.experience_months == len(union)
        assert truth.required_field_months == len(required)
        if rec.report.exam_type in ("CAP", "OMP"):
            assert ("short_total_months" in truth.reasons) == (len(union) + subs < 60)
            assert ("single_field" in truth.reasons) == (len(fields) < 2)
            assert ("short_required_field_months" in truth.reasons) == (len(required) < 24)
        else:
            assert truth.reasons == ["not_required"]


def _record(**changes) -> ApplicantRecord:
    rec = build_record(random.Random(3), "X-2", "eligible", date(2024, 6, 14))
    return rec.model_copy(update=changes)


def test_exam_report_valid_through_day_before_third_anniversary() -> None:
    assert exam_valid_until(date(2021, 6, 15)) == date(2024, 6, 14)
    rec = _record()
    report = rec.report.model_copy(update={"issue_date": date(2021, 6, 15)})
    on_last_day = rec.model_copy(update={"report": report, "received_date": date(2024, 6, 14)})
    day_after = rec.model_copy(update={"report": report, "received_date": date(2024, 6, 15)})
    forms = {"R", "A", "B", "C", "D"}
    assert "exam_expired" not in assess(on_last_day, forms).reasons
    assert "exam_expired" in assess(day_after, forms).reasons


def test_overlap_counts_once_and_substitution_is_capped() -> None:
    exps = [
        Experience(org="甲株式会社", start="2019-01", end="2021-12", fields=[4, 1]),
        Experience(org="乙株式会社", start="2021-01", end="2022-12", fields=[2]),
    ]
    subs = [Substitution(name="研修", date="2020-04", years=3)]
    rec = _record(experiences=exps, substitutions=subs, attestations=[], qualification="OMP")
    result = assess(rec, {"R", "A", "B", "C", "D"})
    assert result.experience_months == 48  # 2019-01..2022-12, the 12 overlapping months once
    assert result.substitution_months == 24
    assert result.required_field_months == 36
    assert "short_total_months" not in result.reasons
    assert "attestation_missing" in result.reasons
