"""The queue by application, the verification screen of one application, and items
that close themselves once the decision is final."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

import re

from sqlalchemy import select

from pipeline.storage.models import AuditEvent, FieldValue, ReviewItem
from tests.review_client import Env, csrf_of, env, fast_hashing  # noqa: F401 - fixtures
from tests.review_support import open_informational_item


def _screen_form(html: str) -> dict[str, str]:
    """The verification form's fields as the page rendered them (nothing ticked)."""
    start = html.index('id="verify-form"')
    chunk = html[start : html.index("</form>", start)]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', chunk))
    for name, value in re.findall(r'name="(value-\d+)"[^>]*?value="([^"]*)"', chunk):
        data[name] = value
    text_input = r'<input id="[^"]+" name="(value-\d+)" class="value" type="text" value="([^"]*)"'
    for name, value in re.findall(text_input, chunk):
        data[name] = value
    return data


def test_queue_has_one_row_per_application_with_what_it_needs(env: Env) -> None:
    w = env.world
    html = env.login("sato").get("/").text
    assert html.count(f'href="/applications/{w.application_id}"') == 1
    assert html.count(f'href="/applications/{w.ineligible_application_id}"') == 1
    assert "判定に関わる読み取り 1" in html  # 山田: one deciding field
    assert "責任者の判断" in html  # 佐々木: ineligible proposed
    assert f'href="/items/{w.payment_item_id}"' in html  # the unclaimed deposit has its own row
    only_fields = env.login("sato").get("/?needs=manager").text
    assert f'href="/applications/{w.application_id}"' not in only_fields
    assert f'href="/applications/{w.ineligible_application_id}"' in only_fields


