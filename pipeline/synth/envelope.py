"""Render one envelope: assemble its pages, print them filled, scan them, record the truth."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import numpy as np

from pipeline.forms.loader import TemplateKey, default_templates
from pipeline.forms.render import new_canvas
from pipeline.forms.schema import FieldKind, FormTemplate
from pipeline.synth import scan
from pipeline.synth.eligibility import assess
from pipeline.synth.fill import draw_cover_letter, fill_page
from pipeline.synth.records import ApplicantRecord
from pipeline.synth.truth import EnvelopeTruth, FieldTruth, PageTruth
from pipeline.synth.values import PagePlan, full_truth, page_plan

COVER = "cover_letter"


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
    pages = scan.scan_pdf(pdf, motions, settings, nrng)
    scanned_at = datetime.combine(record.received_date, time(9, 0)) + timedelta(
        minutes=rng.randint(0, 480)
    )
    files = scan.write_outputs(
        pages, settings, out_dir, record.envelope_id, mix.formats, scanned_at
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
        fields=_field_truths(slots, motions, handwritten, templates),
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


def _field_truths(
    slots: list[Slot],
    motions: list[scan.PageMotion],
    handwritten: dict[int, list[str]],
    templates: dict[TemplateKey, FormTemplate],
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
        for spec in template.fields:
            out.append(
                FieldTruth(
                    form_code=plan.form_code,
                    page=plan.page,
                    field=spec.name,
                    kind=spec.kind.value,
                    value=values[spec.name],
                    handwritten=spec.name in handwritten.get(i, [])
                    and spec.kind not in (FieldKind.CHECKBOX, FieldKind.SIGNATURE, FieldKind.SEAL),
                    decides=spec.decides,
                    scan_page=i,
                    rotation=motions[i].rotation,
                )
            )
    return out
