"""Route tests of the review app with FastAPI's test client: queue, item page,
actions, re-evaluation, stale edits, presence, audit, reports."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from pipeline.storage.models import (
    Application,
    AuditEvent,
    FieldValue,
    Letter,
    PaymentMatch,
    ReviewItem,
    Run,
)
from tests.pdf_support import pdf_text
from tests.review_client import Env, env, fast_hashing, form_fields  # noqa: F401 - fixtures

# --- queue -----------------------------------------------------------------------------------


def test_queue_lists_every_open_item_with_its_columns(env: Env) -> None:
    client = env.login("sato")
    page = client.get("/items")
    assert page.status_code == 200
    html = page.text
    for item_id in (env.world.item_id, env.world.ineligible_item_id, env.world.payment_item_id):
        assert f'href="/items/{item_id}"' in html
    assert "山田 太郎" in html and "佐々木 花子" in html  # applicants
    assert "CAP" in html  # qualification
    assert "読み取りの確認" in html and "入金の確認" in html  # types in Japanese
    assert "未割り当て" in html  # assignee column


def test_queue_is_oldest_first_by_default_and_sorts_newest_on_request(env: Env) -> None:
    from datetime import timedelta

    with env.session() as s:
        items = {i.id: i for i in s.scalars(select(ReviewItem))}
        base = items[env.world.item_id].opened_at
        # make the payment item the oldest and the field item the newest
        items[env.world.payment_item_id].opened_at = base - timedelta(days=5)
        items[env.world.item_id].opened_at = base + timedelta(hours=1)
        s.commit()
    client = env.login("sato")
    html = client.get("/items").text
    order = [
        html.index(f'href="/items/{i}"')
        for i in (env.world.payment_item_id, env.world.ineligible_item_id, env.world.item_id)
    ]
    assert order == sorted(order)
    html = client.get("/items?sort=newest").text
    order = [
        html.index(f'href="/items/{i}"')
        for i in (env.world.item_id, env.world.ineligible_item_id, env.world.payment_item_id)
    ]
    assert order == sorted(order)


def test_queue_filters_by_type_and_counts_per_type(env: Env) -> None:
    client = env.login("sato")
    html = client.get("/items?kind=payment_review").text
    assert f'href="/items/{env.world.payment_item_id}"' in html
    assert f'href="/items/{env.world.item_id}"' not in html
    # the counts keep showing every type, whatever the type filter
    assert "読み取りの確認 <strong>1</strong>" in html
    assert "入金の確認 <strong>1</strong>" in html


def test_queue_filters_by_assignee_status_and_qualification(env: Env) -> None:
    with env.session() as s:
        item = s.get(ReviewItem, env.world.item_id)
        item.assignee_id = env.world.staff_id
        other = s.get(ReviewItem, env.world.payment_item_id)
        other.status = "resolved"
        s.commit()
    client = env.login("sato")
    mine = client.get("/items?assignee=me").text
    assert f'href="/items/{env.world.item_id}"' in mine
    assert f'href="/items/{env.world.ineligible_item_id}"' not in mine
    open_only = client.get("/items").text
    assert f'href="/items/{env.world.payment_item_id}"' not in open_only
    resolved = client.get("/items?status=resolved").text
    assert f'href="/items/{env.world.payment_item_id}"' in resolved
    omp = client.get("/items?qualification=OMP").text
    assert "この条件に当てはまる項目はありません" in omp


def test_queue_pages_through_many_items(env: Env) -> None:
    from pipeline.queue import open_or_update

    with env.session() as s:
        for n in range(12):
            open_or_update(
                s, kind="data_cleanup", dedupe_key=f"extra:{n}", title_ja=f"整理 {n:02d}"
            )
        s.commit()
    env.app.state.settings = env.settings.model_copy(update={"review_page_size": 5})
    client = env.login("sato")
    first = client.get("/items").text
    assert "15 件（1 / 3 ページ）" in first
    third = client.get("/items?page=3").text
    assert "整理 11" in third and "整理 00" not in third


# --- item page -------------------------------------------------------------------------------


def test_item_page_shows_crop_value_confidence_decision_and_documents(env: Env) -> None:
    client = env.login("sato")
    html = client.get(f"/items/{env.world.item_id}").text
    assert f'src="/files/fields/{env.world.field_id}/crop"' in html
    assert "2023-04" in html
    assert "信頼度 62%" in html
    assert "2O15年4月" in html  # the raw OCR text
    assert "要確認" in html  # the current decision
    assert "判定の根拠" in html  # the findings / trace
    for page_id in env.world.page_ids:  # the envelope's other documents
        assert f'data-src="/files/pages/{page_id}/image"' in html
    crop = client.get(f"/files/fields/{env.world.field_id}/crop")
    assert crop.status_code == 200 and crop.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_payment_item_shows_transaction_and_scored_candidates(env: Env) -> None:
    client = env.login("sato")
    html = client.get(f"/items/{env.world.payment_item_id}").text
    assert "11,000円" in html and "ヤマダ タロウ" in html
    yamada, sasaki = html.index("2301000042"), html.index("2301000077")
    assert yamada < sasaki  # best score first
    assert "91" in html and "64" in html


# --- actions and re-evaluation ------------------------------------------------------------------


def _post_form(client, html: str, action: str, **data: str):  # type: ignore[no-untyped-def]
    fields = form_fields(html, action)
    fields.update(data)
    return client.post(action, data=fields)


def test_correct_then_confirm_reruns_the_rules_and_changes_the_decision(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    html = client.get(f"/items/{w.item_id}").text
    action = f"/items/{w.item_id}/fields/{w.field_id}/correct"
    response = _post_form(client, html, action, value="2015年4月", reason="画像は2015年4月")
    assert response.status_code == 303
    page = client.get(f"/items/{w.item_id}").text
    assert "値を修正しました" in page
    assert "要確認（変わりません）" in page  # a corrected value does not count yet
    with env.session() as s:
        field = s.get(FieldValue, w.field_id)
        assert (field.value, field.status) == ("2015-04", "corrected")
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "field.corrected")).one()
        assert event.actor == f"user:{w.staff_id}"
        assert event.before["value"] == "2023-04" and event.after["value"] == "2015-04"
        assert event.reason == "画像は2015年4月"

    response = _post_form(client, page, f"/items/{w.item_id}/fields/{w.field_id}/confirm")
    assert response.status_code == 303
    page = client.get(f"/items/{w.item_id}").text
    assert "要確認 → 認定可" in page
    with env.session() as s:
        field = s.get(FieldValue, w.field_id)
        assert (field.status, field.confirmed_by) == ("confirmed", f"user:{w.staff_id}")
        assert s.get(Application, w.application_id).decision == "eligible"
        assert s.get(ReviewItem, w.item_id).status == "resolved"


def test_correcting_a_confident_reading_turns_a_proposed_rejection_into_review(env: Env) -> None:
    w = env.world
    with env.session() as s:
        field = s.scalars(
            select(FieldValue).where(
                FieldValue.application_id == w.ineligible_application_id,
                FieldValue.name == "exp1_from",
            )
        ).one()
    client = env.login("sato")
    html = client.get(f"/items/{w.ineligible_item_id}").text
    action = f"/items/{w.ineligible_item_id}/fields/{field.id}/correct"
    response = _post_form(client, html, action, value="2015-04", reason="原本は2015年")
    assert response.status_code == 303
    page = client.get(f"/items/{w.ineligible_item_id}").text
    assert "不認定（案）— 責任者の判断待ち → 要確認" in page


def test_invalid_typed_value_is_refused_and_nothing_changes(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    html = client.get(f"/items/{w.item_id}").text
    action = f"/items/{w.item_id}/fields/{w.field_id}/correct"
    response = _post_form(client, html, action, value="そのうち", reason="x")
    assert response.status_code == 422
    assert "「そのうち」を受け付けられません" in response.text and "例: 2019-04" in response.text
    with env.session() as s:
        assert s.get(FieldValue, w.field_id).value == "2023-04"


def test_manager_approves_an_eligible_application_and_staff_cannot(env: Env) -> None:
    w = env.world
    staff = env.login("sato")
    html = staff.get(f"/items/{w.item_id}").text
    _post_form(
        staff,
        html,
        f"/items/{w.item_id}/fields/{w.field_id}/correct",
        value="2015-04",
        reason="画像と照合",
    )
    html = staff.get(f"/items/{w.item_id}").text
    _post_form(staff, html, f"/items/{w.item_id}/fields/{w.field_id}/confirm")
    html = staff.get(f"/items/{w.item_id}").text
    assert f'action="/items/{w.item_id}/approve"' not in html  # no button for staff
    fields = form_fields(html, f"/items/{w.item_id}/assign")
    refused = staff.post(f"/items/{w.item_id}/approve", data=fields)
    assert refused.status_code == 403

    manager = env.login("tanaka")
    html = manager.get(f"/items/{w.item_id}").text
    response = _post_form(manager, html, f"/items/{w.item_id}/approve")
    assert response.status_code == 303
    page = manager.get(f"/items/{w.item_id}").text
    assert "承認しました。認定番号は CAP-" in page
    with env.session() as s:
        application = s.get(Application, w.application_id)
        assert application.decision == "approved"
        assert application.certificate_number.startswith("CAP-")


def test_reject_needs_a_reason_and_records_it(env: Env) -> None:
    w = env.world
    manager = env.login("tanaka")
    html = manager.get(f"/items/{w.ineligible_item_id}").text
    action = f"/items/{w.ineligible_item_id}/reject"
    empty = _post_form(manager, html, action, reason="  ")
    assert empty.status_code == 422 and "理由を入力してください" in empty.text
    html = manager.get(f"/items/{w.ineligible_item_id}").text
    done = _post_form(manager, html, action, reason="業務経験が12か月のみ")
    assert done.status_code == 303
    with env.session() as s:
        assert s.get(Application, w.ineligible_application_id).decision == "rejected"
        assert s.get(ReviewItem, w.ineligible_item_id).status == "resolved"
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "decision.rejected")).one()
        assert event.reason == "業務経験が12か月のみ"
        assert event.actor == f"user:{w.manager_id}"


def test_received_date_override_is_audited_and_future_dates_refused(env: Env) -> None:
    from datetime import date, timedelta

    w = env.world
    client = env.login("sato")
    html = client.get(f"/items/{w.item_id}").text
    action = f"/items/{w.item_id}/received-on"
    future = (date.today() + timedelta(days=30)).isoformat()
    assert _post_form(client, html, action, received=future, reason="消印").status_code == 422
    html = client.get(f"/items/{w.item_id}").text
    day = (date.today() - timedelta(days=10)).isoformat()
    assert _post_form(client, html, action, received=day, reason="消印の日付").status_code == 303
    with env.session() as s:
        assert s.get(Application, w.application_id).received_on_override.isoformat() == day
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "application.received_on_overridden")
        ).one()
        assert event.before == {"received_on_override": None}
        assert event.after["received_on_override"] == day
        # the rules ran again, as the user
        assert (
            s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "decision.evaluated",
                    AuditEvent.actor == f"user:{w.staff_id}",
                )
            ).first()
            is not None
        )


def test_requesting_documents_records_a_letter(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    html = client.get(f"/items/{w.item_id}").text
    fields = form_fields(html, f"/items/{w.item_id}/request-documents")
    response = client.post(
        f"/items/{w.item_id}/request-documents",
        data={**fields, "documents": ["C", "D"], "note": "署名をお願いします"},
    )
    assert response.status_code == 303
    with env.session() as s:
        letter = s.scalars(select(Letter).where(Letter.application_id == w.application_id)).one()
        assert letter.kind == "missing_documents" and letter.created_by == f"user:{w.staff_id}"
        assert "(C) 上司もしくは監督者による証明" in letter.body_ja
        assert "署名をお願いします" in letter.body_ja
    pdf = client.get(
        f"/letters/{letter.id}.pdf"
    )  # addressed to the applicant, laid out for the window
    assert pdf.headers["content-type"] == "application/pdf"
    assert "山田 太郎 様" in pdf_text(pdf.content)


def test_payment_reassign_by_pass_number(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    html = client.get(f"/items/{w.payment_item_id}").text
    response = _post_form(
        client,
        html,
        f"/items/{w.payment_item_id}/payment/reassign",
        target="2301000042",
        reason="振込名義と合格者番号が一致",
    )
    assert response.status_code == 303, response.text
    with env.session() as s:
        confirmed = s.scalars(select(PaymentMatch).where(PaymentMatch.status == "confirmed")).one()
        assert confirmed.application_id == w.application_id
        assert confirmed.decided_by == f"user:{w.staff_id}"
        assert s.get(ReviewItem, w.payment_item_id).status == "resolved"


def test_assign_and_finish_an_item(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    html = client.get(f"/items/{w.payment_item_id}").text
    _post_form(client, html, f"/items/{w.payment_item_id}/assign", assignee=str(w.staff2_id))
    html = client.get(f"/items/{w.payment_item_id}").text
    assert "担当: 鈴木" in html
    response = _post_form(
        client,
        html,
        f"/items/{w.payment_item_id}/finish",
        outcome="dismissed",
        reason="返金済みのため",
    )
    assert response.status_code == 303
    with env.session() as s:
        item = s.get(ReviewItem, w.payment_item_id)
        assert (item.status, item.assignee_id, item.resolution) == (
            "dismissed",
            w.staff2_id,
            "返金済みのため",
        )


# --- two people at once -------------------------------------------------------------------------


def test_stale_submission_is_refused_and_shows_what_changed(env: Env) -> None:
    w = env.world
    sato, suzuki = env.login("sato"), env.login("suzuki")
    sato_page = sato.get(f"/items/{w.item_id}").text
    suzuki_page = suzuki.get(f"/items/{w.item_id}").text
    action = f"/items/{w.item_id}/fields/{w.field_id}/correct"
    assert (
        _post_form(sato, sato_page, action, value="2015-04", reason="佐藤の修正").status_code == 303
    )
    stale = _post_form(suzuki, suzuki_page, action, value="2016-04", reason="鈴木の修正")
    assert stale.status_code == 409
    assert "保存しませんでした" in stale.text
    assert "佐藤" in stale.text and "佐藤の修正" in stale.text and "2015-04" in stale.text
    confirm = _post_form(suzuki, suzuki_page, f"/items/{w.item_id}/fields/{w.field_id}/confirm")
    assert confirm.status_code == 409  # confirming what suzuki saw would confirm sato's value
    with env.session() as s:
        field = s.get(FieldValue, w.field_id)
        assert (field.value, field.status) == ("2015-04", "corrected")


def test_opening_an_item_shows_who_else_has_it_open(env: Env) -> None:
    w = env.world
    sato, suzuki = env.login("sato"), env.login("suzuki")
    first = sato.get(f"/items/{w.item_id}").text
    assert "さんもこの項目を開いています" not in first
    second = suzuki.get(f"/items/{w.item_id}").text
    assert "佐藤さんもこの項目を開いています" in second
    token = form_fields(first, f"/items/{w.item_id}/assign")["csrf_token"]
    beat = sato.post(f"/items/{w.item_id}/presence", headers={"X-CSRF-Token": token})
    assert beat.json() == {"others": ["鈴木"]}
    suzuki_token = form_fields(second, f"/items/{w.item_id}/assign")["csrf_token"]
    suzuki.post(f"/items/{w.item_id}/presence", data={"csrf_token": suzuki_token, "leaving": "1"})
    assert sato.post(f"/items/{w.item_id}/presence", headers={"X-CSRF-Token": token}).json() == {
        "others": []
    }


# --- audit and reports ----------------------------------------------------------------------------


def test_item_audit_is_shown_and_exported(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    html = client.get(f"/items/{w.item_id}").text
    _post_form(
        client,
        html,
        f"/items/{w.item_id}/fields/{w.field_id}/correct",
        value="2015-04",
        reason="画像と照合",
    )
    page = client.get(f"/items/{w.item_id}").text
    audit = page[page.index('id="audit"') :]
    assert "値を修正" in audit and "佐藤" in audit and "画像と照合" in audit
    export = client.get(f"/items/{w.item_id}/audit.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["日時", "操作者", "操作"]
    corrected = [r for r in rows if r[2] == "値を修正"]
    assert corrected and corrected[0][1] == "佐藤" and corrected[0][6] == "画像と照合"


def test_reports_are_listed_and_served_for_managers(env: Env) -> None:
    reports = env.settings.reports_dir
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "run-1.html").write_text("<h1>実行 1 のレポート</h1>", encoding="utf-8")
    (reports / "history.html").write_text("<h1>実行の推移</h1>", encoding="utf-8")
    manager = env.login("tanaka")
    listing = manager.get("/reports").text
    assert "/reports/runs/1" in listing and "/reports/history" in listing
    report = manager.get("/reports/runs/1")
    assert report.status_code == 200 and "実行 1 のレポート" in report.text
    assert "script-src" not in report.headers["content-security-policy"]  # no scripts at all
    assert manager.get("/reports/history").status_code == 200
    opened = manager.get("/reports/run-1.html")  # where the history page's links lead
    assert opened.status_code == 200 and "実行 1 のレポート" in opened.text
    assert manager.get("/reports/run-9.html").status_code == 404
    with env.session() as s:
        s.add(Run(kind="nightly", status="failed", report_path="../conken.db"))
        s.commit()
    assert manager.get("/reports/runs/2").status_code == 404
    staff = env.login("sato")
    assert staff.get("/reports").status_code == 403


# --- both databases -----------------------------------------------------------------------------


def test_sessions_presence_and_actions_work_on_both_databases(
    any_db_url: str, fast_hashing
) -> None:  # type: ignore[no-untyped-def]
    from pipeline.config import get_settings
    from pipeline.review.app import create_app
    from pipeline.storage import db
    from tests.review_support import build_world

    settings = get_settings()
    engine = db.make_engine(any_db_url)
    try:
        world = build_world(engine, settings)
        local = Env(
            app=create_app(settings, engine=engine), world=world, engine=engine, settings=settings
        )
        sato, suzuki = local.login("sato"), local.login("suzuki")
        sato_page = sato.get(f"/items/{world.item_id}").text
        suzuki_page = suzuki.get(f"/items/{world.item_id}").text
        assert "佐藤さんもこの項目を開いています" in suzuki_page
        action = f"/items/{world.item_id}/fields/{world.field_id}/correct"
        assert (
            _post_form(sato, sato_page, action, value="2015-04", reason="照合").status_code == 303
        )
        assert (
            _post_form(suzuki, suzuki_page, action, value="2016-04", reason="x").status_code == 409
        )
        page = sato.get(f"/items/{world.item_id}").text
        confirm = f"/items/{world.item_id}/fields/{world.field_id}/confirm"
        assert _post_form(sato, page, confirm).status_code == 303
        with local.session() as s:
            assert s.get(Application, world.application_id).decision == "eligible"
    finally:
        engine.dispose()


def test_a_candidate_can_be_chosen_with_one_click(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    html = client.get(f"/items/{w.payment_item_id}").text
    assert "振込名義のみ" in html or "振込名義の候補が複数" in html  # the rule, in words
    start = html.index('class="inline candidate-form"', html.index("佐々木 花子"))
    form_html = html[start : html.index("</form>", start)]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_html))
    assert fields["target"] == str(w.ineligible_application_id)
    response = client.post(f"/items/{w.payment_item_id}/payment/reassign", data=fields)
    assert response.status_code == 303
    with env.session() as s:
        match = s.scalars(select(PaymentMatch).where(PaymentMatch.status == "confirmed")).one()
        assert match.application_id == w.ineligible_application_id
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "payment.reassigned")).one()
        assert event.reason == "候補から選択（一致度 64）"


def test_decision_reasons_read_as_plain_japanese() -> None:
    from pipeline.review.labels import plain_reason

    # as stored before the rules named themselves in words
    text = (
        "experience.total_months: 確認してください: B.exp1_from\nfee.paid: 入金 X.unknown\n"
        "（あわせて要確認）oath.signed: 署名\nsome.new_rule: 何か"
    )
    assert plain_reason(text) == (
        "【業務経験の期間】確認してください: 「経歴1 期間 自」\n【認定審査手数料の入金】入金 X.unknown\n"
        "（あわせて要確認）【宣誓書の署名】署名\n【認定基準】何か"
    )
    words = "【宣誓書の署名】宣誓書 (D) に署名がありません。"
    assert plain_reason(words) == words  # a reason stored in words passes unchanged


def test_a_marks_measurement_reads_as_plain_japanese() -> None:
    from pipeline.review.labels import raw_reading

    assert raw_reading("ink=0.0379") == "記入部分のインク比率 0.038"
    assert raw_reading("ink=0.0000 shift=+0.08,+0.34mm") == (
        "記入部分のインク比率 0.000（枠が印刷位置から右に 0.08 mm・下に 0.34 mm"
        " ずれていたため補正して判定）"
    )
    assert raw_reading("ink=0.2051 shift=+0.00,-0.42mm").endswith(
        "（枠が印刷位置から上に 0.42 mm ずれていたため補正して判定）"
    )
    assert raw_reading("株式会社コンタクトプラス") == "株式会社コンタクトプラス"  # text as read
    # What the box's search and what crossed it found, in words, never as recorded.
    found = raw_reading("ink=0.0000 shift=+0.08,+0.00mm box=not_found crossed=line")
    assert "box=" not in found and "crossed=" not in found
    assert "印刷された枠が十分に見つかりません" in found and "枠の外から続く線" in found


def test_the_envelopes_pages_are_named_in_japanese(env: Env) -> None:
    from pipeline.storage.models import Page

    with env.session() as s:
        pages = [s.get(Page, page_id) for page_id in env.world.page_ids]
        for page in pages:
            page.status = "form"  # as extraction stores an identified page
        pages[-1].form_code, pages[-1].status = None, "extra"
        pages[-1].note = "no QR code"
        s.commit()
    html = env.login("sato").get(f"/items/{env.world.item_id}").text
    assert "(A) 資格認定申請書" in html
    assert "同封物（申請様式以外）" in html  # a cover letter
    assert "（form）" not in html and "（extra）" not in html  # no machine words
    # The machine's note is shown beside the page, in words (the English one is in the
    # logs): a page too dark to read says so where staff look, not only on hover.
    assert "— QRコードが見つかりません" in html
    assert "no QR code" not in html
    with env.session() as s:
        page = s.get(Page, env.world.page_ids[-1])
        assert page is not None
        page.note = (
            "no registration marks (only 0 of 4 found) and no QR code; page mostly dark (87% black)"
        )
        s.commit()
    html = env.login("sato").get(f"/items/{env.world.item_id}").text
    assert "ページの 87% が黒く写っています" in html
