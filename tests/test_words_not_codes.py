"""What people read names things in words: no rule id (``exam.passed``), no payment
match rule (``manual``), no status code reaches a screen, an export or a report.

The codes stay where machines read them (stored findings, matches, the JSON trace);
these tests read what a person sees and, for each vocabulary the code defines, that
every value has its one Japanese name.
"""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import pipeline
from pipeline.names_ja import MATCH_RULE_JA, RULE_JA, match_rule_label
from pipeline.rules import checks
from pipeline.rules.evaluate import RULE_RECEIVED
from pipeline.storage.models import AuditEvent, Decision
from pipeline.vocabulary import MatchRule
from tests.review_client import Env, env, fast_hashing  # noqa: F401 - fixtures
from tests.rules_support import base_app, period, run, with_

RULE_ID = re.compile(
    r"\b(?:received|qualification|exam|experience|attestation|oath|fee|completeness)"
    r"\.[a-z_]+\b"
)


def visible(html: str) -> str:
    """A page's text as a person sees it (no markup, scripts or attribute values)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]*>", " ", html)


def rule_ids() -> set[str]:
    """Every rule id the checks define (``RULE`` / ``RULE_*`` in each check module)."""
    ids = {RULE_RECEIVED}
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"{checks.__name__}.{info.name}")
        ids |= {
            value
            for name, value in vars(module).items()
            if (name == "RULE" or name.startswith("RULE_")) and isinstance(value, str)
        }
    return ids


# --- decision reasons ------------------------------------------------------------------


def test_every_rule_has_a_japanese_name() -> None:
    ids = rule_ids()
    assert len(ids) == 15  # docs/rules.md lists them
    assert ids == set(RULE_JA)
    assert all(not name.isascii() for name in RULE_JA.values())


SCENARIOS: dict[str, dict[str, Any]] = {
    "pending": with_(base_app(), oath_signed=False),
    "ineligible_with_review": with_(
        base_app(),
        experience=[period("2021-05", "2024-03", [4, 6])],
        substitutions=[{"item": "どこかの民間資格"}],
    ),
    "not_required": with_(base_app(), qualification="SV"),
    "review": with_(base_app(), register=None),
    "future": with_(base_app(), received_on="2025-01-01"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_decision_reasons_name_the_rule_in_words(name: str) -> None:
    evaluation = run(SCENARIOS[name])
    text = "\n".join(evaluation.reasons)
    assert not RULE_ID.search(text), text
    named = [f for f in evaluation.findings if f.message_ja in text]
    assert named, text
    for finding in named:  # each finding's line starts with its rule's name
        assert f"【{RULE_JA[finding.rule_id]}】{finding.message_ja}" in text


def _pages(env: Env) -> dict[str, str]:
    """Everything that shows the ineligible application's decision or its audit trail."""
    w = env.world
    staff, manager = env.login("sato"), env.login("tanaka")
    return {
        "application": visible(staff.get(f"/applications/{w.ineligible_application_id}").text),
        "item": visible(staff.get(f"/items/{w.ineligible_item_id}").text),
        "item_csv": staff.get(f"/items/{w.ineligible_item_id}/audit.csv").text,
        "manager": visible(manager.get("/manager").text),
        "audit": visible(manager.get("/audit").text),
        "audit_csv": manager.get("/audit/export.csv").text,
    }


def _no_rule_ids(pages: dict[str, str]) -> None:
    for where, text in pages.items():
        found = RULE_ID.findall(text)
        assert not found, f"{where} shows {found}"


def test_no_page_or_export_shows_a_rule_id(env: Env) -> None:
    pages = _pages(env)
    _no_rule_ids(pages)
    for where in ("item", "item_csv", "audit", "audit_csv"):  # the stored reasons, in words
        assert "【業務経験の期間】" in pages[where], where


