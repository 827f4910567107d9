"""Page layouts of letters and certificates: YAML data, validated here.

Code holds no coordinate: ``templates/letter_layout.yaml`` says where each part
of a letter goes, ``templates/certificate_layout.yaml`` (or the file the
``certificate_layout_path`` setting names, for the office's pre-printed stock)
where each text of a certificate goes.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.config import A4_MM
from pipeline.errors import TemplateError
from pipeline.outputs.typeset import Box


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Margins(_Strict):
    left: float = Field(ge=5)
    right: float = Field(ge=5)
    bottom: float = Field(ge=5)


class TextBlock(_Strict):
    top: float = Field(ge=0)
    size: float = Field(gt=4)
    leading: float = Field(1.5, ge=1)


class Sender(TextBlock):
    gap_from_window: float = Field(ge=0)


class RecipientStyle(_Strict):
    postcode_size: float = Field(gt=4)
    address_size: float = Field(gt=4)
    name_size: float = Field(gt=4)
    min_size: float = Field(gt=4)
    leading: float = Field(ge=1)


class Subject(_Strict):
    top: float = Field(ge=0)
    size: float = Field(gt=4)
    min_size: float = Field(gt=4)


class Body(TextBlock):
    blank_line: float = Field(gt=0, le=1)


class Footer(_Strict):
    size: float = Field(gt=4)
    leading: float = Field(ge=1)
    height: float = Field(gt=0)


class Continuation(_Strict):
    top: float = Field(ge=0)


class LetterLayout(_Strict):
    margins: Margins
    fold_marks: list[float]
    references: TextBlock
    sender: Sender
    recipient: RecipientStyle
    subject: Subject
    body: Body
    footer: Footer
    continuation: Continuation

    @property
    def text_width(self) -> float:
        return A4_MM[0] - self.margins.left - self.margins.right

    @property
    def right(self) -> float:
        return A4_MM[0] - self.margins.right

    @property
    def body_bottom(self) -> float:
        return A4_MM[1] - self.margins.bottom - self.footer.height


class Placed(_Strict):
    """One text of a certificate: its box (mm from the top-left), size and alignment."""

    left: float = Field(ge=0)
    top: float = Field(ge=0)
    width: float = Field(gt=0)
    height: float = Field(gt=0)
    size: float = Field(gt=4)
    min_size: float | None = None
    align: Literal["left", "right", "center"] = "left"
    face: Literal["mincho", "gothic"] = "mincho"
    spacing: float = 0.0  # extra points between characters
    leading: float = Field(1.5, ge=1)

    @property
    def box(self) -> Box:
        return Box(self.left, self.top, self.width, self.height)

    @model_validator(mode="after")
    def _on_the_page(self) -> Placed:
        if self.left + self.width > A4_MM[0] or self.top + self.height > A4_MM[1]:
            raise ValueError(
                f"box {self.left},{self.top} {self.width}×{self.height} leaves the A4 page"
            )
        return self


CertificateField = Literal[
    "number",
    "title",
    "name",
    "statement",
    "category",
    "qualification",
    "validity_label",
    "validity",
    "validity_western",
    "issued",
    "association",
    "signatory",
]
VARIABLE_FIELDS: tuple[CertificateField, ...] = (
    "number",
    "name",
    "qualification",
    "validity",
    "validity_western",
    "issued",
)


class CertificateLayout(_Strict):
    """``plain``: every text and the border on blank paper; ``preprinted``: only the
    variable texts, at the offsets of the office's pre-printed stock."""

    border: list[float] = Field(min_length=2, max_length=2)  # outer, inner inset in mm
    plain: dict[CertificateField, Placed]
    preprinted: dict[CertificateField, Placed]

    @model_validator(mode="after")
    def _complete(self) -> CertificateLayout:
        missing = [f for f in CertificateField.__args__ if f not in self.plain]  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"plain layout lacks {missing}")
        lacking = [f for f in VARIABLE_FIELDS if f not in self.preprinted]
        extra = [f for f in self.preprinted if f not in VARIABLE_FIELDS]
        if lacking or extra:
            raise ValueError(
                f"preprinted layout must place exactly {list(VARIABLE_FIELDS)} "
                f"(lacks {lacking}, has fixed texts {extra})"
            )
        return self


def _load(text: str, model: type[_Strict], where: str) -> _Strict:
    try:
        return model.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as e:
        raise TemplateError(f"{where} is invalid: {e}") from e


def _bundled(name: str) -> str:
    return (resources.files("pipeline.outputs") / "templates" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def letter_layout() -> LetterLayout:
    name = "letter_layout.yaml"
    return _load(_bundled(name), LetterLayout, f"pipeline/outputs/templates/{name}")  # type: ignore[return-value]


@lru_cache(maxsize=4)
def certificate_layout(path: Path | None = None) -> CertificateLayout:
    name = "certificate_layout.yaml"
    if path is None:
        return _load(_bundled(name), CertificateLayout, f"pipeline/outputs/templates/{name}")  # type: ignore[return-value]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise TemplateError(f"certificate layout {path} cannot be read: {e}") from e
    return _load(text, CertificateLayout, str(path))  # type: ignore[return-value]
