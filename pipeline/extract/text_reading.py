"""Reading the text fields of one or several envelopes, in named steps.

1. ``engine_readings`` — Tesseract and PP-OCR each read every crop (one
   tesseract process per OCR setting for the lot, PP-OCR in batches).
2. ``normalised`` — each text through the field's validator (dates, kana, …).
3. ``second_look`` — where the two engines do not agree, each reads other
   renditions of the crop (the grey crop at 300 dpi, the binarised crop).
4. ``settle`` — the evidence gives the status: a value both engines read, in a
   crop that does not look handwritten, is ``ok``; anything else goes to a person
   with the best engine's reading proposed and both readings shown.

Two engines that share no model agreeing is evidence that does not depend on
the font, size or place a value was typed in. One engine's reading is never
enough on its own: agreeing renditions of one engine share its mistakes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from pipeline.config import Settings
from pipeline.extract.crops import CleanCrop, glyph_ink
from pipeline.extract.kana_marks import marks_another_reading_saw
from pipeline.extract.normalize import FieldInvalid, normalize, plain
from pipeline.extract.penmanship import handwriting_score, measure
from pipeline.extract.reading import (
    ENGINE_JA,
    Engine,
    EngineReading,
    FieldRead,
    HandwritingBasis,
)
from pipeline.forms.schema import FieldSpec
from pipeline.ocr import ppocr
from pipeline.ocr.tesseract import LineRead, OcrRequest, read_lines
from pipeline.text.dates import year_month_run_together
from pipeline.vocabulary import FieldStatus


@dataclass
class PendingText:
    """A text field cut and cleaned, waiting for the engines (batched over envelopes)."""

    read: FieldRead  # the placeholder the page holds until the field is read
    spec: FieldSpec
    cleaned: CleanCrop = field(repr=False)
    # Why a person must look whatever the engines agree on (the page saw it before reading)
    doubt_ja: str | None = None

    @property
    def request(self) -> OcrRequest:
        assert self.spec.ocr is not None  # the schema requires it for text kinds
        return OcrRequest(self.spec.ocr.lang, self.spec.ocr.psm, self.spec.ocr.whitelist)


# A policy built without settings (tests, a library caller) judges as the nightly run.
_DEFAULTS = Settings.model_fields


@dataclass(frozen=True)
class TextPolicy:
    """What the settle step needs to know (``ExtractOptions`` builds it from settings)."""

    handwriting_threshold: float = _DEFAULTS["handwriting_threshold"].default
    ocr_cmd: str = "tesseract"
    handwritten_page_threshold: float = _DEFAULTS["handwritten_page_threshold"].default
    handwritten_page_margin: float = _DEFAULTS["handwritten_page_margin"].default


# A rendition of a crop: its name and how to draw it from the cleaned crop.
Rendition = tuple[str, Callable[[CleanCrop], np.ndarray]]
SECOND_SCALE = 1.5  # the grey crop again at 300 dpi: different enough to err differently


def grey(cleaned: CleanCrop) -> np.ndarray:
    """The crop's own grey levels, rulings whitened, at 200 dpi (else the binarised crop)."""
    return cleaned.ocr_image if cleaned.ocr_image is not None else cleaned.image


def grey_300(cleaned: CleanCrop) -> np.ndarray:
    image = grey(cleaned)
    return cv2.resize(image, None, fx=SECOND_SCALE, fy=SECOND_SCALE, interpolation=cv2.INTER_CUBIC)


def binarised(cleaned: CleanCrop) -> np.ndarray:
    return cleaned.image


def tight(cleaned: CleanCrop) -> np.ndarray:
    """The grey crop cut to its ink, as a text detector would hand it over."""
    line = ppocr.tight_line(grey(cleaned))
    return grey(cleaned) if line is None else line


FIRST: Rendition = ("grey", grey)
# Where the engines do not agree, Tesseract reads other renditions of the crop (its
# slips change with the rendition; PP-OCR's hardly do, and a second PP-OCR reading
# settled one field in a hundred on the corpus for a fifth more of its time).
SECOND_LOOKS: dict[Engine, tuple[Rendition, ...]] = {
    Engine.TESSERACT: (("tight", tight), ("grey300", grey_300), ("binary", binarised)),
}