def test_a_reason_stored_with_rule_ids_reads_in_words(env: Env) -> None:
    """Rows written before the rules named themselves: the id becomes the rule's name."""
    w = env.world
    old = (
        "experience.total_months: 7分野の業務経験 12か月。必要な60か月に48か月足りません。\n"
        "（あわせて要確認）oath.signed: 次の項目が確定していないため判定できません。"
        "確認してください: D.signature（読取の信頼度が低い）"
    )
    with env.session() as s:
        decision = s.scalars(
            select(Decision).where(
                Decision.application_id == w.ineligible_application_id,
                Decision.is_current.is_(True),
            )
        ).one()
        decision.reason = old
        for event in s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "decision.evaluated",
                AuditEvent.entity_id == w.ineligible_application_id,
            )
        ):
            event.reason = old
        s.commit()
    pages = _pages(env)
    _no_rule_ids(pages)
    for where in ("item", "item_csv", "audit", "audit_csv"):
        assert "【業務経験の期間】7分野の業務経験 12か月" in pages[where], where
        assert "（あわせて要確認）【宣誓書の署名】" in pages[where], where


# --- payment match rules ---------------------------------------------------------------


def test_every_match_rule_has_a_japanese_name() -> None:
    assert set(MATCH_RULE_JA) == set(MatchRule)
    for rule in MatchRule:
        assert not match_rule_label(rule).isascii(), rule
    assert len(set(MATCH_RULE_JA.values())) == len(MatchRule)  # one name each, none shared


@pytest.mark.parametrize("rule", [r for r in MatchRule if r != MatchRule.NONE])
def test_the_item_page_names_a_deposits_match_rule_in_words(env: Env, rule: MatchRule) -> None:
    """A match with no candidates of its own (a person placed the deposit) is listed
    among the candidates by its rule: in words, like the match table beside it."""
    from pipeline.queue import open_or_update
    from pipeline.storage.models import PaymentMatch
    from pipeline.vocabulary import Severity
    from tests.review_support import deposit

    w = env.world
    with env.session() as s:
        txn = deposit(s, "m", "ヤマダ タロウ", 11_000, date.today(), status="matched")
        s.add(
            PaymentMatch(
                transaction_id=txn.id,
                application_id=w.application_id,
                rule=rule.value,
                score=100.0,
                candidates=[],
                amount_yen=11_000,
                outcome="paid",
                status="confirmed",
            )
        )
        item, _ = open_or_update(
            s,
            kind="payment_review",
            dedupe_key=f"payment:txn:{txn.id}",
            title_ja="入金の確認",
            severity=Severity.NORMAL,
            transaction_id=txn.id,
        )
        s.commit()
        item_id = item.id
    text = visible(env.login("sato").get(f"/items/{item_id}").text)
    candidates = text[text.index("候補の申請者") :]
    assert MATCH_RULE_JA[rule] in candidates
    assert not re.search(rf"(?<![\w+]){re.escape(rule.value)}(?![\w+])", text), rule


# --- the audit trail, item resolutions, the run report -----------------------------------

PIPELINE = Path(pipeline.__file__).resolve().parent


