"""The review app's letters: a run's letters listed, each PDF opened, marked sent (audited)."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from pipeline.outputs.letter_sources import draft_letter
from pipeline.outputs.letters import create_letters, store_letter
from pipeline.outputs.run_outputs import output_folder
from pipeline.runs import start_run
from pipeline.storage.db import session_scope
from pipeline.storage.models import AuditEvent, Letter
from tests.pdf_support import page_count, pdf_text
from tests.review_client import Env, csrf_of, env, fast_hashing  # noqa: F401 - fixtures

TODAY = date(2024, 6, 21)


def _printed_letters(env: Env) -> tuple[int, list[int]]:
    """Two letters to 山田 太郎 staff requested, printed by the next run: (run id, letter ids)."""
    run = start_run(env.engine)
    ids = []
    with session_scope(env.engine) as s:
        for kind, extra in (
            ("missing_documents", {"items": ["(B) 業務経歴証明書"]}),
            (
                "unsigned_forms",
                {"items": ["(D) 倫理綱領・職業倫理規定および継続教育・学習方針の順守への宣誓書"]},
            ),
        ):
            draft = draft_letter(
                s, env.settings, env.world.application_id, kind, dated=TODAY, extra=extra
            )
            ids.append(store_letter(s, draft, actor=f"user:{env.world.staff_id}").id)
    create_letters(
        env.engine, env.settings, output_folder(env.settings, run), run_id=run, today=TODAY
    )
    return run, ids


def test_staff_see_a_run_s_letters_and_open_each_pdf_and_the_combined_one(env: Env) -> None:
    run, ids = _printed_letters(env)
    client = env.login("sato")
    assert 'href="/letters"' in client.get("/").text  # linked from every page
    page = client.get("/letters")
    assert page.status_code == 200
    html = page.text
    assert f"実行 #{run}" in html and "山田 太郎" in html
    assert "書類不足のお知らせ" in html and "署名漏れのお知らせ" in html
    assert "missing_documents" not in html  # no machine codes where people read
    assert f'href="/letters/runs/{run}.pdf"' in html
    single = client.get(f"/letters/{ids[0]}.pdf")
    assert single.status_code == 200 and single.headers["content-type"] == "application/pdf"
    text = pdf_text(single.content)
    assert (
        "山田 太郎 様" in text
        and "認定申請書類のご送付のお願い" in text
        and "令和6年6月21日" in text
    )
    combined = client.get(f"/letters/runs/{run}.pdf")
    assert combined.status_code == 200 and page_count(combined.content) == 2
    assert client.get("/letters/9999.pdf").status_code == 404
    assert client.get("/letters/runs/9999.pdf").status_code == 404


def test_marking_a_letter_sent_is_audited_once_and_can_be_undone_with_a_reason(env: Env) -> None:
    run, ids = _printed_letters(env)
    client = env.login("sato")
    token = csrf_of(client.get("/letters").text)
    response = client.post(f"/letters/{ids[0]}/sent", data={"csrf_token": token, "run": str(run)})
    assert response.status_code == 303 and response.headers["location"] == f"/letters?run={run}"
    html = client.get(f"/letters?run={run}").text
    assert "送付済みにしました" in html and "（佐藤）" in html
    other = env.login("suzuki")
    again = other.post(
        f"/letters/{ids[0]}/sent", data={"csrf_token": csrf_of(other.get("/letters").text)}
    )
    assert again.status_code == 303
    assert "既に送付済みです" in other.get("/letters").text
    with session_scope(env.engine) as s:
        assert s.get(Letter, ids[0]).sent_at is not None
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "letter.sent")).all()
        assert [(e.entity_id, e.actor) for e in events] == [(ids[0], f"user:{env.world.staff_id}")]
    refused = client.post(f"/letters/{ids[0]}/unsent", data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 303
    with session_scope(env.engine) as s:
        assert s.get(Letter, ids[0]).sent_at is not None  # no reason, no undo
    client.post(f"/letters/{ids[0]}/unsent", data={"csrf_token": token, "reason": "封入前に押した"})
    with session_scope(env.engine) as s:
        assert s.get(Letter, ids[0]).sent_at is None
        undo = s.scalars(select(AuditEvent).where(AuditEvent.action == "letter.unsent")).one()
        assert undo.reason == "封入前に押した"


def test_ticked_letters_are_marked_sent_together(env: Env) -> None:
    run, ids = _printed_letters(env)
    client = env.login("sato")
    token = csrf_of(client.get("/letters").text)
    client.post(f"/letters/{ids[1]}/sent", data={"csrf_token": token})
    client.post(
        "/letters/sent",
        data={"csrf_token": token, "letter_ids": [str(i) for i in ids], "run": str(run)},
    )
    assert (
        "1 件の通知文を送付済みにしました。（1 件は既に送付済みでした）"
        in client.get("/letters").text
    )
    with session_scope(env.engine) as s:
        assert all(s.get(Letter, i).sent_at is not None for i in ids)
        assert (
            len(s.scalars(select(AuditEvent).where(AuditEvent.action == "letter.sent")).all()) == 2
        )


def test_marking_sent_needs_the_form_token(env: Env) -> None:
    _, ids = _printed_letters(env)
    client = env.login("sato")
    assert client.post(f"/letters/{ids[0]}/sent", data={}).status_code == 403
    with session_scope(env.engine) as s:
        assert s.get(Letter, ids[0]).sent_at is None


def test_a_letter_whose_address_went_missing_says_why_instead_of_printing(env: Env) -> None:
    _, ids = _printed_letters(env)
    with session_scope(env.engine) as s:
        from pipeline.storage.models import Applicant, Application

        app = s.get(Application, env.world.application_id)
        s.get(Applicant, app.applicant_id).address = None
    client = env.login("sato")
    response = client.get(f"/letters/{ids[0]}.pdf")
    assert response.status_code == 409
    assert "宛先の住所が空です" in response.text


def test_a_letter_held_for_its_address_links_to_the_item_that_says_why(env: Env) -> None:
    with session_scope(env.engine) as s:
        from pipeline.storage.models import Applicant, Application

        draft = draft_letter(
            s,
            env.settings,
            env.world.application_id,
            "unsigned_forms",
            dated=TODAY,
            extra={"items": ["(D) 倫理綱領・職業倫理規定および継続教育・学習方針の順守への宣誓書"]},
        )
        store_letter(s, draft, actor=f"user:{env.world.staff_id}")
        app = s.get(Application, env.world.application_id)
        s.get(Applicant, app.applicant_id).address = None
    run = start_run(env.engine)
    result = create_letters(
        env.engine, env.settings, output_folder(env.settings, run), run_id=run, today=TODAY
    )
    assert result.files == [] and len(result.refused) == 1  # held, not printed
    client = env.login("sato")
    html = client.get("/letters?run=waiting").text
    assert "印刷待ち" in html and "印刷できません" in html and "宛先の住所が空です" in html
    assert 'formaction="/letters/' not in html  # nothing to mark sent until it can print
    with session_scope(env.engine) as s:
        from pipeline.storage.models import ReviewItem

        item = s.scalars(select(ReviewItem).where(ReviewItem.kind == "letter_blocked")).one()
    assert f'href="/items/{item.id}"' in html
    later = start_run(env.engine)
    create_letters(
        env.engine, env.settings, output_folder(env.settings, later), run_id=later, today=TODAY
    )
    with session_scope(env.engine) as s:  # the same item stays open: no close-and-reopen each night
        items = s.scalars(select(ReviewItem).where(ReviewItem.kind == "letter_blocked")).all()
        assert [(i.id, i.status) for i in items] == [(item.id, "open")]
