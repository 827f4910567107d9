"""Run reports: collector on a database populated by hand, renderers, history."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import Engine

from pipeline.config import get_settings
from pipeline.errors import ValidationError
from pipeline.reports import charts
from pipeline.reports.collect import collect, history
from pipeline.reports.model import StageRecord, ageing_bucket, confidence_bin
from pipeline.reports.publish import latest_run_id, publish
from pipeline.reports.render import render_html, render_json, render_markdown
from pipeline.runs import finish_run, start_run
from pipeline.storage.db import session_scope
from pipeline.storage.models import (
    Application,
    BankTransaction,
    Decision,
    Envelope,
    FieldValue,
    PaymentMatch,
    ReviewItem,
    RunStatus,
    StatementImport,
)
from pipeline.storage.types import utcnow

NOW = utcnow()


def _envelope(s, run_id: int, name: str, status: str = "extracted", **kw) -> Envelope:
    env = Envelope(
        sha256=kw.pop("sha256", name.ljust(64, "0")[:64]),
        original_name=name,
        size_bytes=100,
        status=status,
        run_id=run_id,
        **kw,
    )
    s.add(env)
    s.flush()
    return env


def _application(s, env: Envelope, decision: str | None, payment: str = "paid") -> Application:
    app = Application(
        envelope_id=env.id,
        qualification="OMP",
        received_on=date(2024, 5, 1),
        payment_status=payment,
        decision=decision,
    )
    s.add(app)
    s.flush()
    return app


def _decide(s, app: Application, outcome: str, run_id: int | None) -> None:
    s.add(Decision(application_id=app.id, outcome=outcome, ruleset_version="1", run_id=run_id))
    app.decision = outcome


def _item(s, kind: str, key: str, **kw) -> ReviewItem:
    item = ReviewItem(kind=kind, dedupe_key=key, title_ja="t", **kw)
    s.add(item)
    s.flush()
    return item


@pytest.fixture
def populated(engine: Engine) -> dict[str, int]:
    """Two runs; the second is the one reported. Figures below are worked by hand."""
    earlier = start_run(engine)
    finish_run(engine, earlier, status=RunStatus.SUCCEEDED)
    run = start_run(engine)
    with session_scope(engine) as s:
        old_env = _envelope(s, earlier, "old.pdf")
        old_app = _application(s, old_env, "eligible")
        _decide(s, old_app, "eligible", earlier)
        # this run: 5 new envelopes, 1 duplicate, 1 quarantined
        envs = [_envelope(s, run, f"e{i}.pdf") for i in range(5)]
        _envelope(s, run, "dup.pdf", "duplicate", sha256="d" * 64, duplicate_of_id=envs[0].id)
        _envelope(s, run, "bad.pdf", "quarantined", sha256="q" * 64, quarantine_reason="encrypted")
        apps = [_application(s, e, None) for e in envs]
        # decisions this run: eligible x2 (one blocked by an open item),
        # not_required, pending, review; app 0 decided twice (last one counts)
        _decide(s, apps[0], "review", run)
        _decide(s, apps[0], "eligible", run)
        _decide(s, apps[1], "eligible", run)
        _decide(s, apps[2], "not_required", run)
        _decide(s, apps[3], "pending", run)
        _decide(s, apps[4], "review", run)
        # open normal item on apps[1] blocks its straight-through count;
        # an info audit item on apps[0] does not
        _item(s, "field_review", "f:1", application_id=apps[1].id, opened_run_id=run)
        _item(
            s,
            "audit_sample",
            "audit:0",
            application_id=apps[0].id,
            severity="info",
            opened_run_id=run,
        )
        _item(s, "field_review", "f:4", application_id=apps[4].id, opened_run_id=run)
        # earlier audit items: one agreed (still eligible), one overturned
        _item(
            s,
            "audit_sample",
            "audit:old",
            application_id=old_app.id,
            severity="info",
            status="resolved",
            opened_run_id=earlier,
        )
        over_env = _envelope(s, earlier, "over.pdf", sha256="o" * 64)
        over_app = _application(s, over_env, "rejected")
        _item(
            s,
            "audit_sample",
            "audit:over",
            application_id=over_app.id,
            severity="info",
            status="resolved",
            opened_run_id=earlier,
        )
        # ageing: open items opened 3, 10, 20 and 45 days ago (plus the 3 above: today)
        for days in (3, 10, 20, 45):
            _item(
                s,
                "payment_unmatched",
                f"p:{days}",
                opened_at=NOW - timedelta(days=days),
                opened_run_id=earlier,
            )
        # closed by this run
        _item(
            s,
            "payment_unmatched",
            "p:closed",
            status="resolved",
            opened_run_id=earlier,
            closed_run_id=run,
        )
        # payments: 2 unmatched deposits, 1 matched this run, 1 withdrawal
        imp = StatementImport(file_sha256="s" * 64, file_name="s.csv", profile="mufg", rows_new=4)
        imp.run_id = run
        s.add(imp)
        for i, (status, dep) in enumerate(
            [("unmatched", 11000), ("unmatched", 5000), ("matched", 11000), ("withdrawal", 0)]
        ):
            t = BankTransaction(
                txn_key=f"k{i}",
                booked_on=date(2024, 5, 2),
                payer_raw="X",
                payer_normalized="X",
                deposit_yen=dep,
                withdrawal_yen=0 if dep else 500,
                status=status,
            )
            s.add(t)
            s.flush()
            if status == "matched":
                s.add(
                    PaymentMatch(
                        transaction_id=t.id,
                        application_id=apps[0].id,
                        rule="suffix+name",
                        score=100,
                        amount_yen=11000,
                        outcome="paid",
                        status="accepted",
                        run_id=run,
                    )
                )
        apps[3].payment_status = "underpaid"
        # OCR confidences on extracted envelopes 0 and 1; envelope 2 not extracted this run
        for env, values in ((envs[0], [0.95, 0.99, 1.0]), (envs[1], [0.42, 0.05])):
            for j, c in enumerate(values):
                s.add(
                    FieldValue(
                        envelope_id=env.id,
                        form_code="A",
                        name=f"f{j}",
                        kind="text",
                        confidence=c,
                    )
                )
        s.add(FieldValue(envelope_id=envs[2].id, form_code="A", name="x", kind="t", confidence=0.5))
        env_ids = [e.id for e in envs]
    stats = {
        "stages": [
            {"name": "ingest", "seconds": 1.5, "counts": {"new": 5}},
            {"name": "extract", "seconds": 42.0, "counts": {"pages": 20}},
        ],
        "pages_processed": 20,
        "extracted_envelopes": env_ids[:2],
        "failed": [{"envelope_id": env_ids[4], "error": "page 2: tesseract crashed"}],
        "outputs": {"certifications": 1, "letters": 2, "letters_by_kind": {"underpayment": 2}},
        "audit_share": 0.05,
    }
    finish_run(engine, run, status=RunStatus.SUCCEEDED, stats=stats)
    return {"run": run, "earlier": earlier, "failed_env": env_ids[4]}


def test_collector_figures(engine: Engine, populated: dict[str, int]) -> None:
    r = collect(engine, populated["run"], now=NOW)
    assert r.envelopes == {"new": 5, "duplicate": 1, "quarantined": 1, "extracted": 2, "failed": 1}
    assert r.pages_processed == 20
    assert r.decisions == {"eligible": 2, "not_required": 1, "pending": 1, "review": 1}
    assert r.applications_decided == 5
    # eligible apps[0] (only an info item) + not_required apps[2]; apps[1] blocked
    assert r.straight_through == 2
    assert r.stp_rate == pytest.approx(2 / 5)
    by_kind = {row.kind: row for row in r.exceptions}
    assert (by_kind["field_review"].opened, by_kind["field_review"].open) == (2, 2)
    assert (by_kind["payment_unmatched"].closed, by_kind["payment_unmatched"].open) == (1, 4)
    assert by_kind["audit_sample"].opened == 1
    assert r.exceptions_open == 2 + 4 + 1
    assert r.ageing == {"0-7": 4, "8-14": 1, "15-30": 1, "31+": 1}
    assert (r.payments.matched, r.payments.unmatched, r.payments.underpaid) == (1, 2, 1)
    assert r.payments.statement_rows_new == 4
    # bins: 0.95, 0.99, 1.0 -> bin 9; 0.42 -> 4; 0.05 -> 0; envelope 2 not counted
    assert r.ocr_confidence == [1, 0, 0, 0, 1, 0, 0, 0, 0, 3]
    assert [(q.name, q.reason) for q in r.quarantined] == [("bad.pdf", "encrypted")]
    assert "暗号化" in r.quarantined[0].message_ja
    assert [(f.envelope_id, f.name) for f in r.failed] == [(populated["failed_env"], "e4.pdf")]
    # Managers read what happened in Japanese; the exception text is kept for maintainers.
    assert r.failed[0].page == 2 and r.failed[0].error == "tesseract crashed"
    assert r.failed[0].message_ja.startswith("2ページ目の読み取り中にエラーが発生しました")
    assert (r.audit.sampled, r.audit.agreed, r.audit.overturned, r.audit.pending) == (1, 1, 1, 1)
    assert [s.name for s in r.stages] == ["ingest", "extract"]
    assert not r.nothing_new


def test_idle_run_reports_nothing_new(engine: Engine, populated: dict[str, int]) -> None:
    idle = start_run(engine)
    finish_run(engine, idle, status=RunStatus.SUCCEEDED, stats={"stages": []})
    r = collect(engine, idle, now=NOW)
    assert r.nothing_new
    assert r.applications_decided == 0 and r.stp_rate is None
    assert r.exceptions_open == 7  # the backlog is still reported
    assert "新しい入力はありませんでした" in render_markdown(r)


def test_unknown_run_is_a_clear_error(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="no run with id 99"):
        collect(engine, 99)


def test_html_is_self_contained_japanese_with_charts(
    engine: Engine, populated: dict[str, int]
) -> None:
    r = collect(engine, populated["run"], now=NOW)
    settings = get_settings()
    html = render_html(r, tz=settings.tz, generated_at=NOW)
    assert '<html lang="ja">' in html
    assert html.count("<svg") >= 5
    assert not re.search(r"https?:", html), "no URL to anything outside the page"
    assert "<script" not in html and "<link" not in html
    assert "40.0%" in html  # STP 2/5
    assert "暗号化" in html and "bad.pdf" in html
    assert "encrypted" not in html  # the quarantine reason in words, not its code
    assert "tesseract crashed" in html  # under 技術情報, for maintainers
    assert "2ページ目の読み取り中にエラーが発生しました" in html
    assert "認定可" in html
    for bucket in r.ageing:
        assert f"{bucket}日" in html
    assert "未照合の入金" in html


def test_html_escapes_file_names(engine: Engine) -> None:
    run = start_run(engine)
    with session_scope(engine) as s:
        _envelope(
            s, run, "<script>x</script>.pdf", "quarantined", quarantine_reason="not_a_document"
        )
    finish_run(engine, run, status=RunStatus.SUCCEEDED)
    html = render_html(collect(engine, run), tz=get_settings().tz, generated_at=NOW)
    assert "<script>x" not in html
    assert "&lt;script&gt;x" in html


REPORT_SCHEMA = {
    "type": "object",
    "required": [
        "schema_version",
        "run_id",
        "status",
        "envelopes",
        "pages_processed",
        "stp_rate",
        "decisions",
        "exceptions",
        "ageing",
        "payments",
        "stages",
        "ocr_confidence",
        "quarantined",
        "rejected_statements",
        "audit",
        "nothing_new",
        "totals",
    ],
    "properties": {
        "schema_version": {"const": 1},
        "run_id": {"type": "integer"},
        "stp_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "decisions": {"type": "object", "additionalProperties": {"type": "integer"}},
        "ocr_confidence": {
            "type": "array",
            "items": {"type": "integer"},
            "minItems": 10,
            "maxItems": 10,
        },
        "ageing": {"type": "object", "required": ["0-7", "8-14", "15-30", "31+"]},
        "exceptions": {
            "type": "array",
            "items": {"type": "object", "required": ["kind", "opened", "closed", "open"]},
        },
        "payments": {"type": "object", "required": ["matched", "unmatched", "underpaid"]},
        "audit": {"type": "object", "required": ["sampled", "agreed", "overturned", "pending"]},
        "stages": {
            "type": "array",
            "items": {"type": "object", "required": ["name", "seconds", "counts"]},
        },
        "quarantined": {
            "type": "array",
            "items": {"type": "object", "required": ["name", "reason", "message_ja"]},
        },
    },
}


def test_json_matches_schema(engine: Engine, populated: dict[str, int]) -> None:
    data = json.loads(render_json(collect(engine, populated["run"], now=NOW)))
    jsonschema.validate(data, REPORT_SCHEMA)
    assert data["totals"]["exceptions_open"] == 7
    assert data["quarantined"][0]["message_ja"].startswith("PDFが暗号化")


def test_publish_writes_files_records_path_and_history(
    engine: Engine, populated: dict[str, int]
) -> None:
    settings = get_settings()
    published = publish(engine, settings, populated["earlier"], now=NOW)
    published = publish(engine, settings, populated["run"], now=NOW)
    assert published.files.html == settings.reports_dir / f"run-{populated['run']}.html"
    assert (
        json.loads(published.files.json.read_text(encoding="utf-8"))["run_id"] == (populated["run"])
    )
    points = history(engine)
    assert [p.run_id for p in points] == [populated["earlier"], populated["run"]]
    assert points[-1].intake == 5 and points[-1].backlog == 7
    assert points[-1].report_path == f"reports/run-{populated['run']}.html"
    page = published.history.read_text(encoding="utf-8")
    assert page.count("<svg") == 3
    assert f"run-{populated['run']}.html" in page
    assert not re.search(r"https?:", page)
    assert latest_run_id(engine) == populated["run"]


def test_latest_run_id_without_runs(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="no finished run"):
        latest_run_id(engine)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "0-7"), (7, "0-7"), (8, "8-14"), (14, "8-14"), (15, "15-30"), (30, "15-30"), (31, "31+")],
)
def test_ageing_bucket_boundaries(days: int, bucket: str) -> None:
    assert ageing_bucket(days) == bucket


@pytest.mark.parametrize(
    ("value", "expected"), [(0.0, 0), (0.0999, 0), (0.1, 1), (0.95, 9), (1.0, 9), (1.7, 9), (-1, 0)]
)
def test_confidence_bins(value: float, expected: int) -> None:
    assert confidence_bin(value) == expected


def test_hbar_scales_to_largest_value() -> None:
    svg = charts.hbar([("a", 10), ("b", 5)], title="t", width=460, label_width=200)
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert charts.hbar([], title="t").count("該当なし") == 1


def test_line_leaves_gaps_for_missing_values(tmp_path: Path) -> None:
    svg = charts.line([0.5, None, 0.7, 0.8], ["1", "2", "3", "4"], title="t", y_max=1.0)
    assert svg.count("<circle") == 3
    assert svg.count("<polyline") == 1  # the lone first point starts no line


def test_reports_a_killed_run_never_wrote_are_written_by_the_next(
    engine: Engine, populated: dict[str, int]
) -> None:
    from pipeline.reports.publish import publish_missing

    settings = get_settings()
    publish(engine, settings, populated["earlier"], now=NOW)  # this one has its report
    later = start_run(engine)
    # populated["run"] finished but was killed while writing its report: no path recorded.
    assert publish_missing(engine, settings, before_run_id=later) == [populated["run"]]
    assert (settings.reports_dir / f"run-{populated['run']}.html").exists()
    assert publish_missing(engine, settings, before_run_id=later) == []


def test_html_lists_applications_by_decision_with_links_and_counts_in_words(
    engine: Engine, populated: dict[str, int]
) -> None:
    r = collect(engine, populated["run"], now=NOW)
    r.stages.append(
        StageRecord("import_statements", 0.5, {"files_imported": 1, "rows_rejected": 0})
    )
    html = render_html(r, tz=get_settings().tz, generated_at=NOW)
    assert len(r.applications) == r.applications_decided == 5
    for app in r.applications:
        assert f'href="/applications/{app.application_id}"' in html
    assert "認定不要（検定試験合格のみで資格取得）（1 件）" in html
    assert "取り込んだファイル 1" in html
    assert "files_imported" not in html and "pages=" not in html


def test_report_counts_deposits_being_split_withdrawals_and_supersessions_apart(
    engine: Engine,
) -> None:
    earlier = start_run(engine)
    finish_run(engine, earlier, status=RunStatus.SUCCEEDED)
    run = start_run(engine)
    with session_scope(engine) as s:
        from pipeline.storage.models import Run

        start_prev, start_now = (s.get(Run, i).started_at for i in (earlier, run))
        between = start_prev + (start_now - start_prev) / 2
        apps = [_application(s, _envelope(s, run, f"w{i}.pdf"), None) for i in range(4)]
        for app, at in (
            (apps[0], between),  # recorded since the previous run: counted
            (apps[1], start_prev - timedelta(days=1)),  # the previous run's report had it
            (apps[2], start_now + timedelta(seconds=1)),  # the next report's
        ):
            s.add(
                Decision(
                    application_id=app.id,
                    outcome="withdrawn",
                    ruleset_version="1",
                    decided_by="user:1",
                    created_at=at,
                )
            )
            app.decision = "withdrawn"
        _decide(s, apps[3], "superseded", run)
        for i, status in enumerate(("splitting", "splitting", "unmatched")):
            s.add(
                BankTransaction(
                    txn_key=f"s{i}",
                    booked_on=date(2024, 5, 2),
                    payer_raw="カ）サンプル",
                    payer_normalized="サンプル",
                    deposit_yen=110_000,
                    status=status,
                )
            )
        withdrawn_id, superseded_id = apps[0].id, apps[3].id
    finish_run(engine, run, status=RunStatus.SUCCEEDED)
    r = collect(engine, run, now=NOW)
    assert (r.payments.splitting, r.payments.unmatched) == (2, 1)
    assert [a.application_id for a in r.withdrawn] == [withdrawn_id]
    # not a decision on the merits: outside the decisions and the straight-through rate
    assert r.decisions == {} and r.stp_rate is None
    assert [a.application_id for a in r.superseded] == [superseded_id]
    html = render_html(r, tz=get_settings().tz, generated_at=NOW)
    assert "担当者が割り当て中の入金（累計）" in html
    assert "前回の実行以降に記録した取下げ（1 件）" in html
    assert f'href="/applications/{withdrawn_id}"' in html
    assert "この実行で新しい申請書類に差し替えた申請（1 件）" in html
    assert f'href="/applications/{superseded_id}"' in html
    assert "superseded" not in html.replace("outcome-superseded", "")
    markdown = render_markdown(r)
    assert "| 入金（照合 / 未照合 / 割り当て中 / 不足） | 0 / 1 / 2 / 0 |" in markdown
    assert "| 前回の実行以降に記録した取下げ | 1 |" in markdown
    assert "| 新しい申請書類に差し替えた申請 | 1 |" in markdown
    from pipeline.reports.model import counts_text

    assert counts_text({"superseded": 1}) == "新しい申請書類に差し替えた申請 1"
