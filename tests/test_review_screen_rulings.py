"""Judgements and the payment on an application's verification screen (HTTP level).

山田's decision waits for what only a person decides: a certifier from another
organisation (認める / 認めない, with a reason), or a deposit proposed by name
alone (confirm it). Each is settled in the screen's one submit, kept, audited,
and read by the rules at once; a screen that others changed meanwhile is refused.
"""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

import re

from sqlalchemy import select

from pipeline.storage.models import (
    Application,
    AuditEvent,
    PaymentMatch,
    ReviewItem,
    RuleRuling,
)
from tests.review_client import Env, env, fast_hashing  # noqa: F401 - fixtures
from tests.review_support import certifier_from_elsewhere, proposed_payment, set_reading


def _form(html: str) -> dict[str, str]:
    """The verification form as rendered: hidden inputs and text values (nothing chosen)."""
    start = html.index('id="verify-form"')
    chunk = html[start : html.index("</form>", start)]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', chunk))
    data.update(
        re.findall(
            r'<input id="[^"]+" name="([^"]+)" class="value[^"]*" type="text" value="([^"]*)"',
            chunk,
        )
    )
    return data


def _decision(env: Env, application_id: int) -> str | None:
    with env.session() as s:
        application = s.get(Application, application_id)
        assert application is not None
        return application.decision


def _submit(env: Env, client, app_id: int, **changes: str):  # type: ignore[no-untyped-def]
    """The screen as loaded now, with ``changes`` (ruling_0="accept" → ruling-0), submitted."""
    data = _form(client.get(f"/applications/{app_id}").text)
    data.update({k.replace("_", "-"): v for k, v in changes.items()})
    return client.post(f"/applications/{app_id}/verify", data=data)


def _judged(env: Env) -> tuple[Env, int]:
    with env.session() as s:
        certifier_from_elsewhere(s, env.world)
        s.commit()
    return env, env.world.application_id


def test_the_screen_asks_the_judgement_with_the_facts_and_the_manual(env: Env) -> None:
    env, app_id = _judged(env)
    assert _decision(env, app_id) == "review"
    html = env.login("sato").get(f"/applications/{app_id}").text
    assert "判断が必要な基準" in html
    assert "現在の勤務先株式会社" in html and "株式会社サンプル" in html  # both organisations
    assert "(ウ) 基準② ※業務経験の証明について" in html  # the manual's section
    assert 'value="accept"' in html and 'value="reject"' in html
    assert "残り <strong>1</strong> 件" in html  # the judgement is what is left
    # an application waiting only for a judgement is in the queue, and opens next
    assert "基準の判断 1" in env.login("sato").get("/").text
    nxt = env.login("sato").get("/applications/next")
    assert nxt.headers["location"] == f"/applications/{app_id}"


def test_accepting_makes_it_eligible_audited_and_in_the_manager_inbox(env: Env) -> None:
    env, app_id = _judged(env)
    client = env.login("sato")
    assert _submit(env, client, app_id, ruling_0="accept").status_code == 303
    assert _decision(env, app_id) == "eligible"
    with env.session() as s:
        ruling = s.scalars(select(RuleRuling)).one()
        assert (ruling.rule_id, ruling.accepted) == ("attestation.same_organisation", True)
        assert ruling.decided_by == f"user:{env.world.staff_id}"
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "rule.ruled")).one()
        assert event.after["ruling"] == "認める" and "現在の勤務先" in event.after["judged"]
    inbox = env.login("tanaka").get("/manager").text
    assert f'href="/applications/{app_id}"' in inbox
    screen = client.get(f"/applications/{app_id}").text
    assert "担当者の判断" in screen and "佐藤" in screen  # who ruled stays visible


def test_rejecting_needs_a_reason_and_proposes_ineligible_for_the_manager(env: Env) -> None:
    env, app_id = _judged(env)
    client = env.login("sato")
    refused = _submit(env, client, app_id, ruling_0="reject")
    assert refused.status_code == 422
    assert "「認めない」ときは理由を入力してください" in refused.text
    assert _decision(env, app_id) == "review"  # nothing saved
    why = "証明者は過去の在籍企業の方ではないため"
    assert _submit(env, client, app_id, ruling_0="reject", ruling_reason_0=why).status_code == 303
    assert _decision(env, app_id) == "ineligible_proposed"  # never rejected by a ruling
    inbox = env.login("tanaka").get("/manager").text
    assert f'action="/applications/{app_id}/reject"' in inbox


