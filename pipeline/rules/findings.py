"""What a rule returns: a :class:`Finding`, and the bookkeeping to build one.

A finding names the rule (a stable id), its outcome, the facts it used (name →
value, field id, confidence, status), a message for staff in Japanese, the
manual section it applies and, where one applies, the kind of letter to send.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from pipeline.rules.facts import Fact
from pipeline.vocabulary import CONFIDENT, FieldStatus, FindingOutcome

STATUS_JA: dict[str, str] = {
    FieldStatus.OK: "読取済み",
    FieldStatus.LOW_CONFIDENCE: "読取の信頼度が低い",
    FieldStatus.INVALID: "読取値が不正",
    FieldStatus.MISSING: "未記入または読取不可",
    FieldStatus.CORRECTED: "担当者が訂正・未確認",
    FieldStatus.CONFIRMED: "確認済み",
}


class FactRecord(BaseModel):
    """A fact as a finding records it (JSON-friendly)."""

    value: Any = None
    field_id: str | None = None
    confidence: float = 1.0
    status: str = FieldStatus.CONFIRMED.value

    @property
    def confident(self) -> bool:
        return self.status in CONFIDENT and self.value is not None


class Finding(BaseModel):
    """The result of one rule for one application."""

    rule_id: str
    outcome: FindingOutcome
    message_ja: str
    manual_section: str
    facts: dict[str, FactRecord] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    letter_kind: str | None = None

    def uncertain_facts(self) -> list[str]:
        """Names of the facts this finding used that are not confident."""
        return [name for name, rec in self.facts.items() if not rec.confident]


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):  # e.g. a judgement: what a person is asked
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


class Used:
    """Collects the facts a rule reads and notes the ones it cannot rely on."""

    def __init__(self) -> None:
        self.records: dict[str, FactRecord] = {}

    def fact(self, name: str, item: Fact[Any]) -> Any:
        """Record ``item`` under ``name`` and return its value."""
        self.records[name] = FactRecord(
            value=jsonable(item.value),
            field_id=item.field_id,
            confidence=item.confidence,
            status=str(item.status),
        )
        return item.value

    def plain(self, name: str, value: Any, source: str) -> Any:
        """Record a value that did not come from a scan (register, envelope, payments)."""
        self.records[name] = FactRecord(
            value=jsonable(value),
            field_id=source,
            confidence=1.0,
            status=FieldStatus.CONFIRMED.value,
        )
        return value

    @property
    def uncertain(self) -> list[str]:
        return [name for name, rec in self.records.items() if not rec.confident]

    def finding(
        self,
        rule_id: str,
        outcome: FindingOutcome,
        section: str,
        message_ja: str,
        *,
        details: dict[str, Any] | None = None,
        letter_kind: str | None = None,
    ) -> Finding:
        return Finding(
            rule_id=rule_id,
            outcome=outcome,
            message_ja=message_ja,
            manual_section=section,
            facts=dict(self.records),
            details={k: jsonable(v) for k, v in (details or {}).items()},
            letter_kind=letter_kind,
        )

    def review_uncertain(self, rule_id: str, section: str) -> Finding:
        """The review finding for a rule whose inputs are not all confident."""
        parts = []
        for name in self.uncertain:
            rec = self.records[name]
            parts.append(f"{rec.field_id or name}（{STATUS_JA.get(rec.status, rec.status)}）")
        return self.finding(
            rule_id,
            FindingOutcome.REVIEW,
            section,
            "次の項目が確定していないため判定できません。確認してください: " + "、".join(parts),
            details={"uncertain_facts": self.uncertain},
        )
