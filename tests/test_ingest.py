"""Intake: hashing, archive, duplicates, leftovers, quarantine reasons, unstable files."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline.config import get_settings
from pipeline.ingest import files
from pipeline.ingest.intake import IntakeOutcome, list_inbox, take_file, take_inbox
from pipeline.ingest.sniff import QuarantineReason, UnusableFileError, inspect_file
from pipeline.storage.models import AuditEvent, Envelope
from tests.helpers import files as make


@pytest.fixture
def settings(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CONKEN_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CONKEN_INBOX_SETTLE_SECONDS", "0")
    get_settings.cache_clear()
    s = get_settings()
    files.ensure_dir(s.inbox_dir)
    return s


def _age(path: Path, seconds: float = 60) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t), follow_symlinks=False)


def test_new_file_is_archived_under_its_hash_and_removed_from_inbox(
    settings, engine: Engine
) -> None:
    src = make.write_pdf(settings.inbox_dir / "scan 001.pdf", pages=2)
    original_bytes = src.read_bytes()
    sha = files.sha256_of(src)
    result = take_file(engine, src, settings)
    assert result.outcome == IntakeOutcome.NEW
    assert not src.exists()
    archived = settings.archive_dir / sha[:2] / f"{sha}.pdf"
    assert archived.read_bytes() == original_bytes
    assert stat.S_IMODE(archived.stat().st_mode) == 0o600
    assert stat.S_IMODE(archived.parent.stat().st_mode) == 0o700
    with Session(engine) as s:
        env = s.get(Envelope, result.envelope_id)
        assert env is not None
        assert (env.sha256, env.page_count, env.media_type) == (sha, 2, "application/pdf")
        assert env.original_name == "scan 001.pdf"
        assert env.received_at.tzinfo is not None
        actions = s.scalars(select(AuditEvent.action)).all()
        assert "envelope.received" in actions


def test_same_file_twice_is_recorded_as_duplicate(
    settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    first = make.write_pdf(settings.inbox_dir / "a.pdf")
    data = first.read_bytes()
    r1 = take_file(engine, first, settings)
    again = settings.inbox_dir / "a-again.pdf"
    again.write_bytes(data)
    with caplog.at_level("INFO", logger="pipeline.ingest.intake"):
        r2 = take_file(engine, again, settings)
    # the log names the original as the original (it named the duplicate's own row)
    assert (
        f"is a duplicate of envelope {r1.envelope_id} (recorded as envelope {r2.envelope_id})"
        in caplog.text
    )
    assert r2.outcome == IntakeOutcome.DUPLICATE
    with Session(engine) as s:
        dup = s.get(Envelope, r2.envelope_id)
        assert dup is not None and dup.duplicate_of_id == r1.envelope_id
        assert dup.status == "duplicate"
        originals = s.scalars(select(Envelope).where(Envelope.duplicate_of_id.is_(None))).all()
        assert len(originals) == 1


def test_leftover_of_interrupted_run_is_not_a_duplicate(settings, engine: Engine) -> None:
    src = make.write_pdf(settings.inbox_dir / "a.pdf")
    keep = src.read_bytes()
    mtime = src.stat().st_mtime_ns
    take_file(engine, src, settings)
    # Simulate a crash after the commit but before the inbox file was removed.
    src.write_bytes(keep)
    os.utime(src, ns=(mtime, mtime))
    result = take_file(engine, src, settings)
    assert result.outcome == IntakeOutcome.LEFTOVER
    assert not src.exists()
    with Session(engine) as s:
        assert len(s.scalars(select(Envelope)).all()) == 1


@pytest.mark.parametrize(
    ("maker", "name", "reason"),
    [
        (lambda p: (p.write_bytes(b""), p)[1], "empty.pdf", QuarantineReason.EMPTY),
        (make.write_truncated_pdf, "truncated.pdf", QuarantineReason.TRUNCATED),
        (make.write_encrypted_pdf, "locked.pdf", QuarantineReason.ENCRYPTED),
        (make.write_zip_named_pdf, "archive.pdf", QuarantineReason.NOT_A_DOCUMENT),
        (
            lambda p: (p.write_text("hello", encoding="utf-8"), p)[1],
            "note.pdf",
            QuarantineReason.NOT_A_DOCUMENT,
        ),
        (
            lambda p: (p.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(64)), p)[1],
            "tool.pdf",
            QuarantineReason.NOT_A_DOCUMENT,
        ),
        (make.write_huge_png_header, "bomb.png", QuarantineReason.TOO_MANY_PIXELS),
    ],
)
def test_unusable_files_go_to_quarantine_with_a_reason(
    settings, engine: Engine, maker, name, reason
) -> None:
    src = maker(settings.inbox_dir / name)
    good = make.write_pdf(settings.inbox_dir / "zz-good.pdf")
    results = [take_file(engine, src, settings), take_file(engine, good, settings)]
    assert results[0].outcome == IntakeOutcome.QUARANTINED
    assert results[0].reason == reason.value
    assert results[1].outcome == IntakeOutcome.NEW  # the rest of the batch goes on
    moved = list(settings.quarantine_dir.glob(f"*{name}"))
    assert len(moved) == 1
    info = json.loads(Path(str(moved[0]) + ".reason.json").read_text(encoding="utf-8"))
    assert info["reason"] == reason.value
    assert info["original_name"] == name
    assert info["message_ja"]
    with Session(engine) as s:
        env = s.get(Envelope, results[0].envelope_id)
        assert env is not None and env.quarantine_reason == reason.value


def test_symlink_is_quarantined_without_following_it(
    settings, engine: Engine, tmp_path: Path
) -> None:
    target = make.write_pdf(tmp_path / "outside.pdf")
    link = settings.inbox_dir / "link.pdf"
    link.symlink_to(target)
    result = take_file(engine, link, settings)
    assert result.reason == QuarantineReason.SYMLINK.value
    assert target.exists()  # the target is untouched
    assert not (settings.archive_dir).exists() or not any(settings.archive_dir.rglob("*.pdf"))


def test_images_and_multipage_tiff_are_accepted(settings, engine: Engine) -> None:
    for path in (
        make.write_png(settings.inbox_dir / "p.png"),
        make.write_jpeg(settings.inbox_dir / "j.jpg"),
        make.write_tiff(settings.inbox_dir / "t.tif", pages=3),
    ):
        result = take_file(engine, path, settings)
        assert result.outcome == IntakeOutcome.NEW, path
    with Session(engine) as s:
        tiff = s.scalars(select(Envelope).where(Envelope.original_name == "t.tif")).one()
        assert (tiff.media_type, tiff.page_count) == ("image/tiff", 3)


def test_unstable_file_waits_for_next_run(
    settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONKEN_INBOX_SETTLE_SECONDS", "30")
    get_settings.cache_clear()
    s = get_settings()
    old = make.write_pdf(s.inbox_dir / "old.pdf")
    _age(old)
    fresh = make.write_pdf(s.inbox_dir / "fresh.pdf", text="fresh")
    (s.inbox_dir / "upload.pdf.partial").write_bytes(b"%PDF-1.4")
    results, listing = take_inbox(engine, s)
    assert [r.name for r in results] == ["old.pdf"]
    assert listing.unstable == [fresh]
    assert fresh.exists()


def test_odd_file_names_are_kept_as_text_and_stored_safely(settings, engine: Engine) -> None:
    names = ["申請書 山田.pdf", "a" * 200 + ".pdf", "..%2F..%2Fetc.pdf", "..evil.pdf"]
    for i, name in enumerate(names):
        path = make.write_pdf(settings.inbox_dir / name, text=str(i))
        assert take_file(engine, path, settings).outcome == IntakeOutcome.NEW
    with Session(engine) as s:
        stored = {e.original_name for e in s.scalars(select(Envelope))}
        assert stored == set(names)
        for env in s.scalars(select(Envelope)):
            assert env.archive_path is not None
            resolved = (settings.data_root / env.archive_path).resolve()
            assert resolved.is_relative_to(settings.archive_dir.resolve())


def test_safe_name_neutralises_traversal_and_length() -> None:
    assert "/" not in files.safe_name("../../etc/passwd")
    assert not files.safe_name("..hidden").startswith(".")
    long = files.safe_name("あ" * 300 + ".pdf")
    assert len(long.encode()) <= 120 and long.endswith(".pdf")


def test_inspect_counts_pdf_pages(tmp_path: Path) -> None:
    info = inspect_file(make.write_pdf(tmp_path / "x.pdf", pages=3), max_pixels=10**8, max_pages=10)
    assert info.page_count == 3
    with pytest.raises(UnusableFileError) as err:
        inspect_file(make.write_pdf(tmp_path / "y.pdf", pages=3), max_pixels=10**8, max_pages=2)
    assert err.value.reason == QuarantineReason.TOO_MANY_PAGES


def test_list_inbox_on_missing_folder(tmp_path: Path) -> None:
    listing = list_inbox(tmp_path / "nope", settle_seconds=0)
    assert listing.ready == [] and listing.unstable == []


def test_an_envelope_failed_outside_a_run_is_attributed_to_the_system(
    settings, engine: Engine
) -> None:
    from pipeline import stages

    src = make.write_pdf(settings.inbox_dir / "a.pdf")
    envelope_id = take_file(engine, src, settings).envelope_id
    assert envelope_id is not None
    stages.fail_envelope(engine, settings, envelope_id, "boom", run_id=None)  # `conken ingest`
    with Session(engine) as s:
        actors = s.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "envelope.failed")
        ).all()
    assert actors == ["system"]  # was "run:None"


def test_pdf_with_only_an_owner_password_is_taken_and_read(settings, engine: Engine) -> None:
    # scanners often lock editing with an owner password; any viewer opens the file
    from pipeline.imaging.raster import single_page

    src = make.write_encrypted_pdf(settings.inbox_dir / "scan.pdf", user_password="")
    assert inspect_file(src, max_pixels=10**9, max_pages=10).page_count == 1
    result = take_file(engine, src, settings)
    assert result.outcome == IntakeOutcome.NEW, result.reason  # was: quarantined, encrypted
    with Session(engine) as s:
        envelope = s.get(Envelope, result.envelope_id)
        assert envelope is not None and envelope.archive_path is not None
        archived = settings.data_root / envelope.archive_path
    page = single_page(archived, "application/pdf", 0, dpi=100, max_pixels=10**9)
    assert page.image.shape[0] > 100  # rasterised like any other scan


def test_pdf_that_needs_a_password_to_open_stays_quarantined(settings) -> None:
    src = make.write_encrypted_pdf(settings.inbox_dir / "locked.pdf")
    with pytest.raises(UnusableFileError, match="needs a password to open") as err:
        inspect_file(src, max_pixels=10**9, max_pages=10)
    assert err.value.reason == QuarantineReason.ENCRYPTED
