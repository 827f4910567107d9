"""Retention: images of long-decided applications go; decisions and the audit trail stay."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline.extract.files import envelope_dir
from pipeline.retention import purge_images
from pipeline.storage.audit import history
from pipeline.storage.models import Application, Decision, Envelope, FieldValue, Page

NOW = datetime(2030, 4, 1, tzinfo=UTC)


def _application(s: Session, root: Path, n: int, outcome: str, decided: datetime) -> Application:
    archive = root / "archive" / f"{n:064d}.pdf"
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(b"%PDF-1.4 original")
    env = Envelope(
        sha256=f"{n:064d}",
        original_name=f"{n}.pdf",
        size_bytes=17,
        received_at=decided,
        archive_path=str(archive.relative_to(root)),
    )
    s.add(env)
    s.flush()
    folder = envelope_dir(root / "store", env.id) / "page-001"
    folder.mkdir(parents=True)
    (folder / "page.png").write_bytes(b"png")
    (folder / "A_name_kanji.png").write_bytes(b"png")
    s.add(
        Page(
            envelope_id=env.id,
            page_index=0,
            image_path=str((folder / "page.png").relative_to(root)),
        )
    )
    app = Application(envelope_id=env.id, received_on=date(2024, 1, 1), decision=outcome)
    s.add(app)
    s.flush()
    s.add(
        FieldValue(
            application_id=app.id,
            envelope_id=env.id,
            form_code="A",
            name="name_kanji",
            kind="text",
            value="山田 太郎",
            status="ok",
            crop_path=str((folder / "A_name_kanji.png").relative_to(root)),
        )
    )
    s.add(
        Decision(
            application_id=app.id,
            outcome=outcome,
            ruleset_version="r1",
            decided_by="user:1",
            created_at=decided,
            is_current=True,
        )
    )
    s.flush()
    return app


def test_purge_removes_only_old_final_images(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "data"
    with Session(engine) as s:
        old = _application(s, root, 1, "approved", datetime(2023, 3, 1, tzinfo=UTC))
        recent = _application(s, root, 2, "approved", datetime(2028, 3, 1, tzinfo=UTC))
        pending = _application(s, root, 3, "review", datetime(2020, 3, 1, tzinfo=UTC))
        s.commit()

        dry = purge_images(
            s,
            data_root=root,
            store_dir=root / "store",
            older_than_years=5,
            actor="test",
            dry_run=True,
            now=NOW,
        )
        assert dry.applications == [old.id] and dry.files_removed == 3
        assert (root / s.get(Envelope, old.envelope_id).archive_path).exists()  # type: ignore[operator]

        done = purge_images(
            s, data_root=root, store_dir=root / "store", older_than_years=5, actor="test", now=NOW
        )
        s.commit()
        assert done.applications == [old.id]
        envelope = s.get(Envelope, old.envelope_id)
        assert envelope is not None and envelope.archive_path is None
        assert not envelope_dir(root / "store", envelope.id).exists()
        assert not list((root / "archive").glob(f"{1:064d}.pdf"))
        # The record stays: decision, value, and an audit event saying what went.
        kept = s.scalars(select(FieldValue).where(FieldValue.application_id == old.id)).one()
        assert kept.value == "山田 太郎" and kept.crop_path is None
        assert (
            s.scalars(select(Decision).where(Decision.application_id == old.id)).one().outcome
            == "approved"
        )
        assert [e.action for e in history(s, "application", old.id)] == [
            "application.images_purged"
        ]
        # Recent and undecided applications keep their images.
        for app in (recent, pending):
            env = s.get(Envelope, app.envelope_id)
            assert env is not None and env.archive_path and (root / env.archive_path).exists()
            assert s.scalars(select(Application).where(Application.id == app.id)).one()
