"""A page filled in by hand: every text value on it goes to a person.

A person fills a whole page in by pen or types it whole. Some handwritten values
look regular enough to score under the per-field threshold, and when both
engines then agree they would be ``ok``; the page's typical field does not
hide that way. So when the median handwriting score of a page's measured text
fields reaches ``TextPolicy.handwritten_page_threshold``, each of its text
fields is judged handwritten, as ``text_reading.settle`` judges one field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from statistics import median

from pipeline.extract.page_fields import MARK_KINDS
from pipeline.extract.reading import FieldRead

# Fewer measured fields than this say too little about how the page was filled in:
# two or three short values may all be wobbly prints.
MIN_MEASURED = 5


def page_handwriting(fields: Sequence[FieldRead]) -> float | None:
    """The median handwriting score of the page's measured text fields; None when too
    few were measured to judge the page."""
    scores = [f.handwriting for f in fields if f.handwriting is not None and _is_text(f)]
    if len(scores) < MIN_MEASURED:
        return None
    return float(median(scores))


def hold_handwritten_page(fields: Sequence[FieldRead], threshold: float) -> list[FieldRead]:
    """One page's fields, each measured text field judged handwritten when the page
    looks filled in by hand (a new list; fields are replaced, never changed)."""
    score = page_handwriting(fields)
    if score is None or score < threshold:
        return list(fields)
    return [_by_hand(f, score) if _measured(f) and not f.handwritten else f for f in fields]


def handwritten_page_ja(score: float) -> str:
    return (
        f"このページは手書きで記入されているようです（手書きらしさの中央値 {score:.2f}）。"
        "読み取り候補を確認してください"
    )


def _is_text(read: FieldRead) -> bool:
    # Marks carry no handwriting score today; the kind keeps them out of the page's
    # judgement even if one ever does.
    return read.kind not in MARK_KINDS


def _measured(read: FieldRead) -> bool:
    return read.handwriting is not None and _is_text(read)


def _by_hand(read: FieldRead, score: float) -> FieldRead:
    """As ``settle`` treats a handwritten field: a value read is held with it proposed;
    nothing valid read keeps its own reason (it already goes to a person)."""
    judged = replace(read, handwritten=True)
    if read.value is None:
        return judged
    return judged.held(handwritten_page_ja(score))
