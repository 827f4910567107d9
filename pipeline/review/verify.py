"""Saving one verification screen: fields, rulings and payments a person settled, at once.

A field counts once the person confirmed it on the screen (a keystroke each for
the fields that decide the application; informational fields may be confirmed
together). A confirmed field closes its own queue item. A value typed but not
confirmed is kept as a correction that still needs confirming, so nothing typed
is lost. A ruling (認める / 認めない) on a finding only a person can judge is kept
for the rules to read; a proposed payment match the person confirmed is
confirmed by the payments stage's own function.

The screen is refused, with what changed, if anything it showed and the submit
acts on moved on since it was loaded (see :mod:`pipeline.review.screen_seen`); a
value that does not read as its kind, or a 認めない without a reason, is refused
by name, and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from pipeline.errors import ValidationError
from pipeline.queue import MAILING_FIELDS
from pipeline.review.actions import (
    FINAL_DECISIONS,
    ActionRefusedError,
    Context,
    Outcome,
    confirm_field,
    require_not_final,
    rerun,
    typed_value,
    write_value,
)
from pipeline.review.application_payment import PaymentAnswer, confirm_payments
from pipeline.review.labels import field_label
from pipeline.review.screen_seen import ScreenSeen, refuse_if_moved, stale_error
from pipeline.rules import store as rules_store
from pipeline.storage.models import Application, FieldValue, RuleFinding

CONFIRM_REASON = "画像と照合して確認（確認画面）"
CORRECT_REASON = "画像と照合して修正（確認画面）"
UNCONFIRMED_REASON = "確認画面で入力（未確定）"


@dataclass(frozen=True)
class FieldAnswer:
    """One field as the screen sent it back."""

    field_id: int
    version: int
    value: str
    confirmed: bool


@dataclass(frozen=True)
class RulingAnswer:
    """A person's 認める (accepted) / 認めない on one judgement the screen asked."""

    rule_id: str
    key: str
    accepted: bool
    reason: str


class FieldValuesRefusedError(ActionRefusedError):
    """Some answers cannot be taken as given; field id (or ``rule:<id>``) → message."""

    def __init__(self, errors: dict[int | str, str]) -> None:
        super().__init__("入力された値を受け付けられない項目があります。保存していません。")
        self.errors = errors


def _rows(ctx: Context, application_id: int, answers: list[FieldAnswer]) -> dict[int, FieldValue]:
    ids = [a.field_id for a in answers]
    rows = {
        r.id: r
        for r in ctx.session.scalars(select(FieldValue).where(FieldValue.id.in_(ids or [-1])))
    }
    for answer in answers:
        row = rows.get(answer.field_id)
        if row is None or row.application_id != application_id:
            raise ActionRefusedError("この申請の記載事項ではない項目が含まれています。")
    return rows


def _new_values(rows: dict[int, FieldValue], answers: list[FieldAnswer]) -> dict[int, str | None]:
    """What each answer sets the value to (None: unchanged); refuse every bad value at once."""
    out: dict[int, str | None] = {}
    errors: dict[int | str, str] = {}
    for answer in answers:
        row = rows[answer.field_id]
        label = field_label(row.form_code, row.name)
        if answer.confirmed and row.value is None and not answer.value.strip():
            errors[row.id] = f"{label}: 値を入力してから確定してください。"
            continue
        if answer.value.strip() == (row.value or "").strip() and row.value is not None:
            out[row.id] = None
            continue
        if not answer.value.strip() and not answer.confirmed:
            out[row.id] = None  # left empty and not confirmed: nothing to save
            continue
        try:
            value = typed_value(row, answer.value)
        except ActionRefusedError as e:
            errors[row.id] = f"{label}: {e.message}"
            continue
        out[row.id] = None if value == row.value else value
    if errors:
        raise FieldValuesRefusedError(errors)
    return out


