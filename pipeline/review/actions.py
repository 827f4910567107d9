"""What staff do to a review item, as plain functions over the database.

Every action:

1. checks that nothing changed since the person's form was loaded (the item's
   version and the version of what the action changes: the field, the
   application or the bank transaction) and refuses with :class:`StaleEditError`,
   which lists what changed, instead of overwriting;
2. makes its change and writes an audit event (who, before, after, why);
3. marks the item as being worked on (its version moves on, so a second
   person's older form is refused too);
4. re-runs the rules for the application at once and reports the decision
   before and after.

Approve and reject re-run the rules *first* and act on the fresh decision (a
person can only approve what the rules find eligible, and only reject what they
propose as ineligible). Applications approved, rejected, withdrawn or superseded are final.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pipeline.clock import business_today
from pipeline.config import Settings
from pipeline.errors import ConcurrencyError, ConkenError, ValidationError
from pipeline.extract.normalize import FieldInvalid, normalize
from pipeline.outputs.letter_sources import draft_letter
from pipeline.outputs.letters import store_letter
from pipeline.queue import OPEN_STATES
from pipeline.review.decisions import rerun_rules
from pipeline.review.labels import DECISION_JA, field_info
from pipeline.review.stale import changes_since
from pipeline.rules import store as rules_store
from pipeline.storage.audit import record_event
from pipeline.storage.models import (
    Application,
    DecisionOutcome,
    ExceptionStatus,
    FieldStatus,
    FieldValue,
    ReviewItem,
    User,
)
from pipeline.storage.types import utcnow
from pipeline.vocabulary import FINAL_DECISIONS

__all__ = ["FINAL_DECISIONS"]  # the screens import it from here

TYPED_EXAMPLES_JA = {
    "date": "（例: 2024-06-01、20240601、2024/6/1、令和6年6月1日、R6.6.1）",
    "yearmonth": "（例: 2019-04、201904、2019年4月、H31.4）",
    "yearmonth_or_present": "（例: 2019-04、2019年4月、H31.4、現在）",
}

BOOLEAN_KINDS = ("checkbox", "signature", "seal")
DOCUMENTS_JA = {
    "R": "合格証明書（試験結果レポート）のコピー",
    "A": "(A) 資格認定申請書",
    "B": "(B) 業務経歴証明書",
    "C": "(C) 上司もしくは監督者による証明",
    "D": "(D) 倫理綱領・職業倫理規定および継続教育・学習方針の順守への宣誓書",
}


class ActionRefusedError(ConkenError):
    """The action cannot be done as asked; the message is for staff (Japanese)."""

    exit_code = 8


class StaleEditError(ConcurrencyError):
    """The item changed since the person's form was loaded; nothing was written."""

    def __init__(self, message: str, changes: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.changes = changes


@dataclass(frozen=True)
class Seen:
    """What the person's form showed: the versions and when it was loaded."""

    item_version: int
    loaded_at: datetime
    entity_version: int | None = None


@dataclass
class Outcome:
    """What happened, for the message shown after the action."""

    message_ja: str
    decisions: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)

    def decision_lines(self) -> list[str]:
        lines = []
        for app_id, (before, after) in sorted(self.decisions.items()):
            b = DECISION_JA.get(before or "", before or "未判定")
            a = DECISION_JA.get(after or "", after or "未判定")
            change = f"{b} → {a}" if before != after else f"{a}（変わりません）"
            lines.append(f"申請 #{app_id} の判定: {change}")
        return lines


@dataclass
class Context:
    """Who acts, with which settings."""

    session: Session
    user: User
    settings: Settings
    today: date | None = None

    @property
    def actor(self) -> str:
        return f"user:{self.user.id}"


# --- shared steps ------------------------------------------------------------------


def check_fresh(
    ctx: Context,
    item: ReviewItem,
    seen: Seen,
    *,
    entity: tuple[str, int, int] | None = None,
) -> None:
    """Refuse if the item, or ``entity`` (type, id, current version), moved on since ``seen``."""
    stale = item.version != seen.item_version
    if entity is not None and seen.entity_version is not None:
        stale = stale or entity[2] != seen.entity_version
    if stale:
        changes = changes_since(ctx.session, item, seen.loaded_at, ctx.settings.tz)
        raise StaleEditError(
            "この項目は、画面を開いた後に他の方が変更しました。変更は保存していません。"
            "最新の内容を確認してから、もう一度操作してください。",
            changes,
        )


def require_open(item: ReviewItem) -> None:
    if item.status not in (ExceptionStatus.OPEN.value, ExceptionStatus.IN_PROGRESS.value):
        raise ActionRefusedError("この項目はすでに完了しています。")


