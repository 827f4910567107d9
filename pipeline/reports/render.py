"""Renderers: HTML (Japanese, inline SVG), JSON, markdown and table rows.

Files live under ``<data_root>/reports/``: ``run-<id>.html``,
``run-<id>.json`` and ``history.html``. The HTML is self-contained: styles
inline, charts inline SVG, no URL to anything outside the page.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipeline.names_ja import DECISION_SHORT_JA, RUN_STATUS_JA
from pipeline.outputs.letter_text import KIND_JA
from pipeline.reports import charts
from pipeline.reports.model import (
    AGEING_BUCKETS,
    CONFIDENCE_BINS,
    HistoryPoint,
    RunReport,
    counts_text,
    outcome_label,
    stage_label,
)

STATUS_JA = RUN_STATUS_JA  # the one name of each run state, the review app's too
TRIGGER_JA = {
    "manual": "手動",
    "schedule": "定時",
    "scheduled": "定時",
    "deployment": "手動（登録済みの夜間処理を実行）",
}
LETTER_JA = KIND_JA  # the one name of each kind of letter


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    json: Path


def _env(tz: ZoneInfo) -> Environment:
    env = Environment(
        loader=PackageLoader("pipeline.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def local_time(value: str | None) -> str:
        if not value:
            return "—"
        return datetime.fromisoformat(value).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    def seconds(value: float | None) -> str:
        if value is None:
            return "—"
        if value < 60:
            return f"{value:.1f} 秒"
        return f"{int(value // 60)} 分 {int(value % 60)} 秒"

    env.filters.update(local_time=local_time, percent=percent, seconds=seconds)
    env.globals.update(
        outcome_label=outcome_label,
        stage_label=stage_label,
        counts_text=counts_text,
        status_ja=STATUS_JA,
        trigger_ja=TRIGGER_JA,
        letter_ja=LETTER_JA,
    )
    return env


def _svg(svg: str) -> Markup:
    """Mark a chart as safe: :mod:`pipeline.reports.charts` escapes every text it draws."""
    return Markup(svg)  # noqa: S704


def confidence_labels() -> list[str]:
    step = 1 / CONFIDENCE_BINS
    return [f"{i * step:.1f}" for i in range(CONFIDENCE_BINS)]


def _run_charts(report: RunReport) -> dict[str, Markup]:
    decisions = [(DECISION_SHORT_JA.get(k, k), float(v)) for k, v in report.decisions.items()]
    exceptions = [(r.label_ja, float(r.open)) for r in report.exceptions if r.open]
    stages = [(stage_label(s.name), s.seconds) for s in report.stages]
    return {
        "decisions": _svg(charts.hbar(decisions, title="判定結果の内訳")),
        "exceptions": _svg(charts.hbar(exceptions, title="未完了の確認項目（種類別）")),
        "ageing": _svg(
            charts.columns(
                [report.ageing.get(b, 0) for b in AGEING_BUCKETS],
                [f"{b}日" for b in AGEING_BUCKETS],
                title="未完了の確認項目の経過日数",
                height=170,
            )
        ),
        "stages": _svg(
            charts.hbar(stages, title="工程別の所要時間", value_format=lambda v: f"{v:.1f}秒")
        ),
        "confidence": _svg(
            charts.columns(
                report.ocr_confidence, confidence_labels(), title="OCR信頼度の分布（項目数）"
            )
        ),
    }


def render_html(report: RunReport, *, tz: ZoneInfo, generated_at: datetime) -> str:
    template = _env(tz).get_template("run_report.html")
    return template.render(
        r=report,
        charts=_run_charts(report),
        ageing_buckets=AGEING_BUCKETS,
        generated_at=generated_at.isoformat(),
    )


def render_json(report: RunReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2, sort_keys=True)


def render_history(points: list[HistoryPoint], *, tz: ZoneInfo, generated_at: datetime) -> str:
    labels = [f"#{p.run_id}" for p in points]
    trend = {
        "intake": _svg(
            charts.line(
                [float(p.intake) for p in points], labels, title="受付封筒数の推移", width=1000
            )
        ),
        "stp": _svg(
            charts.line(
                [p.stp_rate for p in points],
                labels,
                title="自動処理率（STP）の推移",
                width=1000,
                y_max=1.0,
                value_format=lambda v: f"{v * 100:.0f}%",
                color="#3a8a4f",
            )
        ),
        "backlog": _svg(
            charts.line(
                [float(p.backlog) for p in points],
                labels,
                title="未完了の確認項目（残件）の推移",
                width=1000,
                color="#b5522b",
            )
        ),
    }
    template = _env(tz).get_template("history.html")
    return template.render(
        points=points,
        trend=trend,
        generated_at=generated_at.isoformat(),
        report_name=lambda p: Path(p.report_path).name if p.report_path else None,
    )


# --- markdown and table (Prefect artifacts are created in flows/) -------------------


def render_markdown(report: RunReport) -> str:
    """A short markdown summary for the Prefect UI (Japanese, like the page)."""
    status = STATUS_JA.get(report.status, report.status)
    lines = [
        f"# 実行レポート #{report.run_id}（{status}）",
        "",
        "新しい入力はありませんでした。" if report.nothing_new else "",
        *(
            f"**取り込めなかった入出金明細: {r.name}**（入金は照合されていません: {r.error}）"
            for r in report.rejected_statements
        ),
        "| 項目 | 値 |",
        "|---|---|",
        f"| 受付封筒（新規 / 重複 / 隔離） | {report.envelopes.get('new', 0)} / "
        f"{report.envelopes.get('duplicate', 0)} / {report.envelopes.get('quarantined', 0)} |",
        f"| 読取封筒 / ページ | {report.envelopes.get('extracted', 0)} / "
        f"{report.pages_processed} |",
        f"| 判定した申請 | {report.applications_decided} |",
        f"| 自動処理率（STP） | "
        f"{'—' if report.stp_rate is None else f'{report.stp_rate * 100:.1f}%'} |",
        f"| 確認項目（新規 / 解消 / 残件） | {report.exceptions_opened} / "
        f"{report.exceptions_closed} / {report.exceptions_open} |",
        f"| 入金（照合 / 未照合 / 割り当て中 / 不足） | {report.payments.matched} / "
        f"{report.payments.unmatched} / {report.payments.splitting} / "
        f"{report.payments.underpaid} |",
        f"| 前回の実行以降に記録した取下げ | {len(report.withdrawn)} |",
        f"| 新しい申請書類に差し替えた申請 | {len(report.superseded)} |",
        f"| 抜取り監査（今回 / 一致 / 覆り / 未確認） | {report.audit.sampled} / "
        f"{report.audit.agreed} / {report.audit.overturned} / {report.audit.pending} |",
        f"| 読取失敗の封筒 | {len(report.failed)} |",
    ]
    if report.decisions:
        lines += ["", "## 判定結果", ""]
        lines += [f"- {outcome_label(k)}: {v}" for k, v in report.decisions.items()]
    if report.quarantined:
        lines += ["", "## 隔離したファイル", ""]
        lines += [f"- 封筒 {q.envelope_id}: {q.message_ja}" for q in report.quarantined]
    if report.failed:
        lines += ["", "## 読取に失敗した封筒", ""]
        lines += [f"- 封筒 {f.envelope_id}（{f.name}）: {f.message_ja}" for f in report.failed]
    return "\n".join(line for line in lines if line is not None)


def decision_table(report: RunReport) -> list[dict[str, Any]]:
    """Rows for a table artifact: one per decision outcome."""
    total = report.applications_decided or 1
    return [
        {
            "outcome": outcome,
            "label": outcome_label(outcome),
            "count": count,
            "share": round(count / total, 4),
        }
        for outcome, count in report.decisions.items()
    ]


def exception_table(report: RunReport) -> list[dict[str, Any]]:
    return [
        {
            "kind": r.kind,
            "label": r.label_ja,
            "opened": r.opened,
            "closed": r.closed,
            "open": r.open,
        }
        for r in report.exceptions
    ]


# --- files ------------------------------------------------------------------------


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(
    report: RunReport, reports_dir: Path, *, tz: ZoneInfo, generated_at: datetime
) -> ReportFiles:
    html_path = reports_dir / f"run-{report.run_id}.html"
    json_path = reports_dir / f"run-{report.run_id}.json"
    _atomic_write(html_path, render_html(report, tz=tz, generated_at=generated_at))
    _atomic_write(json_path, render_json(report) + "\n")
    return ReportFiles(html_path, json_path)


def write_history(
    points: list[HistoryPoint], reports_dir: Path, *, tz: ZoneInfo, generated_at: datetime
) -> Path:
    path = reports_dir / "history.html"
    _atomic_write(path, render_history(points, tz=tz, generated_at=generated_at))
    return path
