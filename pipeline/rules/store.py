"""Persist evaluations and a person's confirmation of them (the only I/O in rules).

* :func:`save_evaluation` writes one ``rule_findings`` row per finding (one
  ``evaluation_id``, the rule set's version), a new current ``decisions`` row
  (the previous current one is unset), ``applications.decision`` and an audit
  event — all in the caller's transaction.
* :func:`approve` turns an eligible decision into an approval: a certificate
  number (gap-free per qualification and year), the validity period, a new
  current decision ``approved`` by the given actor — refused when another
  application of the same pass number and qualification is approved already,
  unless a person ruled 認める on exactly that one (no second certificate).
* :func:`reject` records a person's confirmation of an ``ineligible_proposed``
  decision: nothing is rejected without one.
* :func:`record_ruling` keeps a person's 認める / 認めない on a finding only a person
  can judge (``rulings.py``); the next evaluation reads it.
* :func:`withdraw` records that the applicant withdrew (staff, with the reason);
  :func:`supersede` that a newer submission replaced the application (the run).
  Both are final, like approved and rejected, whatever the decision was.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pipeline.errors import ConcurrencyError, ValidationError
from pipeline.names_ja import CRITERION_JA, RULING_JA
from pipeline.queue import close_moot
from pipeline.rules.certificates import allocate_certificate_number
from pipeline.rules.checks.certified import RULE as RULE_ALREADY_CERTIFIED
from pipeline.rules.checks.certified import earlier_words
from pipeline.rules.earlier import earlier_approval
from pipeline.rules.evaluate import Evaluation
from pipeline.storage.audit import record_event
from pipeline.storage.models import Application, Decision, RuleFinding, RuleRuling
from pipeline.storage.types import utcnow
from pipeline.vocabulary import FINAL_DECISIONS, DecisionOutcome, FindingOutcome

log = logging.getLogger(__name__)


def get_application(session: Session, application_id: int) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise ValidationError(f"no application with id {application_id}")
    return application


def current_decision(session: Session, application_id: int) -> Decision | None:
    stmt = (
        select(Decision)
        .where(Decision.application_id == application_id, Decision.is_current.is_(True))
        .order_by(Decision.id.desc())
    )
    return session.scalars(stmt).first()


def _make_current(
    session: Session,
    application: Application,
    decision: Decision,
    *,
    actor: str,
    action: str,
    moot_reason: str | None = None,
) -> None:
    application_id = application.id
    previous = current_decision(session, application_id)
    if previous is not None:
        previous.is_current = False
    session.add(decision)
    before = {"decision": application.decision}
    application.decision = decision.outcome
    # Always UPDATE the application (even with an unchanged decision) so that its
    # version column catches a concurrent evaluation of the same application.
    application.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError as e:
        raise ConcurrencyError(
            f"application {application_id} changed while it was being decided; run again"
        ) from e
    record_event(
        session,
        actor=actor,
        action=action,
        entity_type="application",
        entity_id=application.id,
        before=before,
        after={
            "decision": decision.outcome,
            "decision_id": decision.id,
            "evaluation_id": decision.evaluation_id,
            "ruleset_version": decision.ruleset_version,
        },
        reason=decision.reason,
        run_id=decision.run_id,
    )
    close_moot(
        session,
        application.id,
        decision.outcome,
        actor=actor,
        run_id=decision.run_id,
        reason=moot_reason,
    )


def save_evaluation(
    session: Session,
    application_id: int,
    evaluation: Evaluation,
    *,
    actor: str = "system",
    run_id: int | None = None,
) -> Decision:
    """Store an evaluation's findings and make its decision the current one."""
    application = get_application(session, application_id)
    evaluation_id = str(uuid.uuid4())
    for finding in evaluation.findings:
        session.add(
            RuleFinding(
                application_id=application.id,
                evaluation_id=evaluation_id,
                rule_id=finding.rule_id,
                outcome=finding.outcome.value,
                message_ja=finding.message_ja,
                manual_section=finding.manual_section,
                facts={k: v.model_dump(mode="json") for k, v in finding.facts.items()},
                details=finding.details,
                letter_kind=finding.letter_kind,
                ruleset_version=evaluation.ruleset_version,
            )
        )
    dates = evaluation.dates
    decision = Decision(
        application_id=application.id,
        evaluation_id=evaluation_id,
        outcome=evaluation.outcome.value,
        ruleset_version=evaluation.ruleset_version,
        decided_by=actor,
        reason="\n".join(evaluation.reasons),
        is_current=True,
        valid_from=dates.valid_from if dates else None,
        valid_to=dates.valid_to if dates else None,
        run_id=run_id,
    )
    _make_current(session, application, decision, actor=actor, action="decision.evaluated")
    log.info(
        "application %s evaluated: %s (ruleset %s, evaluation %s)",
        application.id,
        decision.outcome,
        decision.ruleset_version,
        evaluation_id,
    )
    return decision


