"""How regular this capture leaves print: the form's own labels, measured as a field is.

A fax, a dithered copy or a 200-dpi bitonal scan makes typed values wander, swell
and lean as a pen's do, and a page typed whole then scores like one written by
hand. The association printed the form's labels (申請者氏名, 期間（年月）…): they are
print for certain, on the same sheet, through the same scanner. Their median
handwriting score says how irregular print looks on this page, whatever font the
values were typed in; ``handwritten_page`` asks a page's values to be clearly less
regular than that before it judges the page filled in by hand. The labels are
measured where the sheet really is (the local warp) and not taken away as form,
as they are from a field's crop.
"""

from __future__ import annotations

from statistics import median

import numpy as np

from pipeline.extract.crops import clean_text_crop, cut
from pipeline.extract.penmanship import handwriting_score, regularity
from pipeline.forms.schema import FormTemplate, StaticItem
from pipeline.imaging.local import LocalWarp

# Labels at the size values are typed in, on one line, long enough to measure: a
# heading or a note in small grey type is printed unlike any value.
LABEL_PT = (7.5, 11.0)
MIN_CHARACTERS = 3
# Fewer labels measured than this say too little about the capture (a torn or
# mostly blank page): the page is then judged on its values alone.
MIN_LABELS = 5
# More labels than this only cost time (each is measured as a field is, ~15 ms at
# 300 dpi): every other or every third is taken, so they still spread over the page.
MAX_LABELS = 10


def print_score(
    aligned: np.ndarray, template: FormTemplate, dpi: float, local: LocalWarp | None = None
) -> float | None:
    """The median handwriting score of the form's printed labels on ``aligned`` (grey,
    red ink dropped); None when fewer than ``MIN_LABELS`` could be measured."""
    scores = []
    for item in reference_labels(template):
        assert item.box_mm is not None  # reference_labels keeps boxed text only
        box = item.box_mm
        if local is not None:
            dx, dy = local.applied_at(*box.centre)
            box = box._replace(x=box.x + dx, y=box.y + dy)
        gray = cut(aligned, box, dpi)
        if gray.size == 0:
            continue
        found = regularity(clean_text_crop(gray, dpi, for_ocr=False).image, item.text)
        if found is not None:
            scores.append(handwriting_score(found))
    if len(scores) < MIN_LABELS:
        return None
    return float(median(scores))


def reference_labels(template: FormTemplate) -> list[StaticItem]:
    """The template's printed labels that look like a typed value (black, regular
    weight, one line, value-sized), at most ``MAX_LABELS`` spread over the page."""
    labels = [
        item
        for item in template.static
        if item.kind == "text"
        and item.box_mm is not None
        and item.text
        and "\n" not in item.text
        and len(item.text.strip()) >= MIN_CHARACTERS
        and not item.bold
        and item.color == "black"
        and LABEL_PT[0] <= item.size_pt <= LABEL_PT[1]
    ]
    return labels[:: -(-len(labels) // MAX_LABELS) or 1]
