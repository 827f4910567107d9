"""Letters the payments desk writes: a reminder to pay, a request for the difference, a refund.

They are the association's own templates (``payment_reminder``,
``underpayment``, ``refund_notice`` under pipeline/outputs/templates/letters),
composed and stored like every letter, so they are printed from 「通知文」 or
by the next run. A reminder is written only for an unpaid application and a
request for the difference only for an underpaid one: a letter asking for
money that has arrived would be wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.errors import ValidationError
from pipeline.outputs.letter_sources import draft_letter
from pipeline.outputs.letters import store_letter
from pipeline.storage.audit import record_event
from pipeline.storage.models import Application, Letter
from pipeline.vocabulary import FINAL_DECISIONS, PaymentOutcome

#: The letter each payment status calls for, and its name on the desk.
ASKING_LETTER = {
    PaymentOutcome.UNPAID.value: ("payment_reminder", "入金のお願い（手数料未入金のお知らせ）"),
    PaymentOutcome.UNDERPAID.value: ("underpayment", "不足額のお願い（手数料不足のお知らせ）"),
}


class NoticeRefusedError(ValidationError):
    """The letter cannot be written; the message is for staff (Japanese)."""


def store_payment_letter(
    session: Session,
    settings: Settings,
    application_id: int,
    kind: str,
    *,
    actor: str,
    dated: date,
    extra: Mapping[str, Any] | None = None,
    reason: str,
) -> Letter:
    """Compose, store and audit one letter (a letter with a gap or no sure address refuses)."""
    draft = draft_letter(session, settings, application_id, kind, dated=dated, extra=extra)
    letter = store_letter(session, draft, actor=actor, reason=reason)
    record_event(
        session,
        actor=actor,
        action="letter.requested",
        entity_type="application",
        entity_id=application_id,
        after={"letter_id": letter.id, "kind": kind},
        reason=reason,
    )
    return letter


def ask_for_payment(
    session: Session, settings: Settings, application_id: int, *, actor: str, dated: date
) -> Letter:
    """The letter an unpaid (reminder) or underpaid (the difference) application calls for."""
    application = session.get(Application, application_id)
    if application is None:
        raise NoticeRefusedError(f"申請 #{application_id} が見つかりません。")
    if application.decision in FINAL_DECISIONS:
        raise NoticeRefusedError(f"申請 #{application_id} は判定が確定しているため、送りません。")
    asked = ASKING_LETTER.get(application.payment_status)
    if asked is None:
        raise NoticeRefusedError(
            f"申請 #{application_id} は未入金でも入金不足でもないため、入金のお願いは送りません。"
        )
    kind, title = asked
    return store_payment_letter(
        session, settings, application_id, kind, actor=actor, dated=dated, reason=title
    )