# Tesseract's Japanese model reads a zero drawn with a dot or a slash inside it (VL
# Gothic, monospaced faces) as 9 or 6; its Latin model reads such a zero as a zero. Where
# the engines still disagree on a number (its template's ``latin_zero_look``), Tesseract
# reads the grey crop once more with it.
LATIN_MODEL = "eng"
LATIN_LOOK: Rendition = ("grey-latin", grey)


def read_texts(pending: Sequence[PendingText], policy: TextPolicy) -> list[FieldRead]:
    """Every pending field read and settled, in the order given."""
    readings = engine_readings(pending, (FIRST,), policy, engines=tuple(Engine))
    unsettled = [i for i in range(len(pending)) if agreed_value(readings[i]) is None]
    for engine, renditions in SECOND_LOOKS.items():
        more = engine_readings(
            [pending[i] for i in unsettled], renditions, policy, engines=(engine,)
        )
        for i, extra in zip(unsettled, more, strict=True):
            readings[i] = (*readings[i], *extra)
    numbers = [
        i for i in unsettled if _latin_zero_look(pending[i]) and agreed_value(readings[i]) is None
    ]
    more = engine_readings(
        [pending[i] for i in numbers],
        (LATIN_LOOK,),
        policy,
        engines=(Engine.TESSERACT,),
        lang=LATIN_MODEL,
    )
    for i, extra in zip(numbers, more, strict=True):
        first = next((r.text for r in readings[i] if r.engine == Engine.TESSERACT), "")
        for r in extra:
            mended = zeros_mended(first, r.text)
            if mended is not None:
                line = LineRead(mended, r.confidence)
                readings[i] = (
                    *readings[i],
                    normalised(pending[i].spec, r.engine, line, r.rendition),
                )
    for i in unsettled:
        if agreed_value(readings[i]) is None:
            readings[i] = (*readings[i], *phone_zero_readings(pending[i].spec, readings[i]))
    return [settle(item, readings[i], policy) for i, item in enumerate(pending)]


def zeros_mended(japanese: str, latin: str) -> str | None:
    """The Japanese model's reading with the zeros it read as 9 or 6 mended where the
    Latin model read them as 0, or None where the two differ in any other digit. The
    Latin model cannot read 年, 月 or 日 (it makes 4, 8, - of them): each glyph that is
    no digit stands for up to two of its characters, and decides nothing (where the
    Japanese model read 07 and PP-OCR 01, a Latin 01 is no second engine's word)."""
    text = plain(japanese)
    pattern = "".join(
        f"([{c}0])" if c in "96" else f"({c})" if c.isdigit() else ".{0,2}" for c in text
    )
    found = re.fullmatch(pattern, plain(latin), flags=re.ASCII)
    if found is None:
        return None
    digits = iter(found.groups())
    mended = "".join(next(digits) if c.isdigit() else c for c in text)
    return mended if mended != text else None


# A Japanese telephone number starts with 0, and one of eleven digits with 0X0 (070, 080,
# 090, 050, 020): those zeros are the numbering plan's, not any engine's. Tesseract's
# Japanese model reads a zero drawn with a dot or a slash as 9 or 6 (090 as 696), also in
# a line of kanji where its Latin model cannot help.
_PHONE_AT_END = re.compile(r"(\d+)-(\d+)-(\d{4})$")
PHONE_ZEROS = "phone-zeros"  # the rendition name of a reading so mended


def phone_plan_zeros(text: str) -> str | None:
    """``text`` with a 9 or 6 where the telephone number it ends in must have a 0 read as
    0; None when it ends in no such number or there is nothing to mend."""
    stripped = plain(text)
    found = _PHONE_AT_END.search(stripped)
    if found is None:
        return None
    digits = "".join(found.groups())
    if len(digits) not in (10, 11):
        return None
    positions = [found.start(1)]
    if len(digits) == 11:
        # the third digit: in the first group, or the second group's first
        first = found.group(1)
        positions.append(found.start(1) + 2 if len(first) >= 3 else found.start(2) + 2 - len(first))
    mended = list(stripped)
    for at in positions:
        if mended[at] in "96":
            mended[at] = "0"
    result = "".join(mended)
    return result if result != stripped else None


