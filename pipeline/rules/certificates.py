"""Certificate numbers: configurable format, unique, gap-free per qualification and year.

The counter lives in ``certificate_sequences`` (one row per qualification and
year). :func:`next_sequence` creates the row if needed (insert … on conflict do
nothing) and increments it with one atomic ``UPDATE … RETURNING`` inside the
caller's transaction: on PostgreSQL the update holds the row lock until commit,
so concurrent approvals queue; on SQLite the write lock does the same. A rolled
back approval rolls its increment back too, so numbers have no gaps.

The year is the year of approval (the caller passes it).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from pipeline.errors import ConfigurationError
from pipeline.storage.db import dialect_insert
from pipeline.storage.models import CertificateSequence


def format_certificate_number(fmt: str, *, qualification: str, year: int, seq: int) -> str:
    """Apply ``settings.certificate_number_format`` (e.g. ``{qualification}-{year}-{seq:05d}``)."""
    if "{seq" not in fmt:
        raise ConfigurationError(
            f"certificate_number_format {fmt!r} must contain {{seq}} to be unique"
        )
    try:
        number = fmt.format(qualification=qualification, year=year, seq=seq)
    except (KeyError, IndexError, ValueError) as e:
        raise ConfigurationError(
            f"certificate_number_format {fmt!r} is invalid: use only "
            f"{{qualification}}, {{year}} and {{seq}} ({e})"
        ) from e
    if len(number) > 32:
        raise ConfigurationError(f"certificate number {number!r} is longer than 32 characters")
    return number


def next_sequence(session: Session, qualification: str, year: int) -> int:
    """The next number for (qualification, year), inside the caller's transaction."""
    session.execute(
        dialect_insert(session)(CertificateSequence)
        .values(qualification=qualification, year=year, last_seq=0)
        .on_conflict_do_nothing(index_elements=["qualification", "year"])
    )
    stmt = (
        update(CertificateSequence)
        .where(
            CertificateSequence.qualification == qualification,
            CertificateSequence.year == year,
        )
        .values(last_seq=CertificateSequence.last_seq + 1)
        .returning(CertificateSequence.last_seq)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(stmt).scalar_one())


def allocate_certificate_number(session: Session, qualification: str, year: int, fmt: str) -> str:
    """Allocate the next certificate number (validating the format first)."""
    format_certificate_number(fmt, qualification=qualification, year=year, seq=1)
    seq = next_sequence(session, qualification, year)
    return format_certificate_number(fmt, qualification=qualification, year=year, seq=seq)
