"""The typed input of the rules: an application's facts.

Every value that came from a scan is a :class:`Fact` carrying its value, the
field it was read from (``A.qualification``, ``B.exp2_from``), the reading's
confidence (0..1) and its status. A fact is *confident* only when its status is
``ok`` or ``confirmed`` and it has a value; rules never pass or fail on anything
else (they say review).

Values that did not come from a scan (the envelope's received date, the staff
override, the passers register entry, the payments stage's outcome, an earlier
approval of the same pass number and qualification) are plain.

Field-id prefixes name the document a fact was read from: ``R.`` the exam result
report copy, ``A.``–``D.`` the four forms (``envelope.has_X`` says whether the
document is in the envelope at all).

JSON form (APP.json, see ``pipeline/cli/rules.py`` for the whole schema): a fact
is either a bare value (typed by a person: status ``confirmed``, confidence 1.0)
or an object ``{"value": …, "field_id": …, "confidence": …, "status": …}``. In the
object form a missing ``status`` is derived from ``confidence`` (``ok`` at or above
the ``ok_confidence`` validation context, default 0.90, else ``low_confidence``);
``null`` means the field is missing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pipeline.rules.months import YearMonth, YearMonthOrPresent, parse_end
from pipeline.vocabulary import CONFIDENT, FieldStatus, PaymentOutcome

T = TypeVar("T")

DEFAULT_OK_CONFIDENCE = 0.90
QUALIFICATIONS = ("CAP", "OMP", "SV", "OP", "EN")
# Form B has 16 experience rows and 3 substitution items; an application claiming more
# is refused as input, not decided (limits keep one JSON from costing minutes).
MAX_PERIODS = 40
MAX_SUBSTITUTIONS = 20
MAX_RULINGS = 200
DOCUMENT_PREFIXES: dict[str, str] = {"report": "R.", "A": "A.", "B": "B.", "C": "C.", "D": "D."}


def _parse_ym(value: Any) -> YearMonth:
    if isinstance(value, YearMonth):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a year-month string such as 2019-04")
    return YearMonth.parse(value)


def _parse_end(value: Any) -> YearMonthOrPresent:
    if isinstance(value, YearMonth) or value == "present":
        return value
    if not isinstance(value, str):
        raise ValueError("expected a year-month string such as 2024-03, or 'present' / 現在")
    return parse_end(value)


def _parse_qualification(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    if text not in QUALIFICATIONS:
        raise ValueError(f"qualification must be one of {', '.join(QUALIFICATIONS)}")
    return text


def _parse_result(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if text in ("pass", "合格"):
        return "pass"
    if text in ("fail", "不合格"):
        return "fail"
    raise ValueError("exam result must be pass / 合格 or fail / 不合格")


YM = Annotated[YearMonth, PlainValidator(_parse_ym), PlainSerializer(str, return_type=str)]
End = Annotated[
    YearMonthOrPresent, PlainValidator(_parse_end), PlainSerializer(str, return_type=str)
]
Qualification = Annotated[str, PlainValidator(_parse_qualification)]
ExamResult = Annotated[str, PlainValidator(_parse_result)]
PositiveMonths = Annotated[int, Field(gt=0, le=600)]


class Fact(BaseModel, Generic[T]):
    """One value read from a scan (or typed by a person) with its provenance."""

    model_config = ConfigDict(extra="forbid")

    value: T | None = None
    field_id: str | None = None
    confidence: float = Field(1.0, ge=0.0, le=1.0)
    status: FieldStatus = FieldStatus.CONFIRMED

    @model_validator(mode="before")
    @classmethod
    def _accept_bare_value(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, Fact):
            return data
        obj = (
            dict(data)
            if isinstance(data, dict) and ("value" in data or "status" in data)
            else {"value": data}
        )
        threshold = (info.context or {}).get("ok_confidence", DEFAULT_OK_CONFIDENCE)
        if "status" not in obj:
            if obj.get("value") is None:
                obj["status"] = FieldStatus.MISSING.value
            elif "confidence" in obj and obj["confidence"] is not None:
                ok = float(obj["confidence"]) >= threshold
                obj["status"] = (FieldStatus.OK if ok else FieldStatus.LOW_CONFIDENCE).value
            else:
                obj["status"] = FieldStatus.CONFIRMED.value
        if obj.get("confidence") is None:
            sure = obj["status"] in (*CONFIDENT, FieldStatus.CORRECTED)
            obj["confidence"] = 1.0 if sure else 0.0
        return obj

    @property
    def confident(self) -> bool:
        return self.status in CONFIDENT and self.value is not None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ExamReport(_Model):
    """The exam result report (合格証明書) copy in the envelope."""

    pass_number: Fact[str]
    exam_type: Fact[Qualification]
    result: Fact[ExamResult]
    issue_date: Fact[date]


class RegisterEntry(_Model):
    """The passers register's line for the pass number (not a scan: plain values)."""

    pass_number: str
    exam_type: Qualification
    result: ExamResult
    issue_date: date | None = None


