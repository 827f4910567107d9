"""The certificate (認定証) of an approved certification, as an A4 PDF.

Two ways to print, by the ``certificate_stock`` setting:

* ``plain`` (default): the whole certificate on blank A4 — a double frame, the
  title, the certificate number, the holder's name with 殿, the statement, the
  qualification's full Japanese name, the validity in 和暦 with the 西暦 beneath,
  the issue date and the association's name (and signatory, if configured);
* ``preprinted``: only the variable texts (number, name, qualification,
  validity, issue date), at the offsets of the ``preprinted`` section of the
  certificate layout, for the office's pre-printed stock.

Every text sits in its box of the layout; one that does not fit even at its
smallest size refuses the certificate
(:class:`~pipeline.outputs.typeset.TextDoesNotFit`), as does a character no
configured font has (:class:`~pipeline.outputs.fonts.MissingGlyphError`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from pipeline.config import A4_MM, Settings
from pipeline.outputs.association import Association, association
from pipeline.outputs.fonts import faces
from pipeline.outputs.layouts import CertificateLayout, Placed, certificate_layout
from pipeline.outputs.typeset import Box, Line, Page, TextDoesNotFit, fit_paragraphs, line_pitch
from pipeline.outputs.wareki import era_date, western_date

FRAME = Color(0.12, 0.20, 0.38)  # a deep blue for the frame and the title
FIELD_JA = {
    "number": "認定番号",
    "title": "表題",
    "name": "氏名",
    "statement": "認定文",
    "category": "資格の区分",
    "qualification": "資格名",
    "validity_label": "有効期間の見出し",
    "validity": "有効期間",
    "validity_western": "有効期間（西暦）",
    "issued": "発行日",
    "association": "協会名",
    "signatory": "署名者",
}


@dataclass(frozen=True)
class CertificateDocument:
    number: str
    name: str
    qualification: str  # CAP, OMP
    valid_from: date
    valid_to: date
    issued: date


@dataclass(frozen=True)
class PlannedCertificate:
    number: str
    lines: list[Line]
    framed: bool


def certificate_texts(
    doc: CertificateDocument, who: Association, *, preprinted: bool
) -> dict[str, str]:
    """Every text of the certificate by layout field (fixed wording too)."""
    return {
        "number": doc.number if preprinted else f"認定番号　{doc.number}",
        "title": "認定証",
        "name": f"{doc.name}　殿",
        "statement": "あなたは当協会の定める認定基準を満たしたことを認め\n上記の資格の資格者として認定します",
        "category": who.qualification_category(doc.qualification),
        "qualification": who.qualification_name(doc.qualification),
        "validity_label": "有効期間",
        "validity": f"{era_date(doc.valid_from)} から {era_date(doc.valid_to)} まで",
        "validity_western": f"（{western_date(doc.valid_from)} ～ {western_date(doc.valid_to)}）",
        "issued": era_date(doc.issued),
        "association": who.name,
        "signatory": who.certificate_signatory,
    }


def _place(field: str, text: str, spot: Placed, settings: Settings) -> list[Line]:
    f = faces(settings).of(spot.face)
    box = spot.box
    what = FIELD_JA.get(field, field)
    if spot.spacing:  # spaced titles are one line at their size
        return [
            Line(
                text,
                spot.face,
                spot.size,
                _x(box, spot),
                box.top,
                spot.align,
                box.width,
                what,
                spot.spacing,
            )
        ]
    size, rows = fit_paragraphs(
        text.split("\n"),
        f,
        box,
        size=spot.size,
        min_size=spot.min_size or spot.size,
        leading=spot.leading,
        what=what,
    )
    pitch = line_pitch(size, spot.leading)
    return [
        Line(row, spot.face, size, _x(box, spot), box.top + i * pitch, spot.align, box.width, what)
        for i, row in enumerate(rows)
    ]


def _x(box: Box, spot: Placed) -> float:
    return {"left": box.left, "right": box.right, "center": box.left + box.width / 2}[spot.align]


def plan_certificate(doc: CertificateDocument, settings: Settings) -> PlannedCertificate:
    """Every text of the certificate in its box, or :class:`TextDoesNotFit`."""
    layout: CertificateLayout = certificate_layout(settings.certificate_layout_path)
    preprinted = settings.certificate_stock == "preprinted"
    who = association()
    texts = certificate_texts(doc, who, preprinted=preprinted)
    if not texts["qualification"]:
        raise TextDoesNotFit(
            "資格名", f"資格「{doc.qualification}」の正式名称が association.yaml にありません"
        )
    spots = layout.preprinted if preprinted else layout.plain
    lines: list[Line] = []
    for field, spot in spots.items():
        text = texts[field]
        if not text.strip():
            continue  # an optional fixed text (the signatory) left empty
        faces(settings).of(spot.face).check(text)
        lines.extend(_place(field, text, spot, settings))
    return PlannedCertificate(doc.number, lines, framed=not preprinted)


def _frame(page: Page, insets: list[float]) -> None:
    outer, inner = insets
    page.canvas.setStrokeColor(FRAME)
    width, height = A4_MM
    page.rect(Box(outer, outer, width - 2 * outer, height - 2 * outer), width=2.2)
    page.rect(Box(inner, inner, width - 2 * inner, height - 2 * inner), width=0.6)
    for x, y, dx, dy in (
        (inner, inner, 1, 1),
        (width - inner, inner, -1, 1),
        (inner, height - inner, 1, -1),
        (width - inner, height - inner, -1, -1),
    ):  # an L-shaped ornament inside each corner
        page.rule(x + dx * 3, y + dy * 3, x + dx * 13, y + dy * 3, width=1.2)
        page.rule(x + dx * 3, y + dy * 3, x + dx * 3, y + dy * 13, width=1.2)
    page.canvas.setStrokeColor(Color(0, 0, 0))


def draw_certificate(canvas: Canvas, planned: PlannedCertificate, settings: Settings) -> None:
    page = Page(canvas)
    f = faces(settings)
    if planned.framed:
        _frame(page, certificate_layout(settings.certificate_layout_path).border)
    for line in planned.lines:
        canvas.setFillColor(FRAME if line.what == FIELD_JA["title"] else Color(0, 0, 0))
        page.line(line, f)
    canvas.setFillColor(Color(0, 0, 0))
    canvas.showPage()


def certificates_pdf(
    planned: Sequence[PlannedCertificate], settings: Settings, *, title: str
) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(association().name)
    canvas.setCreator("conken-intake")
    for certificate in planned:
        draw_certificate(canvas, certificate, settings)
    canvas.save()
    return buffer.getvalue()
