"""The schema of a form-page definition (one YAML file per page in ``templates_ocr/``).

Every position is in millimetres from the page's top-left corner, ``[x, y, w, h]``.
A field's ``box_mm`` is the area to read; it sits inside the ruled ``frame_mm``
with a little padding, so a reader can crop with a margin and remove ruling lines.
Nothing in code holds a coordinate: the renderer, the synthesiser and the
extractor all read these files.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

QR_PREFIX = "CONKEN"
QR_PATTERN = re.compile(r"^CONKEN\|(?P<form>[A-Z]+)\|(?P<page>[1-9][0-9]*)\|(?P<version>v[0-9.]+)$")


class Box(NamedTuple):
    """A rectangle in mm: left, top, width, height (top-left origin)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def contains(self, other: Box, tol: float = 1e-6) -> bool:
        return (
            other.x >= self.x - tol
            and other.y >= self.y - tol
            and other.right <= self.right + tol
            and other.bottom <= self.bottom + tol
        )

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def inset(self, d: float) -> Box:
        return Box(self.x + d, self.y + d, self.w - 2 * d, self.h - 2 * d)


class FieldKind(StrEnum):
    TEXT = "text"
    KATAKANA = "katakana"
    DIGITS = "digits"
    DATE = "date"
    YEARMONTH = "yearmonth"
    CHECKBOX = "checkbox"
    SIGNATURE = "signature"
    SEAL = "seal"
    TABLE_CELL = "table_cell"
    EMAIL = "email"
    PHONE = "phone"
    POSTCODE = "postcode"


# Named validators the extractor implements; a template may only name these.
VALIDATORS: frozenset[str] = frozenset(
    {
        "pass_number",
        "date",
        "yearmonth",
        "yearmonth_or_present",
        "katakana",
        "postcode",
        "phone",
        "email",
        "exam_type",
        "exam_result",
        "substitution_years",
        "row_number",
        "nonempty",
    }
)


class OcrSpec(BaseModel):
    """How to read a field with Tesseract."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: Literal["jpn", "eng", "jpn+eng"] = "jpn"
    psm: int = Field(7, ge=3, le=13)
    whitelist: str | None = None
    latin_zero_look: bool = Field(
        False,
        description="A number: where the engines disagree, Tesseract's Latin model reads "
        "the crop once more and may turn a 9 or 6 into the 0 it is (a zero drawn with a dot "
        "or slash inside).",
    )


class FieldSpec(BaseModel):
    """One field on a form page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_ja: str
    kind: FieldKind
    box_mm: Box
    frame_mm: Box
    cells: int | None = Field(None, ge=2, le=20, description="Printed per-character cells.")
    ocr: OcrSpec | None = None
    validator: str | None = None
    required: bool = False
    decides: bool = False
    row: int | None = Field(None, ge=1, description="Table row (exp/sub/att number).")
    group: str | None = Field(None, description="Row group: experience, substitution, ...")
    font_pt: float = Field(10.5, gt=4, le=24, description="Size for typed values.")
    align: Literal["left", "center"] = "left"

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.validator is not None and self.validator not in VALIDATORS:
            raise ValueError(f"field {self.name}: unknown validator {self.validator!r}")
        if not self.frame_mm.contains(self.box_mm):
            raise ValueError(f"field {self.name}: box_mm is not inside frame_mm")
        marks = (FieldKind.CHECKBOX, FieldKind.SIGNATURE, FieldKind.SEAL)
        if self.kind not in marks and self.ocr is None:
            raise ValueError(f"field {self.name}: a {self.kind} field needs an ocr spec")
        if (self.row is None) != (self.group is None):
            raise ValueError(f"field {self.name}: row and group go together")
        return self