def _calls() -> list[tuple[str, ast.Call]]:
    """Every call in the pipeline's code, with the file it is in."""
    out = []
    for path in sorted(PIPELINE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out += [(path.name, n) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    return out


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_every_audit_key_the_code_records_has_a_japanese_name() -> None:
    from pipeline.review.stale import HIDDEN_KEYS, KEY_JA

    unnamed = set()
    for where, call in _calls():
        for side in ("before", "after"):
            values = _keyword(call, side)
            if isinstance(values, ast.Dict):
                keys = [k.value for k in values.keys if isinstance(k, ast.Constant)]
                unnamed |= {(where, k) for k in keys if k not in KEY_JA and k not in HIDDEN_KEYS}
    assert not unnamed


def test_every_audit_action_the_code_records_has_a_japanese_name() -> None:
    from pipeline.review.labels import ACTION_JA

    actions = {
        value.value
        for _, call in _calls()
        if isinstance(value := _keyword(call, "action"), ast.Constant)
        and isinstance(value.value, str)
    }
    assert len(actions) > 30
    assert actions <= set(ACTION_JA), actions - set(ACTION_JA)


def test_no_reason_or_resolution_the_code_writes_is_english() -> None:
    """What the system writes as a reason or an item's resolution is read by people."""
    english = []
    for where, call in _calls():
        if where in ("intake.py", "sniff.py"):  # a quarantine reason is a code, shown in words
            continue
        for name in ("reason", "resolution"):
            value = _keyword(call, name)
            if isinstance(value, ast.JoinedStr):
                parts = [str(v.value) for v in value.values if isinstance(v, ast.Constant)]
            elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts = [value.value]
            else:
                continue
            if "".join(parts).isascii():
                english.append((where, call.lineno, parts))
    assert not english


def test_the_audit_trail_and_an_items_resolution_read_in_words(env: Env) -> None:
    from pipeline.payments.actions import reassign
    from pipeline.storage.audit import record_event
    from pipeline.storage.models import BankTransaction, ReviewItem

    w = env.world
    with env.session() as s:
        txn = s.get(BankTransaction, w.transaction_id)
        assert txn is not None
        reassign(
            s,
            txn.id,
            w.application_id,
            actor=f"user:{w.staff_id}",
            transaction_version=txn.version,
            settings=env.settings,
        )
        record_event(
            s,
            actor="run:1",
            action="envelope.quarantined",
            entity_type="envelope",
            entity_id=9,
            after={"reason": "encrypted", "detail": "the PDF is encrypted"},
        )
        record_event(
            s,
            actor="run:1",
            action="envelope.received",
            entity_type="envelope",
            entity_id=8,
            after={"sha256": "ab" * 32, "pages": 5, "media_type": "application/pdf"},
        )
        for old in ("password changed (not logged)", "retention: decided more than 5 years ago"):
            record_event(
                s,
                actor="system",
                action="user.password_set",
                entity_type="user",
                entity_id=w.staff_id,
                reason=old,
            )
        s.commit()
        item = s.get(ReviewItem, w.payment_item_id)
        assert item is not None and item.resolution == "入金の申請者を変更"
        item.resolution = "payment.allocated"  # as older versions closed an item
        s.commit()
    item_page = visible(env.login("sato").get(f"/items/{w.payment_item_id}").text)
    assert "入金を申請に割り当て" in item_page and "payment.allocated" not in item_page
    audit = visible(env.login("tanaka").get("/audit").text)
    assert "隔離の理由" in audit and "PDFが暗号化されていて" in audit
    assert "パスワードを変更（パスワードそのものは記録しません）" in audit
    assert "保存期間（判定から5年）を過ぎたため" in audit
    assert "ファイルの形式: PDF" in audit and "ページ数: 5" in audit
    assert "ab" * 8 + "…" in audit and "ab" * 32 not in audit  # a hash fits its column
    for code in ("encrypted:", "payment.", "password changed", "retention:", "reason:"):
        assert code not in audit, code
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", audit), re.findall(r"\b[a-z]+_[a-z_]+\b", audit)


def test_one_name_for_each_run_state() -> None:
    from pipeline.names_ja import RUN_STATUS_JA
    from pipeline.reports.render import STATUS_JA
    from pipeline.review.labels import RUN_STATUS_JA as APP_RUN_STATUS_JA
    from pipeline.vocabulary import RunStatus

    assert STATUS_JA is RUN_STATUS_JA is APP_RUN_STATUS_JA
    assert set(RUN_STATUS_JA) == set(RunStatus)


def test_every_status_people_see_has_a_japanese_name() -> None:
    from pipeline.review import labels
    from pipeline.review.payments_view import DEPOSIT_STATE_JA
    from pipeline.vocabulary import (
        DecisionOutcome,
        ExceptionStatus,
        FieldStatus,
        MatchStatus,
        PaymentOutcome,
        TransactionStatus,
    )

    for vocabulary, names in (
        (DecisionOutcome, labels.DECISION_JA),
        (ExceptionStatus, labels.ITEM_STATUS_JA),
        (FieldStatus, labels.FIELD_STATUS_JA),
        (MatchStatus, labels.MATCH_STATUS_JA),
        (PaymentOutcome, labels.PAYMENT_STATUS_JA),
        (TransactionStatus, DEPOSIT_STATE_JA),
    ):
        assert set(vocabulary) <= set(names), vocabulary


def test_every_rendition_an_engine_reads_has_a_japanese_label() -> None:
    """Staff see each engine's reading with the image it read (「拡大した画像」); a rendition
    added without a label would show its readings unlabelled, as if of the plain crop."""
    from pipeline.extract import text_reading
    from pipeline.review.labels import RENDITION_JA

    names = {text_reading.FIRST[0], text_reading.LATIN_LOOK[0], text_reading.PHONE_ZEROS}
    names |= {name for looks in text_reading.SECOND_LOOKS.values() for name, _ in looks}
    assert len(names) >= 6
    assert names <= set(RENDITION_JA), names - set(RENDITION_JA)
    assert all(RENDITION_JA[n] for n in names - {text_reading.FIRST[0]})


@pytest.mark.parametrize(
    "note",
    [
        "registration marks found, but neither QR code nor title readable",
        "alignment residual 2.41 mm exceeds 1.5 mm",
        "no registration marks (found 2 of 4 marks) and no QR code",
        "no QR code",
        "marks: scale 1.49 impossible for a scan (declared 1.00); features: too few image features",
        "marks: only 3 marks; features: strong perspective distortion",
        "no registration marks (only 0 of 4 registration marks found) and no QR code; "
        "page mostly dark (87% black)",
    ],
)
def test_a_page_s_note_reads_in_japanese(note: str) -> None:
    """The page list showed extraction's English note for a page it could not identify or
    align (「registration marks found, but neither QR code nor title readable」)."""
    from pipeline.review.labels import page_note_ja

    shown = page_note_ja(note)
    assert shown is not None
    # QR and mm are how Japanese writes them; any other Latin letter is English left in.
    assert not re.search(r"[A-Za-z]", shown.replace("QR", "").replace("mm", "")), shown


def test_a_page_note_staff_could_not_use_is_left_out() -> None:
    from pipeline.review.labels import page_note_ja

    assert page_note_ja("homography degenerate at node 4") is None
    assert page_note_ja(None) is None


@pytest.mark.parametrize("by", ["stamp", "line", "passing", "crease", "beside", "apart"])
def test_what_crossed_a_box_reads_in_words(by: str) -> None:
    from pipeline.review.labels import mark_reading_ja

    text = mark_reading_ja({"ink": 0.0, "crossed_by": by})
    assert by not in text
    assert any(
        words in text
        for words in ("重なっています", "影響しません", "取り除いて判定", "だけで判定しました")
    )


def test_a_box_judged_inside_its_squashed_square_says_so_in_words() -> None:
    """A fold squashed the box: the stored raw reading, shown to staff, says the box was
    judged inside the square the page shows, not ``box=squashed``."""
    from pipeline.extract.reading import MarkEvidence
    from pipeline.review.labels import raw_reading

    raw = MarkEvidence(0.21, squashed=True).summary()
    assert raw == "ink=0.2100 box=squashed"
    text = raw_reading(raw)
    assert "squashed" not in text and "写っている枠の内側で判定" in text
    assert "内側で判定" not in raw_reading(MarkEvidence(0.21).summary())


def test_a_box_found_edge_by_edge_says_so_in_words() -> None:
    """A faint print: the box was judged inside the square found edge by edge, and the
    raw reading staff see says so in words, not ``box=by_edges``."""
    from pipeline.extract.reading import MarkEvidence
    from pipeline.review.labels import raw_reading

    raw = MarkEvidence(0.0, by_edges=True).summary()
    assert raw == "ink=0.0000 box=by_edges"
    text = raw_reading(raw)
    assert "by_edges" not in text and "一辺ずつ探して" in text
    assert "一辺ずつ" not in raw_reading(MarkEvidence(0.0, box_found=False).summary())
