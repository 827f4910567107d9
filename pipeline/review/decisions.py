"""The one place the review app re-runs the rules for an application."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from pipeline.storage.models import Decision


def rerun_rules(
    session: Session, application_id: int, *, actor: str, today: date | None = None
) -> Decision:
    """Re-evaluate one application from its stored facts and make that its current decision."""
    from pipeline.workflow import reevaluate_application

    return reevaluate_application(session, application_id, actor=actor, today=today)
