"""The passers register the exam administrator exports (合格者番号, 氏名, フリガナ, ...).

Imported into ``registry_entries`` (one row per pass number, updated in
place when a later export corrects a line). Accepts UTF-8 (with or without
BOM) and cp932. A bad line is reported with its line number and the rest
are imported.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import InputFileError, ValidationError
from pipeline.extract.normalize import FieldInvalid, exam_result, exam_type, katakana, pass_number
from pipeline.storage.models import RegistryEntry
from pipeline.text.dates import DateParseError, parse_date

log = logging.getLogger(__name__)

COLUMNS = ("合格者番号", "氏名", "フリガナ", "試験種別", "受験日", "発行日", "結果")


@dataclass(frozen=True)
class RegisterLine:
    pass_number: str
    name: str
    kana: str
    exam_type: str
    exam_date: date | None
    issue_date: date | None
    result: str


@dataclass
class RegisterImport:
    file: str
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{name}: neither UTF-8 nor cp932 text")


def parse_register(path: Path) -> tuple[list[RegisterLine], list[str]]:
    """Lines of a register CSV and the problems of the lines that could not be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise InputFileError(f"{path}: no such register file") from e
    except OSError as e:
        raise InputFileError(f"{path}: cannot read the register ({e.strerror})") from e
    text = _decode(data, path.name)
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as e:
        raise ValidationError(f"{path.name}: the file is empty") from e
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            f"{path.name}: missing columns {', '.join(missing)} (header: {','.join(header)})"
        )
    index = {c: header.index(c) for c in COLUMNS}
    lines: list[RegisterLine] = []
    problems: list[str] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            cells = {c: row[i].strip() for c, i in index.items()}
            lines.append(
                RegisterLine(
                    pass_number=pass_number(cells["合格者番号"]),
                    name=cells["氏名"],
                    kana=katakana(cells["フリガナ"]),
                    exam_type=exam_type(cells["試験種別"]),
                    exam_date=parse_date(cells["受験日"]) if cells["受験日"] else None,
                    issue_date=parse_date(cells["発行日"]) if cells["発行日"] else None,
                    result=exam_result(cells["結果"]),
                )
            )
        except (IndexError, FieldInvalid, DateParseError) as e:
            problems.append(f"{path.name}:{number}: {e}")
    return lines, problems


def import_register(session: Session, path: Path) -> RegisterImport:
    lines, problems = parse_register(path)
    result = RegisterImport(file=path.name, read=len(lines) + len(problems), problems=problems)
    existing = {
        e.pass_number: e
        for e in session.scalars(
            select(RegistryEntry).where(
                RegistryEntry.pass_number.in_([ln.pass_number for ln in lines])
            )
        )
    }
    for line in lines:
        values = {
            "name": line.name,
            "kana": line.kana,
            "exam_type": line.exam_type,
            "exam_date": line.exam_date,
            "issue_date": line.issue_date,
            "result": line.result,
        }
        entry = existing.get(line.pass_number)
        if entry is None:
            entry = RegistryEntry(pass_number=line.pass_number, source_file=path.name, **values)
            session.add(entry)
            existing[line.pass_number] = entry
            result.new += 1
        elif any(getattr(entry, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(entry, key, value)
            entry.source_file = path.name
            result.updated += 1
        else:
            result.unchanged += 1
    log.info(
        "register %s: %d lines, %d new, %d updated, %d problems",
        path.name,
        result.read,
        result.new,
        result.updated,
        len(problems),
    )
    return result


def register_files(location: Path) -> list[Path]:
    if location.is_file():
        return [location]
    if location.is_dir():
        return sorted(p for p in location.iterdir() if p.suffix.lower() == ".csv")
    return []
