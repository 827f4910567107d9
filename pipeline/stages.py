"""The nightly run's stages, as plain functions the flow calls.

Each stage takes the engine and settings, commits its own work in
transactions, is idempotent (running it again over the same inputs does
nothing new), imports no Prefect, and returns a ``StageResult`` with counts
for the run report.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from pipeline import parked
from pipeline.config import Settings
from pipeline.errors import ConkenError
from pipeline.extract.envelope import (
    PageResult,
    assemble,
    read_page,
    read_pending_texts,
)
from pipeline.extract.files import save_page_outputs
from pipeline.extract.options import ExtractOptions
from pipeline.extract.store import store_extraction
from pipeline.faults import checkpoint
from pipeline.forms.loader import default_templates
from pipeline.imaging.raster import single_page
from pipeline.ingest.files import sha256_of
from pipeline.ingest.intake import IntakeOutcome, take_inbox
from pipeline.names_ja import RECEIVED_DATE_SETTLED_JA
from pipeline.parked import PageRef
from pipeline.payments.rejected import reject_statement, settle_statement
from pipeline.payments.statements import read_statement
from pipeline.payments.store import import_statement, reconcile
from pipeline.queue import close_if_open, open_or_update
from pipeline.registry import import_register, register_files
from pipeline.rules.evaluate import RULE_RECEIVED, Evaluation
from pipeline.rules.store import save_evaluation
from pipeline.storage.audit import record_event, run_actor
from pipeline.storage.db import engine_for, session_scope
from pipeline.storage.models import Application, Envelope, StatementImport
from pipeline.supersede import supersede_earlier
from pipeline.vocabulary import FINAL_DECISIONS, EnvelopeStatus, Severity
from pipeline.workflow import evaluate_application

log = logging.getLogger(__name__)


@dataclass
class StageResult:
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    details: list[dict[str, Any]] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def extract_options(settings: Settings) -> ExtractOptions:
    return ExtractOptions.from_settings(settings)


# --- statements and register -----------------------------------------------------------


def import_statements(engine: Engine, settings: Settings, *, run_id: int) -> StageResult:
    """Import bank statement files not imported before (by file hash).

    A file that cannot be imported gets a reason file and an exception item
    (``pipeline.payments.rejected``); its details come first in the result, where
    the run report finds them."""
    result = StageResult("import_statements")
    rejected: list[dict[str, Any]] = []
    folder = settings.effective_statements_path
    files = (
        sorted(p for p in folder.glob("*") if p.is_file() and p.suffix.lower() in (".csv", ".txt"))
        if folder.is_dir()
        else []
    )
    for path in files:
        digest = sha256_of(path)
        with session_scope(engine) as session:
            known = session.scalars(
                select(StatementImport.id).where(StatementImport.file_sha256 == digest)
            ).first()
            if known is not None:
                result.add("files_already_imported")
                continue
            try:
                parsed = read_statement(path)
            except ConkenError as e:
                error = e.message.removeprefix(f"{path}: ")  # the file is named beside it
                result.add("files_rejected")
                rejected.append({"file": path.name, "error": error})
                reject_statement(session, path, digest, error, run_id=run_id)
                log.warning("statement %s rejected: %s", path.name, error)
                continue
            summary = import_statement(session, parsed, run_id=run_id)
            settle_statement(session, path, run_id=run_id)
        result.add("files_imported")
        result.add("transactions_new", summary.rows_new)
        result.add("transactions_duplicate", summary.rows_duplicate)
        result.add("rows_rejected", summary.rows_rejected)
        for problem in summary.problems:
            result.details.append({"file": path.name, **problem})
    result.details[:0] = rejected
    return result


def import_registers(engine: Engine, settings: Settings) -> StageResult:
    result = StageResult("import_register")
    for path in register_files(settings.effective_registry_path):
        with session_scope(engine) as session:
            summary = import_register(session, path)
        result.add("lines_new", summary.new)
        result.add("lines_updated", summary.updated)
        result.add("line_problems", len(summary.problems))
        result.details.extend({"file": path.name, "problem": p} for p in summary.problems)
    return result


# --- envelopes -------------------------------------------------------------------------------


def ingest(engine: Engine, settings: Settings, *, run_id: int | None) -> StageResult:
    """Take the inbox (and refresh the passers register, which extraction cross-checks)."""
    result = StageResult("ingest")
    register = import_registers(engine, settings)
    for key, n in register.counts.items():
        result.add(f"register_{key}", n)
    results, listing = take_inbox(engine, settings, run_id=run_id)
    for item in results:
        result.add(str(item.outcome))
        if item.outcome == IntakeOutcome.QUARANTINED:
            result.details.append(
                {"file": item.name, "reason": item.reason, "envelope_id": item.envelope_id}
            )
    result.add("waiting_unstable", len(listing.unstable))
    return result


def envelopes_to_extract(engine: Engine) -> list[tuple[int, int]]:
    """(envelope id, page count) of every received envelope not yet extracted."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(Envelope.id, Envelope.page_count)
            .where(Envelope.status == EnvelopeStatus.RECEIVED.value)
            .order_by(Envelope.id)
        ).all()
    return [(int(i), int(n or 0)) for i, n in rows]


