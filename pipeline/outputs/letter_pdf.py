"""A letter as an A4 page a person can fold into a window envelope and mail.

The layout of a Japanese business letter (横書き):

* top right: the application and pass numbers, then the date in 和暦;
* top left, inside the envelope window: 〒, address, and the name with 様;
* right of the window: the association and the department writing;
* the 件名, centred; the body (拝啓 … 敬具, 記 … 以上);
* at the foot of every page: how to ask a question (by e-mail, as the manual
  says), and the page number when a letter runs over a page.

The window is the settings' ``envelope_window_mm`` (default: the common
長形3号 window, 90 × 45 mm, 23 mm from the envelope's left edge and 13 mm from
its top) inset by ``envelope_window_clearance_mm``; the A4 sheet is folded in
three (marks at 99 and 198 mm on the left edge) with its top panel, address
outwards, against the envelope's top-left corner. Nothing else is printed in
the window's area.

A letter is planned completely before anything is drawn (:func:`plan_letter`):
a text that does not fit its box raises
:class:`~pipeline.outputs.typeset.TextDoesNotFit` and nothing of that letter
reaches the PDF.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from pipeline.config import Settings
from pipeline.outputs.association import Association, association
from pipeline.outputs.fonts import Faces, faces
from pipeline.outputs.layouts import LetterLayout, letter_layout
from pipeline.outputs.letter_text import SUBJECT_PREFIX
from pipeline.outputs.typeset import (
    MM,
    Align,
    Box,
    Line,
    Page,
    TextDoesNotFit,
    fit_line,
    line_pitch,
    wrap,
    wrap_at_spaces,
)
from pipeline.outputs.wareki import era_date

_LIST_MARK = re.compile(r"^(\d+[．.]|[・①-⑳]|　{2,})")
_RIGHT = ("敬具", "以上")
_CENTRE = ("記",)
_FOLD_MARK_GREY = Color(0.55, 0.55, 0.55)


@dataclass(frozen=True)
class Recipient:
    postcode: str  # 100-0005
    address: str
    name: str


@dataclass(frozen=True)
class LetterDocument:
    """Everything a letter prints (the text: 件名 line and body, as composed)."""

    kind: str
    recipient: Recipient
    dated: date
    references: tuple[tuple[str, str], ...]  # (label, value), e.g. ("申請番号", "4")
    text: str


def window_box(settings: Settings) -> Box:
    """Where the recipient's block may print, in mm on the sheet."""
    left, top, width, height = settings.envelope_window_mm
    return Box(left, top, width, height).inset(settings.envelope_window_clearance_mm)


@dataclass
class PlannedPage:
    lines: list[Line] = field(default_factory=list)


@dataclass
class PlannedLetter:
    pages: list[PlannedPage]
    title: str


def _sizes(start: float, stop: float) -> list[float]:
    out, current = [], start
    while current >= stop - 1e-9:
        out.append(current)
        current -= 0.5
    return out


def _recipient(r: Recipient, box: Box, layout: LetterLayout, f: Faces) -> list[Line]:
    style = layout.recipient
    name_text = f"{r.name} 様"
    for size in _sizes(style.address_size, style.min_size):
        address = wrap_at_spaces(r.address, f.mincho, size, box.width)
        postcode_size = min(style.postcode_size, size)
        indent = size / MM  # the name sits one character in, as on a handwritten envelope
        name_size = fit_line(
            name_text, f.mincho, box.width - indent, size=style.name_size, min_size=size
        )
        names = [name_text] if name_size else wrap(name_text, f.mincho, size, box.width - indent)
        name_size = name_size or size
        pitch = line_pitch(size, style.leading)
        height = (
            line_pitch(postcode_size, style.leading)
            + len(address) * pitch
            + 0.4 * pitch
            + len(names) * line_pitch(name_size, style.leading)
        )
        if height > box.height:
            continue
        top = box.top + (box.height - height) / 2  # centred: the sheet may sit a little off
        lines = [
            Line(
                f"〒{r.postcode}",
                "mincho",
                postcode_size,
                box.left,
                top,
                max_width=box.width,
                what="宛先",
            )
        ]
        top += line_pitch(postcode_size, style.leading)
        for text in address:
            lines.append(
                Line(text, "mincho", size, box.left, top, max_width=box.width, what="宛先の住所")
            )
            top += pitch
        top += 0.4 * pitch
        for text in names:
            lines.append(
                Line(
                    text,
                    "mincho",
                    name_size,
                    box.left + indent,
                    top,
                    max_width=box.width - indent,
                    what="宛名",
                )
            )
            top += line_pitch(name_size, style.leading)
        return lines
    raise TextDoesNotFit(
        "宛先（住所・氏名）",
        f"窓 {box.width:.0f} × {box.height:.0f} mm、{style.min_size} pt でも入りません",
    )


