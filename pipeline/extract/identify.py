"""Which form page is this, which way up, and how does it map onto its template?

Order of evidence: the registration marks (alignment, any rotation), then the
QR code read where the template prints it; if the marks fail, the QR code on
the raw page and a feature-based homography against that form's blank; last,
both engines' reading of the title line, and of the footer's form label where
pages share a title. A page with neither marks nor QR code is an extra page
(a cover letter); a page with marks we cannot identify is unidentified.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np
from rapidfuzz import fuzz

from pipeline.extract.crops import cut
from pipeline.extract.normalize import plain
from pipeline.forms.render import render_blank_page_image
from pipeline.forms.schema import Box, FormTemplate, parse_qr_payload
from pipeline.imaging.align import (
    Alignment,
    AlignmentFailed,
    MarkerLayout,
    align_by_features,
    align_by_markers,
    sanity_problems,
)
from pipeline.ocr.ppocr import read_lines
from pipeline.ocr.tesseract import OcrRequest, read_words
from pipeline.vocabulary import PageKind

log = logging.getLogger(__name__)

TemplateKey = tuple[str, int]


@dataclass(frozen=True)
class PageIdentity:
    kind: PageKind
    template: FormTemplate | None
    alignment: Alignment | None
    identified_by: str | None  # qr / qr_raw / title_ocr
    note: str = ""
    aligned: np.ndarray | None = field(default=None, repr=False, compare=False)  # when warped

    @property
    def key(self) -> TemplateKey | None:
        return self.template.key if self.template else None


def layout_of(template: FormTemplate) -> MarkerLayout:
    markers = {m.id: (m.center_mm[0], m.center_mm[1], m.size_mm) for m in template.markers}
    dictionary = getattr(cv2.aruco, template.aruco_dictionary)
    return MarkerLayout(markers, template.page_size_mm, dictionary)


def decode_qr(image: np.ndarray) -> str | None:
    """Decode one QR code, trying a few cleanups for bitonal and dithered scans."""
    detector = cv2.QRCodeDetector()
    candidates = [image, cv2.medianBlur(image, 3)]
    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    candidates.append(cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1])
    candidates.append(cv2.morphologyEx(image, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)))
    for candidate in candidates:
        try:
            text, _points, _ = detector.detectAndDecode(candidate)
        except cv2.error:
            continue
        if text:
            return text
    return None


def _template_from_qr(
    text: str | None, templates: dict[TemplateKey, FormTemplate]
) -> FormTemplate | None:
    if not text:
        return None
    parsed = parse_qr_payload(text)
    if parsed is None:
        return None
    form_code, page, _version = parsed
    return templates.get((form_code, page))


def _title_match(
    aligned: np.ndarray, dpi: float, templates: dict[TemplateKey, FormTemplate]
) -> FormTemplate | None:
    """The template whose printed title, and where pages share one ((C)), whose printed
    form label in the footer (様式C-2) the page reads as. Both engines read each line; a
    line one engine cannot match is left to the other, and engines that match different
    templates identify nothing."""
    first = next(iter(templates.values()))
    titled = _matched(_printed(aligned, dpi, first.title_box), templates.values(), _title)
    if titled is None:
        return None
    same = [t for t in templates.values() if t.title_ja == titled.title_ja]
    if len(same) == 1:
        return titled
    box = _label_box(titled)
    if box is None:
        return None
    return _matched(_printed(aligned, dpi, box), same, _label)


MIN_PRINTED_MATCH = 80  # a printed line read this alike (rapidfuzz ratio) names its template
# A form page is mostly paper (its print and values cover a tenth or so); a page more than
# half black is a copy or scan too dark to read, which staff should hear as such.
DARK_PAGE_SHARE = 0.5
DARK_LEVEL = 96  # grey levels: black, not a grey background


def _title(template: FormTemplate) -> str:
    return template.title_ja


def _label(template: FormTemplate) -> str:
    return template.form_label


def _printed(aligned: np.ndarray, dpi: float, box: Box) -> list[str]:
    """What each engine reads of one printed line (spacing and width forms aside)."""
    crop = cut(aligned, box, dpi)
    tesseract = "".join(w.text for w in read_words(crop, OcrRequest(lang="jpn", psm=7)))
    ppocr = read_lines([crop])[0].text
    return [text for text in (plain(tesseract), plain(ppocr)) if text]


def _matched(
    readings: list[str],
    candidates: Iterable[FormTemplate],
    printed: Callable[[FormTemplate], str],
) -> FormTemplate | None:
    """The one candidate every reading that matches any names; ties name none."""
    picks: dict[str, FormTemplate] = {}
    pool = list(candidates)
    for text in readings:
        scored = sorted(
            ((fuzz.ratio(text, plain(printed(t))), printed(t), t) for t in pool),
            key=lambda st: -st[0],
        )
        best_score, best_line, best = scored[0]
        tied = any(s == best_score and line != best_line for s, line, _ in scored[1:])
        if best_score >= MIN_PRINTED_MATCH and not tied:
            picks[best_line] = best
    return next(iter(picks.values())) if len(picks) == 1 else None


def _label_box(template: FormTemplate) -> Box | None:
    """Where the footer prints the form's label (様式C-1…), from the template."""
    for item in template.static:
        if item.kind == "text" and item.text == template.form_label and item.box_mm is not None:
            return item.box_mm
    return None