def _write(ctx: Context, row: FieldValue, value: str | None, confirmed: bool) -> bool:
    """Apply one answer; True when the field changed."""
    if value is None and not confirmed:
        return False
    if value is not None:
        write_value(ctx, row, value, CORRECT_REASON if confirmed else UNCONFIRMED_REASON)
    if confirmed:
        confirm_field(ctx, row, CORRECT_REASON if value is not None else CONFIRM_REASON)
    return True


def _judged_findings(
    ctx: Context, application: Application, rulings: list[RulingAnswer]
) -> dict[str, RuleFinding]:
    """The current findings the rulings answer; a ruling without its reason is refused."""
    if not rulings:
        return {}
    current = rules_store.current_decision(ctx.session, application.id)
    stored = (
        rules_store.stored_findings(ctx.session, current.evaluation_id)
        if current is not None and current.evaluation_id
        else []
    )
    by_rule = {f.rule_id: f for f in stored}
    errors: dict[int | str, str] = {}
    out = {}
    for answer in rulings:
        finding = by_rule.get(answer.rule_id)
        asked = (finding.details or {}).get("judgement") if finding is not None else None
        if finding is None or not isinstance(asked, dict) or asked.get("key") != answer.key:
            raise ActionRefusedError("判断を求めた内容が変わっています。画面を開き直してください。")
        if not answer.accepted and not answer.reason.strip():
            errors[f"rule:{answer.rule_id}"] = "「認めない」ときは理由を入力してください。"
        out[answer.rule_id] = finding
    if errors:
        raise FieldValuesRefusedError(errors)
    return out


def _message(confirmed: int, typed_only: int, ruled: int, paid: int) -> str:
    parts = []
    if confirmed:
        parts.append(f"{confirmed} 件を確定しました。")
    if typed_only:
        parts.append(f"（{typed_only} 件は入力のみ・未確定）")
    if ruled:
        parts.append(f"基準の判断 {ruled} 件を記録しました。")
    if paid:
        parts.append(f"入金 {paid} 件を確定しました。")
    return "".join(parts)


def save_screen(
    ctx: Context,
    application_id: int,
    seen: ScreenSeen,
    answers: list[FieldAnswer],
    rulings: list[RulingAnswer] | None = None,
    payments: list[PaymentAnswer] | None = None,
) -> Outcome:
    """Save every answer of one screen, then re-decide the application once."""
    rulings, payments = rulings or [], payments or []
    application = ctx.session.get(Application, application_id)
    if application is None:
        raise ActionRefusedError("申請が見つかりません。")
    rows = _rows(ctx, application_id, answers)
    # Decided: only what letters and certificates still print can be checked.
    printed_only = all((r.form_code, r.name) in MAILING_FIELDS for r in rows.values())
    if application.decision in FINAL_DECISIONS and (not printed_only or rulings or payments):
        require_not_final(application)
    refuse_if_moved(ctx, application, seen, {a.field_id: a.version for a in answers})
    values = _new_values(rows, answers)
    judged = _judged_findings(ctx, application, rulings)
    confirmed = changed = 0
    for answer in answers:
        if _write(ctx, rows[answer.field_id], values[answer.field_id], answer.confirmed):
            changed += 1
            confirmed += answer.confirmed
    for ruling in rulings:
        try:
            rules_store.record_ruling(
                ctx.session,
                judged[ruling.rule_id],
                accepted=ruling.accepted,
                actor=ctx.actor,
                reason=ruling.reason,
            )
        except ValidationError as e:
            raise ActionRefusedError(f"判断を記録できませんでした: {e.message}") from e
    touched = confirm_payments(ctx, application_id, seen, payments)
    try:
        ctx.session.flush()
    except StaleDataError as e:
        ctx.session.rollback()
        raise stale_error(ctx, application_id, seen) from e
    if not (changed or rulings or payments):
        return Outcome("変更はありませんでした。")
    text = _message(confirmed, changed - confirmed, len(rulings), len(payments))
    return rerun(ctx, {application_id} | touched, Outcome(text))
