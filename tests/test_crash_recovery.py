"""The fault-injection hook, and the recoveries the crash-safety test found missing.

``tests/test_crash_safety.py`` kills whole runs; these pin each repair down
in-process, fast: a file moved to quarantine by a run killed before it
recorded the row, and letters stored by a run that died before listing them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from pipeline import faults
from pipeline.config import PROJECT_ROOT, get_settings
from pipeline.ingest import files
from pipeline.ingest.intake import IntakeOutcome, take_inbox
from pipeline.outputs import letters
from pipeline.runs import mark_interrupted, start_run
from pipeline.storage.db import session_scope
from pipeline.storage.models import AuditEvent, Envelope, Letter
from tests.helpers import files as make
from tests.pdf_support import pdf_text
from tests.test_ingest import settings  # noqa: F401  (the intake fixture)
from tests.test_outputs import _app, _decided

TODAY = date(2024, 6, 21)


def test_checkpoint_kills_at_the_nth_passage_and_leaves_a_marker(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    code = "from pipeline import faults\nfor _ in range(3): faults.checkpoint('decide.saved')\n"
    env = {
        **os.environ,
        "CONKEN_FAULT_KILL_AT": "decide.saved:2",
        "CONKEN_FAULT_MARKER": str(marker),
    }
    proc = subprocess.run(
        [sys.executable, "-c", code + "print('survived')"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL and "survived" not in proc.stdout
    assert marker.read_text() == "decide.saved:2\n"


def test_checkpoint_is_inert_unless_armed_for_that_point() -> None:
    try:
        faults.configure(None)
        faults.checkpoint("decide.saved")  # would kill this test process if armed
        faults.configure("report.written:5")
        faults.checkpoint("decide.saved")
        with pytest.raises(ValueError, match="unknown point"):
            faults.configure("no.such.point")
    finally:
        faults.configure(None)


@pytest.mark.usefixtures("settings")
def test_file_moved_to_quarantine_by_a_killed_run_is_recorded_once(engine: Engine) -> None:
    cfg = get_settings()
    bad = make.write_truncated_pdf(cfg.inbox_dir / "broken scan.pdf")
    # What a run killed between the move and the insert leaves behind:
    moved = files.quarantine(
        bad,
        cfg.quarantine_dir,
        reason="truncated",
        detail="broken scan.pdf has no end-of-file marker",
        message_ja="ファイルが途中で切れています。",
        sha256="ab" * 32,
        received_at=datetime(2024, 6, 1, 3, 0, tzinfo=UTC),
    )
    good = make.write_pdf(cfg.inbox_dir / "good.pdf")
    results, _ = take_inbox(engine, cfg)
    assert [(r.name, r.outcome) for r in results] == [(good.name, IntakeOutcome.NEW)]
    take_inbox(engine, cfg)  # again: nothing more
    with session_scope(engine) as s:
        rows = s.scalars(select(Envelope).where(Envelope.status == "quarantined")).all()
        assert [(e.original_name, e.quarantine_reason) for e in rows] == [
            ("broken scan.pdf", "truncated")
        ]
        assert rows[0].archive_path == str(moved.relative_to(cfg.data_root))
        assert rows[0].received_at == datetime(2024, 6, 1, 3, 0, tzinfo=UTC)
        actions = s.scalars(select(AuditEvent.action)).all()
        assert actions.count("envelope.quarantined") == 1


def test_letters_stored_by_a_run_that_died_before_listing_them_are_listed_next(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = get_settings()
    first = start_run(engine)
    with session_scope(engine) as s:
        app = _app(s, name="山田 太郎", address="東京都", number=None, decision="pending", n=1)
        _decided(
            s, app, "pending", [{"rule_id": "oath.signed", "letter_kind": "unsigned_oath"}], first
        )

    def crash(*_args: object, **_kwargs: object) -> list[Path]:
        raise OSError("disk full")  # as good as a kill between the commit and the list

    with monkeypatch.context() as mp:
        mp.setattr(letters, "write_letter_files", crash)
        with pytest.raises(OSError):
            letters.create_letters(engine, cfg, tmp_path / "run-1", run_id=first, today=TODAY)
    mark_interrupted(engine)
    second = start_run(engine)
    result = letters.create_letters(engine, cfg, tmp_path / "run-2", run_id=second, today=TODAY)
    assert result.created == []  # stored by the first run, not created again
    listing = (tmp_path / "run-2" / "letters.csv").read_text(encoding="utf-8-sig")
    assert listing.count("署名漏れのお知らせ") == 1
    assert "山田 太郎 様" in pdf_text(tmp_path / "run-2" / "letters.pdf")
    third = letters.create_letters(
        engine, cfg, tmp_path / "run-3", run_id=start_run(engine), today=TODAY
    )
    assert third.files == [] and not (tmp_path / "run-3").exists()
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Letter)) == 1
        listed = s.scalars(select(AuditEvent).where(AuditEvent.action == "letter.listed")).all()
        assert len(listed) == 1 and json.dumps(listed[0].after) == '{"file": "letters.pdf"}'


def test_a_page_rewritten_after_a_killed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    import numpy as np

    from pipeline.extract.envelope import PageResult
    from pipeline.extract.files import envelope_dir, save_page_outputs
    from pipeline.extract.identify import PageKind

    store = tmp_path / "store"
    folder = envelope_dir(store, 7) / "page-001"
    folder.mkdir(parents=True)
    stale = folder / ".page.png.4242.partial"  # a writer killed mid-write
    stale.write_bytes(b"half a png")
    unrelated = folder / "notes.partial"  # not ours: left alone
    unrelated.write_bytes(b"x")
    page = PageResult(0, PageKind.EXTRA, None, None, None, None, 0, None, None, "")
    page.image = np.full((40, 30), 255, np.uint8)
    save_page_outputs(page, data_root=tmp_path, store_dir=store, envelope_id=7, work_dpi=300)
    assert not stale.exists()
    assert unrelated.exists()
    assert (
        folder / "page.png"
    ).is_file() and page.image_path == "store/envelope-000007/page-001/page.png"