def _header(
    doc: LetterDocument, settings: Settings, layout: LetterLayout, f: Faces, who: Association
) -> tuple[list[Line], float]:
    """References, date, sender and recipient; and how far down they (or the window) reach."""
    window = window_box(settings)
    right = layout.right
    free_left = (
        settings.envelope_window_mm[0]
        + settings.envelope_window_mm[2]
        + layout.sender.gap_from_window
    )
    lines: list[Line] = []
    refs = layout.references
    top = refs.top
    for text in [f"{label}　{value}" for label, value in doc.references] + [era_date(doc.dated)]:
        lines.append(
            Line(
                text, "mincho", refs.size, right, top, "right", right - free_left, "参照番号・日付"
            )
        )
        top += line_pitch(refs.size, refs.leading)
    sender = layout.sender
    top = max(sender.top, top + 2)
    for part in (who.name, who.department):
        for text in wrap_at_spaces(part, f.mincho, sender.size, right - free_left):
            lines.append(
                Line(text, "mincho", sender.size, right, top, "right", right - free_left, "差出人")
            )
            top += line_pitch(sender.size, sender.leading)
    lines.extend(_recipient(doc.recipient, window, layout, f))
    window_bottom = settings.envelope_window_mm[1] + settings.envelope_window_mm[3]
    return lines, max(top, window_bottom)


def _subject(
    text: str, layout: LetterLayout, f: Faces, *, below: float
) -> tuple[list[Line], float]:
    """The 件名, centred, at its place or lower when the window or the sender reach it."""
    style = layout.subject
    centre = layout.margins.left + layout.text_width / 2
    size = fit_line(text, f.gothic, layout.text_width, size=style.size, min_size=style.min_size)
    rows = [text] if size else wrap(text, f.gothic, style.min_size, layout.text_width)
    size = size or style.min_size
    top, lines = max(style.top, below + 6), []
    for row in rows:
        lines.append(Line(row, "gothic", size, centre, top, "center", layout.text_width, "件名"))
        top += line_pitch(size, 1.4)
    return lines, top


def _paragraph(
    text: str, layout: LetterLayout, f: Faces, inset: float = 0.0
) -> list[tuple[str, str, Align, float]]:
    """(line, face, align, indent mm) of one source line of the body, ``inset`` mm in."""
    size, width, centre = (
        layout.body.size,
        layout.text_width,
        layout.margins.left + layout.text_width / 2,
    )
    stripped = text.strip()
    if stripped in _RIGHT:
        return [(stripped, "mincho", "right", 0.0)]
    if stripped in _CENTRE:
        return [(stripped, "mincho", "center", centre - layout.margins.left)]
    face = "gothic" if text.startswith("【") else "mincho"
    mark = _LIST_MARK.match(text)
    hanging = f.of(face).width(mark.group(1), size) / MM if mark else 0.0
    rows = wrap(text, f.of(face), size, width - inset, hanging)
    return [(row, face, "left", inset + (0.0 if i == 0 else hanging)) for i, row in enumerate(rows)]