def _application(ctx: Context, item: ReviewItem) -> Application:
    if item.application_id is None:
        raise ActionRefusedError("この項目には申請が結びついていません。")
    application = ctx.session.get(Application, item.application_id)
    if application is None:
        raise ActionRefusedError("申請が見つかりません。")
    return application


def require_not_final(application: Application) -> None:
    if application.decision in FINAL_DECISIONS:
        state = DECISION_JA.get(application.decision or "", application.decision or "")
        raise ActionRefusedError(f"この申請は「{state}」で確定しているため、変更できません。")


def _reason(text: str | None, *, required: bool, default: str | None = None) -> str | None:
    value = unicodedata.normalize("NFC", (text or "").strip())
    if not value:
        if required:
            raise ActionRefusedError("理由を入力してください。")
        return default
    if len(value) > 2000:
        raise ActionRefusedError("理由は2000文字以内で入力してください。")
    return value


def touch(ctx: Context, item: ReviewItem) -> None:
    """Mark the item as being worked on (its version moves on with this change)."""
    if item.status == ExceptionStatus.OPEN.value:
        item.status = ExceptionStatus.IN_PROGRESS.value
    item.updated_at = utcnow()


def close_item(ctx: Context, item: ReviewItem, resolution: str, *, dismissed: bool = False) -> None:
    """Close the item (resolved, or dismissed); an item already closed stays as it was."""
    if item.status not in (ExceptionStatus.OPEN.value, ExceptionStatus.IN_PROGRESS.value):
        return
    before = {"status": item.status}
    item.status = (ExceptionStatus.DISMISSED if dismissed else ExceptionStatus.RESOLVED).value
    item.closed_at = utcnow()
    item.closed_by = ctx.actor
    item.resolution = resolution
    record_event(
        ctx.session,
        actor=ctx.actor,
        action="exception.dismissed" if dismissed else "exception.resolved",
        entity_type="exception",
        entity_id=item.id,
        before=before,
        after={"status": item.status},
        reason=resolution,
    )


def flush(ctx: Context, item: ReviewItem, loaded_at: datetime) -> None:
    """Write now, turning a lost race (someone saved in between) into :class:`StaleEditError`."""
    try:
        ctx.session.flush()
    except StaleDataError as e:
        ctx.session.rollback()
        raise StaleEditError(
            "この項目は、保存の直前に他の方が変更しました。変更は保存していません。"
            "最新の内容を確認してから、もう一度操作してください。",
            changes_since(ctx.session, item, loaded_at, ctx.settings.tz),
        ) from e


def rerun(ctx: Context, application_ids: set[int], outcome: Outcome) -> Outcome:
    """Re-run the rules for each application that is not final; note before → after."""
    for app_id in sorted(application_ids):
        application = ctx.session.get(Application, app_id)
        if application is None or application.decision in FINAL_DECISIONS:
            continue
        before = application.decision
        decision = rerun_rules(ctx.session, app_id, actor=ctx.actor, today=ctx.today)
        outcome.decisions[app_id] = (before, decision.outcome)
    return outcome


# --- fields --------------------------------------------------------------------------


def _field(ctx: Context, item: ReviewItem, field_id: int) -> FieldValue:
    row = ctx.session.get(FieldValue, field_id)
    if row is None:
        raise ActionRefusedError("項目が見つかりません。")
    belongs = row.id == item.field_id or (
        item.application_id is not None and row.application_id == item.application_id
    )
    if not belongs:
        raise ActionRefusedError("この項目の申請の記載事項ではありません。")
    return row


