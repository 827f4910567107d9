"""Reading every field of one aligned page.

Marks (checkboxes, signatures, seals) are judged by ink above what the blank
form prints there. Text fields are cut and cleaned per page, then read for a
whole envelope at once (one tesseract process per OCR setting), normalised by
the field's validator, checked by re-drawing and by placement, and unsure ones
read a second time. Every field keeps its raw text, confidence, status and crop.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import cv2
import numpy as np

from pipeline.extract import marks
from pipeline.extract.crops import CleanCrop, clean_text_crop, cut, ink_ratio
from pipeline.extract.normalize import FieldInvalid, normalize
from pipeline.extract.placement import Placement, check_placement
from pipeline.extract.verify import Contrast, Verification, compare, contrasts
from pipeline.extract.zeros import ZERO_LOOK_ALIKES, is_digit_field, zero_candidates
from pipeline.forms.schema import FieldKind, FieldSpec, FormTemplate
from pipeline.ocr.tesseract import LineRead, OcrRequest, read_lines
from pipeline.storage.models import FieldStatus

CONFIDENT = (FieldStatus.OK, FieldStatus.CONFIRMED)

MARK_KINDS = (FieldKind.CHECKBOX, FieldKind.SIGNATURE, FieldKind.SEAL)
CROP_MARGIN_MM = 1.5  # what staff see around a field
EMPTY_INK_RATIO = 0.0025  # below this a text box is blank


@dataclass
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
    raw_text: str
    confidence: float
    status: FieldStatus
    reason: str | None = None
    page_index: int | None = None
    crop: np.ndarray | None = field(default=None, repr=False)
    confirmed_by: str | None = None
    crop_path: str | None = None  # relative to the data root, once saved
    verify_score: float | None = None  # re-drawing distance of the reading (lower is closer)
    placement_fits: bool = False  # the ink sits where the form prints a typed value
    second_agrees: bool = False  # a second reading gave the same value (where that is evidence)
    # Other values the ink re-draws as and sits right for (slashed-zero repairs, see
    # ``zeros``): a stronger source (the register) may pick one of them.
    alternatives: tuple[str, ...] = ()
    verify_mean: float | None = None  # mean re-drawing distance (the score is the worst window)
    placement: Placement | None = field(default=None, repr=False)
    # Judges another value on this field's own crop (the register's, the other
    # form's); set once the OCR is done, dropped once the cross-checks are.
    judge: CandidateJudge | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.form_code}.{self.name}"

    def confirm(self, by: str) -> None:
        """Settled by evidence beyond its own reading (``confirmed_by`` names it)."""
        self.status = FieldStatus.CONFIRMED
        self.confirmed_by = by
        self.reason = None

    def adopt(self, trial: FieldRead, by: str, value: str | None = None) -> None:
        """Take ``trial``'s value (or ``value``, its source's spelling) and the evidence that
        the crop re-draws as it; what Tesseract read stays in ``raw_text``."""
        self.value = trial.value if value is None else value
        self.confidence = trial.confidence
        self.verify_score, self.verify_mean = trial.verify_score, trial.verify_mean
        self.placement, self.placement_fits = trial.placement, trial.placement_fits
        self.confirm(by)

    def dispute(self, reason_ja: str) -> None:
        """Another reading of the same fact says otherwise: sure or not, a person decides
        (the reading's own confidence stays, as evidence of what the crop alone said)."""
        self.status = FieldStatus.LOW_CONFIDENCE
        self.confirmed_by = None
        self.reason = reason_ja

    def doubt(self, reason_ja: str) -> None:
        """A source outside the crop disagrees: undo what the crop alone settled."""
        if self.confirmed_by in FROM_THE_CROP:
            self.status = FieldStatus.LOW_CONFIDENCE
            self.confirmed_by = None
            self.reason = reason_ja


@dataclass(frozen=True)
class Thresholds:
    ok_confidence: float
    verify_max_score: float = 0.058  # re-drawn text must match the ink this closely
    verify_fonts: tuple[str, ...] = ()
    consensus_max_score: float = 0.11  # two agreeing readings confirm up to this distance

    def confidence_of(self, score: float) -> float:
        """Map a verification score to 0..1 so that ``verify_max_score`` sits at ``ok_confidence``."""
        slope = (1.0 - self.ok_confidence) / self.verify_max_score if self.verify_max_score else 1.0
        return max(0.0, min(1.0, 1.0 - slope * score))


def _blank_ratios(template: FormTemplate, blank: np.ndarray, dpi: float) -> dict[str, float]:
    """Ink the blank form itself prints inside each signature or seal box (guides such as 印)."""
    return {
        spec.name: _ink_ratio(blank, spec, dpi)
        for spec in template.fields
        if spec.kind in (FieldKind.SIGNATURE, FieldKind.SEAL)
    }


def _ink_ratio(page: np.ndarray, spec: FieldSpec, dpi: float) -> float:
    return ink_ratio(cut(page, spec.box_mm.inset(0.5), dpi), dpi, remove_lines=True)


_THRESHOLDS = {
    FieldKind.SIGNATURE: marks.SIGNATURE,
    FieldKind.SEAL: marks.SEAL,
}


@dataclass
class PendingText:
    """A text field cut and cleaned, waiting for OCR (batched over an envelope)."""

    read: FieldRead
    spec: FieldSpec
    cleaned: CleanCrop = field(repr=False)
    page: int = 0  # fields with the same token share a page (and its alignment drift)
    drift_mm: tuple[float, float] = (0.0, 0.0)  # (x, y) of the page's typed ink vs the print

    @property
    def request(self) -> OcrRequest:
        assert self.spec.ocr is not None  # the schema requires it for text kinds
        return OcrRequest(self.spec.ocr.lang, self.spec.ocr.psm, self.spec.ocr.whitelist)


def read_page_fields(
    aligned: np.ndarray,
    template: FormTemplate,
    dpi: float,
    *,
    blank: np.ndarray,
    thresholds: Thresholds,
    page_index: int | None = None,
    ocr_cmd: str = "tesseract",
) -> list[FieldRead]:
    """Every field of ``template`` read from ``aligned`` (a page warped onto the template)."""
    reads, pending = prepare_page_fields(aligned, template, dpi, blank=blank, page_index=page_index)
    read_texts(pending, thresholds, ocr_cmd=ocr_cmd)
    return reads


def prepare_page_fields(
    aligned: np.ndarray,
    template: FormTemplate,
    dpi: float,
    *,
    blank: np.ndarray,
    page_index: int | None = None,
) -> tuple[list[FieldRead], list[PendingText]]:
    """Marks judged, empty boxes found, text fields cut and cleaned: everything but OCR.

    The text fields come back as placeholders with their ``PendingText``;
    ``read_texts`` fills them in, for as many pages at once as the caller has.
    """
    baseline = _blank_ratios(template, blank, dpi)
    reads: dict[str, FieldRead] = {}
    pending: list[PendingText] = []

    for spec in template.fields:
        crop = cut(aligned, spec.box_mm, dpi, margin_mm=CROP_MARGIN_MM)
        if spec.kind in MARK_KINDS:
            evidence = ""
            if spec.kind == FieldKind.CHECKBOX:
                # Pixelwise against the blank, the box laid onto its print first: thicker
                # scanned lines are not ticks, nor is a printed square a little off.
                shift = marks.local_shift_mm(
                    aligned, blank, spec.box_mm.inset(-marks.AROUND_MM), dpi
                )
                judged = marks.judge_checkbox(
                    *marks.checkbox_ratios(aligned, spec.box_mm, dpi, blank, shift_mm=shift)
                )
                if shift != (0.0, 0.0):
                    evidence = f" shift={shift[0]:+.2f},{shift[1]:+.2f}mm"
            else:
                ratio = max(0.0, _ink_ratio(aligned, spec, dpi) - baseline.get(spec.name, 0.0))
                judged = marks.judge(ratio, _THRESHOLDS[FieldKind(spec.kind)])
            ratio = judged.ink_ratio
            status = FieldStatus.OK if judged.certain else FieldStatus.LOW_CONFIDENCE
            reason = (
                None if judged.certain else f"記入の有無が判別しにくい（インク比率 {ratio:.3f}）"
            )
            reads[spec.name] = _make(
                spec,
                template,
                "true" if judged.present else "false",
                f"ink={ratio:.4f}{evidence}",
                judged.confidence,
                status,
                reason,
                crop,
                page_index,
            )
            continue
        cleaned = clean_text_crop(cut(aligned, spec.box_mm, dpi), dpi, glyph_cells=bool(spec.cells))
        if cleaned.ink_ratio < EMPTY_INK_RATIO:
            reads[spec.name] = _make(
                spec,
                template,
                None,
                "",
                1.0,
                FieldStatus.MISSING,
                "未記入" if spec.required else None,
                crop,
                page_index,
            )
            continue
        reads[spec.name] = _make(
            spec, template, None, "", 0.0, FieldStatus.LOW_CONFIDENCE, None, crop, page_index
        )
        pending.append(PendingText(reads[spec.name], spec, cleaned))
    return [reads[spec.name] for spec in template.fields], pending


def read_texts(pending: list[PendingText], thresholds: Thresholds, *, ocr_cmd: str) -> None:
    """OCR every pending text field, one tesseract process per OCR setting for the lot.

    Starting tesseract (loading the jpn model) costs far more than reading a
    line, so the caller passes every page of an envelope at once.
    """
    first: dict[int, LineRead] = {}
    for request, items in _by_request(pending).items():
        lines = read_lines([ocr_input(i.cleaned) for i in items], request, cmd=ocr_cmd)
        for item, line in zip(items, lines, strict=True):
            _apply_text(item.read, item.spec, line, thresholds, item.cleaned)
            first[id(item)] = line
    _allow_for_drift(pending, first, thresholds)
    for item in pending:
        item.read.judge = CandidateJudge(item, thresholds)
    unsure = [
        i for i in pending if i.read.status in (FieldStatus.LOW_CONFIDENCE, FieldStatus.INVALID)
    ]
    if unsure and thresholds.verify_fonts:
        for request, items in _by_request(unsure).items():
            _second_look(items, request, thresholds, ocr_cmd)
        for item in unsure:
            if item.read.status not in CONFIDENT and is_digit_field(item.request.whitelist):
                _repair_zeros(item, thresholds)


# A page whose typed values all sit off the print by the same amount was aligned
# that much off (the homography's residual): placement is judged against the page's
# own typed values. Measured from at least this many values that re-draw surely.
DRIFT_MIN_FIELDS = 3
DRIFT_RANGE_MM = (0.1, 2.0)  # smaller is noise; larger is an alignment failure


# A value from another source must re-draw on a crop this much better than what
# Tesseract read there (one wrong character of ten moves the score about 0.05)...
CANDIDATE_MARGIN = 0.03
# ...or, where the worst window can't tell (北斗 / 北キ differ in one stroke), about as
# well at its worst and with a mean distance this much smaller, within twice the
# consensus distance.
CANDIDATE_MEAN_SHARE = 0.6
CANDIDATE_WORST_SLACK = 1 / 64  # one step of the worst-window score
# ...or, where both whole-line scores tie (智 / 留 at 200 dpi), within the consensus
# distance and clearly better where the two differ (``verify.contrast``): by at least
# this mean distance in some window (a fifth of a pixel at the 64-px height; the
# corpus's right candidates gain 0.003-0.14, wrong ones 0), losing at most this
# share of that gain elsewhere.
CONTRAST_MIN_GAIN = 0.0015
CONTRAST_MAX_LOSS_SHARE = 0.5


@dataclass
class CandidateJudge:
    """Whether a value from elsewhere (the register, the other form) is what a crop shows."""

    item: PendingText
    thresholds: Thresholds

    def better(self, text: str) -> FieldRead | None:
        """The field as ``text`` when it re-draws on the crop within ``consensus_max_score``,
        clearly better than the reading, and sits where the form prints; else None."""
        trial = self._trial(text)
        if trial is None or trial.verify_score is None:  # (``_trial`` re-drew it)
            return None
        own, own_mean = self.item.read.verify_score, self.item.read.verify_mean
        limit = self.thresholds.consensus_max_score
        if own is None or own_mean is None:
            shown = trial.verify_score <= limit and self._beats_other_digits(trial)
            return trial if shown else None
        if trial.verify_score <= limit and trial.verify_score <= own - CANDIDATE_MARGIN:
            return trial
        clearer = (
            trial.verify_mean is not None
            and trial.verify_mean <= CANDIDATE_MEAN_SHARE * own_mean
            and trial.verify_score <= own + CANDIDATE_WORST_SLACK
            and trial.verify_score <= 2 * limit
        )
        if clearer:
            return trial
        shown = trial.verify_score <= limit and _shown_over(
            self.item,
            [_printed(self.item.spec, self.item.read)],
            _printed(self.item.spec, trial),
            self.thresholds,
        )
        return trial if shown else None

    def _trial(self, text: str, *, within: float | None = None) -> FieldRead | None:
        """The field read as ``text`` on its crop when that re-draws (within ``within``)
        and sits where the form prints; else None."""
        trial = _reading_as(self.item, LineRead(text, 0.0), self.thresholds)
        if trial.value is None or trial.verify_score is None or not trial.placement_fits:
            return None
        return trial if within is None or trial.verify_score <= within else None

    def _beats_other_digits(self, trial: FieldRead) -> bool:
        """With no reading to contrast ``trial`` with, each of its digits must look like
        itself rather than any other digit (a date or number one digit off re-draws
        within the consensus distance)."""
        printed = _printed(self.item.spec, trial)
        rivals = [
            printed[:i] + digit + printed[i + 1 :]
            for i, ch in enumerate(printed)
            if ch.isdigit()
            for digit in "0123456789"
            if digit != ch
        ]
        return _shown_over(self.item, rivals, printed, self.thresholds)

    def shows(self, text: str, over: str, *, within: float) -> FieldRead | None:
        """The field as ``text`` when the crop shows it rather than ``over`` where the two
        differ (``verify.contrast``), and it re-draws within ``within`` and sits where the
        form prints; else None."""
        trial = self._trial(text, within=within)
        if trial is None:
            return None
        shown = _shown_over(self.item, [over], _printed(self.item.spec, trial), self.thresholds)
        return trial if shown else None

    def settles(self, read: FieldRead) -> bool:
        """The reading re-draws well enough to lend its value to another crop, where it must
        then re-draw clearly better than what was read there (``better``)."""
        score = read.verify_score
        return (
            read.placement_fits
            and score is not None
            and score <= 2 * self.thresholds.consensus_max_score
        )


def _reading_as(item: PendingText, line: LineRead, thresholds: Thresholds) -> FieldRead:
    """A copy of the field read as ``line`` on its own crop (the field itself unchanged)."""
    trial = FieldRead(**{**item.read.__dict__})
    _apply_text(trial, item.spec, line, thresholds, item.cleaned, item.drift_mm)
    return trial


def _allow_for_drift(
    pending: list[PendingText], first: dict[int, LineRead], thresholds: Thresholds
) -> None:
    pages: dict[int, list[PendingText]] = defaultdict(list)
    for item in pending:
        pages[item.page].append(item)
    for items in pages.values():
        sure = [
            i.read.placement
            for i in items
            if i.read.placement is not None
            and i.read.verify_score is not None
            and i.read.verify_score <= thresholds.verify_max_score
        ]
        if len(sure) < DRIFT_MIN_FIELDS:
            continue
        dx = float(np.median([p.anchor_mm for p in sure]))
        dy = float(np.median([(p.top_mm + p.bottom_mm) / 2 for p in sure]))
        if not DRIFT_RANGE_MM[0] <= max(abs(dx), abs(dy)) <= DRIFT_RANGE_MM[1]:
            continue
        for item in items:
            item.drift_mm = (dx, dy)
            placed = item.read.placement
            # Re-judge (and re-draw) only what the drift turns into a fit.
            if placed is not None and not placed.fits and placed.shifted(dx, dy).fits:
                _apply_text(
                    item.read, item.spec, first[id(item)], thresholds, item.cleaned, item.drift_mm
                )


def _by_request(items: list[PendingText]) -> dict[OcrRequest, list[PendingText]]:
    groups: dict[OcrRequest, list[PendingText]] = defaultdict(list)
    for item in items:
        groups[item.request].append(item)
    return groups


# More readings of an unsure field from other renditions of the crop (the grey
# crop at 300 dpi, the binarised one). When two of the three readings give the
# same value, that reading re-draws reasonably well (``consensus_max_score``)
# and sits where the form prints it, the value is confirmed ("second_reading");
# errors of different renditions rarely coincide.
SECOND_READING = "second_reading"
# In the local part of an e-mail address (before @) nothing tells l from 1 or O
# from 0 where digits are likely (beside a digit, at the end: "ccpro1"), and the
# re-drawing check can't either at scan resolution: staff look.
_LOOK_ALIKE_IN_EMAIL = re.compile(r"[l1I](?=\d|$)|(?<=\d)[l1I]|[IO]|(?<=[a-z])0|0(?=[a-z])")


def email_has_look_alikes(value: str) -> bool:
    return bool(_LOOK_ALIKE_IN_EMAIL.search(value.split("@", 1)[0]))


def _second_look(
    items: list[PendingText], request: OcrRequest, thresholds: Thresholds, ocr_cmd: str
) -> None:
    """Read unsure fields twice more (grey at 300 dpi, binarised): two agreeing readings of
    three confirm a value that also re-draws and sits right; else keep the best reading.
    The third reading is made only for fields the second did not settle (each crop is
    its own page to tesseract, so splitting the call changes no reading)."""
    second = read_lines([_second_input(i.cleaned) for i in items], request, cmd=ocr_cmd)
    others: list[list[FieldRead]] = []
    agreed_by: list[FieldRead | None] = []
    for item, line in zip(items, second, strict=True):
        others.append([_reading_as(item, line, thresholds)])
        agreed_by.append(_agreed_reading(item.spec, [item.read, *others[-1]], thresholds))
    undecided = [k for k, agreed in enumerate(agreed_by) if agreed is None]
    third = read_lines([items[k].cleaned.image for k in undecided], request, cmd=ocr_cmd)
    for k, line in zip(undecided, third, strict=True):
        others[k].append(_reading_as(items[k], line, thresholds))
        agreed_by[k] = _agreed_reading(items[k].spec, [items[k].read, *others[k]], thresholds)
    for k, item in enumerate(items):
        current, spec, agreed = item.read, item.spec, agreed_by[k]
        # Deciding dates and periods have the register or the other form to check an
        # agreement against (crosscheck, attested); informational ones have nothing.
        if agreed is not None and not spec.decides and is_digit_field(item.request.whitelist):
            tie = _zero_tie(item, agreed, thresholds)
            if tie is not None:
                agreed = None
                current.alternatives = (tie,)
        current.second_agrees = agreed is not None
        if agreed is not None:
            if agreed is not current:
                current.__dict__.update(agreed.__dict__)
            current.confirm(SECOND_READING)
            current.second_agrees = True
            continue
        for candidate in others[k]:
            better_status = candidate.status == FieldStatus.OK and current.status != FieldStatus.OK
            if better_status or (
                candidate.value is not None and candidate.confidence > current.confidence
            ):
                current.__dict__.update(candidate.__dict__)


def _agreed_reading(
    spec: FieldSpec, readings: list[FieldRead], thresholds: Thresholds
) -> FieldRead | None:
    """The first reading whose value another reading repeats, when agreement is evidence here
    and the reading re-draws within ``consensus_max_score`` and sits where the form prints."""
    for i, read in enumerate(readings):
        if read.value is None or not _agreement_counts(spec, read.value):
            continue
        if not any(other.value == read.value for other in readings[i + 1 :]):
            continue
        if (
            read.placement_fits
            and read.verify_score is not None
            and read.verify_score <= thresholds.consensus_max_score
        ):
            return read
    return None


# A repaired digit string (see ``zeros``) must re-draw this much better than any
# other candidate: one wrong digit of ten moves the score by about 0.05.
ZERO_MARGIN = 0.03
REDRAWN = "redrawn"
# Confirmations the machine drew from the crop alone: a source outside it (the
# register, the other form) that disagrees undoes them.
FROM_THE_CROP = (SECOND_READING, REDRAWN)


def _repair_zeros(item: PendingText, thresholds: Thresholds) -> None:
    """Undo slashed-zero slips in an unsure digit reading when one candidate clearly re-draws
    best (by ``ZERO_MARGIN`` at its worst window or, where that ties, where the candidates
    differ), within ``consensus_max_score``, and sits where the form prints."""
    current = item.read
    raw = current.raw_text
    best: dict[str, FieldRead] = {}
    for text in (raw, *zero_candidates(raw)):
        trial = _reading_as(item, LineRead(text, 0.0), thresholds)
        if trial.value is None or trial.verify_score is None:
            continue
        if trial.value not in best or trial.verify_score < (best[trial.value].verify_score or 0):
            best[trial.value] = trial
    ranked = sorted(best.values(), key=lambda r: r.verify_score or 0.0)
    current.alternatives = tuple(
        r.value
        for r in ranked
        if r.value is not None and r.value != current.value and r.placement_fits
    )
    if not ranked:
        return
    top = ranked[0]
    score = top.verify_score or 0.0
    rivals = [r for r in ranked[1:] if (r.verify_score or 0.0) - score < ZERO_MARGIN]
    if rivals:
        # 2016 and 2010 re-draw alike at their worst window: look where they differ.
        tied = [top, *(r for r in rivals if r.placement_fits)]
        top = _contrast_winner(item, tied, thresholds) if len(tied) > 1 else None
    if top is None or top.value == current.value:
        return
    if top.placement_fits and (top.verify_score or 0.0) <= thresholds.consensus_max_score:
        alternatives = tuple(
            v for v in (current.value, *current.alternatives) if v and v != top.value
        )
        current.__dict__.update(top.__dict__)
        current.raw_text = raw
        current.alternatives = alternatives
        current.confirm(REDRAWN)


def _contrast_winner(
    item: PendingText, tied: list[FieldRead], thresholds: Thresholds
) -> FieldRead | None:
    """The one of ``tied`` the crop shows rather than each of the others where they
    differ (``verify.contrast``), if there is one."""
    for winner in tied:
        losers = [_printed(item.spec, r) for r in tied if r is not winner]
        if _shown_over(item, losers, _printed(item.spec, winner), thresholds):
            return winner
    return None


def _shown_over(item: PendingText, losers: list[str], winner: str, thresholds: Thresholds) -> bool:
    """The crop shows ``winner`` rather than each of ``losers`` (printed texts) where they
    differ; the crop and ``winner`` are drawn once for all."""
    if not losers:
        return True
    found = contrasts(
        255 - item.cleaned.image,
        losers,
        winner,
        thresholds.verify_fonts,
        **_spacing(item.spec),
    )
    return found is not None and all(_decisive(c) for c in found)


def _decisive(found: Contrast) -> bool:
    return found.gain >= CONTRAST_MIN_GAIN and found.loss <= CONTRAST_MAX_LOSS_SHARE * found.gain


def _zero_tie(item: PendingText, agreed: FieldRead, thresholds: Thresholds) -> str | None:
    """A value the ink re-draws as about as well as the agreed one once a 6, 8 or 9 of it
    is taken for a slashed zero: renditions agreeing on such a digit may share one slip."""
    if not any(ch in ZERO_LOOK_ALIKES for ch in agreed.raw_text) or agreed.verify_score is None:
        return None
    for text in zero_candidates(agreed.raw_text):
        trial = _reading_as(item, LineRead(text, 0.0), thresholds)
        if (
            trial.value is not None
            and trial.value != agreed.value
            and trial.placement_fits
            and trial.verify_score is not None
            and trial.verify_score <= agreed.verify_score + ZERO_MARGIN
        ):
            return trial.value
    return None


SECOND_SCALE = 1.5  # the grey crop again, at 300 dpi: different enough to err differently


def _second_input(cleaned: CleanCrop) -> np.ndarray:
    if cleaned.ocr_image is None:
        return cleaned.image
    return cv2.resize(
        cleaned.ocr_image, None, fx=SECOND_SCALE, fy=SECOND_SCALE, interpolation=cv2.INTER_CUBIC
    )


def _agreement_counts(spec: FieldSpec, value: str) -> bool:
    """Whether two readings agreeing is evidence for this field's value.

    Not for e-mail addresses (l/1 and O/0 look alike in both inputs) nor for
    digits inside free Japanese text (both readings share the jpn model's digit
    slips: 080 read as 680 twice); the corpus showed agreeing errors only there.
    """
    if spec.validator == "email":
        return False
    return not (is_free_text(spec) and any(ch.isdigit() for ch in value))


def is_free_text(spec: FieldSpec) -> bool:
    """Read by the jpn model with no character list: names, organisations, addresses."""
    return spec.ocr is None or spec.ocr.whitelist is None


def _spacing(spec: FieldSpec) -> dict[str, bool]:
    """How ``verify`` collapses the gaps of this field's crop and re-drawings (the score
    and the contrast must see the same images)."""
    return {"cells": bool(spec.cells), "words": _typed_in_words(spec)}


def _typed_in_words(spec: FieldSpec) -> bool:
    """The work-history table's cells (organisations, departments, qualification and
    training names): typed with spaces between words (COPC CX規格 コーディネーター研修),
    compared with the spaces collapsed (``verify.WORD_GAP_EM``). Not free text lines such
    as personal names: collapsing their gaps let one-stroke kanji slips (庄司智子 /
    庄司留子) re-draw as well as the truth on the corpus."""
    return spec.kind == FieldKind.TABLE_CELL and is_free_text(spec)


def ocr_input(cleaned: CleanCrop) -> np.ndarray:
    """What the first OCR pass reads: the grey crop, else the binarised one."""
    return cleaned.ocr_image if cleaned.ocr_image is not None else cleaned.image


def _apply_text(
    read: FieldRead,
    spec: FieldSpec,
    line: LineRead,
    thresholds: Thresholds,
    cleaned: CleanCrop,
    drift_mm: tuple[float, float] = (0.0, 0.0),
) -> None:
    read.raw_text = line.text
    read.value = None  # a copy being re-read must not keep the earlier value (or reason)
    read.reason = None
    read.confidence = 0.0
    read.verify_score = None
    read.verify_mean = None
    read.placement = None
    read.placement_fits = False
    if not line.text.strip():
        read.status = FieldStatus.LOW_CONFIDENCE
        read.reason = "記入はあるが文字として読み取れません（手書きの可能性）"
        return
    try:
        read.value = normalize(spec.validator, line.text)
    except FieldInvalid as e:
        read.status = FieldStatus.INVALID
        read.reason = str(e)
        return
    # Tesseract's own word confidences say little on Japanese lines; re-drawing the
    # reading in the standard fonts and comparing it with the ink says much more.
    printed = _printed(spec, read)
    check, placement = _redraw(cleaned, printed, spec, thresholds.verify_fonts)
    if check is None:
        read.confidence = min(line.confidence, thresholds.ok_confidence - 0.01)
    else:
        read.confidence = thresholds.confidence_of(check.score)
        read.verify_score = check.score
        read.verify_mean = check.mean
    read.placement = placement
    # Where the form prints it, or where this page's typed values all sit (its drift).
    read.placement_fits = placement is not None and (
        placement.fits or (drift_mm != (0.0, 0.0) and placement.shifted(*drift_mm).fits)
    )
    if (
        placement is not None
        and not read.placement_fits
        and read.confidence >= thresholds.ok_confidence
    ):
        read.status = FieldStatus.LOW_CONFIDENCE
        read.reason = (
            "文字の位置・大きさがPC入力の印字と異なります（手書きの可能性; "
            f"ずれ {placement.worst():.1f} mm）"
        )
        read.confidence = min(read.confidence, thresholds.ok_confidence - 0.01)
    elif spec.validator == "email" and email_has_look_alikes(read.value):
        read.status = FieldStatus.LOW_CONFIDENCE
        read.reason = "メールアドレスに l と 1、O と 0 のような見分けにくい文字が含まれています"
        read.confidence = min(read.confidence, thresholds.ok_confidence - 0.01)
    elif read.confidence >= thresholds.ok_confidence:
        read.status = FieldStatus.OK
    else:
        read.status = FieldStatus.LOW_CONFIDENCE
        read.reason = f"読み取り結果と記入内容が一致しきらない（確信度 {read.confidence:.2f}）。手書きか誤読の可能性"


def _redraw(
    cleaned: CleanCrop, printed: str, spec: FieldSpec, fonts: tuple[str, ...]
) -> tuple[Verification | None, Placement | None]:
    """``printed`` re-drawn on the crop and placed as the form prints it (None, None without
    fonts or ink), remembered on the crop: renditions and candidates often repeat a text."""
    if not fonts:
        return None, None
    key = (printed, fonts)  # one crop, one field: its spacing is fixed
    if key not in cleaned.redrawn:
        best: tuple[Verification | None, str] = (None, printed)
        for text in _print_widths(spec, printed):
            check = compare(255 - cleaned.image, text, fonts, **_spacing(spec))
            if check is not None and (best[0] is None or check.score < best[0].score):
                best = (check, text)
        check, text = best
        placement = (
            check_placement(
                cleaned.image, text, spec, fonts, px_per_mm=cleaned.px_per_mm, pad=cleaned.pad
            )
            if check is not None
            else None
        )
        cleaned.redrawn[key] = (check, placement)
    return cleaned.redrawn[key]


# Japanese typing puts full-width parentheses round a note (情報処理技術者試験
# （ITストラテジスト）); Tesseract reads them as ASCII, and drawn half as wide they push
# the rest of the line off its ink. Either width is the same value once normalised.
_FULL_WIDTH_PARENTHESES = str.maketrans({"(": "（", ")": "）"})


def _print_widths(spec: FieldSpec, printed: str) -> list[str]:
    """``printed`` as read and, on a Japanese line, with full-width parentheses."""
    if spec.ocr is None or not spec.ocr.lang.startswith("jpn"):
        return [printed]
    return list(dict.fromkeys([printed, printed.translate(_FULL_WIDTH_PARENTHESES)]))


def _printed(spec: FieldSpec, read: FieldRead) -> str:
    """What the form would print for ``read``: the text read, or for a pass number its
    digits (a hyphen read off a dashed cell separator is no print of the applicant's)."""
    return str(read.value) if spec.validator == "pass_number" else read.raw_text


def _make(
    spec: FieldSpec,
    template: FormTemplate,
    value: str | None,
    raw: str,
    confidence: float,
    status: FieldStatus,
    reason: str | None,
    crop: np.ndarray,
    page_index: int | None,
) -> FieldRead:
    return FieldRead(
        form_code=template.form_code,
        form_page=template.page,
        name=spec.name,
        label_ja=spec.label_ja,
        kind=str(spec.kind),
        decides=spec.decides,
        required=spec.required,
        row=spec.row,
        group=spec.group,
        value=value,
        raw_text=raw,
        confidence=confidence,
        status=status,
        reason=reason,
        page_index=page_index,
        crop=crop,
    )
