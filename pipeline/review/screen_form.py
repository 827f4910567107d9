"""Reading an application's verification screen as it was submitted.

Every name the form carries, in one place: what the screen was built on
(``loaded_at``, ``seen_decision``, ``seen_payment``, ``seen_ruling``,
``deposit-version-<transaction>``), each field (``version-<id>``, ``value-<id>``,
``confirmed-<id>``, ``informational-<id>``), each judgement (``ruling-rule-<n>``,
``ruling-key-<n>``, ``ruling-<n>`` = accept / reject, ``ruling-reason-<n>``) and each
proposed payment match (``pay-<match>`` = true to confirm it). A form that lacks
what the screen was built on is a bad request, not something to guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException
from starlette.datastructures import FormData

from pipeline.review.actions import Context, Outcome
from pipeline.review.application_payment import PaymentAnswer
from pipeline.review.screen_seen import ScreenSeen
from pipeline.review.verify import FieldAnswer, RulingAnswer, save_screen
from pipeline.review.web import parse_instant

CHOICES = {"accept": True, "reject": False}


@dataclass
class ScreenForm:
    seen: ScreenSeen
    answers: list[FieldAnswer] = field(default_factory=list)
    rulings: list[RulingAnswer] = field(default_factory=list)
    payments: list[PaymentAnswer] = field(default_factory=list)
    typed: dict[int, str] = field(default_factory=dict)  # field id -> as typed
    picked: dict[str, tuple[str, str]] = field(default_factory=dict)  # rule -> (choice, reason)

    def save(self, ctx: Context, application_id: int) -> Outcome:
        return save_screen(
            ctx, application_id, self.seen, self.answers, self.rulings, self.payments
        )


def _number(text: str) -> int:
    if not text.isdigit():
        raise HTTPException(status_code=400)
    return int(text)


def _seen(form: FormData) -> ScreenSeen:
    loaded_at = parse_instant(str(form.get("loaded_at") or ""))
    if loaded_at is None or "seen_decision" not in form or "seen_payment" not in form:
        raise HTTPException(status_code=400)
    deposits = {
        _number(key.removeprefix("deposit-version-")): _number(str(form.get(key) or ""))
        for key in form
        if key.startswith("deposit-version-")
    }
    return ScreenSeen(
        loaded_at=loaded_at,
        decision=str(form.get("seen_decision") or ""),
        payment_status=str(form.get("seen_payment") or ""),
        last_ruling_id=_number(str(form.get("seen_ruling") or "0")),
        deposits=deposits,
    )


def read_screen_form(form: FormData) -> ScreenForm:
    out = ScreenForm(_seen(form))
    confirm_info = form.get("confirm_informational") == "1"
    for key in form:
        if key.startswith("version-"):
            field_id = _number(key.removeprefix("version-"))
            value = str(form.get(f"value-{field_id}") or "")
            confirmed = form.get(f"confirmed-{field_id}") == "1" or (
                confirm_info and form.get(f"informational-{field_id}") == "1"
            )
            out.typed[field_id] = value
            version = _number(str(form.get(key) or ""))
            out.answers.append(FieldAnswer(field_id, version, value, confirmed))
        elif key.startswith("ruling-rule-"):
            n = key.removeprefix("ruling-rule-")
            rule_id = str(form.get(key) or "")
            choice = str(form.get(f"ruling-{n}") or "")
            reason = str(form.get(f"ruling-reason-{n}") or "")
            out.picked[rule_id] = (choice, reason)
            if choice in CHOICES:  # no choice made: nothing ruled (the finding still asks)
                key_seen = str(form.get(f"ruling-key-{n}") or "")
                out.rulings.append(RulingAnswer(rule_id, key_seen, CHOICES[choice], reason))
        elif key.startswith("pay-") and form.get(key) == "true":
            out.payments.append(PaymentAnswer(_number(key.removeprefix("pay-"))))
    return out