def phone_zero_readings(
    spec: FieldSpec, readings: Sequence[EngineReading]
) -> tuple[EngineReading, ...]:
    """Tesseract's readings with the zeros the numbering plan fixes put back, each a
    reading of its own (shown to staff as such); none where nothing needed mending. The
    digits the plan does not fix must still be read alike by both engines."""
    mended: dict[str, EngineReading] = {}
    for r in readings:
        text = phone_plan_zeros(r.text) if r.engine == Engine.TESSERACT and r.text else None
        if text is not None and text not in mended:
            line = LineRead(text, r.confidence)
            mended[text] = normalised(spec, Engine.TESSERACT, line, PHONE_ZEROS)
    return tuple(mended.values())


def engine_readings(
    items: Sequence[PendingText],
    renditions: Sequence[Rendition],
    policy: TextPolicy,
    *,
    engines: tuple[Engine, ...],
    lang: str | None = None,
) -> list[tuple[EngineReading, ...]]:
    """What each engine reads in each of ``renditions`` of each crop, normalised. Every
    rendition of every crop goes to an engine in one call (one tesseract process per OCR
    setting: starting it costs as much as reading a dozen lines). ``lang``: Tesseract's
    model instead of each field's own."""
    images = [[draw(item.cleaned) for _, draw in renditions] for item in items]
    out: list[list[EngineReading]] = [[] for _ in items]
    if Engine.TESSERACT in engines:
        for request, indexes in _by_request(items, lang).items():
            flat = [(i, r) for i in indexes for r in range(len(renditions))]
            lines = read_lines([images[i][r] for i, r in flat], request, cmd=policy.ocr_cmd)
            for (i, r), line in zip(flat, lines, strict=True):
                out[i].append(normalised(items[i].spec, Engine.TESSERACT, line, renditions[r][0]))
    if Engine.PPOCR in engines and items:
        flat = [(i, r) for i in range(len(items)) for r in range(len(renditions))]
        lines = ppocr.read_lines([images[i][r] for i, r in flat])
        for (i, r), line in zip(flat, lines, strict=True):
            out[i].append(normalised(items[i].spec, Engine.PPOCR, line, renditions[r][0]))
    return [tuple(r) for r in out]


def normalised(spec: FieldSpec, engine: Engine, line: LineRead, rendition: str) -> EngineReading:
    text = line.text.strip()
    if not text:
        return EngineReading(engine, "", 0.0, None, "読み取れる文字がありません", rendition)
    try:
        value = normalize(spec.validator, text)
    except FieldInvalid as e:
        return EngineReading(engine, text, line.confidence, None, str(e), rendition)
    return EngineReading(engine, text, line.confidence, value, None, rendition)


def agreed_value(readings: Sequence[EngineReading]) -> str | None:
    """The one value both engines read (in any rendition); None if none, or if the
    engines agree on two different values (then nothing is sure)."""
    by_engine: dict[Engine, set[str]] = defaultdict(set)
    spelling: dict[str, str] = {}
    for r in readings:
        if r.value:
            by_engine[r.engine].add(plain(r.value))
            spelling.setdefault(plain(r.value), r.value)
    common = by_engine[Engine.TESSERACT] & by_engine[Engine.PPOCR]
    if len(common) != 1:
        return None
    return spelling[next(iter(common))]


def _latin_zero_look(item: PendingText) -> bool:
    return item.spec.ocr is not None and item.spec.ocr.latin_zero_look


def proposal(readings: Sequence[EngineReading]) -> EngineReading | None:
    """The reading staff see pre-filled: PP-OCR's first (it reads more lines right, pen
    included), else Tesseract's, else any rendition's."""
    valued = [r for r in readings if r.value]
    for engine in (Engine.PPOCR, Engine.TESSERACT):
        for r in valued:
            if r.engine == engine:
                return r
    return None