def extract_page(settings: Settings, envelope_id: int, page_index: int) -> PageRef:
    """Rasterise, identify, align one page, judge its marks and cut its text fields; save
    its images and park its reading, text fields pending, on disk (``finish_envelopes``
    loads it and OCRs the envelope's pages together); return where it waits."""
    engine = engine_for(settings.effective_database_url)
    with session_scope(engine) as session:
        envelope = session.get(Envelope, envelope_id)
        if envelope is None or envelope.archive_path is None or envelope.media_type is None:
            raise ConkenError(f"envelope {envelope_id} has no archived original")
        path = settings.data_root / envelope.archive_path
        media_type = envelope.media_type
    page = single_page(
        path, media_type, page_index, dpi=settings.ocr_dpi, max_pixels=settings.max_image_pixels
    )
    templates = default_templates()
    result = read_page(page, templates, extract_options(settings), defer_text=True)
    saved = save_page_outputs(
        result,
        data_root=settings.data_root,
        store_dir=settings.store_dir,
        envelope_id=envelope_id,
        work_dpi=settings.ocr_dpi,
    )
    ref = parked.park(settings, envelope_id, saved)
    checkpoint("extract.page_saved")
    return ref


def load_pages(settings: Settings, refs: list[PageRef]) -> list[PageResult]:
    return parked.load(settings, refs)


def drop_pages(settings: Settings, refs: list[PageRef]) -> None:
    parked.drop(settings, refs)


def read_envelope_texts(settings: Settings, envelopes: list[list[PageResult]]) -> None:
    """OCR the pending text fields of several envelopes' pages together: one tesseract
    process per OCR setting for the lot (``ocr_batch_envelopes`` at a time)."""
    read_pending_texts(envelopes, extract_options(settings))


