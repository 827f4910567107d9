"""The run report's data model (pure: no database, no files).

One :class:`RunReport` per run. It is built by :mod:`pipeline.reports.collect`
and rendered as HTML, JSON and markdown. Definitions of the figures:

``stp_rate`` (straight-through rate)
    Of the applications *decided this run* (their newest decision row carries
    this run's id), the share whose decision is ``eligible``, ``not_required``
    or ``ineligible_proposed`` and which have no open review item that needs a
    person (status open / in progress, severity normal or high; ``info`` items
    such as audit samples do not count). ``None`` when nothing was decided.
    An ``ineligible_proposed`` decision counts: the pipeline reached it without
    a person, although a person confirms it before anything is sent.

``exceptions``
    Per kind: opened this run, closed this run, and open now (all runs).

``ageing``
    Open review items by days since they were opened, at report time:
    0–7, 8–14, 15–30, over 30.

``payments``
    ``matched``: payment matches created this run and accepted by a rule or
    confirmed; ``unmatched``: deposits still without an application (all
    runs); ``underpaid``: applications whose fee is short (all runs).

``ocr_confidence``
    Histogram of ``fields.confidence`` of the envelopes extracted this run, in
    ten bins of 0.1 (the last bin includes 1.0).

``rejected_statements``
    Bank statement files in the statements folder that this run could not import
    (each with the reason); their deposits are not matched until a good file
    replaces them. Listed on every run that still finds them.

``audit``
    ``sampled``: audit items opened this run; over all audit items so far:
    ``agreed`` (closed, the decision still eligible or approved),
    ``overturned`` (closed, the decision changed), ``pending`` (still open).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1

AGEING_BUCKETS: tuple[str, ...] = ("0-7", "8-14", "15-30", "31+")
CONFIDENCE_BINS = 10
STP_OUTCOMES: frozenset[str] = frozenset({"eligible", "not_required", "ineligible_proposed"})

OUTCOME_JA: dict[str, str] = {
    "eligible": "認定可",
    "not_required": "認定不要（SV/OP/EN）",
    "ineligible_proposed": "不認定案（要確認）",
    "pending": "保留（書類・入金待ち）",
    "review": "要確認",
    "approved": "認定済",
    "rejected": "不認定",
}

STAGE_JA: dict[str, str] = {
    "import_statements": "入出金明細の取込",
    "ingest": "受付（受信箱）",
    "extract": "読取（OCR）",
    "cross_check": "照合・突合せ",
    "reconcile_payments": "入金照合",
    "decide": "認定判定",
    "audit_sample": "抜取り監査",
    "outputs": "出力（認定証・通知文）",
    "report": "レポート作成",
}

EXCEPTION_KIND_JA: dict[str, str] = {
    "payment_review": "入金照合の確認",
    "payment_bulk": "一括振込の割当て",
    "payment_unmatched": "未照合の入金",
    "payment_underpaid": "入金不足",
    "payment_overpaid": "過入金",
    "payment_duplicate": "重複入金",
    "application_unpaid": "未入金の申請",
    "audit_sample": "抜取り監査",
    "envelope_failed": "読取失敗の封筒",
    "extraction_failed": "読取失敗の封筒",
    "field_review": "読取値の確認",
    "low_confidence": "読取値の確認（低信頼度）",
    "invalid_field": "読取値の不備",
    "unidentified_page": "識別できないページ",
    "alignment": "位置合わせ不良",
    "missing_form": "書類の不足",
    "decision_review": "判定の確認",
    "ineligible_proposed": "不認定案の確認",
    "registry_mismatch": "合格者名簿との不一致",
    "quarantined": "受付できないファイル",
    "statement_rejected": "取り込めない入出金明細",
    "unidentified_document": "申請様式のない封筒",
    "received_date": "受付日の確認（未来の日付）",
    "data_cleanup": "データ整備（情報）",
    "letter_blocked": "送付できない通知文",
    "certificate_blocked": "作成できない認定証",
}

ACTIVITY_KEYS: tuple[str, ...] = (
    "statement_rows_new",
    "statements_rejected",
    "envelopes_new",
    "pages_processed",
    "decisions",
    "exceptions_opened",
    "exceptions_closed",
    "payments_matched",
    "letters",
    "audit_sampled",
)


def outcome_label(outcome: str) -> str:
    return OUTCOME_JA.get(outcome, outcome)


def stage_label(name: str) -> str:
    return STAGE_JA.get(name, name)


def kind_label(kind: str) -> str:
    return EXCEPTION_KIND_JA.get(kind, kind)


@dataclass
class StageRecord:
    """One stage of the run: how long it took and what it counted."""

    name: str
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class QuarantinedFile:
    envelope_id: int
    name: str
    reason: str
    message_ja: str


@dataclass
class RejectedStatement:
    name: str
    error: str


@dataclass
class FailedEnvelope:
    envelope_id: int
    name: str
    error: str


@dataclass
class ExceptionRow:
    kind: str
    label_ja: str
    opened: int = 0
    closed: int = 0
    open: int = 0


@dataclass
class Payments:
    matched: int = 0
    unmatched: int = 0
    underpaid: int = 0
    statement_rows_new: int = 0


@dataclass
class Audit:
    share: float = 0.0
    sampled: int = 0
    agreed: int = 0
    overturned: int = 0
    pending: int = 0


@dataclass
class Outputs:
    certifications: int = 0
    certifications_csv: list[str] = field(default_factory=list)
    certificates_pdf: str | None = None  # the certificates to print (PDF)
    certificates_refused: int = 0
    letters: int = 0
    letters_by_kind: dict[str, int] = field(default_factory=dict)
    letters_file: str | None = None  # the letters to print (PDF)
    letters_refused: int = 0


@dataclass
class RunReport:
    run_id: int
    status: str
    trigger: str
    started_at: str
    finished_at: str | None
    duration_seconds: float | None
    envelopes: dict[str, int]
    pages_processed: int
    applications_decided: int
    straight_through: int
    stp_rate: float | None
    decisions: dict[str, int]
    exceptions: list[ExceptionRow]
    ageing: dict[str, int]
    payments: Payments
    stages: list[StageRecord]
    ocr_confidence: list[int]
    quarantined: list[QuarantinedFile]
    failed: list[FailedEnvelope]
    rejected_statements: list[RejectedStatement]
    audit: Audit
    outputs: Outputs
    activity: dict[str, int]
    nothing_new: bool
    error: str | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def exceptions_opened(self) -> int:
        return sum(r.opened for r in self.exceptions)

    @property
    def exceptions_closed(self) -> int:
        return sum(r.closed for r in self.exceptions)

    @property
    def exceptions_open(self) -> int:
        return sum(r.open for r in self.exceptions)

    @property
    def intake(self) -> int:
        return self.envelopes.get("new", 0)

    def summary(self) -> dict[str, Any]:
        """The few figures the history page plots (stored in ``runs.stats``)."""
        return {
            "intake": self.intake,
            "pages": self.pages_processed,
            "decided": self.applications_decided,
            "stp_rate": self.stp_rate,
            "backlog": self.exceptions_open,
            "nothing_new": self.nothing_new,
        }

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["totals"] = {
            "exceptions_opened": self.exceptions_opened,
            "exceptions_closed": self.exceptions_closed,
            "exceptions_open": self.exceptions_open,
        }
        return out


@dataclass
class HistoryPoint:
    run_id: int
    started_at: str
    status: str
    intake: int
    decided: int
    stp_rate: float | None
    backlog: int
    report_path: str | None = None


def empty_histogram() -> list[int]:
    return [0] * CONFIDENCE_BINS


def confidence_bin(value: float) -> int:
    """The histogram bin of a confidence in [0, 1] (values outside are clamped)."""
    clamped = min(1.0, max(0.0, value))
    return min(CONFIDENCE_BINS - 1, int(clamped * CONFIDENCE_BINS))


def ageing_bucket(days: int) -> str:
    if days <= 7:
        return "0-7"
    if days <= 14:
        return "8-14"
    if days <= 30:
        return "15-30"
    return "31+"


def is_nothing_new(activity: dict[str, int]) -> bool:
    return all(activity.get(key, 0) == 0 for key in ACTIVITY_KEYS)
