"""What changed on an item since a form was loaded (for a refused stale edit).

The answer comes from the audit log: events after the moment the form was
loaded, on the item itself, its application, the application's fields and
letters, and the bank transaction it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from pipeline.ingest.sniff import REASON_JA as QUARANTINE_JA
from pipeline.names_ja import actor_ja
from pipeline.review.auth import ROLE_JA
from pipeline.review.labels import (
    DECISION_JA,
    FIELD_STATUS_JA,
    FORM_JA,
    ITEM_STATUS_JA,
    MATCH_STATUS_JA,
    PAYMENT_STATUS_JA,
    action_label,
    field_label,
    format_datetime,
    match_rule_label,
    reason_ja,
)
from pipeline.storage.models import (
    AuditEvent,
    FieldValue,
    PaymentMatch,
    ReviewItem,
    RuleRuling,
    User,
)


def related_entities(session: Session, item: ReviewItem) -> list[tuple[str, list[int]]]:
    """(entity type, ids) pairs whose audit events belong on the item's page."""
    out: list[tuple[str, list[int]]] = [("exception", [item.id])]
    if item.application_id is not None:
        out.append(("application", [item.application_id]))
        field_ids = list(
            session.scalars(
                select(FieldValue.id).where(FieldValue.application_id == item.application_id)
            )
        )
        if field_ids:
            out.append(("field", field_ids))
    elif item.field_id is not None:
        out.append(("field", [item.field_id]))
    if item.transaction_id is not None:
        out.append(("bank_transaction", [item.transaction_id]))
    return out


def related_events(
    session: Session, item: ReviewItem, since: datetime | None = None
) -> list[AuditEvent]:
    """Audit events of the item and what it is about, oldest first."""
    conditions = [
        and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids))
        for kind, ids in related_entities(session, item)
    ]
    stmt = select(AuditEvent).where(or_(*conditions))
    if since is not None:
        stmt = stmt.where(AuditEvent.at > since)
    return list(session.scalars(stmt.order_by(AuditEvent.at, AuditEvent.id)))


HIDDEN_KEYS = frozenset(
    {"evaluation_id", "decision_id", "ruleset_version", "dedupe_key", "kind", "letter_id"}
)
KEY_JA = {
    "value": "値",
    "status": "状態",
    "confirmed_by": "確定した人",
    "decision": "判定",
    "received_on_override": "受付日（変更後）",
    "received_on": "受付日（到着日）",
    "assignee_id": "担当者",
    "title_ja": "内容",
    "documents": "依頼した書類",
    "application_id": "申請",
    "outcome": "結果",
    "match_id": "照合",
    "active": "有効",
    "role": "役割",
    "username": "ユーザー名",
    "display_name": "表示名",
    "parts": "分割",
    "amount_yen": "金額",
    "allocated_yen": "割り当て済み",
    "remaining_yen": "残り",
    "payment_status": "入金",
    "sent_at": "送付日時",
    "dated": "通知文の日付",
    "file": "印刷用ファイル",
    "transaction_id": "入金",
    "rule": "照合の根拠",
    "score": "一致度",
    "resolution": "対応の内容",
    "criterion": "判断した基準",
    "ruling": "判断",
    "judged": "判断した事実",
    "paid_on": "返金日",
    "note": "メモ",
    "duplicate_of": "同じ内容で先に受け付けた封筒",
    "sha256": "ファイルの SHA-256（先頭16桁）",
    "pages": "ページ数",
    "media_type": "ファイルの形式",
    "reason": "隔離の理由",  # envelope.quarantined: the file's refusal
    "detail": "技術的な詳細",
    "error": "エラーの内容",
    "certificate_number": "認定番号",
    "recovered": "中断した出力の記録を補完",
    "files_removed": "削除したファイルの数",
    "fields": "読み取った項目の数",
    "fields_ok": "読み取りが確かな項目の数",
    "missing_forms": "同封されていない書類",
    "extra_pages": "申請様式以外のページ",
    "checks": "記載内容の照合",
}
MEDIA_TYPE_JA = {
    "application/pdf": "PDF",
    "image/tiff": "TIFF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
}
# Keys whose values are codes, each code with its one name.
CODE_NAMES: dict[str, Mapping[str, str]] = {
    "role": ROLE_JA,
    "decision": DECISION_JA,
    "reason": {k.value: v for k, v in QUARANTINE_JA.items()},
    "media_type": MEDIA_TYPE_JA,
}
ENTITY_JA = {
    "exception": "確認項目",
    "application": "申請",
    "bank_transaction": "入金",
    "user": "ユーザー",
    "envelope": "封筒",
    "letter": "通知文",
    "field": "記載事項",
    "payment_match": "入金の照合",
    "page": "ページ",
    "run": "夜間処理",
    "statement_import": "入出金明細",
    "rule_ruling": "基準の判断",
}


