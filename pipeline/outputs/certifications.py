"""Approved certifications: the certificates to print, as PDFs and as CSV.

Each run exports the applications approved (a certificate number was issued)
and not exported before: ``certificates.pdf`` (every certificate, to print in
one go), ``certificates/<number>.pdf`` (one each; see
:mod:`pipeline.outputs.certificates`) and the list twice, UTF-8 with BOM and
cp932 (see :mod:`pipeline.outputs.csvsafe` for formula neutralisation and
characters cp932 lacks). An application is marked exported by a
``certificate.exported`` audit event, so a re-run exports nothing new. An
application whose certificate cannot be printed is held back (not in the
files, no event) with a ``certificate_blocked`` item.

The CSV files are written (atomically) first, then the PDFs, then the events.
A run killed in between left a complete CSV whose rows carry no event; the
next run records those rows as exported from that file (and writes a missing
cp932 twin and missing PDFs) instead of exporting them a second time: the
office never prints a certificate twice.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from pipeline.config import Settings
from pipeline.errors import ValidationError
from pipeline.ingest.files import atomic_write_bytes
from pipeline.outputs import certificates as certs
from pipeline.outputs.csvsafe import Replacement, csv_text, encode_cp932, encode_utf8_bom
from pipeline.storage.audit import record_event
from pipeline.storage.db import session_scope
from pipeline.storage.models import Applicant, Application, AuditEvent, DecisionOutcome

log = logging.getLogger(__name__)

HEADER = (
    "認定番号",
    "氏名",
    "フリガナ",
    "資格",
    "有効期間開始",
    "有効期間終了",
    "郵便番号",
    "住所",
)
EXPORTED = "certificate.exported"
UTF8_NAME = "certifications-utf8.csv"
CP932_NAME = "certifications-cp932.csv"


@dataclass
class CertificationExport:
    count: int = 0
    files: list[Path] = field(default_factory=list)  # the two CSV files, then the PDFs
    replacements: list[Replacement] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def combined_pdf(self) -> Path | None:
        return next((p for p in self.files if p.name == certs.COMBINED_PDF), None)


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _row(app: Application, person: Applicant | None, name: str) -> list[object]:
    return [
        app.certificate_number,
        name,
        person.kana if person else "",
        app.qualification or "",
        _iso(app.valid_from),
        _iso(app.valid_to),
        person.postcode if person else "",
        person.address if person else "",
    ]


def _pending(
    engine: Engine, settings: Settings, *, run_id: int
) -> tuple[list[tuple[int, list[object]]], list[certs.Certificate], list[str]]:
    """Approved applications not exported yet: (id, CSV row) and certificate of each
    printable one, and the refusals (each also a ``certificate_blocked`` item)."""
    rows: list[tuple[int, list[object]]] = []
    printable: list[certs.Certificate] = []
    refused: list[str] = []
    with session_scope(engine) as session:
        exported = select(AuditEvent.entity_id).where(
            AuditEvent.action == EXPORTED, AuditEvent.entity_type == "application"
        )
        stmt = (
            select(Application, Applicant)
            .join(Applicant, Applicant.id == Application.applicant_id, isouter=True)
            .where(
                Application.decision == DecisionOutcome.APPROVED.value,
                Application.certificate_number.is_not(None),
                Application.id.not_in(exported),
            )
            .order_by(Application.certificate_number)
        )
        for app, person in session.execute(stmt).all():
            try:
                certificate = certs.certificate_of(session, settings, app)
            except ValidationError as e:
                certs.block(session, app.id, e.message, run_id=run_id)
                refused.append(e.message)
                continue
            certs.unblock(session, app.id, run_id=run_id)
            rows.append((app.id, _row(app, person, certificate.document.name)))
            printable.append(certificate)
    return rows, printable, refused


def export_certifications(
    engine: Engine, settings: Settings, folder: Path, *, run_id: int
) -> CertificationExport:
    """Write the certificates and their list for the new approvals and mark them exported.

    Nothing is written (and nothing marked) when there is nothing new.
    """
    recover_unrecorded_exports(engine, settings, folder.parent, run_id=run_id)
    pending, printable, refused = _pending(engine, settings, run_id=run_id)
    result = CertificationExport(refused=refused)
    if not pending:
        return result
    rows = [row for _, row in pending]
    utf8_path = folder / UTF8_NAME
    cp932_path = folder / CP932_NAME
    cp932_bytes, replacements = encode_cp932(HEADER, rows)
    atomic_write_bytes(utf8_path, encode_utf8_bom(csv_text(HEADER, rows)))
    atomic_write_bytes(cp932_path, cp932_bytes)
    pdfs = certs.write_certificate_files(printable, settings, folder)
    with session_scope(engine) as session:
        for app_id, row in pending:
            record_event(
                session,
                actor=f"run:{run_id}",
                action=EXPORTED,
                entity_type="application",
                entity_id=app_id,
                after={"certificate_number": row[0], "file": utf8_path.name},
                run_id=run_id,
            )
    if replacements:
        log.warning(
            "%d characters not in cp932 replaced by 〓 in %s (the UTF-8 file keeps them)",
            len(replacements),
            cp932_path.name,
        )
    result.count = len(rows)
    result.files = [utf8_path, cp932_path, *pdfs]
    result.replacements = replacements
    return result


def _missing_pdfs(engine: Engine, settings: Settings, folder: Path, numbers: list[str]) -> None:
    """Write the PDFs of a recovered CSV that a killed run did not write."""
    if (folder / certs.COMBINED_PDF).exists() and all(
        certs.single_path(folder, n).exists() for n in numbers
    ):
        return
    printable: list[certs.Certificate] = []
    with session_scope(engine) as session:
        for app in session.scalars(
            select(Application)
            .where(Application.certificate_number.in_(numbers))
            .order_by(Application.certificate_number)
        ):
            try:
                printable.append(certs.certificate_of(session, settings, app))
            except ValidationError as e:
                log.warning("certificate of recovered row %s not written: %s", app.id, e.message)
    if printable:
        certs.write_certificate_files(printable, settings, folder)


def recover_unrecorded_exports(
    engine: Engine, settings: Settings, outputs_root: Path, *, run_id: int
) -> int:
    """Record as exported the rows of earlier runs' files that carry no export event.

    Returns how many applications were recorded. Only complete files exist
    (they are written atomically), so every row in one was handed to the office.
    """
    files = sorted(outputs_root.glob(f"run-*/{UTF8_NAME}"))
    if not files:
        return 0
    recorded = 0
    with session_scope(engine) as session:
        exported = set(
            session.scalars(
                select(AuditEvent.entity_id).where(
                    AuditEvent.action == EXPORTED, AuditEvent.entity_type == "application"
                )
            )
        )
        for utf8_path in files:
            rows = list(csv.reader(io.StringIO(utf8_path.read_bytes().decode("utf-8-sig"))))[1:]
            numbers = [row[0] for row in rows if row]
            found = session.execute(
                select(Application.certificate_number, Application.id).where(
                    Application.certificate_number.in_(numbers)
                )
            )
            by_number = {str(number): int(app_id) for number, app_id in found}
            missing = [n for n in numbers if n in by_number and by_number[n] not in exported]
            for number in missing:
                record_event(
                    session,
                    actor=f"run:{run_id}",
                    action=EXPORTED,
                    entity_type="application",
                    entity_id=by_number[number],
                    after={
                        "certificate_number": number,
                        "file": str(utf8_path.relative_to(outputs_root)),
                        "recovered": True,
                    },
                    run_id=run_id,
                )
                exported.add(by_number[number])
            recorded += len(missing)
            twin = utf8_path.with_name(CP932_NAME)
            if missing and not twin.exists():
                atomic_write_bytes(twin, encode_cp932(HEADER, rows)[0])
            if missing:
                _missing_pdfs(engine, settings, utf8_path.parent, missing)
    if recorded:
        log.warning("%d certificate rows of an interrupted run recorded as exported", recorded)
    return recorded