class Attestation(_Model):
    """Form (C): a superior's signed attestation of one experience period."""

    organisation: Fact[str]
    signed: Fact[bool]


class Period(_Model):
    """One row of form (B): an organisation, a year-month range and the fields ticked."""

    row: int | None = Field(None, ge=1)
    organisation: Fact[str]
    start: Fact[YM] = Field(alias="from")
    end: Fact[End] = Field(alias="to")
    fields: dict[int, Fact[bool]]
    attestation: Attestation | None

    @field_validator("fields", mode="before")
    @classmethod
    def _ticked_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise ValueError("fields must be a list of field numbers 1..7 or a mapping")
            return {v: True for v in value}
        return value

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[int, Fact[bool]]) -> dict[int, Fact[bool]]:
        unknown = sorted(k for k in value if not 1 <= k <= 7)
        if unknown:
            raise ValueError(f"unknown field number(s) {unknown}: the fields are 1..7")
        return value


class Substitution(_Model):
    """A qualification or training claimed in place of experience (※1)."""

    item: Fact[str]
    months: Fact[PositiveMonths] | None = None


class Payment(_Model):
    """The payments stage's outcome for this application (not a scan)."""

    status: PaymentOutcome
    amount_yen: int | None = Field(None, ge=0)


class EarlierApproval(_Model):
    """Another application of the same pass number and qualification, already approved
    (from the database, not a scan): a second approval would be a second certificate."""

    application_id: int
    pass_number: str | None = None
    certificate_number: str | None = None
    approved_on: date | None = None


def _present() -> Fact[bool]:
    return Fact[bool](value=True)


class Documents(_Model):
    """Which of the five documents the envelope holds."""

    report: Fact[bool] = Field(default_factory=_present)
    A: Fact[bool] = Field(default_factory=_present)
    B: Fact[bool] = Field(default_factory=_present)
    C: Fact[bool] = Field(default_factory=_present)
    D: Fact[bool] = Field(default_factory=_present)


class Ruling(BaseModel):
    """One person's answer to one judgement (as the rules read it)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    key: str = Field(min_length=1, max_length=64)
    accepted: bool
    by: str  # the person's name as staff read it
    at: datetime  # in the business time zone
    reason: str | None = None

    def words(self) -> str:
        """「認める」（佐藤、2024-06-01 10:12、理由: …）"""
        answer = "認める" if self.accepted else "認めない"
        why = f"、理由: {self.reason}" if self.reason else ""
        return f"「{answer}」（{self.by}、{self.at:%Y-%m-%d %H:%M}{why}）"


class ApplicationFacts(_Model):
    """Everything the rules look at for one application."""

    application_id: int | None = None
    qualification: Fact[Qualification]
    received_on: date
    received_on_override: date | None = None
    exam_report: ExamReport
    register_entry: RegisterEntry | None = Field(None, alias="register")
    experience: list[Period] = Field(max_length=MAX_PERIODS)
    substitutions: list[Substitution] = Field(default_factory=list, max_length=MAX_SUBSTITUTIONS)
    oath_signed: Fact[bool]
    payment: Payment
    documents: Documents = Field(default_factory=Documents)
    # optional so that APP.json files written before it stay valid: absent is "none known"
    earlier_approval: EarlierApproval | None = None
    # what people ruled on findings only a person can judge (see rulings.py)
    rulings: list[Ruling] = Field(default_factory=list, max_length=MAX_RULINGS)

    @property
    def effective_received_on(self) -> date:
        return self.received_on_override or self.received_on

    @model_validator(mode="after")
    def _default_field_ids(self) -> ApplicationFacts:
        for field_id, item in _default_ids(self):
            if item.field_id is None:
                item.field_id = field_id
        return self


def period_row(period: Period, position: int) -> int:
    return period.row if period.row is not None else position + 1


def _default_ids(app: ApplicationFacts) -> Iterator[tuple[str, Fact[Any]]]:
    yield "A.qualification", app.qualification
    report = app.exam_report
    yield "R.pass_number", report.pass_number
    yield "R.exam_type", report.exam_type
    yield "R.result", report.result
    yield "R.issue_date", report.issue_date
    for position, period in enumerate(app.experience):
        n = period_row(period, position)
        yield f"B.exp{n}_org", period.organisation
        yield f"B.exp{n}_from", period.start
        yield f"B.exp{n}_to", period.end
        for number, tick in sorted(period.fields.items()):
            yield f"B.exp{n}_field_{number}", tick
        if period.attestation is not None:
            yield f"C.att{n}_org", period.attestation.organisation
            yield f"C.att{n}_signature", period.attestation.signed
    for position, sub in enumerate(app.substitutions, start=1):
        yield f"B.sub{position}_item", sub.item
        if sub.months is not None:
            yield f"B.sub{position}_months", sub.months
    yield "D.signature", app.oath_signed
    for key in DOCUMENT_PREFIXES:
        yield f"envelope.has_{key}", getattr(app.documents, key)


def iter_facts(app: ApplicationFacts) -> Iterator[Fact[Any]]:
    """Every fact in the application (each object once)."""
    for _, item in _default_ids(app):
        yield item
