"""Certificates (認定証) of approved applications: what each prints, and their PDF files.

A certificate prints the holder's name as the forms read it surely (the name
of form A, else of the exam report, else of form D; an application with no
such field uses its applicant record), the qualification's full name, the
validity of the approval and its issue date: the day the application was
approved, in the business time zone, so a reprint bears the same date.

A certificate that cannot be printed as it should (a name nobody confirmed,
a character no font has, a text too long for its box) is not exported: a
``certificate_blocked`` item tells staff why, and the next run tries again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.errors import ValidationError
from pipeline.ingest.files import atomic_write_bytes, safe_name
from pipeline.outputs.certificate_pdf import (
    CertificateDocument,
    PlannedCertificate,
    certificates_pdf,
    plan_certificate,
)
from pipeline.outputs.letter_sources import holder_name
from pipeline.queue import close_if_open, open_or_update
from pipeline.storage.models import Application, Decision, DecisionOutcome

BLOCKED = "certificate_blocked"
COMBINED_PDF = "certificates.pdf"
SINGLES_DIR = "certificates"


class CertificateRefusedError(ValidationError):
    """A certificate that cannot be printed as it should."""


def blocked_key(application_id: int) -> str:
    return f"certificate-blocked:{application_id}"


@dataclass(frozen=True)
class Certificate:
    application_id: int
    document: CertificateDocument
    planned: PlannedCertificate


def certificate_of(session: Session, settings: Settings, application: Application) -> Certificate:
    """The application's certificate laid out, or :class:`ValidationError` saying why not."""
    number = application.certificate_number
    if not number or application.valid_from is None or application.valid_to is None:
        raise CertificateRefusedError(f"申請 {application.id} は認定番号・有効期間が未確定です。")
    name, unsure = holder_name(session, application)
    if unsure:
        raise CertificateRefusedError(
            f"認定証（{number}）を作成できません: 氏名の読み取りが確認されていません"
            "（読み取り値を確認すると、次の夜間処理で作成します）。"
        )
    if not name:
        raise CertificateRefusedError(f"認定証（{number}）を作成できません: 氏名が空です。")
    approved = session.scalars(
        select(Decision)
        .where(
            Decision.application_id == application.id,
            Decision.outcome == DecisionOutcome.APPROVED.value,
        )
        .order_by(Decision.id.desc())
    ).first()
    issued = approved.created_at.astimezone(settings.tz).date() if approved else None
    if issued is None:
        raise CertificateRefusedError(
            f"認定証（{number}）を作成できません: 認定の記録がありません。"
        )
    document = CertificateDocument(
        number,
        name,
        application.qualification or "",
        application.valid_from,
        application.valid_to,
        issued,
    )
    try:
        planned = plan_certificate(document, settings)
    except ValidationError as e:
        raise CertificateRefusedError(f"認定証（{number}）を作成できません: {e.message}") from e
    return Certificate(application.id, document, planned)


def block(session: Session, application_id: int, message: str, *, run_id: int | None) -> None:
    open_or_update(
        session,
        kind=BLOCKED,
        dedupe_key=blocked_key(application_id),
        title_ja=message,
        details={"reason": message},
        application_id=application_id,
        run_id=run_id,
    )


def unblock(session: Session, application_id: int, *, run_id: int | None) -> None:
    close_if_open(
        session,
        blocked_key(application_id),
        resolution="認定証を作成しました。",
        actor=f"run:{run_id}" if run_id else "system",
        run_id=run_id,
    )


def single_path(folder: Path, number: str) -> Path:
    return folder / SINGLES_DIR / f"{safe_name(number)}.pdf"


def write_certificate_files(
    certificates: list[Certificate], settings: Settings, folder: Path
) -> list[Path]:
    """The combined PDF (first) and one PDF per certificate."""
    combined = atomic_write_bytes(
        folder / COMBINED_PDF,
        certificates_pdf([c.planned for c in certificates], settings, title="認定証"),
    )
    singles = [
        atomic_write_bytes(
            single_path(folder, c.document.number),
            certificates_pdf([c.planned], settings, title=f"認定証 {c.document.number}"),
        )
        for c in certificates
    ]
    return [combined, *singles]
