"""Other applications of the same candidate and qualification, as stored.

The candidate is known by the pass number (合格者番号) read from the exam report
(R) or form A. Only sure readings count (``ok`` or confirmed by a person): a
misread number must neither retire someone else's application (``supersede``)
nor hold up a stranger's approval here. The extracted values outlive the images
(``retention``), so an approval years ago is still found.

* :func:`sure_pass_numbers` — each application's one sure pass number (the
  supersede step groups by it);
* :func:`earlier_approval` — another application of the same pass number and
  qualification that was approved: the rules' ``earlier_approval`` fact, and what
  ``store.approve`` checks before it numbers a certificate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.rules.facts import EarlierApproval
from pipeline.storage.models import Application, Decision, FieldValue
from pipeline.vocabulary import CONFIDENT, DecisionOutcome

PASS_NUMBER_FIELDS = (("R", "pass_number"), ("A", "pass_number"))


def sure_pass_number_readings(session: Session, app_ids: Iterable[int]) -> dict[int, set[str]]:
    """Every sure reading of each application's pass number (R and A may disagree)."""
    sure: dict[int, set[str]] = defaultdict(set)
    for app_id, form, name, value, status in session.execute(
        select(
            FieldValue.application_id,
            FieldValue.form_code,
            FieldValue.name,
            FieldValue.value,
            FieldValue.status,
        ).where(FieldValue.application_id.in_(list(app_ids)), FieldValue.name == "pass_number")
    ):
        sure_reading = (form, name) in PASS_NUMBER_FIELDS and status in CONFIDENT and value
        if app_id is not None and sure_reading:
            sure[app_id].add(value)
    return dict(sure)


def sure_pass_numbers(session: Session, app_ids: Iterable[int]) -> dict[int, str]:
    """Each application's pass number when a reading of it is sure and agrees with it."""
    readings = sure_pass_number_readings(session, app_ids)
    return {app_id: next(iter(values)) for app_id, values in readings.items() if len(values) == 1}


def earlier_approval(
    session: Session, application: Application, tz: tzinfo | None = None
) -> EarlierApproval | None:
    """The latest approval of another application of the same pass number and qualification.

    The application's own number counts only when read surely; on the approved side
    the number it was approved with (``applications.pass_number``) counts as well,
    because an approval rested on confident readings. Any sure reading that matches
    is enough (R and A disagreeing is no reason to miss a second certificate).
    ``tz``: the business time zone the approval's date is told in (UTC without it).
    """
    numbers = sure_pass_number_readings(session, [application.id]).get(application.id)
    if not numbers or not application.qualification:
        return None
    same_number = (
        select(Application.id)
        .where(Application.pass_number.in_(numbers))
        .union(
            select(FieldValue.application_id).where(
                FieldValue.name == "pass_number",
                FieldValue.form_code.in_([form for form, _ in PASS_NUMBER_FIELDS]),
                FieldValue.status.in_([str(s) for s in CONFIDENT]),
                FieldValue.value.in_(numbers),
            )
        )
    )
    row = session.execute(
        select(Application, Decision)
        .join(Decision, Decision.application_id == Application.id)
        .where(
            Application.id != application.id,
            Application.id.in_(same_number),
            Application.qualification == application.qualification,
            Application.decision == DecisionOutcome.APPROVED.value,
            Decision.outcome == DecisionOutcome.APPROVED.value,
            Decision.is_current.is_(True),
        )
        .order_by(Decision.id.desc())
    ).first()
    if row is None:
        return None
    approved, decision = row
    return EarlierApproval(
        application_id=approved.id,
        pass_number=approved.pass_number,
        certificate_number=approved.certificate_number,
        approved_on=decision.created_at.astimezone(tz or UTC).date(),
    )