def _user_ids(events: list[AuditEvent]) -> set[int]:
    ids: set[int] = set()
    for e in events:
        refs = [e.actor]
        for values in (e.before or {}, e.after or {}):
            refs.append(str(values.get("confirmed_by") or ""))
            if isinstance(values.get("assignee_id"), int):
                ids.add(values["assignee_id"])
        ids.update(int(r.split(":", 1)[1]) for r in refs if r.startswith("user:"))
    return ids


def actor_names(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    """``user:<id>`` → display name for every person the events mention."""
    ids = _user_ids(events)
    names = {}
    if ids:
        for user in session.scalars(select(User).where(User.id.in_(ids))):
            names[f"user:{user.id}"] = user.display_name
    return names


def entity_labels(session: Session, events: list[AuditEvent]) -> dict[tuple[str, int], str]:
    field_ids = [e.entity_id for e in events if e.entity_type == "field" and e.entity_id]
    out: dict[tuple[str, int], str] = {}
    if field_ids:
        for f in session.scalars(select(FieldValue).where(FieldValue.id.in_(field_ids))):
            out[("field", f.id)] = f"記載事項「{field_label(f.form_code, f.name)}」"
    return out


def actor_label(actor: str, names: dict[str, str]) -> str:
    return names[actor] if actor in names else actor_ja(actor)


def _list_ja(key: str, value: list[object]) -> str:
    """A list in an audit row, item by item in words."""
    if not value:
        return "（なし）"
    if key in ("documents", "missing_forms"):
        return "、".join(FORM_JA.get(str(d), str(d)) for d in value)
    if key == "extra_pages":
        return "、".join(f"{p}ページ目" for p in value)
    dicts = [v for v in value if isinstance(v, dict)]
    if key == "parts":
        return "、".join(
            f"申請 #{p.get('application_id') or '—'} {int(p.get('amount_yen', 0)):,}円"
            for p in dicts
        )
    if key == "checks":  # extraction's cross-checks, each with its message
        return "／".join(str(c.get("message_ja") or "") for c in dicts)
    return "、".join(str(v) for v in value)


def _value_ja(key: str, value: object, names: dict[str, str]) -> str:
    if value is None:
        return "（なし）"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, list):
        return _list_ja(key, value)
    text = str(value)
    if key == "status":
        return (
            FIELD_STATUS_JA.get(text)
            or ITEM_STATUS_JA.get(text)
            or MATCH_STATUS_JA.get(text)
            or PAYMENT_STATUS_JA.get(text)
            or text
        )
    if key in ("payment_status", "outcome"):
        return PAYMENT_STATUS_JA.get(text) or DECISION_JA.get(text) or text
    if key in CODE_NAMES:
        return CODE_NAMES[key].get(text, text)
    if key == "rule":
        return match_rule_label(text)
    if key == "transaction_id":
        return f"#{text}"
    if key == "confirmed_by":
        return actor_label(text, names)
    if key == "assignee_id":
        return names.get(f"user:{text}", text)
    if key == "application_id":
        return f"#{text}"
    if key.endswith("_yen") and isinstance(value, int):
        return f"{value:,}円"
    if key == "sha256":  # enough to tell files apart; the row keeps all 64 digits
        return f"{text[:16]}…"
    if key == "duplicate_of":
        return f"封筒 #{text}"
    if key == "resolution":
        return reason_ja(text)
    if text == "true":
        return "あり"
    if text == "false":
        return "なし"
    return text


