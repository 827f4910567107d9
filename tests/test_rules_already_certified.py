"""Already certified: a new envelope from someone whose application of the same pass
number and qualification was approved goes to a person, never to a second certificate;
earlier applications that ended otherwise leave a re-application alone."""

from __future__ import annotations

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters
import json
import threading
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import ValidationError
from pipeline.rules.appjson import parse_application_json
from pipeline.rules.checks.certified import RULE
from pipeline.rules.from_db import load_facts
from pipeline.rules.store import approve, current_decision, reject, save_evaluation, withdraw
from pipeline.storage import db
from pipeline.storage.models import Application, CertificateSequence, Envelope, FieldValue
from tests.review_client import Env, env, fast_hashing  # noqa: F401 - fixtures
from tests.rules_support import base_app, finding, period, run, with_

FMT = "{qualification}-{year}-{seq:05d}"
PASS = "23010042"  # base_app()'s
APPROVED_ON = date(2024, 6, 1)
EARLIER = {
    "application_id": 3,
    "pass_number": PASS,
    "certificate_number": "CAP-2023-00012",
    "approved_on": "2023-06-01",
}


# --- the rule, on facts as APP.json gives them ----------------------------------------------


def test_an_earlier_approval_sends_an_eligible_application_to_a_person() -> None:
    assert run(base_app()).outcome == "eligible"
    assert finding(run(base_app()), RULE).outcome == "pass"
    evaluation = run(with_(base_app(), earlier_approval=EARLIER))
    assert evaluation.outcome == "review"
    found = finding(evaluation, RULE)
    assert found.outcome == "review"
    assert found.message_ja == (
        "この合格番号・資格（CAP）は申請 #3 で既に認定済みです（認定番号 CAP-2023-00012、"
        "2023年6月1日 認定）。二重認定にならないよう、担当者が確認してください。"
    )
    assert found.manual_section.startswith("(イ) C.")
    assert found.details["judgement"]["judged"]["application_id"] == 3
    assert found.details["judgement"]["question_ja"]
    assert found.letter_kind is None  # nothing is sent to the applicant on it


def test_it_outranks_waiting_for_the_fee() -> None:
    """Someone already certified is not asked to pay; staff look first."""
    unpaid = with_(base_app(), payment={"status": "unpaid"}, earlier_approval=EARLIER)
    assert run(unpaid).outcome == "review"


def _ruled(facts: dict[str, Any], accepted: bool) -> dict[str, Any]:
    key = finding(run(facts), RULE).details["judgement"]["key"]
    ruling = {
        "rule_id": RULE,
        "key": key,
        "accepted": accepted,
        "by": "佐藤",
        "at": "2024-05-12T10:00:00+09:00",
        "reason": None if accepted else "同じ書類の再送",
    }
    return with_(facts, rulings=[ruling])


def test_a_person_rules_it_either_way_and_nothing_is_rejected_by_the_rule() -> None:
    facts = with_(base_app(), earlier_approval=EARLIER)
    accepted = run(_ruled(facts, True))
    assert accepted.outcome == "eligible"
    assert "担当者の判断「認める」" in finding(accepted, RULE).message_ja
    refused = run(_ruled(facts, False))
    assert refused.outcome == "ineligible_proposed"  # a manager confirms or not


def test_a_ruling_on_another_earlier_approval_does_not_apply() -> None:
    facts = with_(base_app(), earlier_approval=EARLIER)
    ruled = _ruled(facts, True)
    ruled["earlier_approval"] = {**EARLIER, "application_id": 4}
    assert run(ruled).outcome == "review"


def test_an_unsure_pass_number_is_review_and_a_missing_report_waits() -> None:
    unsure = base_app()
    unsure["exam_report"]["pass_number"] = {"value": PASS, "confidence": 0.5}
    assert finding(run(unsure), RULE).outcome == "review"
    absent = with_(base_app(), documents={"report": False})
    absent["exam_report"]["pass_number"] = None
    evaluation = run(absent)
    assert finding(evaluation, RULE).outcome == "not_applicable"
    assert evaluation.outcome == "pending"  # the copy is asked for, as for the other rules


def test_app_json_with_and_without_the_earlier_approval() -> None:
    assert parse_application_json(json.dumps(base_app())).earlier_approval is None
    null = parse_application_json(json.dumps(with_(base_app(), earlier_approval=None)))
    assert null.earlier_approval is None
    given = parse_application_json(json.dumps(with_(base_app(), earlier_approval=EARLIER)))
    assert given.earlier_approval is not None
    assert given.earlier_approval.application_id == 3
    assert given.earlier_approval.approved_on == date(2023, 6, 1)
    bare = parse_application_json(
        json.dumps(with_(base_app(), earlier_approval={"application_id": 5}))
    )
    assert bare.earlier_approval is not None and bare.earlier_approval.certificate_number is None
    with pytest.raises(ValidationError, match=r"unknown field earlier_approval\.holder"):
        parse_application_json(
            json.dumps(with_(base_app(), earlier_approval={**EARLIER, "holder": "山田"}))
        )