def ocr_batches(envelope_ids: list[int], size: int, workers: int) -> list[list[int]]:
    """Envelopes in order, in batches of at most ``size`` whose text fields are OCRed
    together, and at least one batch per worker when there are enough envelopes: the
    last batch is otherwise a tail that one core reads while the others wait."""
    if not envelope_ids:
        return []
    per_worker = -(-len(envelope_ids) // max(1, workers))
    step = max(1, min(size, per_worker))
    return [envelope_ids[i : i + step] for i in range(0, len(envelope_ids), step)]


@dataclass(frozen=True)
class EnvelopeOutcome:
    """One envelope of a batch: what was stored, or why it failed."""

    envelope_id: int
    pages: int
    result: StageResult | None = None
    error: str | None = None


def finish_envelopes(
    engine: Engine,
    settings: Settings,
    batch: list[tuple[int, list[PageRef]]],
    *,
    run_id: int,
) -> list[EnvelopeOutcome]:
    """Load a batch of envelopes' parked pages, OCR their text fields together, then store
    each envelope. The parked pages go as soon as they are loaded: a run that stops
    before storing an envelope leaves it ``received``, and the next run reads it again.

    A failed batch OCR is no envelope's failure: each then OCRs its own pages when
    finished. One envelope that fails never stops the others; its error is returned
    for the caller to record."""
    outcomes: dict[int, EnvelopeOutcome] = {}
    loaded: list[tuple[int, list[PageResult]]] = []
    for envelope_id, refs in batch:
        try:
            loaded.append((envelope_id, load_pages(settings, refs)))
        except Exception as e:
            outcomes[envelope_id] = EnvelopeOutcome(envelope_id, len(refs), error=_error_of(e))
        finally:
            drop_pages(settings, refs)
    try:
        read_envelope_texts(settings, [pages for _, pages in loaded])
    except Exception as e:
        log.warning("batched OCR of %d envelopes failed: %s", len(loaded), e)
    for envelope_id, pages in loaded:
        try:
            result = finish_envelope(engine, settings, envelope_id, pages, run_id=run_id)
        except Exception as e:
            outcomes[envelope_id] = EnvelopeOutcome(envelope_id, len(pages), error=_error_of(e))
        else:
            outcomes[envelope_id] = EnvelopeOutcome(envelope_id, len(pages), result=result)
    return [outcomes[envelope_id] for envelope_id, _ in batch]


def _error_of(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def finish_envelope(
    engine: Engine,
    settings: Settings,
    envelope_id: int,
    pages: list[PageResult],
    *,
    run_id: int | None,
) -> StageResult:
    """Assemble the pages read (OCRing what ``read_envelope_texts`` has not), cross-check,
    store fields and application, open exceptions."""
    result = StageResult("extract")
    read_pending_texts([pages], extract_options(settings))
    extraction = assemble(pages)
    with session_scope(engine) as session:
        envelope = session.get(Envelope, envelope_id)
        if envelope is None:
            raise ConkenError(f"envelope {envelope_id} not found")
        if envelope.status != EnvelopeStatus.RECEIVED.value:
            result.add("already_extracted")
            return result
        stored = store_extraction(session, settings, envelope, extraction, run_id=run_id)
    checkpoint("extract.envelope_stored")
    result.add("envelopes")
    if stored.application_id is None:
        result.add("unidentified")
    result.add("pages", len(pages))
    result.add("fields", stored.fields)
    result.add("fields_ok", stored.fields_ok)
    result.add("exceptions_opened", stored.exceptions_opened)
    result.add("extra_pages", len(extraction.extra_pages))
    result.add("missing_forms", len(extraction.missing_forms))
    return result


def fail_envelope(
    engine: Engine, settings: Settings, envelope_id: int, error: str, *, run_id: int | None
) -> None:
    """Mark an envelope whose extraction raised; staff see it in the queue with the error."""
    parked.drop_envelope(settings, envelope_id)  # its other pages' readings, never loaded
    with session_scope(engine) as session:
        envelope = session.get(Envelope, envelope_id)
        if envelope is None:
            return
        envelope.status = EnvelopeStatus.FAILED.value
        open_or_update(
            session,
            kind="envelope_failed",
            dedupe_key=f"envelope-failed:{envelope_id}",
            title_ja="封筒の読み取り中にエラーが発生しました（原本は保管済み）",
            severity=Severity.HIGH,
            details={"error": error[:2000]},
            envelope_id=envelope_id,
            run_id=run_id,
        )
        record_event(
            session,
            actor=run_actor(run_id),
            action="envelope.failed",
            entity_type="envelope",
            entity_id=envelope_id,
            after={"error": error[:500]},
            run_id=run_id,
        )


def extract_envelope(
    engine: Engine,
    settings: Settings,
    envelope_id: int,
    page_count: int,
    *,
    run_id: int | None,
) -> StageResult:
    """All pages of one envelope in this process (the CLI; the flow fans pages out instead)."""
    refs = [extract_page(settings, envelope_id, i) for i in range(page_count)]
    try:
        pages = load_pages(settings, refs)
    finally:
        drop_pages(settings, refs)
    return finish_envelope(engine, settings, envelope_id, pages, run_id=run_id)


# --- payments and rules ----------------------------------------------------------------------


def reconcile_payments(
    engine: Engine, settings: Settings, *, run_id: int, today: date
) -> StageResult:
    result = StageResult("reconcile_payments")
    with session_scope(engine) as session:
        summary = reconcile(session, today=today, settings=settings, run_id=run_id)
    for key, value in summary.as_dict().items():
        if isinstance(value, int):
            result.add(key, value)
    for status, n in summary.statuses.items():
        result.add(f"status_{status}", n)
    return result


def decide_applications(
    engine: Engine, settings: Settings, *, run_id: int, today: date
) -> StageResult:
    """Supersede applications a newer submission replaces, then run the rules for every
    application not finally decided; save only what changed."""
    result = StageResult("decide")
    with session_scope(engine) as session:
        # A newer submission replaces an older one before either is decided.
        replaced = supersede_earlier(session, settings, run_id=run_id, actor=run_actor(run_id))
        if replaced:  # a count of none would say a re-run changed something
            result.add("superseded", len(replaced))
        result.details.extend({"superseded": old, "by": new} for old, new in replaced)
    with session_scope(engine) as session:
        ids = list(
            session.scalars(
                select(Application.id).where(
                    (Application.decision.is_(None))
                    | (Application.decision.not_in(FINAL_DECISIONS))
                )
            )
        )
    for application_id in ids:
        with session_scope(engine) as session:
            application = session.get(Application, application_id)
            assert application is not None
            evaluation = evaluate_application(
                session, application_id, today=today, settings=settings
            )
            _track_received_date(session, application, evaluation, today=today, run_id=run_id)
            outcome = str(evaluation.outcome)
            if application.decision == outcome and _same_findings(
                session, application_id, evaluation
            ):
                result.add("unchanged")
                continue
            save_evaluation(
                session, application_id, evaluation, actor=f"run:{run_id}", run_id=run_id
            )
            result.add(f"decided_{outcome}")
        checkpoint("decide.saved")
    return result


def _track_received_date(
    session: Any, application: Application, evaluation: Evaluation, *, today: date, run_id: int
) -> None:
    """A received date after the business date is a review item, never a decision."""
    key = f"received-date:app:{application.id}"
    if not any(f.rule_id == RULE_RECEIVED for f in evaluation.findings):
        close_if_open(
            session,
            key,
            resolution=RECEIVED_DATE_SETTLED_JA,
            actor=f"run:{run_id}",
            run_id=run_id,
        )
        return
    received = application.effective_received_on
    open_or_update(
        session,
        kind="received_date",
        dedupe_key=key,
        title_ja=f"受付日（{received:%Y/%m/%d}）が処理日（{today:%Y/%m/%d}）より後です: "
        "受付日（消印）またはサーバーの日付を確認してください",
        severity=Severity.HIGH,
        details={"received_on": received.isoformat(), "today": today.isoformat()},
        application_id=application.id,
        run_id=run_id,
    )


def _same_findings(session: Any, application_id: int, evaluation: Any) -> bool:
    from pipeline.rules.store import current_decision, stored_findings

    current = current_decision(session, application_id)
    if current is None or current.evaluation_id is None:
        return False
    # A judgement's key counts too: the question a person answers must be the one about
    # the facts as they are now (and a run from before rulings existed asks it afresh).
    before = {
        (f.rule_id, f.outcome, _judgement_key(f.details))
        for f in stored_findings(session, current.evaluation_id)
    }
    after = {(f.rule_id, str(f.outcome), _judgement_key(f.details)) for f in evaluation.findings}
    return before == after


def _judgement_key(details: dict[str, Any] | None) -> str | None:
    asked = (details or {}).get("judgement")
    return str(asked.get("key")) if isinstance(asked, dict) else None
