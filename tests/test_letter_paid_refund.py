"""A letter speaks of what was paid and kept: a part refunded is not paid."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from pipeline.config import get_settings
from pipeline.outputs.letter_sources import letter_values, paid_yen
from pipeline.storage.db import session_scope
from pipeline.storage.models import Application, PaymentMatch
from tests.payments_support import paid_deposit
from tests.test_outputs import _app


def test_a_refunded_part_does_not_count_as_paid_in_letters(engine: Engine) -> None:
    with session_scope(engine) as s:
        app_id = _app(s, name="佐藤 花子", address="大阪府", number=None, decision="pending", n=7)
        paid_deposit(s, app_id, date(2024, 5, 1), key="a" * 16, yen=10_000)
        twice = paid_deposit(s, app_id, date(2024, 5, 2), key="b" * 16, yen=10_000)
        s.add(
            PaymentMatch(
                transaction_id=twice.id,
                application_id=app_id,
                rule="manual_refund",
                score=100.0,
                candidates=[],
                amount_yen=10_000,
                outcome="refund",
                status="refund",
            )
        )
        s.flush()
        assert paid_yen(s, app_id) == 10_000  # 20,000 in, 10,000 on its way back
        values = letter_values(s, get_settings(), s.get(Application, app_id), "underpayment")
        assert values["paid_yen"] == 10_000
        assert values["owed_yen"] == get_settings().fee_yen - 10_000
