"""Saving one verification screen: every field a person confirmed or corrected, at once.

A field counts once the person confirmed it on the screen (a keystroke each for
the fields that decide the application; informational fields may be confirmed
together). A confirmed field closes its own queue item. A value typed but not
confirmed is kept as a correction that still needs confirming, so nothing typed
is lost.

The screen is refused, with what changed, if any field it writes moved on since
it was loaded; a value that does not read as its kind is refused with the
field's name, and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from pipeline.queue import MAILING_FIELDS, OPEN_STATES
from pipeline.review.actions import (
    FINAL_DECISIONS,
    ActionRefusedError,
    Context,
    Outcome,
    StaleEditError,
    close_item,
    require_not_final,
    rerun,
    typed_value,
)
from pipeline.review.labels import field_label
from pipeline.review.stale import application_changes_since
from pipeline.storage.audit import record_event
from pipeline.storage.models import Application, FieldStatus, FieldValue, ReviewItem

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


class FieldValuesRefusedError(ActionRefusedError):
    """Some typed values do not read as their field's kind; field id → message."""

    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__("入力された値を受け付けられない項目があります。保存していません。")
        self.errors = errors


def _stale(ctx: Context, application_id: int, loaded_at: datetime) -> StaleEditError:
    return StaleEditError(
        "この申請は、画面を開いた後に変更されました。変更は保存していません。"
        "下の変更を確認してから、もう一度操作してください。",
        application_changes_since(ctx.session, application_id, loaded_at, ctx.settings.tz),
    )


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
    errors: dict[int, str] = {}
    for answer in answers:
        row = rows[answer.field_id]
        shown = row.value or ""
        if answer.value.strip() == shown.strip() and row.value is not None:
            out[row.id] = None
            continue
        if not answer.value.strip() and not answer.confirmed:
            out[row.id] = None  # left empty and not confirmed: nothing to save
            continue
        try:
            value = typed_value(row, answer.value)
        except ActionRefusedError as e:
            errors[row.id] = f"{field_label(row.form_code, row.name)}: {e.message}"
            continue
        out[row.id] = None if value == row.value else value
    if errors:
        raise FieldValuesRefusedError(errors)
    return out


def _write(ctx: Context, row: FieldValue, value: str | None, confirmed: bool) -> bool:
    """Apply one answer; True when the field changed."""
    if value is None and not confirmed:
        return False
    before = {"value": row.value, "status": row.status, "confirmed_by": row.confirmed_by}
    if value is not None:
        row.value = value
        row.status = FieldStatus.CORRECTED.value
        row.confirmed_by = None
        row.reason = CORRECT_REASON if confirmed else UNCONFIRMED_REASON
        record_event(
            ctx.session,
            actor=ctx.actor,
            action="field.corrected",
            entity_type="field",
            entity_id=row.id,
            before=before,
            after={"value": value, "status": row.status},
            reason=row.reason,
        )
    if confirmed:
        status_before = {"value": row.value, "status": row.status}
        row.status = FieldStatus.CONFIRMED.value
        row.confirmed_by = ctx.actor
        record_event(
            ctx.session,
            actor=ctx.actor,
            action="field.confirmed",
            entity_type="field",
            entity_id=row.id,
            before=status_before,
            after={"value": row.value, "status": row.status, "confirmed_by": ctx.actor},
            reason=CORRECT_REASON if value is not None else CONFIRM_REASON,
        )
        _close_field_items(ctx, row)
    return True


def _close_field_items(ctx: Context, row: FieldValue) -> None:
    items = ctx.session.scalars(
        select(ReviewItem).where(ReviewItem.field_id == row.id, ReviewItem.status.in_(OPEN_STATES))
    )
    for item in items:
        close_item(ctx, item, f"値を確定: {row.value}")


def save_screen(
    ctx: Context, application_id: int, loaded_at: datetime, answers: list[FieldAnswer]
) -> Outcome:
    """Save every answer of one screen, then re-decide the application once."""
    application = ctx.session.get(Application, application_id)
    if application is None:
        raise ActionRefusedError("申請が見つかりません。")
    rows = _rows(ctx, application_id, answers)
    # Decided: only what letters and certificates still print can be checked.
    printed_only = all((r.form_code, r.name) in MAILING_FIELDS for r in rows.values())
    if application.decision in FINAL_DECISIONS and not printed_only:
        require_not_final(application)
    if any(rows[a.field_id].version != a.version for a in answers):
        raise _stale(ctx, application_id, loaded_at)
    for answer in answers:
        row = rows[answer.field_id]
        if answer.confirmed and row.value is None and not answer.value.strip():
            label = field_label(row.form_code, row.name)
            raise FieldValuesRefusedError({row.id: f"{label}: 値を入力してから確定してください。"})
    values = _new_values(rows, answers)
    confirmed = changed = 0
    for answer in answers:
        if _write(ctx, rows[answer.field_id], values[answer.field_id], answer.confirmed):
            changed += 1
            confirmed += answer.confirmed
    try:
        ctx.session.flush()
    except StaleDataError as e:
        ctx.session.rollback()
        raise _stale(ctx, application_id, loaded_at) from e
    if not changed:
        return Outcome("変更はありませんでした。")
    text = f"{confirmed} 件を確定しました。"
    if changed > confirmed:
        text += f"（{changed - confirmed} 件は入力のみ・未確定）"
    return rerun(ctx, {application_id}, Outcome(text))
