"""Render one envelope: assemble its pages, print them filled, scan them, record the truth."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Final

import numpy as np

from pipeline.forms.fonts import LEGACY_TYPED_FAMILY
from pipeline.forms.loader import TemplateKey, default_templates
from pipeline.forms.render import new_canvas
from pipeline.forms.schema import FieldKind, FormTemplate
from pipeline.synth import scan
from pipeline.synth.capture import capture_pages, plan_capture
from pipeline.synth.eligibility import assess
from pipeline.synth.fill import draw_cover_letter, fill_page
from pipeline.synth.records import ApplicantRecord
from pipeline.synth.truth import EnvelopeTruth, FieldTruth, FillTruth, PageTruth
from pipeline.synth.values import PagePlan, full_truth, page_plan

COVER: Final = "cover_letter"


@dataclass
class Slot:
    """One sheet in the envelope: a form page or the covering letter."""

    plan: PagePlan | None


def assemble(record: ApplicantRecord, rng: random.Random) -> tuple[list[Slot], list[str]]:
    """The sheets in the order they come out of the envelope, and the form pages left out."""
    missing = set(record.render.missing_forms)
    slots: list[Slot] = []
    left_out: list[str] = []
    for plan in page_plan(record):
        if plan.form_code in missing:
            left_out.append(f"{plan.form_code}:{plan.page}")
        else:
            slots.append(Slot(plan))
    if record.render.shuffle:
        rng.shuffle(slots)
    if record.render.cover_letter:
        slots.insert(0 if rng.random() < 0.8 else len(slots), Slot(None))
    return slots, left_out


def render_clean_pdf(
    record: ApplicantRecord,
    slots: list[Slot],
    templates: dict[TemplateKey, FormTemplate],
    rng: random.Random,
) -> tuple[bytes, dict[int, list[str]]]:
    """The filled pages as a PDF (upright); returns handwritten field names per slot index."""
    buf = io.BytesIO()
    c = new_canvas(buf, f"envelope {record.envelope_id}")
    handwritten: dict[int, list[str]] = {}
    for i, slot in enumerate(slots):
        if slot.plan is None:
            draw_cover_letter(c, record, rng)
        else:
            template = templates[(slot.plan.form_code, slot.plan.page)]
            handwritten[i] = fill_page(c, template, slot.plan, record, rng)
        c.showPage()
    c.save()
    return buf.getvalue(), handwritten


def render_envelope(
    record: ApplicantRecord,
    out_dir: Path,
    seed: int | str,
    *,
    clean: bool = False,
    mix: scan.DegradationMix | None = None,
    templates: dict[TemplateKey, FormTemplate] | None = None,
) -> EnvelopeTruth:
    """Render, scan and write one envelope; returns its truth (payment not yet set)."""
    mix = mix or scan.DegradationMix.default()
    templates = templates or default_templates()
    out_dir.mkdir(parents=True, exist_ok=True)
    key = f"{seed}:{record.envelope_id}"
    rng = random.Random(key)  # noqa: S311 - synthetic data, not security
    nrng = np.random.default_rng([int(b) for b in key.encode()])
    slots, left_out = assemble(record, rng)
    pdf, handwritten = render_clean_pdf(record, slots, templates, rng)
    settings = scan.draw_settings(nrng, mix)
    motions = []
    for i, slot in enumerate(slots):
        upside = i in record.render.upside_down
        photocopy = slot.plan is not None and slot.plan.form_code == "R"
        motions.append(scan.draw_motion(nrng, mix, upside_down=upside, photocopy=photocopy))
    plan = None
    if record.render.traits:
        trng = np.random.default_rng([int(b) for b in f"{key}:capture".encode()])
        plan = plan_capture(record, settings, len(slots), trng)
        settings = plan.settings
        pages = capture_pages(pdf, motions, plan, nrng, trng)
    else:
        pages = scan.scan_pdf(pdf, motions, settings, nrng)
    scanned_at = datetime.combine(record.received_date, time(9, 0)) + timedelta(
        minutes=rng.randint(0, 480)
    )
    # Records drawn before typing and traits were recorded keep their exact old bytes
    # (data/sample): their bitonal PDFs keep libtiff's unset pad bytes.
    legacy = record.render.typed is None and not record.render.traits
    files = scan.write_outputs(
        pages, settings, out_dir, record.envelope_id, mix.formats, scanned_at, zero_slack=not legacy
    )
    clean_name = None
    if clean:
        clean_name = f"{record.envelope_id}.clean.pdf"
        (out_dir / clean_name).write_bytes(pdf)
    present = {s.plan.form_code for s in slots if s.plan is not None}
    return EnvelopeTruth(
        envelope_id=record.envelope_id,
        scenario=record.scenario,
        seed=str(seed),
        received_date=record.received_date,
        files=files,
        clean_pdf=clean_name,
        scan=settings,
        pages=_page_truths(slots, motions),
        forms_present=[f"{s.plan.form_code}:{s.plan.page}" for s in slots if s.plan],
        forms_missing=left_out,
        extra_pages=[i for i, s in enumerate(slots) if s.plan is None],
        fill=fill_truth(record),
        traits=list(record.render.traits),
        capture=plan.details if plan is not None else {},
        fields=_field_truths(slots, motions, handwritten, templates, fill_truth(record)),
        eligibility=assess(record, present),
        record=record,
    )


def _page_truths(slots: list[Slot], motions: list[scan.PageMotion]) -> list[PageTruth]:
    out = []
    for i, (slot, motion) in enumerate(zip(slots, motions, strict=True)):
        if slot.plan is None:
            out.append(PageTruth(index=i, kind=COVER, motion=motion))
        else:
            out.append(
                PageTruth(
                    index=i,
                    kind="form",
                    form_code=slot.plan.form_code,
                    page=slot.plan.page,
                    motion=motion,
                )
            )
    return out


def fill_truth(record: ApplicantRecord) -> FillTruth:
    style = record.render.typed
    if style is None:
        return FillTruth(
            font_family=LEGACY_TYPED_FAMILY[record.render.typed_font], size_pt=None, align=None
        )
    return FillTruth(**style.model_dump())


def _field_truths(
    slots: list[Slot],
    motions: list[scan.PageMotion],
    handwritten: dict[int, list[str]],
    templates: dict[TemplateKey, FormTemplate],
    fill: FillTruth,
) -> list[FieldTruth]:
    out: list[FieldTruth] = []
    ordered = sorted(
        (i for i, s in enumerate(slots) if s.plan is not None),
        key=lambda i: ("RABCD".index(slots[i].plan.form_code), slots[i].plan.page),  # type: ignore[union-attr]
    )
    for i in ordered:
        plan = slots[i].plan
        assert plan is not None
        template = templates[(plan.form_code, plan.page)]
        values = full_truth(plan, template)
        family = LEGACY_TYPED_FAMILY["gothic"] if plan.form_code == "R" else fill.font_family
        for spec in template.fields:
            mark = spec.kind in (FieldKind.CHECKBOX, FieldKind.SIGNATURE, FieldKind.SEAL)
            by_hand = spec.name in handwritten.get(i, []) and not mark
            typed = not mark and not by_hand and isinstance(plan.printed.get(spec.name), str)
            out.append(
                FieldTruth(
                    form_code=plan.form_code,
                    page=plan.page,
                    field=spec.name,
                    kind=spec.kind.value,
                    value=values[spec.name],
                    handwritten=by_hand,
                    decides=spec.decides,
                    scan_page=i,
                    rotation=motions[i].rotation,
                    font_family=family if typed else None,
                )
            )
    return out
