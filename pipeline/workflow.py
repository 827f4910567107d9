"""Application-level steps shared by the nightly run and the review app.

``reevaluate_application`` re-runs the rules for one stored application from
its stored facts and saves the new decision (with findings and an audit
event). Staff actions call it right after their change, so the screen shows
the new decision at once.
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from pipeline.clock import business_today
from pipeline.config import Settings, get_settings
from pipeline.errors import ValidationError
from pipeline.rules.evaluate import Evaluation, evaluate
from pipeline.rules.facts import ApplicationFacts
from pipeline.rules.from_db import load_facts
from pipeline.rules.readings import load_readings
from pipeline.rules.store import get_application, save_evaluation
from pipeline.storage.models import Decision


def evaluate_application(
    session: Session,
    application_id: int,
    *,
    today: date | None = None,
    settings: Settings | None = None,
) -> Evaluation:
    """The rules' evaluation of a stored application (nothing saved)."""
    settings = settings or get_settings()
    application = get_application(session, application_id)
    raw = load_facts(session, application, tz=settings.tz)
    try:
        facts = ApplicationFacts.model_validate(
            raw, context={"ok_confidence": settings.field_ok_confidence}
        )
    except PydanticValidationError as e:
        raise ValidationError(
            f"application {application_id}: stored facts do not validate: {e}"
        ) from e
    readings = load_readings(settings.rules_substitutions_path)
    return evaluate(
        facts,
        readings,
        today=today or business_today(settings),
        wait_days=settings.unpaid_wait_days,
    )


def reevaluate_application(
    session: Session,
    application_id: int,
    *,
    actor: str,
    today: date | None = None,
    settings: Settings | None = None,
    run_id: int | None = None,
) -> Decision:
    """Re-run the rules for one application and make the result its current decision."""
    evaluation = evaluate_application(session, application_id, today=today, settings=settings)
    return save_evaluation(session, application_id, evaluation, actor=actor, run_id=run_id)