# --- from the database, and the certificate number -----------------------------------------


@pytest.fixture
def any_session(any_engine: Engine) -> Iterator[Session]:
    with sessionmaker(bind=any_engine, expire_on_commit=False)() as s:
        yield s


def _stored(
    session: Session, n: int, *, qualification: str = "CAP", status: str = "ok"
) -> Application:
    """An application whose report and form A both read ``PASS`` (``status``)."""
    envelope = Envelope(sha256=f"{n:064x}", original_name=f"scan{n}.pdf", size_bytes=100)
    session.add(envelope)
    session.flush()
    application = Application(
        envelope_id=envelope.id,
        qualification=qualification,
        pass_number=PASS,
        received_on=date(2024, 5, 10),
    )
    session.add(application)
    session.flush()
    for form in ("R", "A"):
        session.add(
            FieldValue(
                application_id=application.id,
                envelope_id=envelope.id,
                form_code=form,
                name="pass_number",
                kind="digits",
                value=PASS,
                status=status,
                confidence=0.97,
            )
        )
    session.flush()
    return application


def _approved(session: Session, n: int) -> Application:
    application = _stored(session, n)
    save_evaluation(session, application.id, run(base_app()))
    return approve(session, application.id, actor="user:1", on=APPROVED_ON, number_format=FMT)


def _numbered(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(CertificateSequence.last_seq), 0))))


def test_facts_from_the_database_name_the_earlier_approval(any_session: Session) -> None:
    session = any_session
    earlier = _approved(session, 1)
    new = _stored(session, 2)
    facts = load_facts(session, new)
    approval = current_decision(session, earlier.id)
    assert approval is not None
    assert facts["earlier_approval"] == {
        "application_id": earlier.id,
        "pass_number": PASS,
        "certificate_number": "CAP-2024-00001",
        "approved_on": approval.created_at.date().isoformat(),
    }
    # an application otherwise eligible is not, once the database says so
    evaluation = run(with_(base_app(), earlier_approval=facts["earlier_approval"]))
    assert evaluation.outcome == "review"
    assert f"申請 #{earlier.id} で既に認定済みです（認定番号 CAP-2024-00001、" in (
        finding(evaluation, RULE).message_ja
    )
    assert load_facts(session, earlier)["earlier_approval"] is None  # not its own


def test_only_an_approval_of_the_same_sure_number_and_qualification_counts(
    session: Session,
) -> None:
    rejected = _stored(session, 1)
    short = with_(base_app(), experience=[period("2023-04", "2024-03", [4, 6])])
    save_evaluation(session, rejected.id, run(short))
    reject(session, rejected.id, actor="user:1", reason="業務経験が5年に足りません")
    withdrawn = _stored(session, 2)
    save_evaluation(session, withdrawn.id, run(base_app()))
    withdraw(session, withdrawn.id, actor="user:1", reason="本人の申し出")
    open_eligible = _stored(session, 3)
    save_evaluation(session, open_eligible.id, run(base_app()))
    new = _stored(session, 4)
    assert load_facts(session, new)["earlier_approval"] is None  # a re-application
    _approved(session, 5)
    assert load_facts(session, _stored(session, 6, qualification="OMP"))["earlier_approval"] is None
    unsure = _stored(session, 7, status="low_confidence")
    assert load_facts(session, unsure)["earlier_approval"] is None
    assert load_facts(session, new)["earlier_approval"] is not None


def test_no_second_certificate_from_a_decision_made_before_the_first_approval(
    any_session: Session,
) -> None:
    """Both eligible the same night; approving the second without re-running the rules."""
    session = any_session
    first, second = _stored(session, 1), _stored(session, 2)
    for application in (first, second):
        save_evaluation(session, application.id, run(base_app()))
    approve(session, first.id, actor="user:1", on=APPROVED_ON, number_format=FMT)
    with pytest.raises(ValidationError) as refused:
        approve(session, second.id, actor="user:1", on=APPROVED_ON, number_format=FMT)
    assert f"申請 #{second.id} は承認できません" in refused.value.message
    assert (
        f"申請 #{first.id} で既に認定済みです（認定番号 CAP-2024-00001）" in refused.value.message
    )
    assert second.certificate_number is None and second.decision == "eligible"
    assert _numbered(session) == 1