def typed_value(row: FieldValue, raw: str) -> str:
    """The canonical value of what a person typed, by the field's kind and validator."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if row.kind in BOOLEAN_KINDS:
        if text not in ("true", "false"):
            raise ActionRefusedError("「あり」または「なし」を選んでください。")
        return text
    if not text:
        raise ActionRefusedError("値を入力してください。")
    info = field_info(row.form_code, row.name)
    validator = info.validator if info else None
    try:
        return normalize(validator, text)
    except FieldInvalid as e:
        # The parser's own detail is for developers (English); staff get the example.
        message = re.sub(r"（[^（）]*[A-Za-z][^（）]*）", "", str(e))
        hint = TYPED_EXAMPLES_JA.get(validator or "", "")
        raise ActionRefusedError(f"「{text}」を受け付けられません: {message}{hint}") from e


def write_value(ctx: Context, row: FieldValue, value: str, reason: str) -> None:
    """Put a typed value in the field: ``corrected``, which counts only once confirmed."""
    before = {"value": row.value, "status": row.status, "confirmed_by": row.confirmed_by}
    row.value = value
    row.status = FieldStatus.CORRECTED.value
    row.confirmed_by = None
    row.reason = reason
    record_event(
        ctx.session,
        actor=ctx.actor,
        action="field.corrected",
        entity_type="field",
        entity_id=row.id,
        before=before,
        after={"value": value, "status": row.status},
        reason=reason,
    )


def confirm_field(ctx: Context, row: FieldValue, reason: str) -> None:
    """A person confirms the value shown (as read, or as corrected): ``confirmed``.

    The one place a field is confirmed, from an item page or an application's screen:
    the field's own open items close with it, since what they asked is answered.
    """
    if row.value is None:
        raise ActionRefusedError("値が空のため確定できません。先に値を入力してください。")
    before = {"value": row.value, "status": row.status, "confirmed_by": row.confirmed_by}
    row.status = FieldStatus.CONFIRMED.value
    row.confirmed_by = ctx.actor
    record_event(
        ctx.session,
        actor=ctx.actor,
        action="field.confirmed",
        entity_type="field",
        entity_id=row.id,
        before=before,
        after={"value": row.value, "status": row.status, "confirmed_by": ctx.actor},
        reason=reason,
    )
    own = ctx.session.scalars(
        select(ReviewItem).where(ReviewItem.field_id == row.id, ReviewItem.status.in_(OPEN_STATES))
    )
    for item in own:
        close_item(ctx, item, f"値を確定: {row.value}")


def _item_field(ctx: Context, item: ReviewItem, field_id: int, seen: Seen) -> FieldValue:
    """The field an item page acts on, fresh and of an application not yet final."""
    require_open(item)
    row = _field(ctx, item, field_id)
    check_fresh(ctx, item, seen, entity=("field", row.id, row.version))
    if row.application_id is not None:
        require_not_final(_application(ctx, item))
    return row


def correct_item_field(
    ctx: Context, item: ReviewItem, field_id: int, seen: Seen, value: str, reason: str | None
) -> Outcome:
    """From an item page: the right value, typed with a reason (it counts once confirmed)."""
    row = _item_field(ctx, item, field_id, seen)
    why = _reason(reason, required=True)
    assert why is not None
    write_value(ctx, row, typed_value(row, value), why)
    touch(ctx, item)
    flush(ctx, item, seen.loaded_at)
    outcome = Outcome(
        "値を修正しました。別の方（またはご自身）が「この値で確定」を押すと判定に使われます。"
    )
    return rerun(ctx, {row.application_id} if row.application_id else set(), outcome)


def confirm_item_field(
    ctx: Context, item: ReviewItem, field_id: int, seen: Seen, reason: str | None
) -> Outcome:
    """From an item page: confirm the value shown (the item closes if it is the field's own)."""
    row = _item_field(ctx, item, field_id, seen)
    why = _reason(reason, required=False, default="画像と照合して確認")
    assert why is not None
    confirm_field(ctx, row, why)
    if item.field_id != row.id:
        touch(ctx, item)  # confirmed from another item's page: that item stays open
    flush(ctx, item, seen.loaded_at)
    outcome = Outcome("値を確定しました。")
    return rerun(ctx, {row.application_id} if row.application_id else set(), outcome)


# --- application -----------------------------------------------------------------------


def override_received_on(
    ctx: Context, item: ReviewItem, seen: Seen, received_on: date | None, reason: str | None
) -> Outcome:
    """Set (or clear, with None) the received date used by the rules, e.g. the postmark."""
    application = _application(ctx, item)
    check_fresh(ctx, item, seen, entity=("application", application.id, application.version))
    require_not_final(application)
    why = _reason(reason, required=True)
    if received_on is not None and received_on > (ctx.today or business_today(ctx.settings)):
        raise ActionRefusedError("受付日に未来の日付は指定できません。")
    before = {"received_on_override": application.received_on_override}
    application.received_on_override = received_on
    record_event(
        ctx.session,
        actor=ctx.actor,
        action="application.received_on_overridden",
        entity_type="application",
        entity_id=application.id,
        before=before,
        after={"received_on_override": received_on, "received_on": application.received_on},
        reason=why,
    )
    touch(ctx, item)
    flush(ctx, item, seen.loaded_at)
    text = "受付日を変更しました。" if received_on else "受付日の変更を取り消しました。"
    return rerun(ctx, {application.id}, Outcome(text))


def approve(ctx: Context, item: ReviewItem, seen: Seen, reason: str | None) -> Outcome:
    application = _application(ctx, item)
    check_fresh(ctx, item, seen, entity=("application", application.id, application.version))
    require_not_final(application)
    why = _reason(reason, required=False)
    outcome = rerun(ctx, {application.id}, Outcome(""))
    if application.decision != DecisionOutcome.ELIGIBLE.value:
        state = DECISION_JA.get(application.decision or "", application.decision or "未判定")
        raise ActionRefusedError(
            f"判定が「{state}」のため承認できません（承認できるのは「認定可」のみです）。"
        )
    on = ctx.today or business_today(ctx.settings)
    # Closed first, as this person's doing; the rest of the application's checks close as moot.
    close_item(ctx, item, "承認")
    rules_store.approve(
        ctx.session,
        application.id,
        actor=ctx.actor,
        on=on,
        number_format=ctx.settings.certificate_number_format,
        reason=why,
    )
    item.resolution = f"承認（認定番号 {application.certificate_number}）"
    flush(ctx, item, seen.loaded_at)
    before = outcome.decisions.get(application.id, (None, None))[0]
    outcome.decisions[application.id] = (before, application.decision)
    outcome.message_ja = f"承認しました。認定番号は {application.certificate_number} です。"
    return outcome


def reject(ctx: Context, item: ReviewItem, seen: Seen, reason: str | None) -> Outcome:
    application = _application(ctx, item)
    check_fresh(ctx, item, seen, entity=("application", application.id, application.version))
    require_not_final(application)
    why = _reason(reason, required=True)
    assert why is not None
    outcome = rerun(ctx, {application.id}, Outcome(""))
    if application.decision != DecisionOutcome.INELIGIBLE_PROPOSED.value:
        state = DECISION_JA.get(application.decision or "", application.decision or "未判定")
        raise ActionRefusedError(
            f"判定が「{state}」のため却下できません（却下できるのは「不認定（案）」のみです）。"
        )
    close_item(ctx, item, f"却下: {why}")
    rules_store.reject(ctx.session, application.id, actor=ctx.actor, reason=why)
    flush(ctx, item, seen.loaded_at)
    before = outcome.decisions.get(application.id, (None, None))[0]
    outcome.decisions[application.id] = (before, application.decision)
    outcome.message_ja = "却下しました。"
    return outcome


def request_documents(
    ctx: Context,
    item: ReviewItem,
    seen: Seen,
    documents: list[str],
    note: str | None,
) -> Outcome:
    """Write a letter asking the applicant for documents (printed by the next run, mailed by post).

    The letter is the ``missing_documents`` letter of :mod:`pipeline.outputs`: it is
    refused, with the reason, when a placeholder would be empty or the address is unsure.
    """
    application = _application(ctx, item)
    check_fresh(ctx, item, seen, entity=("application", application.id, application.version))
    require_not_final(application)
    unknown = [d for d in documents if d not in DOCUMENTS_JA]
    if unknown or not documents:
        raise ActionRefusedError("依頼する書類を1つ以上選んでください。")
    text = _reason(note, required=False)
    try:
        draft = draft_letter(
            ctx.session,
            ctx.settings,
            application.id,
            "missing_documents",
            dated=ctx.today or business_today(ctx.settings),
            extra={"items": [DOCUMENTS_JA[d] for d in documents], "note": text},
        )
    except ValidationError as e:
        raise ActionRefusedError(e.message) from e
    letter = store_letter(
        ctx.session, draft, actor=ctx.actor, reason=text or "書類の追加提出を依頼"
    )
    record_event(
        ctx.session,
        actor=ctx.actor,
        action="letter.requested",
        entity_type="application",
        entity_id=application.id,
        after={"letter_id": letter.id, "kind": letter.kind, "documents": documents},
        reason=text or "書類の追加提出を依頼",
    )
    touch(ctx, item)
    flush(ctx, item, seen.loaded_at)
    return rerun(
        ctx,
        {application.id},
        Outcome("書類の追加提出の依頼文を作成しました（「通知文」から印刷して郵送してください）。"),
    )


# --- the item itself ---------------------------------------------------------------------


def assign(ctx: Context, item: ReviewItem, seen: Seen, assignee: User | None) -> Outcome:
    check_fresh(ctx, item, seen)
    before = {"assignee_id": item.assignee_id}
    item.assignee_id = assignee.id if assignee else None
    record_event(
        ctx.session,
        actor=ctx.actor,
        action="exception.assigned",
        entity_type="exception",
        entity_id=item.id,
        before=before,
        after={"assignee_id": item.assignee_id},
        reason=f"担当: {assignee.display_name}" if assignee else "担当者なし",
    )
    item.updated_at = utcnow()
    flush(ctx, item, seen.loaded_at)
    who = assignee.display_name if assignee else "なし"
    return Outcome(f"担当者を「{who}」にしました。")


def finish(
    ctx: Context, item: ReviewItem, seen: Seen, reason: str | None, *, dismissed: bool
) -> Outcome:
    """Close the item by hand: done (resolved) or nothing to do (dismissed)."""
    require_open(item)
    check_fresh(ctx, item, seen)
    why = _reason(reason, required=True)
    assert why is not None
    close_item(ctx, item, why, dismissed=dismissed)
    flush(ctx, item, seen.loaded_at)
    outcome = Outcome("対応不要にしました。" if dismissed else "完了にしました。")
    return rerun(ctx, {item.application_id} if item.application_id else set(), outcome)
