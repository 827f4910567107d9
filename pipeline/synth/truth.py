"""Ground truth written beside every synthetic envelope (``<envelope>.truth.json``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from pipeline.synth.eligibility import Eligibility
from pipeline.synth.records import ApplicantRecord
from pipeline.synth.scan import PageMotion, ScanSettings

TRUTH_VERSION = 2  # 2: fill, traits, capture; a field's font_family


class FieldTruth(BaseModel):
    form_code: str
    page: int
    field: str
    kind: str
    value: str | bool | None
    handwritten: bool = Field(
        description="Text rendered to look handwritten: the extractor must route it to review."
    )
    decides: bool
    scan_page: int = Field(description="0-based index of the scan page it landed on.")
    rotation: int = Field(description="Rotation (degrees) applied to that scan page.")
    font_family: str | None = Field(
        None, description="The family a typed value was typed in; null when not typed."
    )


class PageTruth(BaseModel):
    index: int
    kind: Literal["form", "cover_letter"]
    form_code: str | None = None
    page: int | None = None
    motion: PageMotion


class FillTruth(BaseModel):
    """How the envelope's typed values were typed (the exam report R is always IPA Gothic)."""

    font_family: str
    size_pt: float | None = Field(description="Null: each field's template size (old filler).")
    align: str | None = Field(description="Null: each field's template alignment (old filler).")
    valign: str = "middle"
    pad_mm: float | None = None
    leading_spaces: int = 0
    pass_number_in_cells: bool = True


class PaymentTruth(BaseModel):
    """What the payment matcher should conclude for this applicant."""

    expected_outcome: Literal["paid", "underpaid", "duplicate", "bulk", "unpaid", "review"]
    kind: str
    name_style: str
    statement: str | None = None
    rows: list[int] = Field(default_factory=list, description="1-based data rows in the CSV.")
    amounts: list[int] = Field(default_factory=list)
    payer_texts: list[str] = Field(default_factory=list)
    bulk_group: str | None = None
    bulk_members: list[str] = Field(default_factory=list)


class EnvelopeTruth(BaseModel):
    truth_version: int = TRUTH_VERSION
    envelope_id: str
    scenario: str
    seed: str
    received_date: date
    files: dict[str, list[str]]
    clean_pdf: str | None = None
    scan: ScanSettings
    fill: FillTruth | None = None
    traits: list[str] = Field(
        default_factory=list, description="How the paper travelled and was captured (sorted)."
    )
    capture: dict[str, Any] = Field(
        default_factory=dict, description="Each trait's drawn parameters, by trait key."
    )
    pages: list[PageTruth]
    forms_present: list[str]
    forms_missing: list[str]
    extra_pages: list[int]
    fields: list[FieldTruth]
    eligibility: Eligibility
    payment: PaymentTruth | None = None
    decision_reasons: list[str] = Field(
        default_factory=list,
        description="Eligibility reasons plus unpaid / underpaid for CAP and OMP applicants.",
    )
    record: ApplicantRecord

    def field_value(self, form_code: str, page: int, name: str) -> str | bool | None:
        for f in self.fields:
            if (f.form_code, f.page, f.field) == (form_code, page, name):
                return f.value
        raise KeyError((form_code, page, name))


def write_truth(truth: EnvelopeTruth, out_dir: Path) -> Path:
    path = out_dir / f"{truth.envelope_id}.truth.json"
    data = truth.model_dump(mode="json")
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8"
    )
    return path


def read_truth(path: Path) -> EnvelopeTruth:
    return EnvelopeTruth.model_validate_json(path.read_text(encoding="utf-8"))
