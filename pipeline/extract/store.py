"""Storing one envelope's extraction: pages, fields, application, exceptions.

Runs in one transaction per envelope. An envelope is stored once: a re-run
after an interruption first removes the partial rows of the envelope it is
about to store again, so nothing is doubled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.extract.crosscheck import (
    CrossCheck,
    cross_check,
    find_register_entry,
    qualification_applied,
)
from pipeline.extract.envelope import FORM_NAMES_JA, EnvelopeExtraction
from pipeline.extract.reading import CONFIDENT, FieldRead
from pipeline.ingest.unidentified import store_unidentified
from pipeline.queue import open_or_update
from pipeline.storage.audit import record_event
from pipeline.storage.models import (
    Applicant,
    Application,
    Envelope,
    FieldValue,
    Page,
    RegistryEntry,
)
from pipeline.text.dates import parse_date
from pipeline.vocabulary import CrossCheckOutcome, EnvelopeStatus, FieldStatus, Severity

log = logging.getLogger(__name__)

NOT_REQUIRED_EXAMS = ("SV", "OP", "EN")


@dataclass
class StoredEnvelope:
    envelope_id: int
    application_id: int | None
    fields: int = 0
    fields_ok: int = 0
    exceptions_opened: int = 0
    mismatches: list[str] = field(default_factory=list)


def _one(fields: dict[str, list[FieldRead]], key: str) -> FieldRead | None:
    found = fields.get(key)
    return found[0] if found else None


def _value(fields: dict[str, list[FieldRead]], *keys: str) -> str | None:
    """The first confident value among ``keys``, else the first value at all."""
    reads = [f for k in keys for f in fields.get(k, []) if f.value]
    for f in reads:
        if f.status in CONFIDENT:
            return f.value
    return reads[0].value if reads else None


def store_extraction(
    session: Session,
    settings: Settings,
    envelope: Envelope,
    extraction: EnvelopeExtraction,
    *,
    run_id: int | None = None,
) -> StoredEnvelope:
    """Persist ``extraction`` for ``envelope`` (pages already saved to disk, without pixels)."""
    actor = f"run:{run_id}" if run_id else "system"
    # Partial rows of an interrupted attempt go first (never a staff correction:
    # those only exist once the envelope is stored as extracted).
    session.execute(delete(FieldValue).where(FieldValue.envelope_id == envelope.id))
    session.execute(delete(Page).where(Page.envelope_id == envelope.id))

    page_ids: dict[int, int] = {}
    for page in extraction.pages:
        page_row = Page(
            envelope_id=envelope.id,
            page_index=page.index,
            form_code=page.form_code,
            form_page=page.form_page,
            template_version=page.version,
            identified_by=page.identified_by,
            orientation=page.rotation,
            alignment_method=page.alignment_method,
            alignment_residual_mm=page.residual_mm,
            image_path=page.image_path,
            status=str(page.kind),
            note=page.note or None,
        )
        session.add(page_row)
        session.flush()
        page_ids[page.index] = page_row.id

    if not any(page.form_code for page in extraction.pages):  # no form page: no application
        store_unidentified(session, envelope, pages=len(extraction.pages), run_id=run_id)
        return StoredEnvelope(envelope.id, None)

    lookup = _register_lookup(session)
    entry = find_register_entry(extraction.field_map(), lookup)
    checked = cross_check(extraction.fields, entry)
    fields, checks = checked.field_map(), checked.checks

    application = session.scalars(
        select(Application).where(Application.envelope_id == envelope.id)
    ).first()
    applicant = _applicant(fields)
    session.add(applicant)
    session.flush()
    qualification = _qualification(fields)
    pass_number = _value(fields, "R.pass_number", "A.pass_number")
    if application is None:
        application = Application(
            envelope_id=envelope.id, received_on=envelope.received_at.astimezone(settings.tz).date()
        )
        session.add(application)
    application.applicant_id = applicant.id
    application.qualification = qualification
    application.pass_number = pass_number
    application.status = "extracted"
    session.flush()

    summary = StoredEnvelope(envelope.id, application.id)
    field_rows: dict[tuple[str, str], FieldValue] = {}
    for read in checked.fields:
        row = FieldValue(
            application_id=application.id,
            envelope_id=envelope.id,
            page_id=page_ids.get(read.page_index) if read.page_index is not None else None,
            form_code=read.form_code,
            name=read.name,
            row_index=read.row,
            kind=read.kind,
            decides=read.decides,
            value=read.value,
            ocr_value=read.value,
            raw_text=read.raw_text,
            confidence=round(read.confidence, 4),
            status=str(read.status),
            reason=read.reason,
            confirmed_by=read.confirmed_by,
            evidence=read.evidence(),
            crop_path=read.crop_path,
        )
        session.add(row)
        field_rows[(read.form_code, read.name)] = row
        summary.fields += 1
        summary.fields_ok += read.status in CONFIDENT
    session.flush()

    summary.exceptions_opened += _field_items(
        session, checked.fields, field_rows, application.id, envelope.id, run_id
    )
    summary.exceptions_opened += _page_items(
        session, extraction, page_ids, application.id, envelope.id, run_id
    )
    summary.exceptions_opened += _check_items(session, checks, application.id, envelope.id, run_id)
    summary.mismatches = [c.item for c in checks if c.outcome != CrossCheckOutcome.AGREE]

    envelope.status = EnvelopeStatus.EXTRACTED.value
    envelope.page_count = len(extraction.pages)
    envelope.extra_pages = [i + 1 for i in extraction.extra_pages]
    envelope.missing_forms = list(extraction.missing_forms)
    record_event(
        session,
        actor=actor,
        action="envelope.extracted",
        entity_type="envelope",
        entity_id=envelope.id,
        after={
            "application_id": application.id,
            "pages": len(extraction.pages),
            "fields": summary.fields,
            "fields_ok": summary.fields_ok,
            "missing_forms": extraction.missing_forms,
            "extra_pages": envelope.extra_pages,
            "checks": [c.as_dict() for c in checks],
        },
        run_id=run_id,
    )
    log.info(
        "envelope %s stored: application %s, %d/%d fields ok, %d exceptions",
        envelope.id,
        application.id,
        summary.fields_ok,
        summary.fields,
        summary.exceptions_opened,
    )
    return summary


def _register_lookup(session: Session):  # type: ignore[no-untyped-def]
    def lookup(number: str) -> RegistryEntry | None:
        return session.scalars(
            select(RegistryEntry).where(RegistryEntry.pass_number == number)
        ).first()

    return lookup


def _qualification(fields: dict[str, list[FieldRead]]) -> str | None:
    applied, _confident = qualification_applied(fields)
    if applied is not None:
        return applied
    report = _one(fields, "R.exam_type")
    cap, omp = _one(fields, "A.qual_cap"), _one(fields, "A.qual_omp")
    none_ticked = (
        cap is not None and omp is not None and cap.value == "false" and omp.value == "false"
    )
    # An SV / OP / EN passer has no box to tick on form A: the report says what they passed.
    if report is not None and report.value in NOT_REQUIRED_EXAMS and (none_ticked or cap is None):
        return report.value
    return None


def _applicant(fields: dict[str, list[FieldRead]]) -> Applicant:
    birth = _value(fields, "A.birth_date")
    return Applicant(
        name=_value(fields, "A.name_kanji", "R.name_kanji", "D.name_kanji"),
        kana=_value(fields, "A.name_kana", "R.name_kana"),
        birth_date=parse_date(birth) if birth else None,
        postcode=_value(fields, "A.postcode"),
        address=_value(fields, "A.address"),
        phone=_value(fields, "A.phone"),
        email=_value(fields, "A.email"),
    )


STATUS_JA = {
    FieldStatus.LOW_CONFIDENCE: "読み取りの確認",
    FieldStatus.INVALID: "読み取り値が不正",
    FieldStatus.MISSING: "未記入",
}


def _field_items(
    session: Session,
    reads: list[FieldRead],
    rows: dict[tuple[str, str], FieldValue],
    application_id: int,
    envelope_id: int,
    run_id: int | None,
) -> int:
    opened = 0
    for read in reads:
        if read.status in CONFIDENT:
            continue
        if read.status == FieldStatus.MISSING and not read.required:
            continue  # an empty optional box is not a problem
        row = rows[(read.form_code, read.name)]
        informational = not read.decides
        kind = (
            "data_cleanup"
            if informational
            else ("field_missing" if read.status == FieldStatus.MISSING else "field_review")
        )
        severity = Severity.INFO if informational else Severity.HIGH
        form_ja = FORM_NAMES_JA.get(read.form_code, read.form_code)
        title = f"{form_ja}「{read.label_ja}」: {STATUS_JA.get(FieldStatus(read.status), '確認')}"
        _item, created = open_or_update(
            session,
            kind=kind,
            dedupe_key=f"field:{row.id}",
            title_ja=title,
            severity=severity,
            details={
                "field": read.key,
                "status": str(read.status),
                "reason": read.reason,
                "confidence": round(read.confidence, 3),
            },
            application_id=application_id,
            envelope_id=envelope_id,
            page_id=row.page_id,
            field_id=row.id,
            run_id=run_id,
        )
        opened += created
    return opened


def _page_items(
    session: Session,
    extraction: EnvelopeExtraction,
    page_ids: dict[int, int],
    application_id: int,
    envelope_id: int,
    run_id: int | None,
) -> int:
    opened = 0
    titles = {
        "unidentified": "様式を判別できないページ",
        "unaligned": "位置合わせできないページ（読み取り不可）",
        "duplicate_page": "同じ様式のページが重複しています",
    }
    for problem in extraction.problems:
        page_id = page_ids.get(problem.page_index)
        _item, created = open_or_update(
            session,
            kind=f"page_{problem.kind}",
            dedupe_key=f"page:{page_id}:{problem.kind}",
            title_ja=f"{problem.page_index + 1}ページ目: {titles[problem.kind]}",
            severity=Severity.HIGH,
            details={"page": problem.page_index + 1, "detail": problem.detail},
            application_id=application_id,
            envelope_id=envelope_id,
            page_id=page_id,
            run_id=run_id,
        )
        opened += created
    if extraction.missing_forms and (extraction.extra_pages or extraction.problems):
        # A missing form and a page we could not place: perhaps it is that form.
        names = "、".join(FORM_NAMES_JA[c] for c in extraction.missing_forms)
        _item, created = open_or_update(
            session,
            kind="documents_missing",
            dedupe_key=f"documents:{envelope_id}",
            title_ja=f"不足書類（{names}）と様式外のページがあります。該当しないか確認してください",
            severity=Severity.HIGH,
            details={
                "missing": extraction.missing_forms,
                "extra_pages": [i + 1 for i in extraction.extra_pages],
            },
            application_id=application_id,
            envelope_id=envelope_id,
            run_id=run_id,
        )
        opened += created
    return opened


def _check_items(
    session: Session,
    checks: list[CrossCheck],
    application_id: int,
    envelope_id: int,
    run_id: int | None,
) -> int:
    opened = 0
    for check in checks:
        if check.outcome == CrossCheckOutcome.AGREE:
            continue
        _item, created = open_or_update(
            session,
            kind=f"crosscheck_{check.outcome}",
            dedupe_key=f"crosscheck:{application_id}:{check.item}",
            title_ja=check.message_ja,
            severity=Severity.HIGH,
            details=check.as_dict(),
            application_id=application_id,
            envelope_id=envelope_id,
            run_id=run_id,
        )
        opened += created
    return opened