def settle(item: PendingText, readings: tuple[EngineReading, ...], policy: TextPolicy) -> FieldRead:
    """The field's value and status from its readings and its ink."""
    found = measure(item.cleaned, _line_text(readings))
    score = handwriting_score(found)
    read = replace(
        item.read,
        readings=readings,
        # Too few glyphs to measure (a row number, 室長) is no evidence of print: the
        # handwriting rules of a page leave such a field out of their medians.
        handwriting=score if found is not None else None,
        handwritten_by=HandwritingBasis.FIELD if score >= policy.handwriting_threshold else None,
        penmanship=found,
    )
    agreed = agreed_value(readings)
    best = proposal(readings)
    if agreed is None and _too_little_for_a_value(item, best):
        return replace(
            read,
            value=None,
            status=FieldStatus.MISSING,
            confidence=1.0,
            reason=NO_VALUE_INK_JA if item.spec.required else None,
        )
    if agreed is None and best is None:
        texts = [r for r in readings if r.text]
        run_together = _year_month_run_together(item.spec.validator, texts)
        if run_together is not None:
            year, month = run_together
            return replace(read, value=f"{year:04d}-{month:02d}", confidence=0.0).held(
                SEPARATOR_LOST_JA.format(year=year, month=month)
            )
        if texts:
            problem = texts[0].problem or "値として読めません"
            return replace(
                read, value=None, status=FieldStatus.INVALID, confidence=0.0, reason=problem
            )
        return replace(
            read,
            value=None,
            status=FieldStatus.LOW_CONFIDENCE,
            confidence=0.0,
            reason="記入はあるが文字として読み取れません（手書きの可能性）",
        )
    value = agreed if agreed is not None else best.value if best is not None else None
    confidence = _confidence(readings, agreed)
    read = replace(read, value=value, confidence=confidence)
    if read.handwritten:
        return read.held(HANDWRITTEN_JA)
    if agreed is None:
        return read.held(_disagreement_ja(readings))
    marked = marks_another_reading_saw(agreed, readings)
    if marked is not None:
        return read.held(MARK_SEEN_JA, proposal=marked)
    if item.spec.validator == "email" and email_has_look_alikes(agreed):
        return read.held("メールアドレスに l と 1、O と 0 のような見分けにくい文字が含まれています")
    lost = lost_punctuation_ja(item.spec.validator, agreed, readings)
    if lost is not None:
        return read.held(lost)
    if item.doubt_ja is not None:
        return read.held(item.doubt_ja)
    return replace(read, status=FieldStatus.OK, reason=None, confirmed_by=None)


def _line_text(readings: Sequence[EngineReading]) -> str | None:
    """What the line says as read whole from the first rendition (PP-OCR's, which
    reads more lines right, else Tesseract's): the characters its glyphs are measured
    by (``penmanship.regularity``)."""
    for engine in (Engine.PPOCR, Engine.TESSERACT):
        for r in readings:
            if r.engine == engine and r.text and r.rendition == FIRST[0]:
                return r.text
    return None


HANDWRITTEN_JA = "手書きの可能性があります（読み取り候補を確認してください）"
SEPARATOR_LOST_JA = (
    "年と月の区切りが読み取れません（両方の読み取りで「{year}{month}」: "
    "{year}年{month}月として候補に入れています。確認してください）"
)


def _year_month_run_together(
    validator: str | None, texts: Sequence[EngineReading]
) -> tuple[int, int] | None:
    """The year-month both engines read with its separator lost (``20197``), where each
    engine read it so and nothing else; None otherwise."""
    if validator not in ("yearmonth", "yearmonth_or_present"):
        return None
    found = {year_month_run_together(r.text) for r in texts}
    if {r.engine for r in texts} != {Engine.TESSERACT, Engine.PPOCR} or len(found) != 1:
        return None
    return found.pop()


MARK_SEEN_JA = "別の読み取りでは濁点・半濁点が付いています（読み落としの可能性）"

# Values of these fields are several glyphs (2022/06, 2022年6月, 現在; a name, an
# organisation, an address): their ink is glyphs several millimetres wide in all. Where
# the engines do not agree on a value and the box holds less (a ruling's stub a fold
# moved, a crease's shadow, specks), nothing was written: what the engines made of it
# ('1', '-', 'イイ') stays with the field as its readings. A row number or a count of
# years may be one narrow digit: those fields are never judged so.
SEVERAL_GLYPHS = frozenset({"date", "yearmonth", "yearmonth_or_present", "nonempty"})
VALUE_MIN_WIDTH_MM = 3.0
# A name may be two kanji, one of them flat (林一): one kanji at 8 pt stands 2 mm wide.
NAME_MIN_WIDTH_MM = 1.5
VALUE_MIN_PIECES = 3  # or glyphs a misplaced crop cut in half, in a row
NO_VALUE_INK_JA = "未記入（文字として読める大きさの記入がなく、線や点だけがあります）"


