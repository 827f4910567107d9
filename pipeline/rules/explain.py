"""The decision trace, as readable Japanese text for staff.

One renderer serves both ``conken rules check`` (an evaluation made in memory)
and ``conken rules explain`` (the current decision stored for an application):
the decision and why, each finding with its outcome, message, manual section
and the facts it used with their confidences, the letters to send and the dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from pipeline.errors import ValidationError
from pipeline.forms.labels import source_label
from pipeline.names_ja import DECISION_JA, RULE_JA, actor_ja
from pipeline.rules import dates as date_rules
from pipeline.rules.evaluate import Evaluation
from pipeline.rules.findings import STATUS_JA, FactRecord, Finding
from pipeline.rules.store import current_decision, get_application, stored_findings
from pipeline.vocabulary import FindingOutcome

FINDING_JA: dict[str, str] = {
    "pass": "適合",
    "fail": "不適合",
    "review": "要確認",
    "not_applicable": "対象外",
}
LETTER_JA: dict[str, str] = {
    "missing_documents": "不足書類の送付依頼",
    "unsigned_oath": "宣誓書への署名依頼",
    "underpayment": "不足額の振込依頼",
    "no_certification_needed": "認定不要のご案内",
}


@dataclass
class TraceView:
    """What the renderer shows, from either source."""

    outcome: str
    ruleset_version: str
    reasons: list[str]
    findings: list[Finding]
    received_on: date | None = None
    application_id: int | None = None
    qualification: str | None = None
    evaluation_id: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    certificate_number: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def view_of_evaluation(evaluation: Evaluation) -> TraceView:
    dates = evaluation.dates
    return TraceView(
        outcome=evaluation.outcome.value,
        ruleset_version=evaluation.ruleset_version,
        reasons=list(evaluation.reasons),
        findings=list(evaluation.findings),
        received_on=evaluation.received_on,
        application_id=evaluation.application_id,
        valid_from=dates.valid_from if dates else None,
        valid_to=dates.valid_to if dates else None,
        extra={"evaluated_on": evaluation.evaluated_on},
    )


def load_trace(session: Session, application_id: int) -> TraceView:
    """The stored current decision of an application and the findings behind it."""
    application = get_application(session, application_id)
    decision = current_decision(session, application_id)
    if decision is None:
        raise ValidationError(f"application {application_id} has not been evaluated yet")
    rows = stored_findings(session, decision.evaluation_id) if decision.evaluation_id else []
    findings = [
        Finding(
            rule_id=row.rule_id,
            outcome=FindingOutcome(row.outcome),
            message_ja=row.message_ja,
            manual_section=row.manual_section,
            facts={k: FactRecord.model_validate(v) for k, v in (row.facts or {}).items()},
            details=row.details or {},
            letter_kind=row.letter_kind,
        )
        for row in rows
    ]
    return TraceView(
        outcome=decision.outcome,
        ruleset_version=decision.ruleset_version,
        reasons=(decision.reason or "").splitlines(),
        findings=findings,
        received_on=application.effective_received_on,
        application_id=application.id,
        qualification=application.qualification,
        evaluation_id=decision.evaluation_id,
        decided_by=decision.decided_by,
        decided_at=decision.created_at,
        valid_from=decision.valid_from,
        valid_to=decision.valid_to,
        certificate_number=application.certificate_number,
    )


def _value_ja(value: Any) -> str:
    if value is None:
        return "（なし）"
    if value is True:
        return "はい"
    if value is False:
        return "いいえ"
    if value == "present":
        return "現在"
    return _WORDS_JA.get(str(value), str(value))


# Values the rules hold as words of their own (an exam result, a payment's state).
_WORDS_JA = {"pass": "合格", "fail": "不合格"}


def _fact_line(name: str, rec: FactRecord) -> str:
    """A fact by where it was read (the form's label), its value and how sure it is."""
    source = source_label(rec.field_id) if rec.field_id else name
    status = STATUS_JA.get(rec.status, rec.status)
    value = _value_ja(rec.value)
    return f"      - {source}: {value}（信頼度 {rec.confidence:.2f}・{status}）"


def render(view: TraceView) -> str:
    """The trace as lines of Japanese text."""
    lines: list[str] = []
    title = f"申請 #{view.application_id}" if view.application_id is not None else "申請"
    if view.qualification:
        title += f"（{view.qualification}）"
    lines.append(title)
    if view.received_on:
        lines.append(f"  受付日（有効）: {view.received_on}")
    lines.append(f"判定: {DECISION_JA.get(view.outcome, view.outcome)}")
    meta = f"  ルールセット {view.ruleset_version}"
    if view.evaluation_id:
        meta += f" / 評価ID {view.evaluation_id}"
    if view.decided_by:
        meta += f" / 判定者 {actor_ja(view.decided_by)}"
    if view.decided_at:
        meta += f" / {view.decided_at:%Y-%m-%d %H:%M} UTC"
    lines.append(meta)
    if view.certificate_number:
        lines.append(f"  認定番号: {view.certificate_number}")
    lines.append("理由:")
    lines.extend(f"  - {reason}" for reason in view.reasons)
    lines.append("所見:")
    for finding in view.findings:
        label = FINDING_JA.get(finding.outcome.value, finding.outcome.value)
        rule = RULE_JA.get(finding.rule_id, finding.rule_id)
        lines.append(f"  [{label}] {rule} — {finding.manual_section}")
        lines.append(f"      {finding.message_ja}")
        if finding.letter_kind:
            lines.append(
                f"      送付する文書: {LETTER_JA.get(finding.letter_kind, finding.letter_kind)}"
            )
        lines.extend(_fact_line(name, rec) for name, rec in finding.facts.items())
    letters = sorted({f.letter_kind for f in view.findings if f.letter_kind})
    if letters:
        lines.append("送付する文書: " + "、".join(LETTER_JA.get(k, k) for k in letters))
    lines.extend(_date_lines(view))
    return "\n".join(lines)


def _date_lines(view: TraceView) -> list[str]:
    if view.valid_from is None or view.valid_to is None:
        return [
            "日付: 認定有効期間は算出されていません（合格証明書の発行日が未確定、または認定不要）。"
        ]
    opens, closes = date_rules.renewal_window(view.valid_to)
    prefix = "認定有効期間" if view.outcome == "approved" else "認定された場合の有効期間"
    return [
        f"日付: {prefix} {view.valid_from} 〜 {view.valid_to}",
        f"      更新申請の受付期間 {opens} 〜 {closes}",
    ]