def test_a_ruling_stops_applying_once_the_judged_organisation_is_corrected(env: Env) -> None:
    env, app_id = _judged(env)
    client = env.login("sato")
    _submit(env, client, app_id, ruling_0="accept")
    assert _decision(env, app_id) == "eligible"
    with env.session() as s:  # someone corrects the certifier's organisation
        set_reading(s, app_id, "C", "att1_org", "別の会社株式会社")
        s.commit()
    assert _decision(env, app_id) == "review"
    html = client.get(f"/applications/{app_id}").text
    assert "別の会社株式会社" in html and 'value="accept"' in html  # asked again


def test_a_screen_is_refused_when_someone_ruled_meanwhile(env: Env) -> None:
    env, app_id = _judged(env)
    sato = env.login("sato")
    old = _form(sato.get(f"/applications/{app_id}").text)
    assert _submit(env, env.login("suzuki"), app_id, ruling_0="accept").status_code == 303
    old["ruling-0"] = "reject"
    old["ruling-reason-0"] = "別会社"
    response = sato.post(f"/applications/{app_id}/verify", data=old)
    assert response.status_code == 409
    assert "保存しませんでした" in response.text
    assert "鈴木" in response.text and "基準を判断" in response.text
    assert _decision(env, app_id) == "eligible"  # 鈴木's ruling stands


def test_confirming_the_proposed_deposit_on_the_screen_marks_it_paid(env: Env) -> None:
    with env.session() as s:
        txn_id, match_id = proposed_payment(s, env.world, env.settings.fee_yen)
        s.commit()
    app_id = env.world.application_id
    assert _decision(env, app_id) == "review"
    client = env.login("sato")
    html = client.get(f"/applications/{app_id}").text
    assert "入金の候補があり、照合の確定を待っています" in html
    assert "ﾔﾏﾀﾞ ﾀﾛｳ" in html and "一致度" in html
    assert f'name="pay-{match_id}"' in html
    assert f'href="/payments/deposits/{txn_id}"' in html
    data = _form(html)
    data[f"pay-{match_id}"] = "true"
    assert client.post(f"/applications/{app_id}/verify", data=data).status_code == 303
    with env.session() as s:
        assert s.get(PaymentMatch, match_id).status == "confirmed"
        assert s.get(Application, app_id).payment_status == "paid"
    assert _decision(env, app_id) == "eligible"


def test_a_screen_is_refused_when_its_payment_moved_meanwhile(env: Env) -> None:
    with env.session() as s:
        _txn, match_id = proposed_payment(s, env.world, env.settings.fee_yen)
        s.commit()
    app_id = env.world.application_id
    sato, suzuki = env.login("sato"), env.login("suzuki")
    old = _form(sato.get(f"/applications/{app_id}").text)
    theirs = _form(suzuki.get(f"/applications/{app_id}").text)
    theirs[f"pay-{match_id}"] = "true"
    assert suzuki.post(f"/applications/{app_id}/verify", data=theirs).status_code == 303
    old[f"pay-{match_id}"] = "true"
    response = sato.post(f"/applications/{app_id}/verify", data=old)
    assert response.status_code == 409
    assert "鈴木" in response.text and "入金を確定" in response.text
    with env.session() as s:  # confirmed once, by 鈴木
        assert s.get(PaymentMatch, match_id).decided_by == f"user:{env.world.staff2_id}"
        items = s.scalars(select(ReviewItem).where(ReviewItem.application_id == app_id)).all()
        assert all(i.kind != "payment_review" or i.status != "open" for i in items)


def test_a_screen_is_refused_when_a_ruling_came_in_even_with_the_same_decision(env: Env) -> None:
    """A ruling recorded but not yet decided on (the decision has not moved): still refused."""
    from pipeline.rules import store as rules_store

    env, app_id = _judged(env)
    sato = env.login("sato")
    old = _form(sato.get(f"/applications/{app_id}").text)
    with env.session() as s:
        current = rules_store.current_decision(s, app_id)
        assert current is not None and current.evaluation_id
        finding = next(
            f
            for f in rules_store.stored_findings(s, current.evaluation_id)
            if f.rule_id == "attestation.same_organisation"
        )
        actor = f"user:{env.world.staff2_id}"
        rules_store.record_ruling(s, finding, accepted=False, actor=actor, reason="別会社")
        s.commit()
    assert _decision(env, app_id) == "review"  # the decision is as the screen showed it
    old["ruling-0"] = "accept"
    response = sato.post(f"/applications/{app_id}/verify", data=old)
    assert response.status_code == 409
    assert "鈴木" in response.text and "認めない" in response.text
