"""The applicant record: everything needed to render one envelope on purpose.

This is the documented input of ``conken synth --from RECORDS.json`` (a JSON list
of these objects). Dates are ISO ``YYYY-MM-DD``; year-months ``YYYY-MM``; an
experience that is still going on ends with ``"present"``. ``render`` controls
how the envelope is put together and how it looks; ``payment`` how the fee is paid.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.forms.fonts import TYPED_FAMILIES
from pipeline.synth.traits import trait_problem

ExamType = Literal["CAP", "OMP", "SV", "OP", "EN"]
Qualification = Literal["CAP", "OMP"]
PaymentKind = Literal[
    "exact",  # one transfer of the fee
    "fee_deducted",  # payer deducted the bank charge (e.g. 10,560)
    "double",  # paid twice
    "bulk",  # one company transfer for several applicants (see bulk_group)
    "none",  # not paid
]
NameStyle = Literal[
    "standard",  # ０１２３コンケンタロウ
    "spaced",  # ０１２３　コンケン　タロウ
    "number_after",  # コンケンタロウ０１２３
    "no_number",  # コンケン　タロウ
    "bank_prefix",  # ユウチヨ　０１２３コンケンタロウ
    "company",  # カ）ニホンコールサービス
]
YM_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _ym(value: str, allow_present: bool) -> str:
    if allow_present and value == "present":
        return value
    if not YM_RE.match(value):
        raise ValueError(f"expected YYYY-MM{' or present' if allow_present else ''}, got {value!r}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExamReport(_Model):
    pass_number: str = Field(pattern=r"^\d{10}$")
    exam_type: ExamType
    passed: bool = True
    exam_date: date
    issue_date: date


class Experience(_Model):
    org: str = Field(min_length=1)
    dept: str = ""
    start: str
    end: str
    fields: list[int] = Field(min_length=0, max_length=7)

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        return _ym(v, False)

    @field_validator("end")
    @classmethod
    def _end(cls, v: str) -> str:
        return _ym(v, True)

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: list[int]) -> list[int]:
        if any(f < 1 or f > 7 for f in v) or len(set(v)) != len(v):
            raise ValueError("fields are distinct numbers 1..7")
        return sorted(v)


class Substitution(_Model):
    name: str = Field(min_length=1)
    date: str
    years: float = Field(gt=0, le=5)

    @field_validator("date")
    @classmethod
    def _date(cls, v: str) -> str:
        return _ym(v, False)


class Attestation(_Model):
    row: int = Field(ge=1, le=16, description="The (B) experience row this block attests.")
    org: str
    start: str
    end: str
    attester_name: str
    attester_title: str = ""
    attester_contact: str = ""
    signed: bool = True
    date: date

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        return _ym(v, False)

    @field_validator("end")
    @classmethod
    def _end(cls, v: str) -> str:
        return _ym(v, True)


class PaymentPlan(_Model):
    """How the fee arrives on the association's statement."""

    kind: PaymentKind = "exact"
    name_style: NameStyle = "standard"
    bulk_group: str | None = None
    days_after_application: int = Field(3, ge=-30, le=60)


class TypedStyle(_Model):
    """How the applicant typed their values (absent in a record: the old filler's IPA
    font, size and placement)."""

    font_family: str = Field(description="A key of pipeline.forms.fonts.TYPED_FAMILIES.")
    size_pt: float = Field(ge=8, le=14, description="Before shrinking to fit the box.")
    align: Literal["left", "center", "right"] = "left"
    valign: Literal["top", "middle", "bottom"] = "middle"
    pad_mm: float = Field(1.0, ge=0, le=4, description="From the ruling to the text.")
    leading_spaces: int = Field(0, ge=0, le=3, description="Full-width spaces typed first.")
    pass_number_in_cells: bool = Field(
        True, description="One digit a printed cell; false: one string across the cells."
    )

    @field_validator("font_family")
    @classmethod
    def _family(cls, v: str) -> str:
        if v not in TYPED_FAMILIES:
            raise ValueError(f"unknown font family {v!r}; known: {', '.join(TYPED_FAMILIES)}")
        return v


class RenderOptions(_Model):
    """How the envelope is assembled and what it looks like."""

    handwritten_fields: list[str] = Field(
        default_factory=list, description="Template field names filled by hand ('*' = all)."
    )
    missing_forms: list[Literal["R", "A", "B", "C", "D"]] = Field(default_factory=list)
    cover_letter: bool = False
    shuffle: bool = False
    upside_down: list[int] = Field(
        default_factory=list,
        description="Indexes (in the final order) of pages put in upside down.",
    )
    typed_font: Literal["gothic", "mincho"] = "gothic"
    date_style: Literal["kanji", "slash", "padded"] = "kanji"
    hand_font: int = Field(0, ge=0, description="Which pen font the applicant's hand uses.")
    typed: TypedStyle | None = Field(
        None, description="How values were typed; absent: IPA per typed_font, as before."
    )
    traits: list[str] = Field(
        default_factory=list,
        description="How the paper travelled and was captured (pipeline.synth.traits.TRAITS).",
    )

    @field_validator("traits")
    @classmethod
    def _traits(cls, v: list[str]) -> list[str]:
        problem = trait_problem(v)
        if problem:
            raise ValueError(problem)
        return sorted(set(v))


class ApplicantRecord(_Model):
    envelope_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    received_date: date
    qualification: Qualification | None
    family_kanji: str
    given_kanji: str
    family_kana: str
    given_kana: str
    birth_date: date
    postcode: str = Field(pattern=r"^\d{3}-\d{4}$")
    address: str
    phone: str
    email: str = ""
    application_date: date
    report: ExamReport
    experiences: list[Experience] = Field(default_factory=list, max_length=16)
    substitutions: list[Substitution] = Field(default_factory=list, max_length=3)
    attestations: list[Attestation] = Field(default_factory=list, max_length=18)
    signed_application: bool = True
    oath_signed: bool = True
    oath_date: date | None = None
    seal: bool = False
    payment: PaymentPlan = Field(default_factory=PaymentPlan)
    render: RenderOptions = Field(default_factory=RenderOptions)
    scenario: str = Field("custom", description="Label of the case this record was built for.")

    @property
    def name_kanji(self) -> str:
        return f"{self.family_kanji}　{self.given_kanji}"

    @property
    def name_kana(self) -> str:
        return f"{self.family_kana}　{self.given_kana}"

    @model_validator(mode="after")
    def _rows_exist(self) -> ApplicantRecord:
        for att in self.attestations:
            if att.row > max(len(self.experiences), 1):
                raise ValueError(
                    f"attestation for row {att.row} but only "
                    f"{len(self.experiences)} experience rows"
                )
        return self
