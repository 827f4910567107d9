"""Storing evaluations, approving with certificate numbers, and the explain trace."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import ConcurrencyError, ConfigurationError, ValidationError
from pipeline.names_ja import RULE_JA
from pipeline.rules.certificates import allocate_certificate_number, format_certificate_number
from pipeline.rules.explain import load_trace, render
from pipeline.rules.store import approve, reject, save_evaluation
from pipeline.storage.models import (
    Application,
    AuditEvent,
    CertificateSequence,
    Decision,
    Envelope,
    RuleFinding,
)
from tests.rules_support import base_app, period, run, with_

FMT = "{qualification}-{year}-{seq:05d}"


def _new_application(session: Session, n: int = 1, qualification: str = "CAP") -> Application:
    envelope = Envelope(sha256=f"{n:064x}", original_name=f"scan{n}.pdf", size_bytes=100)
    session.add(envelope)
    session.flush()
    application = Application(
        envelope_id=envelope.id, qualification=qualification, received_on=date(2024, 5, 10)
    )
    session.add(application)
    session.flush()
    return application


@pytest.fixture
def any_session(any_engine: Engine):  # type: ignore[no-untyped-def]
    with sessionmaker(bind=any_engine, expire_on_commit=False)() as s:
        yield s


def test_save_evaluation_stores_findings_and_one_current_decision(any_session: Session) -> None:
    session = any_session
    application = _new_application(session)
    first = run(with_(base_app(), payment={"status": "unpaid"}))
    second = run(base_app())
    d1 = save_evaluation(session, application.id, first)
    d2 = save_evaluation(session, application.id, second, actor="run:7")
    session.commit()

    current = session.scalars(
        select(Decision).where(Decision.application_id == application.id, Decision.is_current)
    ).all()
    assert [d.id for d in current] == [d2.id]
    assert d1.outcome == "pending" and d1.is_current is False
    assert application.decision == "eligible"
    assert d2.valid_from == date(2024, 4, 1) and d2.valid_to == date(2027, 3, 31)

    rows = session.scalars(
        select(RuleFinding).where(RuleFinding.evaluation_id == d2.evaluation_id)
    ).all()
    assert len(rows) == len(second.findings)
    assert {r.ruleset_version for r in rows} == {second.ruleset_version}
    assert {r.rule_id for r in rows} == {f.rule_id for f in second.findings}
    total = next(r for r in rows if r.rule_id == "experience.total_months")
    assert total.details["total_months"] == 60
    assert total.facts["exp1.from"]["field_id"] == "B.exp1_from"
    assert d1.evaluation_id != d2.evaluation_id

    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "application", AuditEvent.entity_id == application.id
        )
    ).all()
    assert [e.action for e in events] == ["decision.evaluated", "decision.evaluated"]
    assert events[1].before == {"decision": "pending"}
    assert events[1].after["decision"] == "eligible"


def test_letter_kind_is_stored(session: Session) -> None:
    application = _new_application(session)
    decision = save_evaluation(session, application.id, run(with_(base_app(), oath_signed=False)))
    oath = session.scalars(
        select(RuleFinding).where(
            RuleFinding.evaluation_id == decision.evaluation_id,
            RuleFinding.rule_id == "oath.signed",
        )
    ).one()
    assert oath.letter_kind == "unsigned_oath"


def test_explain_round_trip(any_session: Session) -> None:
    session = any_session
    application = _new_application(session)
    app = base_app()
    app["exam_report"]["issue_date"] = {"value": "2023-04-01", "confidence": 0.97}
    evaluation = run(app)
    decision = save_evaluation(session, application.id, evaluation)
    session.commit()

    trace = load_trace(session, application.id)
    assert trace.outcome == "eligible"
    assert [f.rule_id for f in trace.findings] == [f.rule_id for f in evaluation.findings]
    assert [f.outcome for f in trace.findings] == [f.outcome for f in evaluation.findings]
    text = render(trace)
    assert f"申請 #{application.id}（CAP）" in text
    assert "判定: 認定可" in text
    assert decision.evaluation_id in text
    for f in evaluation.findings:
        assert f.rule_id not in text  # the rule by its name, never its id
        assert RULE_JA[f.rule_id] in text
        assert f.message_ja in text
    assert "試験結果レポート「発行日」: 2023-04-01（信頼度 0.97・読取済み）" in text
    assert "[eligible]" not in text
    assert "2024-04-01 〜 2027-03-31" in text
    assert "更新申請の受付期間 2027-01-01 〜 2027-02-28" in text


def test_explain_of_unknown_or_unevaluated_application(session: Session) -> None:
    with pytest.raises(ValidationError, match="no application with id 999"):
        load_trace(session, 999)
    application = _new_application(session)
    with pytest.raises(ValidationError, match="not been evaluated"):
        load_trace(session, application.id)


def test_approve_numbers_per_qualification_and_year(any_session: Session) -> None:
    session = any_session
    apps = [_new_application(session, n) for n in (1, 2)]
    omp = _new_application(session, 3, qualification="OMP")
    omp_facts = with_(base_app(), qualification="OMP")
    omp_facts["exam_report"]["exam_type"] = "OMP"
    omp_facts["register"]["exam_type"] = "OMP"
    omp_facts["experience"] = [period("2019-04", "2024-03", [4, 6])]
    for a in apps:
        save_evaluation(session, a.id, run(base_app()))
    save_evaluation(session, omp.id, run(omp_facts))
    on = date(2024, 6, 1)
    numbers = [
        approve(session, a.id, actor="user:3", on=on, number_format=FMT).certificate_number
        for a in (*apps, omp)
    ]
    assert numbers == ["CAP-2024-00001", "CAP-2024-00002", "OMP-2024-00001"]
    assert apps[0].decision == "approved"
    assert apps[0].valid_from == date(2024, 4, 1)
    trace = load_trace(session, apps[0].id)
    assert trace.certificate_number == "CAP-2024-00001"
    assert len(trace.findings) == 14  # the approval keeps the evaluation's findings
    assert "認定有効期間 2024-04-01" in render(trace)


def test_only_eligible_applications_are_approved(session: Session) -> None:
    application = _new_application(session)
    save_evaluation(session, application.id, run(with_(base_app(), oath_signed=False)))
    with pytest.raises(ValidationError, match="pending, not eligible"):
        approve(session, application.id, actor="user:1", on=date(2024, 6, 1), number_format=FMT)
    assert session.scalar(select(func.count()).select_from(CertificateSequence)) == 0


def test_rejection_needs_a_person_and_a_proposal(session: Session) -> None:
    application = _new_application(session)
    failing = base_app()
    failing["experience"] = [period("2019-05", "2024-03", [4, 6])]
    save_evaluation(session, application.id, run(failing))
    with pytest.raises(ValidationError, match="only a person"):
        reject(session, application.id, actor="system", reason="x")
    decision = reject(session, application.id, actor="user:2", reason="経験59か月を確認")
    assert decision.outcome == "rejected"
    assert application.decision == "rejected"
    with pytest.raises(ValidationError, match="cannot be rejected"):
        reject(session, application.id, actor="user:2", reason="again")


# --- certificate numbering on both databases ---------------------------------------------


def test_format_must_contain_seq() -> None:
    with pytest.raises(ConfigurationError, match=r"\{seq\}"):
        format_certificate_number("{qualification}-{year}", qualification="CAP", year=2024, seq=1)
    with pytest.raises(ConfigurationError, match="invalid"):
        format_certificate_number("{seq}-{nope}", qualification="CAP", year=2024, seq=1)
    assert (
        format_certificate_number("C{year}{seq:04d}", qualification="CAP", year=2024, seq=7)
        == "C20240007"
    )


def test_rolled_back_allocation_leaves_no_gap(any_engine: Engine) -> None:
    factory = sessionmaker(bind=any_engine)
    with factory() as s:
        assert allocate_certificate_number(s, "CAP", 2025, FMT) == "CAP-2025-00001"
        s.rollback()
    with factory() as s:
        assert allocate_certificate_number(s, "CAP", 2025, FMT) == "CAP-2025-00001"
        assert allocate_certificate_number(s, "CAP", 2025, FMT) == "CAP-2025-00002"
        assert allocate_certificate_number(s, "CAP", 2026, FMT) == "CAP-2026-00001"
        s.commit()


def test_concurrent_allocations_are_unique_and_gap_free(any_engine: Engine) -> None:
    factory = sessionmaker(bind=any_engine)
    per_thread, threads = 5, 4
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(per_thread):
                with factory() as s:
                    number = allocate_certificate_number(s, "OMP", 2024, FMT)
                    s.commit()
                with lock:
                    numbers.append(number)
        except BaseException as e:  # surfaced below
            errors.append(e)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    assert not errors, errors
    expected = {f"OMP-2024-{i:05d}" for i in range(1, per_thread * threads + 1)}
    assert len(numbers) == per_thread * threads
    assert set(numbers) == expected


def test_concurrent_evaluation_of_one_application_is_refused(engine: Engine) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        app_id = _new_application(s).id
        s.commit()
    first, second = factory(), factory()
    try:
        # both evaluators hold the application as read at version 1 (the identity map is
        # weak: keep references, as a real evaluator does while it computes)
        held = [first.get(Application, app_id), second.get(Application, app_id)]
        assert [a.version for a in held] == [1, 1]  # type: ignore[union-attr]
        save_evaluation(first, app_id, run(base_app()))
        first.commit()
        with pytest.raises(ConcurrencyError, match="changed while it was being decided"):
            save_evaluation(second, app_id, run(base_app()))
        second.rollback()
    finally:
        first.close()
        second.close()
    with factory() as s:
        current = s.scalars(
            select(Decision).where(Decision.application_id == app_id, Decision.is_current)
        ).all()
        assert len(current) == 1
