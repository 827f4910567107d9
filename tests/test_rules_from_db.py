"""Rule facts built from stored fields: a corrupt stored value becomes an invalid fact, not a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.storage.models import Application, Envelope, FieldValue
from pipeline.workflow import evaluate_application


def _app(s: Session) -> Application:
    env = Envelope(
        sha256="c" * 64,
        original_name="x.pdf",
        size_bytes=1,
        received_at=datetime(2024, 6, 1, tzinfo=UTC),
    )
    s.add(env)
    s.flush()
    app = Application(
        envelope_id=env.id,
        received_on=date(2024, 6, 1),
        qualification="CAP",
        pass_number="2211211335",
    )
    s.add(app)
    s.flush()
    return app


def _field(
    app: Application, form: str, name: str, value: str | None, status: str = "ok"
) -> FieldValue:
    return FieldValue(
        application_id=app.id,
        envelope_id=app.envelope_id,
        form_code=form,
        name=name,
        kind="text",
        value=value,
        status=status,
        confidence=0.95,
    )


def test_garbage_in_a_year_month_field_means_review_not_a_crash(engine: Engine) -> None:
    with Session(engine) as s:
        app = _app(s)
        s.add_all(
            [
                _field(app, "B", "exp1_org", "株式会社テスト"),
                _field(app, "B", "exp1_from", "<script>alert(1)</script>", "corrected"),
                _field(app, "B", "exp1_to", "present"),
            ]
        )
        s.commit()
        evaluation = evaluate_application(s, app.id, today=date(2024, 7, 1))
        assert str(evaluation.outcome) in ("review", "pending")
        experience = [f for f in evaluation.findings if f.rule_id.startswith("experience.")]
        assert experience and all(str(f.outcome) != "pass" for f in experience)
