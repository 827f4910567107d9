"""Empty boxes that hold more ink than their neighbours: a circle drawn on the square.

A checkbox is judged by ink beyond the blank's print. A circle drawn tight on the
printed square, on a blurred photograph, lies within the print's own widened edge
and leaves nothing beyond it: the box reads surely empty. The ink is there all the
same, and an empty box holds about as much ink as its empty neighbours on the same
page (same scan, same light, same print): a box judged empty that is much darker
than the page's checkboxes typically are goes to a person. The comparison is within
one page, so it asks nothing about how the page was scanned.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipeline.extract.crops import cut
from pipeline.extract.reading import FieldRead
from pipeline.forms.schema import Box, FieldKind, FormTemplate
from pipeline.vocabulary import FieldStatus

DARK_LOOK_MM = 0.8  # the square and a little around it: where a circle on it lies
DARK_MIN_BOXES = 7  # a page with fewer checkboxes has no typical box to compare with
DARK_FACTOR = 1.5  # this much darker than the page's median box: more than print
DARK_JA = "枠の周りに他の欄より多くのインクがあります（枠に重ねた丸の可能性）"


def darkness(
    page: np.ndarray, blank: np.ndarray, box: Box, dpi: float, shift_mm: tuple[float, float]
) -> float:
    """How much darker than its paper the page is around ``box`` (where it was found),
    against how much the blank prints there."""
    look = box.inset(-DARK_LOOK_MM)
    seen = cut(page, look._replace(x=look.x + shift_mm[0], y=look.y + shift_mm[1]), dpi)
    printed = cut(blank, look, dpi)
    if seen.size == 0 or printed.size == 0:
        return 1.0
    paper = float(np.percentile(seen, 90))
    ink = float(np.clip(paper - seen.astype(np.float32), 0, None).sum())
    print_ink = float((255.0 - printed.astype(np.float32)).sum())
    return ink / print_ink if print_ink > 0 else 1.0


def hold_dark_empties(
    reads: list[FieldRead], page: np.ndarray, blank: np.ndarray, template: FormTemplate, dpi: float
) -> list[FieldRead]:
    """``reads`` with every surely empty checkbox much darker than the page's typical
    checkbox sent to a person (the proposal stays empty)."""
    boxes = {spec.name: spec.box_mm for spec in template.fields if spec.kind == FieldKind.CHECKBOX}
    found = {
        read.name: darkness(page, blank, boxes[read.name], dpi, read.mark.shift_mm)
        for read in reads
        if read.name in boxes and read.mark is not None
    }
    if len(found) < DARK_MIN_BOXES:
        return reads
    typical = float(np.median(list(found.values())))
    out = []
    for read in reads:
        dark = found.get(read.name)
        if (
            dark is not None
            and read.status == FieldStatus.OK
            and read.value == "false"
            and dark >= DARK_FACTOR * typical
        ):
            read = replace(
                read,
                status=FieldStatus.LOW_CONFIDENCE,
                reason=DARK_JA,
                confidence=min(read.confidence, 0.4),
            )
        out.append(read)
    return out