class MarkerSpec(BaseModel):
    """An ArUco registration mark: its id, corner and centre/size in mm."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=0, lt=50)
    corner: Literal["TL", "TR", "BR", "BL"]
    center_mm: tuple[float, float]
    size_mm: float = Field(ge=8, le=25)

    @property
    def box(self) -> Box:
        half = self.size_mm / 2
        return Box(self.center_mm[0] - half, self.center_mm[1] - half, self.size_mm, self.size_mm)


class QrSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    box_mm: Box
    payload: str


class StaticItem(BaseModel):
    """Printed, unchanging content: labels, rulings, headings, paragraphs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["text", "paragraph", "rect", "line", "checkbox_square", "seal_mark"]
    box_mm: Box | None = None
    points_mm: tuple[float, float, float, float] | None = None  # for lines
    text: str | None = None
    font: Literal["gothic", "mincho"] = "gothic"
    size_pt: float = Field(9.0, gt=3, le=30)
    align: Literal["left", "center", "right"] = "left"
    valign: Literal["top", "middle", "bottom"] = "middle"
    bold: bool = False
    line_width: float = Field(0.5, ge=0, le=3)
    fill_gray: float | None = Field(None, ge=0, le=1)
    color: Literal["black", "red", "gray"] = "black"
    leading: float = Field(1.5, ge=1, le=3)

    @model_validator(mode="after")
    def _has_geometry(self) -> StaticItem:
        if self.kind == "line":
            if self.points_mm is None:
                raise ValueError("a line needs points_mm")
        elif self.box_mm is None:
            raise ValueError(f"a {self.kind} item needs box_mm")
        if self.kind in ("text", "paragraph") and not self.text:
            raise ValueError(f"a {self.kind} item needs text")
        return self


class FormTemplate(BaseModel):
    """One page of one form, as the association publishes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    form_code: Literal["R", "A", "B", "C", "D"]
    page: int = Field(ge=1, le=9)
    version: str = Field(pattern=r"^v[0-9.]+$")
    title_ja: str
    form_label: str = Field(description="Footer id as printed, e.g. 様式A-1.")
    filled_by: Literal["association", "applicant", "attester"] = Field(
        description="Who fills the form in: its pages are judged together for handwriting."
    )
    page_size_mm: tuple[float, float] = (210.0, 297.0)
    aruco_dictionary: Literal["DICT_4X4_50"] = "DICT_4X4_50"
    markers: list[MarkerSpec]
    qr: QrSpec
    title_box: Box
    fields: list[FieldSpec]
    static: list[StaticItem] = []

    @property
    def key(self) -> tuple[str, int]:
        return (self.form_code, self.page)

    @property
    def page_box(self) -> Box:
        return Box(0.0, 0.0, self.page_size_mm[0], self.page_size_mm[1])

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @model_validator(mode="after")
    def _geometry(self) -> FormTemplate:
        problems = template_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def qr_payload(form_code: str, page: int, version: str) -> str:
    """The text printed in every page's QR code: ``CONKEN|A|1|v2024.1``."""
    return f"{QR_PREFIX}|{form_code}|{page}|{version}"


def parse_qr_payload(text: str) -> tuple[str, int, str] | None:
    """(form_code, page, version) from a decoded QR text, or None if it is not ours."""
    match = QR_PATTERN.match(text.strip())
    if match is None:
        return None
    return match["form"], int(match["page"]), match["version"]


def template_problems(t: FormTemplate) -> list[str]:
    """Everything geometrically wrong with a template (empty when it is sound)."""
    problems: list[str] = []
    page = t.page_box
    if sorted(m.corner for m in t.markers) != ["BL", "BR", "TL", "TR"]:
        problems.append("markers must be exactly one per corner TL, TR, BR, BL")
    if len({m.id for m in t.markers}) != len(t.markers):
        problems.append("marker ids must be distinct")
    for m in t.markers:
        if not page.inset(3).contains(m.box):
            problems.append(f"marker {m.id} lies outside the page's printable area")
    if not page.contains(t.qr.box_mm):
        problems.append("qr box lies outside the page")
    if t.qr.payload != qr_payload(t.form_code, t.page, t.version):
        problems.append(
            f"qr payload {t.qr.payload!r} does not match "
            f"{qr_payload(t.form_code, t.page, t.version)!r}"
        )
    names: set[str] = set()
    for f in t.fields:
        if f.name in names:
            problems.append(f"duplicate field name {f.name}")
        names.add(f.name)
        if not page.inset(5).contains(f.frame_mm):
            problems.append(f"field {f.name} lies outside the page")
        for m in t.markers:
            if f.frame_mm.overlaps(m.box):
                problems.append(f"field {f.name} overlaps marker {m.id}")
        if f.frame_mm.overlaps(t.qr.box_mm):
            problems.append(f"field {f.name} overlaps the qr code")
    for i, a in enumerate(t.fields):
        for b in t.fields[i + 1 :]:
            if a.box_mm.overlaps(b.box_mm):
                problems.append(f"fields {a.name} and {b.name} overlap")
    return problems
