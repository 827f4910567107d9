"""One field as read: its value, the readings behind it, and why it is (not) sure.

A ``FieldRead`` is immutable: each step that learns something (the engines, the
passers register, the other form) returns a new one with ``dataclasses.replace``,
so a field's history is the chain of steps, not edits scattered over modules.
Every field keeps each engine's raw reading, its confidence, the handwriting
score of its ink and, for marks, how the ink was judged: staff see why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from pipeline.extract.penmanship import Regularity
from pipeline.vocabulary import CONFIDENT, FieldStatus


class Engine(StrEnum):
    TESSERACT = "tesseract"
    PPOCR = "ppocr"


ENGINE_JA = {Engine.TESSERACT: "Tesseract", Engine.PPOCR: "PP-OCR"}


class Evidence(StrEnum):
    """What settled a field beyond its own reading (``FieldRead.confirmed_by``)."""

    TWO_ENGINES = "two_engines"  # informational: an ok field's agreement, never stored as such
    REGISTER = "register"  # the passers register says the same
    OTHER_FORM = "other_form"  # form B and form C say the same


class HandwritingBasis(StrEnum):
    """What judged a field written by hand (``FieldRead.handwritten_by``)."""

    FIELD = "field"  # its own ink scored at or above the threshold
    PAGE = "page"  # the typical field of its page did (``handwritten_page``)
    WRITER = "writer"  # the typical field of all the pages its writer filled in did


@dataclass(frozen=True)
class EngineReading:
    """What one engine read in one rendition of a field's crop."""

    engine: Engine
    text: str
    confidence: float  # the engine's own, 0..1
    value: str | None  # normalised by the field's validator; None when it is no value
    problem: str | None = None  # why the text is no value (the validator's words)
    rendition: str = "grey"  # which image of the crop was read

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": str(self.engine),
            "rendition": self.rendition,
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "value": self.value,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class MarkEvidence:
    """How a checkbox, signature or seal was judged."""

    ink: float  # share of the box inked beyond what the blank prints
    around: float = 0.0  # the same just around a checkbox (a circle drawn round it)
    shift_mm: tuple[float, float] = (0.0, 0.0)  # where the box was found against the print
    box_found: bool = True  # the printed box itself was found where expected
    # foreign ink over the box: "stamp", "line", "crease"; "passing": a line near it that
    # leaves the box empty even counted as the box's own; "beside": ink joined to a circle
    # round the box (a neighbour's circle), the circle told from it; "apart": a tick whose
    # tail ends near other ink beyond the box, told from it by the paper between them
    crossed_by: str | None = None
    # one edge of the printed square lay inside its print (a hidden strip): the box was
    # judged inside the square as the page shows it (``shown_square``)
    squashed: bool = False
    # the printed square hardly showed where it was looked for as a whole (a blurred or
    # light print) and was found edge by edge instead; the box was judged inside it
    by_edges: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "ink": round(self.ink, 4),
            "around": round(self.around, 4),
            "shift_mm": [round(self.shift_mm[0], 2), round(self.shift_mm[1], 2)],
            "box_found": self.box_found,
            "crossed_by": self.crossed_by,
            "squashed": self.squashed,
            "by_edges": self.by_edges,
        }

    def summary(self) -> str:
        """The compact raw text stored with the field (``review.labels`` shows it in words)."""
        text = f"ink={self.ink:.4f}"
        if self.shift_mm != (0.0, 0.0):
            text += f" shift={self.shift_mm[0]:+.2f},{self.shift_mm[1]:+.2f}mm"
        if not self.box_found:
            text += " box=not_found"
        elif self.squashed:
            text += " box=squashed"
        elif self.by_edges:
            text += " box=by_edges"
        if self.crossed_by:
            text += f" crossed={self.crossed_by}"
        return text


@dataclass(frozen=True)
class FieldRead:
    """One field as read from one page."""

    form_code: str
    form_page: int
    name: str
    label_ja: str
    kind: str
    decides: bool
    required: bool
    row: int | None
    group: str | None
    value: str | None
    status: FieldStatus
    confidence: float
    reason: str | None = None
    confirmed_by: str | None = None
    readings: tuple[EngineReading, ...] = ()
    handwriting: float | None = None  # 0..1: how much the ink looks written by hand
    # What judged it written by hand (None: not judged so); a person reads it, whatever agrees.
    handwritten_by: HandwritingBasis | None = None
    penmanship: Regularity | None = None  # the measures behind ``handwriting``
    mark: MarkEvidence | None = None
    page_index: int | None = None
    crop: np.ndarray | None = field(default=None, repr=False, compare=False)
    crop_path: str | None = None  # relative to the data root, once saved

    @property
    def key(self) -> str:
        return f"{self.form_code}.{self.name}"

    @property
    def handwritten(self) -> bool:
        return self.handwritten_by is not None

    @property
    def confident(self) -> bool:
        return self.status in CONFIDENT

    @property
    def raw_text(self) -> str:
        """What was read, as stored and shown: each engine's text, or a mark's ink."""
        if self.mark is not None:
            return self.mark.summary()
        first = {r.engine: r.text for r in reversed(self.readings)}
        return " / ".join(f"{ENGINE_JA[e]}「{t}」" for e, t in sorted(first.items()))

    def values_read(self) -> set[str]:
        """Every value some engine read in some rendition of the crop."""
        return {r.value for r in self.readings if r.value}

    def confirmed(self, by: Evidence, value: str | None = None) -> FieldRead:
        """Settled by a source beyond the crop (``by``), as ``value`` (its spelling)."""
        return replace(
            self,
            status=FieldStatus.CONFIRMED,
            confirmed_by=str(by),
            reason=None,
            value=self.value if value is None else value,
        )

    def held(self, reason_ja: str, *, proposal: str | None = None) -> FieldRead:
        """A person decides, shown ``reason_ja`` and, when given, ``proposal`` pre-filled."""
        return replace(
            self,
            status=FieldStatus.LOW_CONFIDENCE,
            confirmed_by=None,
            reason=reason_ja,
            value=self.value if proposal is None else proposal,
        )

    def evidence(self) -> dict[str, Any]:
        """Everything behind the value, as stored beside it (``fields.evidence``)."""
        out: dict[str, Any] = {"readings": [r.as_dict() for r in self.readings]}
        if self.handwriting is not None:
            out["handwriting"] = round(self.handwriting, 3)
            out["handwritten"] = self.handwritten
        if self.handwritten_by is not None:
            out["handwritten_by"] = str(self.handwritten_by)
        if self.penmanship is not None:
            out["penmanship"] = self.penmanship.as_dict()
        if self.mark is not None:
            out["mark"] = self.mark.as_dict()
        return out


def without_pixels(read: FieldRead) -> FieldRead:
    return replace(read, crop=None)
