"""One run's files for the office, under ``<data_root>/outputs/run-<id>/``.

==========================================  =================================================
``letters.pdf``                             every letter of the run, each from a new page
``letters/<n>-申請<id>-<kind>.pdf``          one PDF per letter
``letters.csv``                             the letters listed (recipient, kind, text)
``certificates.pdf``                        every new certificate (認定証), one page each
``certificates/<number>.pdf``               one PDF per certificate
``certifications-utf8.csv``, ``-cp932.csv``  the new certifications listed
==========================================  =================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from pipeline.config import Settings
from pipeline.outputs.certifications import CP932_NAME, UTF8_NAME, export_certifications
from pipeline.outputs.letters import create_letters


@dataclass
class RunOutputs:
    certifications: int = 0
    certifications_csv: list[str] = field(default_factory=list)
    certificates_pdf: str | None = None
    certificates_refused: int = 0
    cp932_replacements: list[str] = field(default_factory=list)
    letters: int = 0  # printed by the run: to send
    letters_by_kind: dict[str, int] = field(default_factory=dict)
    letters_file: str | None = None
    letters_refused: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {
            "certifications": self.certifications,
            "cp932_replacements": len(self.cp932_replacements),
            "letters": self.letters,
            "letters_refused": self.letters_refused,
            "certificates_refused": self.certificates_refused,
        }

    def for_report(self) -> dict[str, Any]:
        """The fields of :class:`pipeline.reports.model.Outputs`."""
        return {
            "certifications": self.certifications,
            "certifications_csv": self.certifications_csv,
            "certificates_pdf": self.certificates_pdf,
            "certificates_refused": self.certificates_refused,
            "letters": self.letters,
            "letters_by_kind": self.letters_by_kind,
            "letters_file": self.letters_file,
            "letters_refused": self.letters_refused,
        }


def output_folder(settings: Settings, run_id: int) -> Path:
    return settings.dir("outputs") / f"run-{run_id}"


def write_run_outputs(
    engine: Engine, settings: Settings, *, run_id: int, today: date
) -> RunOutputs:
    """Export new approvals and create the letters current decisions call for (dated ``today``)."""
    folder = output_folder(settings, run_id)
    certs = export_certifications(engine, settings, folder, run_id=run_id)
    letters = create_letters(engine, settings, folder, run_id=run_id, today=today)

    def rel(path: Path) -> str:
        return str(path.relative_to(settings.data_root))

    combined = certs.combined_pdf
    return RunOutputs(
        certifications=certs.count,
        certifications_csv=[rel(p) for p in certs.files if p.name in (UTF8_NAME, CP932_NAME)],
        certificates_pdf=rel(combined) if combined else None,
        certificates_refused=len(certs.refused),
        cp932_replacements=[r.describe() for r in certs.replacements],
        letters=len(letters.printed),
        letters_by_kind=letters.by_kind,
        letters_file=rel(letters.files[0]) if letters.files else None,
        letters_refused=len(letters.refused),
    )
