"""Pages filled in by hand: every text value on them goes to a person.

A person fills a form in by pen or types it whole. Some handwritten values look
regular enough to score under the per-field threshold, and when both engines
then agree they would be ``ok``; the typical field of what one person wrote
does not hide that way. So the median handwriting score of the measured text
fields is taken twice: over each page, and over all the pages one writer fills
in (the template's ``filled_by``: the applicant fills (A), (B) and (D), a
supervisor (C); the association prints the exam result report, never judged so),
which judges a page with too few values of its own, such as
(B) with one row or (D)'s date and name. Where either median reaches
``TextPolicy.handwritten_page_threshold`` and lies at least
``TextPolicy.handwritten_page_margin`` above the score of the form's own print on
those pages (``print_reference``: a fax or a dithered copy makes print irregular
too), each text field with a value on that page is judged handwritten, as
``text_reading.settle`` judges one field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import median
from typing import TypeGuard

from pipeline.extract.page_fields import MARK_KINDS
from pipeline.extract.reading import FieldRead, HandwritingBasis

# Fewer measured fields than this say too little about how a page, or a writer's
# pages, were filled in: two or three short values may all be wobbly prints.
MIN_MEASURED = 5

# Who fills a form in, as staff read it (the template's ``filled_by``).
WRITERS_JA = {"applicant": "申請者が記入する様式", "attester": "上司・監督者が記入する証明"}
# The association prints its exam result report: no page of it is filled in by hand (a
# value on it that looks handwritten still goes to a person by its own score).
PRINTED = frozenset({"association"})


@dataclass(frozen=True)
class WrittenPage:
    """One page's fields, who fills that form in (None: not known) and how its printed
    labels score (``print_reference.print_score``; None: not measured)."""

    fields: list[FieldRead]
    filled_by: str | None = None
    printed: float | None = None


@dataclass(frozen=True)
class PageRule:
    """When the typical value of a page, or of a writer's pages, counts as handwritten."""

    threshold: float
    margin: float = 0.0  # above the print's own score, where that was measured

    def judges_handwritten(self, values: float | None, printed: float | None) -> TypeGuard[float]:
        if values is None or values < self.threshold:
            return False
        return printed is None or values - printed >= self.margin


def page_handwriting(fields: Sequence[FieldRead]) -> float | None:
    """The median handwriting score of the measured text fields; None when too few were
    measured to judge them."""
    scores = [f.handwriting for f in fields if f.handwriting is not None and _is_text(f)]
    if len(scores) < MIN_MEASURED:
        return None
    return float(median(scores))


def hold_handwritten_page(
    fields: Sequence[FieldRead], rule: PageRule, printed: float | None = None
) -> list[FieldRead]:
    """One page's fields, judged on that page alone (a new list; fields are replaced,
    never changed)."""
    return hold_handwritten_writing([WrittenPage(list(fields), printed=printed)], rule)[0]


def hold_handwritten_writing(pages: Sequence[WrittenPage], rule: PageRule) -> list[list[FieldRead]]:
    """One envelope's pages, each page's text fields judged handwritten when the page,
    or all the pages its writer filled in, look filled in by hand."""
    by_writer: dict[str, list[WrittenPage]] = {}
    for page in pages:
        if page.filled_by is not None:
            by_writer.setdefault(page.filled_by, []).append(page)
    # One scan of one envelope: where a page's own labels could not be measured (a
    # dithered copy's few legible ones), the print of the envelope's other pages stands in.
    scanned = _median([p.printed for p in pages])
    writer_score = {w: _pooled(written, scanned) for w, written in by_writer.items()}
    out = []
    for page in pages:
        if page.filled_by in PRINTED:
            out.append(list(page.fields))
            continue
        reason = None
        own = page_handwriting(page.fields)
        pooled, pooled_print = writer_score.get(page.filled_by or "", (None, None))
        printed = page.printed if page.printed is not None else scanned
        if rule.judges_handwritten(own, printed):
            reason, basis = handwritten_page_ja(own, printed), HandwritingBasis.PAGE
        elif rule.judges_handwritten(pooled, pooled_print):
            reason = handwritten_writer_ja(str(page.filled_by), pooled, pooled_print)
            basis = HandwritingBasis.WRITER
        if reason is None:
            out.append(list(page.fields))
            continue
        out.append(
            [
                _by_hand(f, reason, basis) if _written(f) and not f.handwritten else f
                for f in page.fields
            ]
        )
    return out


def _pooled(
    pages: Sequence[WrittenPage], scanned: float | None
) -> tuple[float | None, float | None]:
    """A writer's pages taken together: their values' median score, their print's (the
    envelope's, ``scanned``, where none of theirs was measured)."""
    values = page_handwriting([f for p in pages for f in p.fields])
    printed = _median([p.printed for p in pages])
    return values, printed if printed is not None else scanned


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(median(known)) if known else None


def handwritten_page_ja(score: float, printed: float | None = None) -> str:
    return (
        f"このページは手書きで記入されているようです（手書きらしさの中央値 {score:.2f}"
        f"{_beside_print_ja(printed, '同じページ')}）。読み取り候補を確認してください"
    )


def handwritten_writer_ja(filled_by: str, score: float, printed: float | None = None) -> str:
    who = WRITERS_JA.get(filled_by, "同じ人が記入する様式")
    return (
        f"{who}は全体として手書きで記入されているようです（手書きらしさの中央値 {score:.2f}"
        f"{_beside_print_ja(printed, 'これらの様式')}）。読み取り候補を確認してください"
    )


def _beside_print_ja(printed: float | None, where: str) -> str:
    return "" if printed is None else f"、{where}の印刷された項目名は {printed:.2f}"


def _is_text(read: FieldRead) -> bool:
    # Marks carry no handwriting score today; the kind keeps them out of the judgement
    # even if one ever does.
    return read.kind not in MARK_KINDS


def _written(read: FieldRead) -> bool:
    """A text field something was read in: too short to be measured (a row number, 室長)
    is still written by the same hand as the rest."""
    return _is_text(read) and (read.value is not None or read.handwriting is not None)


def _by_hand(read: FieldRead, reason: str, basis: HandwritingBasis) -> FieldRead:
    """As ``settle`` treats a handwritten field: a value read is held with it proposed;
    nothing valid read keeps its own reason (it already goes to a person)."""
    judged = replace(read, handwritten_by=basis)
    if read.value is None:
        return judged
    return judged.held(reason)