_BLANKS: dict[tuple[str, int, str, int], np.ndarray] = {}


def blank_reference(template: FormTemplate, dpi: int) -> np.ndarray:
    """The blank form rendered at ``dpi`` (cached per process)."""
    key = (template.form_code, template.page, template.version, dpi)
    if key not in _BLANKS:
        _BLANKS[key] = render_blank_page_image(template, dpi)
    return _BLANKS[key]


def identify_page(
    image: np.ndarray,
    source_dpi: float,
    templates: dict[TemplateKey, FormTemplate],
    *,
    work_dpi: int,
    max_residual_mm: float,
) -> PageIdentity:
    """Identify ``image`` among ``templates`` and align it at ``work_dpi``."""
    layouts: dict[tuple[object, ...], tuple[MarkerLayout, list[FormTemplate]]] = {}
    for candidate in templates.values():
        layout = layout_of(candidate)
        signature = (tuple(sorted(layout.markers.items())), layout.page_mm, layout.dictionary)
        layouts.setdefault(signature, (layout, []))[1].append(candidate)

    marker_failure = ""
    for layout, members in layouts.values():
        try:
            alignment = align_by_markers(image, layout, work_dpi)
        except AlignmentFailed as e:
            marker_failure = str(e)
            continue
        problems = sanity_problems(alignment, image.shape, source_dpi)
        if problems:
            marker_failure = "; ".join(problems)
            continue
        aligned = alignment.warp(image, layout.page_mm)
        member_map = {t.key: t for t in members}
        template = _qr_in_template_box(aligned, work_dpi, members, member_map)
        identified_by = "qr"
        if template is None:
            template = _title_match(aligned, work_dpi, member_map)
            identified_by = "title_ocr"
        if template is None:
            return PageIdentity(
                PageKind.UNIDENTIFIED,
                None,
                alignment,
                None,
                "registration marks found, but neither QR code nor title readable",
            )
        return _checked(
            PageIdentity(PageKind.FORM, template, alignment, identified_by, aligned=aligned),
            max_residual_mm,
        )

    # No marks: try the QR code on the raw page, then features against that form's blank.
    raw = _downscaled(image, source_dpi)
    # A scanner may cut the QR code's quiet zone off at the page edge: give it one back.
    margin = max(8, raw.shape[1] // 20)
    raw = cv2.copyMakeBorder(raw, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255)
    template = _template_from_qr(decode_qr(raw), templates)
    if template is None:
        note = (
            f"no registration marks ({marker_failure}) and no QR code"
            if marker_failure
            else "no QR code"
        )
        dark = dark_share(image)
        if dark >= DARK_PAGE_SHARE:
            note += f"; page mostly dark ({dark:.0%} black)"
        return PageIdentity(PageKind.EXTRA, None, None, None, note)
    try:
        alignment = align_by_features(image, blank_reference(template, work_dpi), work_dpi)
    except AlignmentFailed as e:
        return PageIdentity(
            PageKind.UNALIGNED, template, None, "qr_raw", f"marks: {marker_failure}; features: {e}"
        )
    problems = sanity_problems(alignment, image.shape, source_dpi)
    if problems:
        return PageIdentity(PageKind.UNALIGNED, template, alignment, "qr_raw", "; ".join(problems))
    return _checked(
        PageIdentity(PageKind.FORM, template, alignment, "qr_raw", f"marks: {marker_failure}"),
        max_residual_mm,
    )


def _checked(identity: PageIdentity, max_residual_mm: float) -> PageIdentity:
    assert identity.alignment is not None
    if identity.alignment.residual_mm > max_residual_mm:
        return PageIdentity(
            PageKind.UNALIGNED,
            identity.template,
            identity.alignment,
            identity.identified_by,
            f"alignment residual {identity.alignment.residual_mm:.2f} mm exceeds {max_residual_mm} mm",
            aligned=identity.aligned,
        )
    return identity


def _qr_in_template_box(
    aligned: np.ndarray,
    dpi: float,
    members: list[FormTemplate],
    member_map: dict[TemplateKey, FormTemplate],
) -> FormTemplate | None:
    boxes = {t.qr.box_mm for t in members}
    for box in boxes:
        crop = cut(aligned, Box(box.x - 3, box.y - 3, box.w + 6, box.h + 6), dpi)
        found = _template_from_qr(decode_qr(crop), member_map)
        if found is not None:
            return found
    return None


def dark_share(image: np.ndarray) -> float:
    """The share of the page that is black (``DARK_LEVEL`` or darker)."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return float((gray <= DARK_LEVEL).mean()) if gray.size else 0.0


def _downscaled(image: np.ndarray, source_dpi: float, target_dpi: float = 200) -> np.ndarray:
    if source_dpi <= target_dpi:
        return image
    factor = target_dpi / source_dpi
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
