"""Letters the nightly run writes: which, to whom, printed as PDFs, and never with a gap.

A letter is stored once and printed into the run's folder (one combined PDF,
one PDF per letter, a CSV list). One that cannot be written as it should (no
qualification, an address nobody confirmed) is not written at all: staff get a
``letter_blocked`` item saying why, which closes itself once the letter is
written or no longer called for.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select

from pipeline.config import get_settings
from pipeline.outputs.letter_pdf import letters_pdf
from pipeline.outputs.letter_sources import draft_letter, redraft
from pipeline.outputs.letters import create_letters, store_letter
from pipeline.runs import start_run
from pipeline.storage.db import session_scope
from pipeline.storage.models import (
    Application,
    AuditEvent,
    BankTransaction,
    FieldValue,
    Letter,
    PaymentMatch,
    ReviewItem,
    User,
)
from tests.pdf_support import page_count, pdf_text
from tests.test_outputs import _app, _decided

TODAY = date(2024, 6, 21)
OATH = [{"rule_id": "oath.signed", "letter_kind": "unsigned_oath", "details": {}}]


def _applicant(s, n: int, name: str, address: str, decision: str) -> int:
    return _app(s, name=name, address=address, number=None, decision=decision, n=n)


def _field(s, app_id: int, form: str, name: str, value: str | None, status: str = "ok") -> None:
    app = s.get(Application, app_id)
    s.add(
        FieldValue(
            application_id=app_id,
            envelope_id=app.envelope_id,
            form_code=form,
            name=name,
            kind="text",
            value=value,
            status=status,
        )
    )


def _items(engine: Engine, kind: str) -> list[ReviewItem]:
    with session_scope(engine) as s:
        return list(s.scalars(select(ReviewItem).where(ReviewItem.kind == kind)))


def test_letters_by_kind_printed_as_pdfs_once(engine: Engine, tmp_path: Path) -> None:
    cfg = get_settings()
    run = start_run(engine)
    with session_scope(engine) as s:
        missing = _applicant(s, 1, "山田 太郎", "東京都千代田区丸の内1-1", "pending")
        _field(s, missing, "B", "exp2_org", "株式会社サンプルコミュニケーションズ")
        _field(s, missing, "B", "exp2_from", "2018-04")
        _field(s, missing, "B", "exp2_to", "2021-03")
        _decided(
            s,
            missing,
            "pending",
            [
                {
                    "rule_id": "completeness.documents",
                    "letter_kind": "missing_documents",
                    "details": {"missing_documents": ["B", "report"]},
                },
                {
                    "rule_id": "attestation.present",
                    "letter_kind": "missing_documents",
                    "details": {"missing_rows": [2], "unsigned_rows": []},
                },
                *OATH,
            ],
            run,
        )
        short = _applicant(s, 2, "佐藤 花子", "大阪府大阪市北区梅田1-1", "pending")
        _decided(s, short, "pending", [{"rule_id": "fee.paid", "letter_kind": "underpayment"}], run)
        txn = BankTransaction(
            txn_key="t1",
            booked_on=date(2024, 5, 1),
            payer_raw="x",
            payer_normalized="x",
            deposit_yen=10560,
            status="matched",
        )
        s.add(txn)
        s.flush()
        s.add(
            PaymentMatch(
                transaction_id=txn.id,
                application_id=short,
                rule="r",
                score=1,
                amount_yen=10560,
                outcome="underpaid",
                status="accepted",
            )
        )
        sv = _applicant(s, 3, "鈴木 一郎", "北海道札幌市中央区北1条西2丁目", "not_required")
        s.get(Application, sv).qualification = "SV"
        _decided(
            s,
            sv,
            "not_required",
            [
                {
                    "rule_id": "qualification.needs_certification",
                    "letter_kind": "no_certification_needed",
                }
            ],
            run,
        )
    out = tmp_path / "out"
    result = create_letters(engine, cfg, out, run_id=run, today=TODAY)
    assert result.by_kind == {
        "missing_documents": 1,
        "unsigned_forms": 1,
        "underpayment": 1,
        "not_required": 1,
    }
    assert sorted((d.application_id, d.kind) for d in result.created) == [
        (missing, "missing_documents"),
        (missing, "unsigned_forms"),
        (short, "underpayment"),
        (sv, "not_required"),
    ]
    body = {(d.application_id, d.kind): d.body_ja for d in result.created}
    docs = body[(missing, "missing_documents")]
    assert "(B) 業務経歴証明書" in docs and "試験結果レポート" in docs
    assert "業務経歴 2 行目：株式会社サンプルコミュニケーションズ 2018年4月～2021年3月" in docs
    assert "〒100-0005" in docs  # where to send them
    assert "宣誓書" in body[(missing, "unsigned_forms")]
    owed = body[(short, "underpayment")]
    assert "10,560円" in owed and "不足額 440円" in owed and "3176131" in owed
    assert "スーパーバイザー（SV）はオペレーション資格" in body[(sv, "not_required")]
    combined = out / "letters.pdf"
    assert result.files[0] == combined
    assert page_count(combined) == 4
    text = pdf_text(combined)
    for expected in ("山田 太郎 様", "佐藤 花子 様", "鈴木 一郎 様", "令和6年6月21日", "申請番号"):
        assert expected in text
    singles = sorted((out / "letters").glob("*.pdf"))
    assert len(singles) == 4 and all(page_count(p) == 1 for p in singles)
    assert any("申請1-書類不足のお知らせ" in p.name for p in singles)
    assert (out / "letters.pdf").stat().st_mode & 0o777 == 0o600  # names and addresses
    rows = list(csv.reader(io.StringIO((out / "letters.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["申請番号", "通知文", "氏名"]
    assert {r[1] for r in rows[1:]} == {
        "書類不足のお知らせ",
        "署名漏れのお知らせ",
        "手数料不足のお知らせ",
        "認定申請不要のお知らせ",
    }
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Letter)) == 4
        dated = s.scalars(
            select(AuditEvent.after).where(AuditEvent.action == "letter.created")
        ).all()
        assert {d["dated"] for d in dated} == {"2024-06-21"}
    again = create_letters(engine, cfg, tmp_path / "out2", run_id=run, today=TODAY)
    assert again.created == [] and again.files == []
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Letter)) == 4


def test_no_letter_for_a_decision_that_needs_a_person(engine: Engine, tmp_path: Path) -> None:
    run = start_run(engine)
    with session_scope(engine) as s:
        for n, outcome in ((1, "review"), (2, "ineligible_proposed")):
            app = _app(s, name="a", address="b", number=None, decision=outcome, n=n)
            _decided(s, app, outcome, [{"rule_id": "fee.paid", "letter_kind": "underpayment"}], run)
    result = create_letters(engine, get_settings(), tmp_path / "out", run_id=run, today=TODAY)
    assert result.created == [] and result.refused == []
    assert not (tmp_path / "out").exists()


def test_a_letter_to_nobody_about_nothing_is_not_written_and_staff_are_told_why(
    engine: Engine, tmp_path: Path
) -> None:
    """A photo named .pdf: no qualification, no name, no address."""
    run = start_run(engine)
    with session_scope(engine) as s:
        app = _app(s, name="", address="", number=None, decision="pending", n=1)
        s.get(Application, app).qualification = None
        _decided(s, app, "pending", OATH, run)
    result = create_letters(engine, get_settings(), tmp_path / "out", run_id=run, today=TODAY)
    assert result.created == [] and result.files == []
    assert not (tmp_path / "out").exists()
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Letter)) == 0
    [item] = _items(engine, "letter_blocked")
    assert item.application_id == app and item.status == "open"
    assert item.title_ja.startswith("通知文「署名漏れのお知らせ」を送付できません")
    assert "宛名（氏名）" in item.title_ja and "宛先の住所" in item.title_ja
    assert (
        create_letters(engine, get_settings(), tmp_path / "o2", run_id=run, today=TODAY).created
        == []
    )
    assert len(_items(engine, "letter_blocked")) == 1  # the same item, not a second one


def test_an_address_nobody_confirmed_holds_the_letter_until_someone_does(
    engine: Engine, tmp_path: Path
) -> None:
    cfg = get_settings()
    run = start_run(engine)
    with session_scope(engine) as s:
        app = _app(s, name="山田 太郎", address="東京都", number=None, decision="pending", n=1)
        _field(s, app, "A", "name_kanji", "山田 太郎")
        _field(s, app, "A", "postcode", "1000005")
        _field(s, app, "A", "address", "東京都千代田区丸の内2-2", status="low_confidence")
        _decided(s, app, "pending", OATH, run)
    held = create_letters(engine, cfg, tmp_path / "a", run_id=run, today=TODAY)
    assert [c.kind for c in held.created] == ["unsigned_forms"]  # written, not printed
    assert held.files == [] and held.by_kind == {} and not (tmp_path / "a").exists()
    assert "宛先の住所の読み取りが確認されていません" in held.refused[0].message
    again = create_letters(engine, cfg, tmp_path / "b", run_id=run, today=TODAY)
    assert again.created == [] and again.files == []  # still waiting, nothing doubled
    assert len(_items(engine, "letter_blocked")) == 1
    with session_scope(engine) as s:
        field = s.scalars(select(FieldValue).where(FieldValue.name == "address")).one()
        field.status = "confirmed"  # staff confirmed the reading
    printed = create_letters(engine, cfg, tmp_path / "c", run_id=run, today=TODAY)
    assert printed.created == [] and printed.files[0] == tmp_path / "c" / "letters.pdf"
    assert printed.by_kind == {"unsigned_forms": 1}  # the report's letters to send
    text = pdf_text(tmp_path / "c" / "letters.pdf")
    assert "〒100-0005" in text and "東京都千代田区丸の内2-2" in text
    [item] = _items(engine, "letter_blocked")
    assert item.status == "resolved" and item.resolution == "通知文を印刷しました。"


def test_a_held_letter_no_longer_called_for_is_withdrawn_and_its_item_closes(
    engine: Engine, tmp_path: Path
) -> None:
    run = start_run(engine)
    with session_scope(engine) as s:
        app = _app(s, name="", address="東京都", number=None, decision="pending", n=1)
        _decided(s, app, "pending", OATH, run)
    first = create_letters(engine, get_settings(), tmp_path / "a", run_id=run, today=TODAY)
    assert len(first.created) == 1 and "宛名（氏名）が空です" in first.refused[0].message
    with session_scope(engine) as s:
        _decided(s, app, "eligible", [], run)  # the signed oath arrived
    later = create_letters(engine, get_settings(), tmp_path / "b", run_id=run, today=TODAY)
    assert later.refused == [] and later.files == []
    [item] = _items(engine, "letter_blocked")
    assert item.status == "resolved" and item.resolution == "この通知文は不要になりました。"
    with session_scope(engine) as s:
        letter_id = s.scalars(select(Letter.id)).one()
        withdrawn = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "letter.withdrawn")
        ).one()
        assert withdrawn.entity_id == letter_id
    third = create_letters(engine, get_settings(), tmp_path / "c", run_id=run, today=TODAY)
    assert third.refused == [] and len(_items(engine, "letter_blocked")) == 1  # not reopened


def test_payment_reminder_and_refund_notice_are_ready_for_the_payments_desk(engine: Engine) -> None:
    cfg = get_settings()
    with session_scope(engine) as s:
        app = _applicant(s, 1, "山田 太郎", "東京都千代田区丸の内1-1", "pending")
        reminder = draft_letter(s, cfg, app, "payment_reminder", dated=TODAY)
        refund = draft_letter(
            s,
            cfg,
            app,
            "refund_notice",
            dated=TODAY,
            extra={
                "deposit_on": date(2024, 6, 3),
                "deposit_yen": 22000,
                "refund_yen": 11000,
                "refund_reason": "duplicate",
            },
        )
        for draft in (reminder, refund):
            store_letter(s, draft, actor="user:1")
    assert "（令和6年5月1日受付）" in reminder.body_ja and "11,000円" in reminder.body_ja
    assert (
        "（例：0001ヤマダ）" in reminder.body_ja
    )  # the pass number's last 4 digits, then the name
    assert (
        "令和6年6月3日にお振込みいただいた 22,000円のうち 11,000円は、二重のお振込みのため返金"
        in refund.body_ja
    )
    text = pdf_text(letters_pdf([reminder.planned, refund.planned], cfg, title="t"))
    assert "認定審査手数料のお振込みのお願い" in text and "認定審査手数料の返金について" in text
    with session_scope(engine) as s:
        assert {letter.kind for letter in s.scalars(select(Letter))} == {
            "payment_reminder",
            "refund_notice",
        }


def test_a_letter_staff_requested_is_printed_by_the_next_run_and_reprinted_as_written(
    engine: Engine, tmp_path: Path
) -> None:
    cfg = get_settings()
    with session_scope(engine) as s:
        s.add(User(username="sato", display_name="佐藤", role="staff", password_hash="x"))
        app = _applicant(s, 1, "山田 太郎", "東京都千代田区丸の内1-1", "review")
        draft = draft_letter(
            s, cfg, app, "missing_documents", dated=TODAY, extra={"items": ["(B) 業務経歴証明書"]}
        )
        letter_id = store_letter(s, draft, actor="user:1").id
    run = start_run(engine)
    result = create_letters(engine, cfg, tmp_path / "out", run_id=run, today=date(2024, 6, 25))
    assert result.created == []  # the run wrote nothing new, but printed the request
    assert "(B) 業務経歴証明書" in pdf_text(tmp_path / "out" / "letters.pdf")
    with session_scope(engine) as s:
        again = redraft(s, cfg, s.get(Letter, letter_id))
    assert again.body_ja == draft.body_ja and again.document.dated == TODAY  # the date it bore
