"""``FieldRead`` and ``EngineReading`` built as extraction would leave them, for tests
that run no OCR: the engines' readings are given, what is tested is what follows."""

from __future__ import annotations

from pipeline.extract.reading import Engine, EngineReading, FieldRead, HandwritingBasis
from pipeline.vocabulary import FieldStatus

T, P = Engine.TESSERACT, Engine.PPOCR


def reading(
    engine: Engine, value: str | None, text: str | None = None, *, confidence: float = 0.95
) -> EngineReading:
    """What ``engine`` read: ``text`` (the value itself unless given), normalised to ``value``."""
    return EngineReading(engine, text if text is not None else value or "", confidence, value)


def field(
    key: str,
    value: str | None,
    status: FieldStatus = FieldStatus.OK,
    *,
    readings: tuple[EngineReading, ...] = (),
    handwriting: float | None = None,
    handwritten: bool = False,
    kind: str = "text",
    reason: str | None = None,
    confidence: float = 0.9,
) -> FieldRead:
    """The field ``key`` ("A.name_kanji") read as ``value``; both engines read that value
    unless ``readings`` say otherwise."""
    form, name = key.split(".")
    return FieldRead(
        form_code=form,
        form_page=1,
        name=name,
        label_ja=name,
        kind=kind,
        decides=True,
        required=True,
        row=None,
        group=None,
        value=value,
        status=status,
        confidence=confidence,
        reason=reason,
        readings=readings or ((reading(T, value), reading(P, value)) if value else ()),
        handwriting=handwriting,
        handwritten_by=HandwritingBasis.FIELD if handwritten else None,
    )
