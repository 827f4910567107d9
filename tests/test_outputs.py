"""Outputs for the office: the certifications CSV and the audit sample (letters: test_letters.py)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from pipeline.audit_sample import choose, open_audit_items
from pipeline.config import get_settings
from pipeline.outputs.certifications import HEADER, export_certifications
from pipeline.outputs.csvsafe import GETA, encode_cp932, neutralise, to_cp932
from pipeline.runs import start_run
from pipeline.storage.db import session_scope
from pipeline.storage.models import (
    Applicant,
    Application,
    Decision,
    Envelope,
    ReviewItem,
    RuleFinding,
)


@pytest.mark.parametrize("cell", ["=1+1", "+81", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["山田", "100-0005", "CAP-2024-00001", "", "a=b"])
def test_plain_cells_are_unchanged(cell: str) -> None:
    assert neutralise(cell) == cell


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30))
def test_neutralised_cell_never_starts_a_formula(text: str) -> None:
    out = neutralise(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out.endswith(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30))
def test_cp932_text_always_encodes_and_keeps_what_fits(text: str) -> None:
    fitted, replaced = to_cp932(text)
    fitted.encode("cp932")  # never raises
    assert len(fitted) == len(text)
    assert fitted.count(GETA) == text.count(GETA) + len(replaced)


def test_cp932_replacements_are_reported_by_row_and_column() -> None:
    data, replaced = encode_cp932(("氏名", "住所"), [["山田", "東京"], ["𠮷田", "=HYPERLINK()"]])
    text = data.decode("cp932")
    assert "〓田" in text
    assert "'=HYPERLINK()" in text
    assert [(r.row, r.column, r.character) for r in replaced] == [(2, "氏名", "𠮷")]


def _app(s, *, name: str, address: str, number: str | None, decision: str, n: int) -> int:
    env = Envelope(sha256=f"{n:064d}", original_name=f"{n}.pdf", size_bytes=1, status="extracted")
    s.add(env)
    s.flush()
    person = Applicant(name=name, kana="ヤマダ", postcode="100-0005", address=address)
    s.add(person)
    s.flush()
    app = Application(
        envelope_id=env.id,
        applicant_id=person.id,
        qualification="OMP",
        pass_number=f"12345{n:05d}",
        received_on=date(2024, 5, 1),
        decision=decision,
        certificate_number=number,
        valid_from=date(2025, 4, 1) if number else None,
        valid_to=date(2028, 3, 31) if number else None,
    )
    s.add(app)
    s.flush()
    if decision == "approved":
        s.add(
            Decision(
                application_id=app.id,
                outcome="approved",
                ruleset_version="1",
                valid_from=app.valid_from,
                valid_to=app.valid_to,
                created_at=datetime(2025, 6, 20, 16, 0, tzinfo=UTC),  # 2025-06-21 in Tokyo
            )
        )
    return app.id


def test_certifications_csv_both_encodings_once(engine: Engine, tmp_path: Path) -> None:
    run = start_run(engine)
    with session_scope(engine) as s:
        _app(
            s,
            name="𠮷田 花子",
            address="=cmd|' /C calc'!A0",
            number="OMP-2025-00002",
            decision="approved",
            n=1,
        )
        _app(
            s,
            name="山田 太郎",
            address="東京都千代田区",
            number="OMP-2025-00001",
            decision="approved",
            n=2,
        )
        _app(s, name="未承認", address="x", number=None, decision="eligible", n=3)
    result = export_certifications(engine, get_settings(), tmp_path / "out", run_id=run)
    assert result.count == 2
    utf8, cp932 = result.files[:2]
    assert utf8.read_bytes().startswith(b"\xef\xbb\xbf")
    rows_utf8 = list(csv.reader(io.StringIO(utf8.read_bytes().decode("utf-8-sig"))))
    rows_cp932 = list(csv.reader(io.StringIO(cp932.read_bytes().decode("cp932"))))
    assert rows_utf8[0] == list(HEADER) == rows_cp932[0]
    assert [r[0] for r in rows_utf8[1:]] == ["OMP-2025-00001", "OMP-2025-00002"]
    assert rows_utf8[2][1] == "𠮷田 花子" and rows_cp932[2][1] == "〓田 花子"
    assert rows_utf8[2][7].startswith("'=") and rows_cp932[2][7].startswith("'=")
    assert rows_utf8[1][4:6] == ["2025-04-01", "2028-03-31"]
    assert [r.describe() for r in result.replacements] == ["row 2, 氏名: U+20BB7 𠮷"]
    again = export_certifications(engine, get_settings(), tmp_path / "out2", run_id=run)
    assert again.count == 0 and again.files == []
    assert not (tmp_path / "out2").exists()


def _decided(s, app_id: int, outcome: str, findings: list[dict], run_id: int | None) -> None:
    d = Decision(
        application_id=app_id,
        evaluation_id=f"ev-{app_id}-{outcome}",
        outcome=outcome,
        ruleset_version="1",
        run_id=run_id,
    )
    s.add(d)
    for f in findings:
        s.add(
            RuleFinding(
                application_id=app_id,
                evaluation_id=d.evaluation_id,
                ruleset_version="1",
                manual_section="x",
                message_ja="m",
                outcome="fail",
                **f,
            )
        )
    s.get(Application, app_id).decision = outcome


def test_audit_choose_is_deterministic_share_rounded_up() -> None:
    ids = list(range(1, 41))
    chosen = choose(ids, run_id=7, share=0.05)
    assert len(chosen) == 2  # ceil(0.05 * 40)
    assert chosen == choose(list(reversed(ids)), run_id=7, share=0.05)
    assert any(choose(ids, run_id=r, share=0.05) != chosen for r in range(8, 20))
    assert len(choose(ids[:3], run_id=7, share=0.05)) == 1
    assert choose(ids, run_id=7, share=0) == []
    assert choose(ids, run_id=7, share=1.0) == ids


def test_audit_items_only_for_straight_through_eligible(engine: Engine) -> None:
    run = start_run(engine)
    with session_scope(engine) as s:
        ok = [
            _app(s, name="a", address="b", number=None, decision="eligible", n=i)
            for i in range(1, 4)
        ]
        blocked = _app(s, name="a", address="b", number=None, decision="eligible", n=10)
        pending = _app(s, name="a", address="b", number=None, decision="pending", n=11)
        for a in [*ok, blocked]:
            _decided(s, a, "eligible", [], run)
        _decided(s, pending, "pending", [], run)
        s.add(ReviewItem(kind="field_review", dedupe_key="f", title_ja="t", application_id=blocked))
    result = open_audit_items(engine, run_id=run, share=1.0)
    assert result.candidates == 3
    assert result.chosen == sorted(ok)
    with session_scope(engine) as s:
        items = s.scalars(select(ReviewItem).where(ReviewItem.kind == "audit_sample")).all()
        assert {i.application_id for i in items} == set(ok)
        assert {i.severity for i in items} == {"info"}
        assert {s.get(Application, a).decision for a in ok} == {"eligible"}  # decision stands
    assert open_audit_items(engine, run_id=run, share=1.0).chosen == []  # audited once


def test_rows_of_a_file_a_killed_run_wrote_are_recorded_not_exported_again(
    engine: Engine, tmp_path: Path
) -> None:
    from sqlalchemy import delete, select

    from pipeline.storage.models import AuditEvent

    first = start_run(engine)
    with session_scope(engine) as s:
        _app(
            s, name="山田 太郎", address="東京都", number="OMP-2025-00001", decision="approved", n=1
        )
    out = tmp_path / "outputs"
    written = export_certifications(engine, get_settings(), out / f"run-{first}", run_id=first)
    assert written.count == 1
    # The run was killed after writing its files, before recording the export.
    with session_scope(engine) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.action == "certificate.exported"))
    written.files[1].unlink()  # and before the cp932 twin
    second = start_run(engine)
    again = export_certifications(engine, get_settings(), out / f"run-{second}", run_id=second)
    assert again.count == 0 and not (out / f"run-{second}").exists()
    with session_scope(engine) as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "certificate.exported")
        ).all()
    assert len(events) == 1 and events[0].after["recovered"] is True
    assert written.files[1].exists()  # the cp932 twin written from the same rows
    third = start_run(engine)
    assert (
        export_certifications(engine, get_settings(), out / f"run-{third}", run_id=third).count == 0
    )
    with session_scope(engine) as s:
        assert (
            len(
                s.scalars(
                    select(AuditEvent).where(AuditEvent.action == "certificate.exported")
                ).all()
            )
            == 1
        )


def test_decisions_of_a_run_killed_before_its_sample_are_sampled_next(engine: Engine) -> None:
    from pipeline.runs import finish_run, mark_interrupted
    from pipeline.storage.models import RunStatus

    killed = start_run(engine)
    with session_scope(engine) as s:
        lost = _app(s, name="a", address="b", number=None, decision="eligible", n=1)
        _decided(s, lost, "eligible", [], killed)
    assert mark_interrupted(engine) == [killed]  # died between deciding and sampling
    sampled = start_run(engine)
    with session_scope(engine) as s:
        done = _app(s, name="a", address="b", number=None, decision="eligible", n=2)
        _decided(s, done, "eligible", [], sampled)
    finish_run(
        engine,
        sampled,
        status=RunStatus.FAILED,
        stats={"stages": [{"name": "audit_sample", "seconds": 0.1, "counts": {}}]},
        error="after its sample",
    )
    later = start_run(engine)
    result = open_audit_items(engine, run_id=later, share=1.0)
    # The killed run's decision is sampled now; the failed run had sampled its own.
    assert result.chosen == [lost]