def _too_little_for_a_value(item: PendingText, best: EngineReading | None) -> bool:
    """Whether the box holds too little glyph ink for any value its field takes. A date
    or year-month one engine did read (現在 is two glyphs) is no stub's."""
    if item.spec.validator not in SEVERAL_GLYPHS:
        return False
    if best is not None and item.spec.validator != "nonempty":
        return False
    found = glyph_ink(item.cleaned)
    least = NAME_MIN_WIDTH_MM if item.spec.validator == "nonempty" else VALUE_MIN_WIDTH_MM
    return found.width_mm < least and found.pieces < VALUE_MIN_PIECES


def _confidence(readings: Sequence[EngineReading], agreed: str | None) -> float:
    """Agreeing engines: the lower of their confidences; else the proposal's, capped
    below any agreement's (a single engine is never sure)."""
    if agreed is not None:
        key = plain(agreed)
        backing = [r.confidence for r in readings if r.value and plain(r.value) == key]
        return min(backing) if backing else 0.0
    best = proposal(readings)
    return min(0.5, best.confidence) if best is not None else 0.0


def _disagreement_ja(readings: Sequence[EngineReading]) -> str:
    first: dict[Engine, EngineReading] = {}
    for r in readings:
        first.setdefault(r.engine, r)
    texts = {r.text for r in first.values()}
    best = proposal(readings)
    if len(first) == 2 and len(texts) == 1 and not any(r.value for r in first.values()):
        # Both engines read the same characters, which are no valid value; the proposal
        # is another rendition's reading. "The engines disagree" would show one text twice.
        return (
            f"両方の読み取りエンジンが「{texts.pop() or '（なし）'}」と読みましたが、値として読めません"
            f"（別の読み取りの「{best.value if best else '（なし）'}」を候補にしています。確認してください）"
        )
    shown = "、".join(
        f"{ENGINE_JA[e]}「{first[e].value or first[e].text or '（なし）'}」"
        for e in (Engine.TESSERACT, Engine.PPOCR)
        if e in first
    )
    return f"2つの読み取りエンジンの結果が一致しません: {shown}"


# In the local part of an e-mail address (before @) nothing tells l from 1 or O
# from 0 where digits are likely (beside a digit, at the end: "ccpro1"): both
# engines may share the slip, so staff look.
_LOOK_ALIKE_IN_EMAIL = re.compile(r"[l1I](?=\d|$)|(?<=\d)[l1I]|[IO]|(?<=[a-z])0|0(?=[a-z])")


def email_has_look_alikes(value: str) -> bool:
    return bool(_LOOK_ALIKE_IN_EMAIL.search(value.split("@", 1)[0]))


# A hyphen or a dot a copy thinned away is read by both engines as a space or as nothing:
# digits parted by a space (052 584-1456, 渋谷1 15-12) and a Japanese second-level domain
# run into its jp (example.nejp) are such slips, never how the value is written.
_SPACE_BETWEEN_DIGITS = re.compile(r"\d\s+\d")
_DOT_LOST_BEFORE_JP = re.compile(r"[.@](ne|co|or|ac|go|ed|gr|lg)jp$")
_GAP_INSIDE = re.compile(r"\S\s+\S")


def lost_punctuation_ja(
    validator: str | None, value: str, readings: Sequence[EngineReading]
) -> str | None:
    """Why ``value`` may have lost a hyphen or a dot, or ``None``. An e-mail address has
    no spaces: an engine that read one inside it saw a gap where a dot was."""
    if validator in (None, "nonempty") and _SPACE_BETWEEN_DIGITS.search(value):
        return "数字の間に空白があります（ハイフン「-」の読み落としの可能性）"
    if validator == "email" and (
        _DOT_LOST_BEFORE_JP.search(value) or any(_GAP_INSIDE.search(r.text) for r in readings)
    ):
        return "メールアドレスの「.」が読み落とされている可能性があります"
    return None


def _by_request(items: Sequence[PendingText], lang: str | None) -> dict[OcrRequest, list[int]]:
    groups: dict[OcrRequest, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[replace(item.request, lang=lang) if lang else item.request].append(i)
    return groups
