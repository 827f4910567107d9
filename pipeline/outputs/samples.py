"""One made-up letter of every kind and a certificate, to look at a layout before printing.

``conken outputs preview --out DIR`` writes them as PDFs and PNGs: after
editing ``association.yaml``, a layout file or the envelope window setting,
print them on the office's paper and hold them against an envelope. The
images in ``docs/outputs/`` were made so. Nothing here touches the database.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import ExternalToolError
from pipeline.ingest.files import atomic_write_bytes
from pipeline.outputs.association import association
from pipeline.outputs.certificate_pdf import CertificateDocument, certificates_pdf, plan_certificate
from pipeline.outputs.letter_pdf import LetterDocument, Recipient, letters_pdf, plan_letter
from pipeline.outputs.letter_text import KINDS, REFUND_REASON_JA, compose
from pipeline.outputs.wareki import era_date
from pipeline.rules.readings import DOCUMENT_NAMES

DATED = date(2025, 6, 21)
RECIPIENT = Recipient("150-0002", "東京都渋谷区渋谷二丁目21番1号 渋谷ヒカリエ 34階", "山田 花子")


def sample_values(kind: str, fee_yen: int = 11_000) -> dict[str, object]:
    """Values a real application of ``kind`` would give its template."""
    who = association()
    items = {
        "missing_documents": [
            DOCUMENT_NAMES["B"],
            f"{DOCUMENT_NAMES['C']}（業務経歴 2 行目：株式会社サンプルコミュニケーションズ 2018年4月～2021年3月）",
        ],
        "unsigned_forms": [DOCUMENT_NAMES["D"]],
    }.get(kind, [])
    return {
        "application_id": 4,
        "pass_number": "2123014489",
        "category": who.qualification_category("SV" if kind == "not_required" else "OMP"),
        "qualification": who.qualification_name("SV" if kind == "not_required" else "OMP"),
        "items": items,
        "fee_yen": fee_yen,
        "paid_yen": 10_000,
        "owed_yen": fee_yen - 10_000,
        "payer_example": "4489ヤマダハナコ",
        "bank": who.bank_account.model_dump(),
        "documents_postcode": who.documents_address.postcode,
        "documents_address": "\n".join(who.documents_address.lines),
        "contact_email": who.contact_email,
        "received_on": era_date(date(2025, 5, 30)),
        "deposit_on": era_date(date(2025, 6, 2)),
        "deposit_yen": 2 * fee_yen,
        "refund_yen": fee_yen,
        "refund_reason": REFUND_REASON_JA["duplicate"],
    }


def sample_letter(kind: str, settings: Settings) -> LetterDocument:
    text = compose(kind, sample_values(kind, settings.fee_yen))
    return LetterDocument(
        kind, RECIPIENT, DATED, (("申請番号", "4"), ("合格者番号", "2123014489")), text
    )


def sample_certificate() -> CertificateDocument:
    return CertificateDocument(
        "OMP-2025-00001", "山田 花子", "OMP", date(2025, 4, 1), date(2028, 3, 31), DATED
    )


@dataclass(frozen=True)
class Preview:
    pdf: Path
    png: Path


def _png(pdf: Path, dpi: int) -> Path:
    stem = pdf.with_suffix("")
    try:
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(stem)],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as e:
        raise ExternalToolError(f"pdftoppm could not render {pdf.name}: {e}") from e
    return stem.with_suffix(".png")


def write_previews(settings: Settings, folder: Path, *, dpi: int = 60) -> list[Preview]:
    """A PDF and a PNG (first page) of every kind of letter and of the certificate."""
    out: list[Preview] = []
    for kind in KINDS:
        planned = plan_letter(sample_letter(kind, settings), settings)
        pdf = atomic_write_bytes(
            folder / f"letter-{kind}.pdf", letters_pdf([planned], settings, title=kind)
        )
        out.append(Preview(pdf, _png(pdf, dpi)))
    for stock in ("plain", "preprinted"):
        stock_settings = settings.model_copy(update={"certificate_stock": stock})
        planned_cert = plan_certificate(sample_certificate(), stock_settings)
        pdf = atomic_write_bytes(
            folder / f"certificate-{stock}.pdf",
            certificates_pdf([planned_cert], stock_settings, title=f"certificate {stock}"),
        )
        out.append(Preview(pdf, _png(pdf, dpi)))
    return out
