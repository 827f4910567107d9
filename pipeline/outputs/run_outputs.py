"""One run's files for the office, under ``<data_root>/outputs/run-<id>/``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from pipeline.config import Settings
from pipeline.outputs.certifications import export_certifications
from pipeline.outputs.letters import create_letters


@dataclass
class RunOutputs:
    certifications: int = 0
    certifications_csv: list[str] = field(default_factory=list)
    cp932_replacements: list[str] = field(default_factory=list)
    letters: int = 0
    letters_by_kind: dict[str, int] = field(default_factory=dict)
    letters_file: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {
            "certifications": self.certifications,
            "cp932_replacements": len(self.cp932_replacements),
            "letters": self.letters,
        }

    def for_report(self) -> dict[str, Any]:
        """The fields of :class:`pipeline.reports.model.Outputs`."""
        return {
            "certifications": self.certifications,
            "certifications_csv": self.certifications_csv,
            "letters": self.letters,
            "letters_by_kind": self.letters_by_kind,
            "letters_file": self.letters_file,
        }


def output_folder(settings: Settings, run_id: int) -> Path:
    return settings.dir("outputs") / f"run-{run_id}"


def write_run_outputs(engine: Engine, settings: Settings, *, run_id: int) -> RunOutputs:
    """Export new approvals and create the letters current decisions call for."""
    folder = output_folder(settings, run_id)
    certs = export_certifications(engine, folder, run_id=run_id)
    letters = create_letters(engine, settings, folder, run_id=run_id)

    def rel(path: Path) -> str:
        return str(path.relative_to(settings.data_root))

    return RunOutputs(
        certifications=certs.count,
        certifications_csv=[rel(p) for p in certs.files],
        cp932_replacements=[r.describe() for r in certs.replacements],
        letters=len(letters.created),
        letters_by_kind=letters.by_kind,
        letters_file=rel(letters.files[0]) if letters.files else None,
    )