def approve(
    session: Session,
    application_id: int,
    *,
    actor: str,
    on: date,
    number_format: str,
    reason: str | None = None,
) -> Application:
    """Approve an eligible application: certificate number, validity, current decision."""
    application = get_application(session, application_id)
    current = current_decision(session, application_id)
    if current is None or current.outcome != DecisionOutcome.ELIGIBLE:
        state = current.outcome if current else "not evaluated"
        raise ValidationError(
            f"application {application_id} cannot be approved: its decision is {state}, "
            "not eligible"
        )
    if current.valid_from is None or current.valid_to is None:
        raise ValidationError(f"application {application_id} has no certification dates")
    if not application.qualification:
        raise ValidationError(f"application {application_id} has no qualification")
    _refuse_a_second_certificate(session, application, current)
    number = allocate_certificate_number(session, application.qualification, on.year, number_format)
    # Again under the counter's row lock: an approval of the same candidate that was
    # running beside this one has committed by now and is seen (PostgreSQL reads what
    # committed before each statement); the caller's rollback takes the number back.
    _refuse_a_second_certificate(session, application, current)
    application.certificate_number = number
    application.valid_from = current.valid_from
    application.valid_to = current.valid_to
    decision = Decision(
        application_id=application.id,
        evaluation_id=current.evaluation_id,
        outcome=DecisionOutcome.APPROVED.value,
        ruleset_version=current.ruleset_version,
        decided_by=actor,
        reason=reason or f"認定（認定番号 {number}）",
        is_current=True,
        valid_from=current.valid_from,
        valid_to=current.valid_to,
    )
    _make_current(session, application, decision, actor=actor, action="decision.approved")
    return application


def _refuse_a_second_certificate(
    session: Session, application: Application, current: Decision
) -> None:
    """No second certificate for a pass number and qualification already approved.

    The rules send such an application to a person; this holds even when the
    decision is older than the other approval (both eligible the same night) or a
    caller approves without re-running the rules. Only a person's 認める on this
    very earlier approval, in the evaluation being approved, lets it through.
    """
    earlier = earlier_approval(session, application)
    if earlier is None:
        return
    for row in stored_findings(session, current.evaluation_id or ""):
        details = row.details or {}
        judged = (details.get("judgement") or {}).get("judged") or {}
        if (
            row.rule_id == RULE_ALREADY_CERTIFIED
            and row.outcome == FindingOutcome.PASS.value
            and (details.get("ruling") or {}).get("accepted") is True
            and judged.get("application_id") == earlier.application_id
        ):
            return
    # The date is left out: it would be told in UTC here, a day off in the evening.
    told = earlier_words(earlier.model_copy(update={"approved_on": None}))
    raise ValidationError(
        f"申請 #{application.id} は承認できません: この合格番号・資格（{application.qualification}）は"
        f"{told}。二重に認定番号を発行しないよう、判定をやり直し、担当者が"
        f"「{CRITERION_JA[RULE_ALREADY_CERTIFIED]}」を判断してから承認してください。"
    )


def reject(session: Session, application_id: int, *, actor: str, reason: str) -> Decision:
    """A person confirms an ``ineligible_proposed`` decision."""
    if not actor.startswith("user:"):
        raise ValidationError("only a person (actor user:<id>) can reject an application")
    application = get_application(session, application_id)
    current = current_decision(session, application_id)
    if current is None or current.outcome != DecisionOutcome.INELIGIBLE_PROPOSED:
        state = current.outcome if current else "not evaluated"
        raise ValidationError(
            f"application {application_id} cannot be rejected: its decision is {state}, "
            "not ineligible_proposed"
        )
    decision = Decision(
        application_id=application.id,
        evaluation_id=current.evaluation_id,
        outcome=DecisionOutcome.REJECTED.value,
        ruleset_version=current.ruleset_version,
        decided_by=actor,
        reason=reason,
        is_current=True,
    )
    _make_current(session, application, decision, actor=actor, action="decision.rejected")
    return decision


