"""Approved certifications as CSV for printing certificates.

Each run exports the applications approved (a certificate number was issued)
and not exported before, twice: UTF-8 with BOM and cp932 (see
:mod:`pipeline.outputs.csvsafe` for formula neutralisation and characters
cp932 lacks). An application is marked exported by a
``certificate.exported`` audit event, so a re-run exports nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

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


@dataclass
class CertificationExport:
    count: int = 0
    files: list[Path] = field(default_factory=list)
    replacements: list[Replacement] = field(default_factory=list)


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def pending_rows(engine: Engine) -> list[tuple[int, list[object]]]:
    """(application id, CSV row) of approved applications not exported yet."""
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
        out: list[tuple[int, list[object]]] = []
        for app, person in session.execute(stmt):
            out.append(
                (
                    app.id,
                    [
                        app.certificate_number,
                        person.name if person else "",
                        person.kana if person else "",
                        app.qualification or "",
                        _iso(app.valid_from),
                        _iso(app.valid_to),
                        person.postcode if person else "",
                        person.address if person else "",
                    ],
                )
            )
        return out


def export_certifications(engine: Engine, folder: Path, *, run_id: int) -> CertificationExport:
    """Write the two CSV files for the new approvals and mark them exported.

    Nothing is written (and nothing marked) when there is nothing new.
    """
    pending = pending_rows(engine)
    result = CertificationExport()
    if not pending:
        return result
    rows = [row for _, row in pending]
    folder.mkdir(parents=True, exist_ok=True)
    utf8_path = folder / "certifications-utf8.csv"
    cp932_path = folder / "certifications-cp932.csv"
    cp932_bytes, replacements = encode_cp932(HEADER, rows)
    utf8_path.write_bytes(encode_utf8_bom(csv_text(HEADER, rows)))
    cp932_path.write_bytes(cp932_bytes)
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
    result.files = [utf8_path, cp932_path]
    result.replacements = replacements
    return result