def test_claiming_an_application_assigns_every_open_item_of_it(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    token = csrf_of(client.get("/").text)
    response = client.post(
        f"/applications/{w.application_id}/claim", data={"csrf_token": token, "assignee": "me"}
    )
    assert response.status_code == 303
    with env.session() as s:
        items = s.scalars(select(ReviewItem).where(ReviewItem.application_id == w.application_id))
        assert {i.assignee_id for i in items if i.status in ("open", "in_progress")} == {w.staff_id}
    assert "佐藤" in client.get("/?assignee=me").text
    for evil in ("//evil.example", "/\\evil.example", "https://evil.example"):
        data = {"csrf_token": token, "assignee": "me", "back": evil}
        response = client.post(f"/applications/{w.application_id}/claim", data=data)
        assert response.headers["location"] == "/"


def test_screen_lists_the_field_with_its_crop_page_outline_and_proposed_value(env: Env) -> None:
    w = env.world
    html = env.login("sato").get(f"/applications/{w.application_id}").text
    assert f'src="/files/fields/{w.field_id}/crop"' in html
    assert f'name="value-{w.field_id}"' in html and 'value="2023-04"' in html
    assert 'data-outline="' in html  # where the field sits on its page
    assert "判定に関わる項目: 残り <strong>1</strong> 件" in html


def test_confirming_a_corrected_field_on_the_screen_closes_its_item_and_redecides(
    env: Env,
) -> None:
    w = env.world
    client = env.login("sato")
    data = _screen_form(client.get(f"/applications/{w.application_id}").text)
    data[f"value-{w.field_id}"] = "2015年4月"
    data[f"confirmed-{w.field_id}"] = "1"
    response = client.post(f"/applications/{w.application_id}/verify", data=data)
    assert response.status_code == 303
    with env.session() as s:
        row = s.get(FieldValue, w.field_id)
        assert (row.value, row.status, row.confirmed_by) == ("2015-04", "confirmed", "user:1")
        assert s.get(ReviewItem, w.item_id).status == "resolved"
        events = select(AuditEvent).where(
            AuditEvent.entity_type == "field", AuditEvent.entity_id == w.field_id
        )
        actions = [e.action for e in s.scalars(events)]
        assert actions[-2:] == ["field.corrected", "field.confirmed"]
        from pipeline.storage.models import Application

        assert s.get(Application, w.application_id).decision == "eligible"


def test_an_unticked_field_is_not_confirmed_and_its_typed_value_is_kept(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    data = _screen_form(client.get(f"/applications/{w.application_id}").text)
    data[f"value-{w.field_id}"] = "2015-04"
    response = client.post(f"/applications/{w.application_id}/verify", data=data)
    assert response.status_code == 303
    with env.session() as s:
        row = s.get(FieldValue, w.field_id)
        assert (row.value, row.status) == ("2015-04", "corrected")
        assert s.get(ReviewItem, w.item_id).status in ("open", "in_progress")


def test_a_value_that_does_not_read_is_refused_by_name_and_nothing_is_saved(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    data = _screen_form(client.get(f"/applications/{w.application_id}").text)
    data[f"value-{w.field_id}"] = "そのうち"
    data[f"confirmed-{w.field_id}"] = "1"
    response = client.post(f"/applications/{w.application_id}/verify", data=data)
    assert response.status_code == 422
    assert "経歴1 期間 自" in response.text and 'value="そのうち"' in response.text
    with env.session() as s:
        assert s.get(FieldValue, w.field_id).status == "low_confidence"


def test_a_stale_screen_is_refused_with_what_changed(env: Env) -> None:
    w = env.world
    sato, suzuki = env.login("sato"), env.login("suzuki")
    old = _screen_form(sato.get(f"/applications/{w.application_id}").text)
    theirs = _screen_form(suzuki.get(f"/applications/{w.application_id}").text)
    theirs[f"confirmed-{w.field_id}"] = "1"
    theirs[f"value-{w.field_id}"] = "2015-04"
    assert suzuki.post(f"/applications/{w.application_id}/verify", data=theirs).status_code == 303
    old[f"confirmed-{w.field_id}"] = "1"
    response = sato.post(f"/applications/{w.application_id}/verify", data=old)
    assert response.status_code == 409
    assert "保存しませんでした" in response.text
    assert "鈴木" in response.text and "値を確定" in response.text


def test_final_decision_closes_checking_items_as_moot_with_the_reason(env: Env) -> None:
    from pipeline.rules import store as rules_store

    w = env.world
    with env.session() as s:
        rules_store.reject(
            s, w.ineligible_application_id, actor=f"user:{w.manager_id}", reason="経験不足"
        )
        s.commit()
        item = s.get(ReviewItem, w.ineligible_item_id)
        assert item.status == "moot"
        assert "却下" in (item.resolution or "")
        event = s.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "exception", AuditEvent.entity_id == item.id
            )
        ).all()[-1]
        assert event.action == "exception.moot" and "却下" in (event.reason or "")
        assert s.get(ReviewItem, w.payment_item_id).status == "open"  # money still matters


def _decision_form(html: str, action: str) -> dict[str, str]:
    start = html.index(f'action="{action}"')
    chunk = html[start : html.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', chunk))


def _confirm_the_uncertain_field(env: Env) -> None:
    w = env.world
    client = env.login("sato")
    data = _screen_form(client.get(f"/applications/{w.application_id}").text)
    data[f"value-{w.field_id}"] = "2015-04"
    data[f"confirmed-{w.field_id}"] = "1"
    assert client.post(f"/applications/{w.application_id}/verify", data=data).status_code == 303


def test_manager_inbox_lists_waiting_decisions_with_their_deciding_facts(env: Env) -> None:
    w = env.world
    assert env.login("sato").get("/manager").status_code == 403
    html = env.login("tanaka").get("/manager").text
    assert f'href="/applications/{w.ineligible_application_id}"' in html
    assert "不認定（案）" in html and "業務経験" in html  # the deciding fact, in the row
    assert f'action="/applications/{w.ineligible_application_id}/reject"' in html
    assert f'href="/applications/{w.application_id}"' not in html  # still 要確認


def test_reject_from_the_inbox_needs_a_reason(env: Env) -> None:
    w = env.world
    manager = env.login("tanaka")
    action = f"/applications/{w.ineligible_application_id}/reject"
    data = _decision_form(manager.get("/manager").text, action)
    assert manager.post(action, data=data).status_code == 303
    assert "理由を入力してください" in manager.get("/manager").text
    with env.session() as s:
        from pipeline.storage.models import Application

        assert s.get(Application, w.ineligible_application_id).decision == "ineligible_proposed"
    data["reason"] = "業務経験が5年に足りないため"
    assert manager.post(action, data=data).status_code == 303
    with env.session() as s:
        assert s.get(Application, w.ineligible_application_id).decision == "rejected"


def test_an_application_approved_from_the_inbox_leaves_no_open_checking_item(env: Env) -> None:
    from pipeline.storage.models import Application

    w = env.world
    _confirm_the_uncertain_field(env)
    with env.session() as s:
        open_informational_item(s, w.application_id, "exp1_org")
        s.commit()
    manager = env.login("tanaka")
    action = f"/applications/{w.application_id}/approve"
    data = _decision_form(manager.get("/manager").text, action)
    assert manager.post(action, data=data).status_code == 303
    with env.session() as s:
        assert s.get(Application, w.application_id).decision == "approved"
        still_open = s.scalars(
            select(ReviewItem).where(
                ReviewItem.application_id == w.application_id,
                ReviewItem.status.in_(("open", "in_progress")),
            )
        ).all()
        assert still_open == []


def test_a_decision_on_a_changed_application_is_refused(env: Env) -> None:
    w = env.world
    _confirm_the_uncertain_field(env)
    manager = env.login("tanaka")
    action = f"/applications/{w.application_id}/approve"
    data = _decision_form(manager.get("/manager").text, action)
    data["version"] = str(int(data["version"]) - 1)
    manager.post(action, data=data)
    assert "判定は保存していません" in manager.get("/manager").text


def test_staff_type_a_date_in_any_of_the_usual_ways() -> None:
    import pytest

    from pipeline.review.actions import ActionRefusedError, typed_value

    row = FieldValue(form_code="A", name="birth_date", kind="date", value=None)
    for typed in (
        "20240601",
        "2024/6/1",
        "2024-06-01",
        "令和6年6月1日",
        "R6.6.1",
        "２０２４年６月１日",
    ):
        assert typed_value(row, typed) == "2024-06-01", typed
    with pytest.raises(ActionRefusedError) as refused:
        typed_value(row, "406010202")
    assert "例: 2024-06-01" in refused.value.message
    assert not re.search(r"[A-Za-z]{4,}", refused.value.message)  # no parser English for staff


def test_a_final_decision_leaves_the_checks_of_what_letters_print_open(env: Env) -> None:
    from pipeline.rules import store as rules_store

    w = env.world
    with env.session() as s:
        item_id = open_informational_item(s, w.ineligible_application_id, "address")
        rules_store.reject(s, w.ineligible_application_id, actor=f"user:{w.manager_id}", reason="x")
        s.commit()
        assert s.get(ReviewItem, item_id).status == "open"  # the letter is mailed there
        assert s.get(ReviewItem, w.ineligible_item_id).status == "moot"


def test_the_screen_previews_the_decision_without_keeping_anything(env: Env) -> None:
    from pipeline.storage.models import Application

    w = env.world
    client = env.login("sato")
    data = _screen_form(client.get(f"/applications/{w.application_id}").text)
    data[f"value-{w.field_id}"] = "2015-04"
    data[f"confirmed-{w.field_id}"] = "1"
    preview = client.post(f"/applications/{w.application_id}/preview", data=data).json()
    assert preview["decision_ja"] == "認定可"
    with env.session() as s:
        assert s.get(Application, w.application_id).decision == "review"
        assert s.get(FieldValue, w.field_id).status == "low_confidence"
        assert s.get(ReviewItem, w.item_id).status == "open"
    assert client.post(f"/applications/{w.application_id}/verify", data=data).status_code == 303


def test_a_value_confirmed_from_another_items_page_closes_the_fields_own_item(env: Env) -> None:
    from pipeline.queue import open_or_update
    from tests.review_client import form_fields

    w = env.world
    with env.session() as s:
        other, _ = open_or_update(
            s,
            kind="documents_missing",
            dedupe_key=f"documents:{w.application_id}",
            title_ja="書類不足の確認",
            application_id=w.application_id,
        )
        s.commit()
        other_id = other.id
    client = env.login("sato")
    html = client.get(f"/items/{other_id}").text
    action = f"/items/{other_id}/fields/{w.field_id}/confirm"
    assert client.post(action, data=form_fields(html, action)).status_code == 303
    with env.session() as s:
        assert s.get(FieldValue, w.field_id).status == "confirmed"
        assert s.get(ReviewItem, w.item_id).status == "resolved"
        assert s.get(ReviewItem, other_id).status == "in_progress"


def test_after_approval_only_what_letters_print_can_still_be_checked(env: Env) -> None:
    from pipeline.rules import store as rules_store

    w = env.world
    with env.session() as s:
        item_id = open_informational_item(s, w.ineligible_application_id, "address")
        rules_store.reject(s, w.ineligible_application_id, actor=f"user:{w.manager_id}", reason="x")
        s.commit()
    client = env.login("sato")
    html = client.get(f"/applications/{w.ineligible_application_id}").text
    assert "通知文・認定証に印字する項目だけ確認できます" in html
    data = _screen_form(html)
    address_id = next(int(k.split("-")[1]) for k in data if k.startswith("version-"))
    data[f"confirmed-{address_id}"] = "1"
    data["confirm_informational"] = "1"
    response = client.post(f"/applications/{w.ineligible_application_id}/verify", data=data)
    assert response.status_code == 303
    with env.session() as s:
        assert s.get(ReviewItem, item_id).status == "resolved"
        assert s.get(FieldValue, address_id).status == "confirmed"


def test_audit_shows_the_payment_matchers_notes_in_words(env: Env) -> None:
    from pipeline.storage.audit import record_event

    with env.session() as s:
        record_event(
            s,
            actor="run:1",
            action="payment.accepted",
            entity_type="payment_match",
            entity_id=1,
            after={
                "transaction_id": 4,
                "application_id": 1,
                "rule": "suffix+name",
                "outcome": "paid",
            },
            reason="last 4 digits and name agree on one application",
        )
        s.commit()
    html = env.login("tanaka").get("/audit").text
    assert "入金を自動で照合" in html and "合格者番号下4桁と振込名義が一致" in html
    assert (
        "payment.accepted" not in html and "last 4 digits" not in html and "suffix+name" not in html
    )


def test_queue_is_oldest_received_first(env: Env) -> None:
    from datetime import timedelta

    from pipeline.storage.models import Application

    w = env.world
    with env.session() as s:
        later = s.get(Application, w.application_id)
        later.received_on = later.received_on + timedelta(days=2)
        s.commit()
    html = env.login("sato").get("/").text
    first = html.index(f'href="/applications/{w.ineligible_application_id}"')
    assert first < html.index(f'href="/applications/{w.application_id}"')


def test_no_certification_needed_means_no_fee_to_ask_for(env: Env) -> None:
    """An applicant whose exam pass alone grants the title (認定不要) owes no fee: the
    unpaid item closes as moot, while a payment that did arrive still matters."""
    from pipeline.queue import close_moot, open_or_update
    from pipeline.vocabulary import Severity

    w = env.world
    with env.session() as s:
        unpaid, _ = open_or_update(
            s,
            kind="application_unpaid",
            dedupe_key=f"unpaid:app:{w.application_id}",
            title_ja="認定審査手数料が未入金です",
            severity=Severity.NORMAL,
            application_id=w.application_id,
        )
        closed = close_moot(s, w.application_id, "not_required")
        s.commit()
        assert unpaid in closed and unpaid.status == "moot"
        assert "認定不要" in (unpaid.resolution or "")