@pytest.mark.postgres
def test_two_approvals_side_by_side_number_one_certificate(postgres_url: str) -> None:
    """The second waits for the certificate counter, then sees the first approval."""
    engine = db.make_engine(postgres_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        first, second = _stored(s, 1), _stored(s, 2)
        for application in (first, second):
            save_evaluation(s, application.id, run(base_app()))
        s.commit()
    refusals: list[str] = []

    def approve_the_second() -> None:
        with factory() as two:
            try:
                approve(two, second.id, actor="user:2", on=APPROVED_ON, number_format=FMT)
                two.commit()
            except ValidationError as e:
                refusals.append(e.message)

    try:
        with factory() as one:
            approve(one, first.id, actor="user:1", on=APPROVED_ON, number_format=FMT)
            beside = threading.Thread(target=approve_the_second)
            beside.start()
            beside.join(timeout=1.0)
            assert beside.is_alive()  # waiting for the counter's row lock
            one.commit()
        beside.join(timeout=30)
        assert refusals and "既に認定済み" in refusals[0]
        with factory() as s:
            assert _numbered(s) == 1
            assert s.get(Application, second.id).certificate_number is None  # type: ignore[union-attr]
    finally:
        engine.dispose()


def test_a_person_who_ruled_it_a_new_certification_may_approve(session: Session) -> None:
    earlier = _approved(session, 1)
    new = _stored(session, 2)
    facts = with_(base_app(), earlier_approval=load_facts(session, new)["earlier_approval"])
    save_evaluation(session, new.id, run(_ruled(facts, True)))
    approved = approve(session, new.id, actor="user:1", on=APPROVED_ON, number_format=FMT)
    assert approved.certificate_number == "CAP-2024-00002"
    # a ruling about some other approval does not count for this one
    third = _stored(session, 3)
    elsewhere = with_(facts, earlier_approval={"application_id": earlier.id + 100})
    save_evaluation(session, third.id, run(_ruled(elsewhere, True)))
    with pytest.raises(ValidationError, match="既に認定済み"):
        approve(session, third.id, actor="user:1", on=APPROVED_ON, number_format=FMT)


# --- the nightly run -----------------------------------------------------------------------


def _eligible_copy(s: Session, env: Env, pass_number: str, **kwargs: Any) -> int:
    """山田's papers sent again, read as the register has them and complete (eligible)."""
    from pipeline.storage.models import RegistryEntry
    from tests.review_support import resubmission

    app_id = resubmission(s, env.settings, pass_number, **kwargs)
    entry = s.scalars(select(RegistryEntry).where(RegistryEntry.pass_number == pass_number)).one()
    rows = {
        f"{f.form_code}.{f.name}": f
        for f in s.scalars(select(FieldValue).where(FieldValue.application_id == app_id))
    }
    assert entry.issue_date is not None
    rows["R.issue_date"].value = entry.issue_date.isoformat()
    start = rows["B.exp1_org"]
    s.add(
        FieldValue(
            application_id=app_id,
            envelope_id=start.envelope_id,
            page_id=start.page_id,
            form_code="B",
            name="exp1_from",
            kind="yearmonth",
            value="2015-04",
            status="ok",
            confidence=0.97,
        )
    )
    s.flush()
    return app_id


def test_the_nightly_run_sends_a_new_envelope_after_an_approval_to_a_person(
    env: Env,
) -> None:
    from pipeline.rules import store as rules_store
    from pipeline.stages import decide_applications
    from pipeline.storage.models import RuleFinding
    from pipeline.workflow import reevaluate_application
    from tests.review_support import settle_the_uncertain_reading

    w, settings = env.world, env.settings
    today = datetime.now(settings.tz).date()
    with env.session() as s:
        settle_the_uncertain_reading(s, w)
        reevaluate_application(s, w.application_id, actor="system", today=today)
        number = rules_store.approve(
            s,
            w.application_id,
            actor=f"user:{w.manager_id}",
            on=today,
            number_format=settings.certificate_number_format,
        ).certificate_number
        # a copy sent again, fee paid: eligible on its own
        newer = _eligible_copy(s, env, "2301000042", payment_status="paid")
        # 佐々木's proposal confirmed, then she applies again: a re-application
        rules_store.reject(
            s, w.ineligible_application_id, actor=f"user:{w.manager_id}", reason="経験不足"
        )
        again = _eligible_copy(s, env, "2301000077", sha="d")
        s.commit()
    decide_applications(env.engine, settings, run_id=1, today=today)
    with env.session() as s:
        assert s.get(Application, w.application_id).decision == "approved"  # untouched
        assert s.get(Application, newer).decision == "review"
        stored = s.scalars(
            select(RuleFinding).where(
                RuleFinding.application_id == newer, RuleFinding.rule_id == RULE
            )
        ).all()
        assert stored and stored[-1].outcome == "review"
        assert f"申請 #{w.application_id} で既に認定済みです（認定番号 {number}、" in (
            stored[-1].message_ja
        )
        again_rule = s.scalars(
            select(RuleFinding).where(
                RuleFinding.application_id == again, RuleFinding.rule_id == RULE
            )
        ).all()
        assert again_rule and again_rule[-1].outcome == "pass"
    page = env.login("sato").get(f"/applications/{newer}").text  # asked as a judgement
    assert "同じ合格番号・資格で認定済み（二重認定の確認）" in page
    assert "新たな認定として審査を続けることを認めますか" in page