def _final_after(
    session: Session,
    application_id: int,
    outcome: DecisionOutcome,
    *,
    actor: str,
    reason: str,
    run_id: int | None = None,
) -> tuple[Application, Decision]:
    """A new current decision ``outcome`` that ends the application, whatever it was;
    refused when the application is already final (nothing is written)."""
    application = get_application(session, application_id)
    if application.decision in FINAL_DECISIONS:
        raise ValidationError(
            f"application {application_id} is already final ({application.decision})"
        )
    current = current_decision(session, application_id)
    decision = Decision(
        application_id=application.id,
        # The findings stay those the application was last evaluated with (the trace).
        evaluation_id=current.evaluation_id if current else None,
        outcome=outcome.value,
        ruleset_version=current.ruleset_version if current else "-",
        decided_by=actor,
        reason=reason,
        is_current=True,
        run_id=run_id,
    )
    return application, decision


def withdraw(session: Session, application_id: int, *, actor: str, reason: str) -> Decision:
    """Record that the applicant withdrew the application (a person, with the reason)."""
    if not actor.startswith("user:"):
        raise ValidationError("only a person (actor user:<id>) can record a withdrawal")
    if not reason.strip():
        raise ValidationError("a withdrawal needs a reason")
    application, decision = _final_after(
        session, application_id, DecisionOutcome.WITHDRAWN, actor=actor, reason=reason
    )
    moot = f"申請が取り下げられたため、確認は不要になりました（取下げの理由: {reason}）"
    _make_current(
        session, application, decision, actor=actor, action="decision.withdrawn", moot_reason=moot
    )
    return decision


def supersede(
    session: Session,
    application_id: int,
    newer_id: int,
    *,
    actor: str,
    run_id: int | None = None,
) -> Decision:
    """Record that application ``newer_id`` (a newer submission) replaces this one."""
    why = f"新しい申請書類（申請 #{newer_id}）に差し替え"
    application, decision = _final_after(
        session,
        application_id,
        DecisionOutcome.SUPERSEDED,
        actor=actor,
        reason=why,
        run_id=run_id,
    )
    _make_current(
        session,
        application,
        decision,
        actor=actor,
        action="decision.superseded",
        moot_reason=f"{why}られたため、確認は不要になりました",
    )
    return decision


def stored_findings(session: Session, evaluation_id: str) -> list[RuleFinding]:
    stmt = (
        select(RuleFinding)
        .where(RuleFinding.evaluation_id == evaluation_id)
        .order_by(RuleFinding.id)
    )
    return list(session.scalars(stmt))


def record_ruling(
    session: Session,
    finding: RuleFinding,
    *,
    accepted: bool,
    actor: str,
    reason: str | None,
) -> RuleRuling:
    """A person's ruling on the stored ``finding`` (a judgeable review), audited in words.

    Only a person rules (``user:<id>``), only on a finding that asks for it, and
    認めない needs a reason: the manager who sees 不認定（案） reads why.
    """
    if not actor.startswith("user:"):
        raise ValidationError("only a person (actor user:<id>) can rule on a finding")
    asked = (finding.details or {}).get("judgement")
    if finding.outcome != "review" or not isinstance(asked, dict) or not asked.get("key"):
        raise ValidationError(f"finding {finding.rule_id} does not ask for a ruling")
    if not accepted and not (reason or "").strip():
        raise ValidationError("a ruling of 認めない needs a reason")
    ruling = RuleRuling(
        application_id=finding.application_id,
        rule_id=finding.rule_id,
        key=str(asked["key"]),
        accepted=accepted,
        reason=(reason or "").strip() or None,
        judged=asked.get("judged"),
        facts_ja=str(asked.get("facts_ja") or finding.message_ja),
        decided_by=actor,
        decided_at=utcnow(),
    )
    session.add(ruling)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="rule.ruled",
        entity_type="rule_ruling",
        entity_id=ruling.id,
        before=None,
        after={
            "application_id": finding.application_id,
            "criterion": CRITERION_JA.get(finding.rule_id, finding.rule_id),
            "ruling": RULING_JA[accepted],
            "judged": ruling.facts_ja,
        },
        reason=ruling.reason or RULING_JA[accepted],
    )
    return ruling