def _footer(who: Association, layout: LetterLayout, number: int, pages: int) -> list[Line]:
    style = layout.footer
    top = layout.body_bottom + 3
    left, right = layout.margins.left, layout.right
    lines = [
        Line(
            f"お問い合わせは電子メールでお願いいたします　E-Mail: {who.contact_email}",
            "mincho",
            style.size,
            left,
            top,
            max_width=layout.text_width,
            what="問い合わせ先",
        ),
        Line(
            f"{who.name}　{who.department}",
            "mincho",
            style.size,
            left,
            top + line_pitch(style.size, style.leading),
            max_width=layout.text_width,
            what="問い合わせ先",
        ),
    ]
    if pages > 1:
        lines.append(
            Line(f"{number}/{pages}", "mincho", style.size, right, top, "right", 20, "ページ番号")
        )
    return lines


def plan_letter(doc: LetterDocument, settings: Settings) -> PlannedLetter:
    """Every line of the letter in place, or :class:`TextDoesNotFit`."""
    layout, f, who = letter_layout(), faces(settings), association()
    for text in (doc.recipient.name, doc.recipient.address, doc.text):
        f.mincho.check(text)
    first, _, rest = doc.text.partition("\n")
    subject = first.removeprefix(SUBJECT_PREFIX).strip()
    header, header_bottom = _header(doc, settings, layout, f, who)
    pages = [PlannedPage(header)]
    subject_lines, after_subject = _subject(subject, layout, f, below=header_bottom)
    pages[0].lines.extend(subject_lines)
    body = layout.body
    pitch = line_pitch(body.size, body.leading)
    top = max(body.top, after_subject + 6)
    particulars = False  # between 記 and 以上 the items stand one character in
    for source in rest.strip("\n").split("\n"):
        if not source.strip():
            top += pitch * body.blank_line
            continue
        inset = body.size / MM if particulars and source.strip() not in _RIGHT else 0.0
        particulars = (particulars or source.strip() in _CENTRE) and source.strip() not in _RIGHT
        for text, face, align, indent in _paragraph(source, layout, f, inset):
            if top + pitch > layout.body_bottom:
                pages.append(PlannedPage())
                top = layout.continuation.top
            x = layout.right if align == "right" else layout.margins.left + indent
            width = layout.text_width - (indent if align == "left" else 0)
            pages[-1].lines.append(Line(text, face, body.size, x, top, align, width))
            top += pitch
    for number, page in enumerate(pages, start=1):
        page.lines.extend(_footer(who, layout, number, len(pages)))
        if number > 1:
            page.lines.append(
                Line(
                    f"{doc.recipient.name} 様（{doc.references[0][0]} {doc.references[0][1]}）",
                    "mincho",
                    layout.footer.size,
                    layout.margins.left,
                    layout.continuation.top - 10,
                    max_width=layout.text_width,
                    what="宛名",
                )
            )
    return PlannedLetter(pages, subject)


def draw_letter(canvas: Canvas, planned: PlannedLetter, settings: Settings) -> None:
    """Draw a planned letter, one page after the other (each ends with ``showPage``)."""
    layout, f = letter_layout(), faces(settings)
    for page_plan in planned.pages:
        page = Page(canvas)
        canvas.setStrokeColor(_FOLD_MARK_GREY)
        for y in layout.fold_marks:
            page.rule(0, y, 5, y, width=0.4)
        canvas.setStrokeColor(Color(0, 0, 0))
        page.rule(
            layout.margins.left,
            layout.body_bottom + 1,
            layout.right,
            layout.body_bottom + 1,
            width=0.3,
        )
        for line in page_plan.lines:
            page.line(line, f)
        canvas.showPage()


def new_canvas(buffer: io.BytesIO, title: str, who: Association) -> Canvas:
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(who.name)
    canvas.setCreator("conken-intake")
    return canvas


def letters_pdf(planned: Sequence[PlannedLetter], settings: Settings, *, title: str) -> bytes:
    """One PDF of the planned letters, each starting on a new page."""
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title, association())
    for letter in planned:
        draw_letter(canvas, letter, settings)
    canvas.save()
    return buffer.getvalue()
