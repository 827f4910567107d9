"""Fill form pages from a page plan: typed values, handwriting, checks, signatures, seals.

Typed values are drawn as text in the applicant's font family, size and
placement (``typeset``; a record without a typed style keeps the old filler:
IPA Gothic or Mincho at the template's size and place), so the clean PDF's text
layer holds them; handwritten ones imitate a pen (``handwriting``). The exam
result report (R) is the administrator's print and keeps IPA Gothic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from pipeline.forms.fonts import font_for
from pipeline.forms.layout import INSET_MM, MIN_SIZE_PT, ROOM_LESS_MM
from pipeline.forms.render import draw_blank_page, draw_text_in_box
from pipeline.forms.schema import Box, FieldKind, FieldSpec, FormTemplate
from pipeline.forms.typeface import typeface
from pipeline.synth import handwriting as hw
from pipeline.synth.records import ApplicantRecord
from pipeline.synth.typeset import draw_styled, place_line
from pipeline.synth.values import PagePlan

MARK_KINDS = (FieldKind.CHECKBOX, FieldKind.SIGNATURE, FieldKind.SEAL)


@dataclass(frozen=True)
class Writer:
    """How one person fills a form: font, ink, check style."""

    hand_font: str
    ink: tuple[float, float, float]
    check_style: str


def make_writer(rng: random.Random, font_index: int) -> Writer:
    style = rng.choices(["tick", "circle", "cross"], weights=[7, 2, 1])[0]
    return Writer(hw.writer_font(font_index), rng.choice(hw.INKS), style)


def is_handwritten(record: ApplicantRecord, form_code: str, name: str) -> bool:
    """Whether a text value is written by hand (the exam report is always printed)."""
    if form_code == "R":
        return False
    wanted = record.render.handwritten_fields
    return "*" in wanted or f"{form_code}:*" in wanted or f"{form_code}:{name}" in wanted


def draw_typed(c: Canvas, spec: FieldSpec, text: str, page_h: float, font: str) -> None:
    box = spec.box_mm
    if spec.cells and len(text) <= spec.cells:
        step = spec.frame_mm.w / spec.cells
        for i, ch in enumerate(text):
            cell = Box(spec.frame_mm.x + i * step, box.y, step, box.h)
            draw_text_in_box(c, ch, cell, page_h, font=font, size=spec.font_pt, align="center")
        return
    # The placement rule of ``forms.layout`` (which the extractor checks), in reportlab units.
    size = spec.font_pt
    room = (box.w - ROOM_LESS_MM) * mm
    width = stringWidth(text, font, size)
    if width > room:
        size = max(MIN_SIZE_PT, size * room / width)
    inner = Box(box.x + INSET_MM, box.y, box.w - ROOM_LESS_MM, box.h)
    draw_text_in_box(c, text, inner, page_h, font=font, size=size, align=spec.align)


def fill_page(
    c: Canvas, template: FormTemplate, plan: PagePlan, record: ApplicantRecord, rng: random.Random
) -> list[str]:
    """Draw the blank page and its values; returns the names of handwritten text fields."""
    draw_blank_page(c, template)
    page_h = template.page_size_mm[1]
    applicant = make_writer(rng, record.render.hand_font)
    supervisors: dict[int, Writer] = {}
    typed_font = font_for(record.render.typed_font if template.form_code != "R" else "gothic")
    style = record.render.typed if template.form_code != "R" else None
    handwritten: list[str] = []
    for spec in template.fields:
        if spec.name not in plan.printed:
            continue
        value = plan.printed[spec.name]
        writer = applicant
        if template.form_code == "C" and spec.row is not None:
            if spec.row not in supervisors:
                supervisors[spec.row] = make_writer(rng, rng.randint(0, 9))
            writer = supervisors[spec.row]
        if spec.kind in MARK_KINDS:
            if value is not True:
                continue
            if spec.kind == FieldKind.CHECKBOX:
                hw.draw_check(c, spec.box_mm, page_h, rng, writer.ink, writer.check_style)
            elif spec.kind == FieldKind.SIGNATURE:
                name = _signer_name(plan, spec, record)
                hw.draw_signature(c, name, spec.box_mm, page_h, rng, writer.hand_font, writer.ink)
            else:
                hw.draw_seal(c, record.family_kanji, spec.frame_mm, page_h, rng)
            continue
        text = str(value)
        if is_handwritten(record, template.form_code, spec.name) and spec.cells:
            step = spec.frame_mm.w / spec.cells
            for k, ch in enumerate(text[: spec.cells]):
                cell = Box(spec.frame_mm.x + k * step, spec.box_mm.y, step, spec.box_mm.h)
                hw.draw_hand_text(
                    c,
                    ch,
                    cell,
                    page_h,
                    font=writer.hand_font,
                    size=spec.font_pt,
                    rng=rng,
                    ink=writer.ink,
                )
            handwritten.append(spec.name)
        elif is_handwritten(record, template.form_code, spec.name):
            hw.draw_hand_text(
                c,
                text,
                spec.box_mm,
                page_h,
                font=writer.hand_font,
                size=spec.font_pt,
                rng=rng,
                ink=writer.ink,
            )
            handwritten.append(spec.name)
        elif style is not None:
            draw_styled(c, spec, text, page_h, style)
        else:
            draw_typed(c, spec, text, page_h, typed_font)
    return handwritten


def _signer_name(plan: PagePlan, spec: FieldSpec, record: ApplicantRecord) -> str:
    if spec.group == "attestation" and spec.row is not None:
        name = plan.printed.get(f"att{spec.row}_name")
        if isinstance(name, str):
            return name
    return record.name_kanji


def draw_cover_letter(c: Canvas, record: ApplicantRecord, rng: random.Random) -> str:
    """The applicant's own covering letter (no QR, no marks); returns its text."""
    gothic, mincho = font_for("gothic"), font_for("mincho")
    font = mincho if rng.random() < 0.6 else gothic
    style = record.render.typed
    qual = record.qualification or record.report.exam_type
    d = record.application_date
    lines_top = [
        (f"{d.year}年{d.month}月{d.day}日", "right"),
        ("", "left"),
        ("一般社団法人 日本コンタクトセンター教育検定協会", "left"),
        ("コン検資格認定担当　御中", "left"),
        ("", "left"),
        (f"〒{record.postcode}", "right"),
        (record.address, "right"),
        (record.name_kanji, "right"),
        (f"TEL {record.phone}", "right"),
        ("", "left"),
        ("資格認定申請書類送付のご案内", "center"),
        ("", "left"),
        ("拝啓　時下ますますご清栄のこととお慶び申し上げます。", "left"),
        (
            f"さて、プロフェッショナル資格（{qual}）の認定申請にあたり、下記の書類を送付いたします。",
            "left",
        ),
        ("ご査収のほど、よろしくお願い申し上げます。", "left"),
        ("敬具", "right"),
        ("記", "center"),
        ("１．試験結果レポート（写し）　１部", "left"),
        ("２．資格認定申請フォーム（A）～（D）　一式", "left"),
        ("以上", "right"),
    ]
    y = 30.0
    texts = []
    for text, align in lines_top:
        if text:
            size = 14 if align == "center" and "ご案内" in text else 10.5
            box = Box(25.0, y, 160.0, 8.0)
            if style is None:
                draw_text_in_box(c, text, box, 297.0, font=font, size=size, align=align)
            else:
                face = typeface(style.font_family)
                place_line(c, face, text, box, 297.0, size, align, "middle", 0.0)
            texts.append(text)
        y += 9.0
    c.setLineWidth(0.3)
    c.line(25 * mm, (297 - y) * mm, 185 * mm, (297 - y) * mm)
    return "\n".join(texts)
