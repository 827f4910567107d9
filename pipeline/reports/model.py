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
    runs); ``splitting``: deposits staff are placing part by part on the
    payments desk (status ``splitting``, left alone by the run; all runs);
    ``underpaid``: applications whose fee is short (all runs).

``withdrawn``
    Applications staff recorded as withdrawn (取下げ) since the previous run
    started, up to this run's start (a withdrawal is a person's act, never the
    run's: it is not among ``decisions``).

``superseded``
    Applications this run superseded (差し替え: a newer submission of the same
    applicant and qualification replaced them). Not among ``decisions``, and
    not in ``stp_rate``: no application was decided on its merits.

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

from pipeline.names_ja import DECISION_JA
from pipeline.names_ja import kind_label as queue_kind_label

SCHEMA_VERSION = 1

AGEING_BUCKETS: tuple[str, ...] = ("0-7", "8-14", "15-30", "31+")
CONFIDENCE_BINS = 10
STP_OUTCOMES: frozenset[str] = frozenset({"eligible", "not_required", "ineligible_proposed"})

# One name per decision, the app's (pipeline.names_ja).
OUTCOME_JA: dict[str, str] = DECISION_JA

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


# What a stage counted, in words (a count nobody named yet is shown as その他).
COUNT_JA: dict[str, str] = {
    "accepted": "自動で照合した入金",
    "bulk": "まとめての入金",
    "candidates": "候補",
    "certificates_refused": "作成できなかった認定証",
    "certifications": "認定",
    "cp932_replacements": "読めない文字を置き換えた行",
    "decided_eligible": "認定可",
    "decided_ineligible_proposed": "不認定（案）",
    "decided_not_required": "認定不要",
    "decided_pending": "保留",
    "decided_review": "要確認",
    "deposits_considered": "照合した入金",
    "envelopes": "封筒",
    "exceptions_opened": "新しい確認項目",
    "extra_pages": "同封物のページ",
    "failed": "失敗",
    "fields": "記載事項",
    "fields_ok": "確実に読めた記載事項",
    "files_imported": "取り込んだファイル",
    "items_closed": "完了した確認項目",
    "items_opened": "新しい確認項目",
    "letters": "通知文",
    "letters_refused": "作成できなかった通知文",
    "matches_superseded": "置き換えた照合",
    "matches_written": "記録した照合",
    "missing_forms": "不足している書類",
    "new": "新規",
    "pages": "ページ",
    "proposed": "確認待ちの照合候補",
    "register_line_problems": "名簿の読めない行",
    "register_lines_new": "名簿の新しい行",
    "register_lines_updated": "名簿の更新した行",
    "rows_rejected": "取り込めない行",
    "sampled": "抜取り監査",
    "status_duplicate": "二重入金",
    "status_paid": "入金済み",
    "status_review": "入金の確認中",
    "status_underpaid": "入金不足",
    "status_unpaid": "未入金",
    "statuses_changed": "入金状況の変わった申請",
    "superseded": "新しい申請書類に差し替えた申請",
    "transactions_changed": "更新した入出金",
    "transactions_duplicate": "重複した入出金",
    "transactions_new": "新しい入出金",
    "unmatched": "申請者が不明な入金",
    "waiting_unstable": "書き込み中で待ったファイル",
    "duplicate": "重複",
    "quarantined": "隔離",
    "sampled_share": "抽出率",
}


def counts_text(counts: dict[str, int]) -> str:
    """A stage's non-zero counts in words: 「取り込んだファイル 1、新しい入出金 12」."""
    parts = [f"{COUNT_JA.get(k, 'その他')} {v:,}" for k, v in sorted(counts.items()) if v]
    return "、".join(parts)


def stage_label(name: str) -> str:
    return STAGE_JA.get(name, name)


def kind_label(kind: str) -> str:
    return queue_kind_label(kind)


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
    error: str  # the technical text, for whoever maintains the system
    page: int | None = None  # the page whose reading failed, when one did

    @property
    def message_ja(self) -> str:
        where = f"{self.page}ページ目の" if self.page else ""
        return (
            f"{where}読み取り中にエラーが発生しました。原本は保管済みです"
            "（確認待ち一覧の「封筒の読み取り中にエラーが発生しました」で確認できます）"
        )


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
    splitting: int = 0


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
class DecidedApplication:
    """One application this run decided, for the list by decision (linked to the app)."""

    application_id: int
    applicant_name: str | None
    qualification: str | None
    outcome: str
    needs_person: bool  # an open item that needs a person, or a manager's decision


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
    applications: list[DecidedApplication] = field(default_factory=list)
    withdrawn: list[DecidedApplication] = field(default_factory=list)
    superseded: list[DecidedApplication] = field(default_factory=list)

    def applications_by_decision(self) -> list[tuple[str, list[DecidedApplication]]]:
        """The decided applications grouped by outcome, in the order of the decisions table."""
        groups: dict[str, list[DecidedApplication]] = {}
        for app in sorted(self.applications, key=lambda a: a.application_id):
            groups.setdefault(app.outcome, []).append(app)
        return [(outcome, groups[outcome]) for outcome in self.decisions if outcome in groups]

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