def _pairs(values: dict[str, object] | None, names: dict[str, str]) -> list[tuple[str, str]]:
    return [
        (KEY_JA.get(key, key), _value_ja(key, value, names))
        for key, value in (values or {}).items()
        if key not in HIDDEN_KEYS
    ]


def describe(
    event: AuditEvent,
    names: dict[str, str],
    tz: ZoneInfo,
    labels: dict[tuple[str, int], str] | None = None,
) -> dict[str, Any]:
    """One audit event in words a person reads: when, who, what, on what, before, after, why."""
    key = (event.entity_type, event.entity_id or 0)
    entity = (labels or {}).get(key) or (
        f"{ENTITY_JA.get(event.entity_type, event.entity_type)} #{event.entity_id}"
    )
    return {
        "at": format_datetime(event.at, tz),
        "who": actor_label(event.actor, names),
        "what": action_label(event.action),
        "entity": entity,
        "before": _pairs(event.before, names),
        "after": _pairs(event.after, names),
        "reason": _reason_ja(event),
    }


def _reason_ja(event: AuditEvent) -> str:
    """The reason in words, for every page and export that shows the trail: the payment
    matcher's English note becomes its rule in words, an older decision's rule ids the
    rules' names."""
    reason = event.reason or ""
    rule = (event.after or {}).get("rule")
    if reason.isascii() and reason and isinstance(rule, str):
        return match_rule_label(rule)
    return reason_ja(reason)


def describe_all(session: Session, events: list[AuditEvent], tz: ZoneInfo) -> list[dict[str, Any]]:
    names = actor_names(session, events)
    labels = entity_labels(session, events)
    return [describe(e, names, tz, labels) for e in events]


def as_text(pairs: list[tuple[str, str]]) -> str:
    """Before/after pairs as one line (for CSV)."""
    return "; ".join(f"{label}: {value}" for label, value in pairs)


def changes_since(
    session: Session, item: ReviewItem, since: datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    return describe_all(session, related_events(session, item, since), tz)


def application_changes_since(
    session: Session,
    application_id: int,
    since: datetime,
    tz: ZoneInfo,
    *,
    transaction_ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    """What happened after ``since`` to the application, its fields, items, rulings and
    payments (its deposits, and ``transaction_ids``: the deposits its screen showed)."""
    field_ids = list(
        session.scalars(select(FieldValue.id).where(FieldValue.application_id == application_id))
    )
    item_ids = list(
        session.scalars(select(ReviewItem.id).where(ReviewItem.application_id == application_id))
    )
    ruling_ids = list(
        session.scalars(select(RuleRuling.id).where(RuleRuling.application_id == application_id))
    )
    txn_ids = set(transaction_ids or ()) | set(
        session.scalars(
            select(PaymentMatch.transaction_id).where(PaymentMatch.application_id == application_id)
        )
    )
    conditions = [
        and_(AuditEvent.entity_type == "application", AuditEvent.entity_id == application_id)
    ]
    for kind, ids in (
        ("field", field_ids),
        ("exception", item_ids),
        ("rule_ruling", ruling_ids),
        ("bank_transaction", sorted(txn_ids)),
    ):
        if ids:
            conditions.append(and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids)))
    stmt = select(AuditEvent).where(or_(*conditions), AuditEvent.at > since)
    events = list(session.scalars(stmt.order_by(AuditEvent.at, AuditEvent.id)))
    return describe_all(session, events, tz)
