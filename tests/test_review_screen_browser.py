"""Judgements and the payment on the verification screen, in a real headless Chromium,
keyboard only: 1 / 0 choose 認める / 認めない, the reason is typed, Enter goes on, Enter
confirms a proposed deposit, Enter on 保存 saves. Screenshots of the screen at the two
usual desk sizes go to ``tests/artifacts/``."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

import re

import pytest

from pipeline.storage.models import Application, PaymentMatch
from tests.browser_support import browser, log_in, playwright_api, shot  # noqa: F401 - fixture
from tests.review_client import Env, env, fast_hashing, server  # noqa: F401 - fixtures
from tests.review_support import certifier_from_elsewhere, proposed_payment

pytestmark = pytest.mark.browser
SIZES = ((1366, 900), (1920, 1080))


def _decision(env: Env) -> str | None:
    with env.session() as s:
        application = s.get(Application, env.world.application_id)
        assert application is not None
        return application.decision


@pytest.fixture
def judged(env: Env) -> Env:
    with env.session() as s:
        certifier_from_elsewhere(s, env.world)
        s.commit()
    return env


def _open(browser, server: str, env: Env, user: str = "sato", size=(1366, 900)):  # type: ignore[no-untyped-def]
    context, page = log_in(browser, server, user, size)
    page.goto(f"{server}/applications/{env.world.application_id}")
    return context, page


def test_judged_acceptable_by_keyboard_goes_to_the_manager_inbox(
    judged: Env, server: str, browser
) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    context, page = _open(browser, server, judged)
    reason = page.locator(".check.judge .value")
    expect(reason).to_be_focused()  # the judgement is the first thing to settle
    page.keyboard.press("Enter")  # no choice yet: it stays, and says what it needs
    expect(page.locator(".check.judge")).to_have_class(re.compile(r"\bneeds-choice\b"))
    page.keyboard.press("1")  # 認める
    expect(page.locator("input[value=accept]")).to_be_checked()
    expect(page.locator("#decision-outcome")).to_have_text("認定可（保存すると）")
    page.keyboard.press("Enter")  # on to 保存
    expect(page.locator("#save")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".notice-success")).to_contain_text("基準の判断 1 件を記録しました")
    expect(page.locator(".notice-success")).to_contain_text("要確認 → 認定可")
    assert _decision(judged) == "eligible"
    context.close()
    context, page = log_in(browser, server, "tanaka")
    page.goto(server + "/manager")
    expect(page.locator("tr", has_text="山田 太郎")).to_contain_text("認定可")
    context.close()


def test_judged_not_acceptable_with_a_typed_reason_is_proposed_ineligible(
    judged: Env, server: str, browser
) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    context, page = _open(browser, server, judged)
    page.keyboard.press("0")  # 認めない
    page.keyboard.press("Enter")  # a reason is required: it stays
    expect(page.locator(".check.judge")).to_have_class(re.compile(r"\bneeds-reason\b"))
    page.keyboard.type("証明者が別会社の上司のため")
    page.keyboard.press("Enter")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _decision(judged) == "ineligible_proposed"
    context.close()


def test_a_proposed_deposit_is_confirmed_with_one_keystroke(env: Env, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    with env.session() as s:
        _txn, match_id = proposed_payment(s, env.world, env.settings.fee_yen)
        s.commit()
    context, page = _open(browser, server, env)
    expect(page.locator("#payment")).to_contain_text("照合の確定を待っています")
    expect(page.locator(f"#pay-{match_id}")).to_be_focused()
    page.keyboard.press("Enter")  # this deposit is this application's fee
    expect(page.locator("#decision-outcome")).to_have_text("認定可（保存すると）")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with env.session() as s:
        assert s.get(PaymentMatch, match_id).status == "confirmed"
        assert s.get(Application, env.world.application_id).payment_status == "paid"
    context.close()


def test_a_stale_judgement_screen_is_refused_with_what_changed(
    judged: Env, server: str, browser
) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    sato_ctx, sato = _open(browser, server, judged, "sato")
    suzuki_ctx, suzuki = _open(browser, server, judged, "suzuki")
    suzuki.keyboard.press("1")
    suzuki.keyboard.press("Enter")
    with suzuki.expect_navigation():
        suzuki.keyboard.press("Enter")
    sato.keyboard.press("0")
    sato.keyboard.type("別会社")
    sato.keyboard.press("Enter")
    with sato.expect_navigation():
        sato.keyboard.press("Enter")
    stale = sato.locator("#stale")
    expect(stale).to_contain_text("保存しませんでした")
    expect(stale).to_contain_text("鈴木")
    expect(stale).to_contain_text("基準を判断")
    expect(stale).to_contain_text("認める")
    shot(sato, "14-application-stale-judgement")
    sato_ctx.close()
    suzuki_ctx.close()
    assert _decision(judged) == "eligible"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_screenshots_of_a_judgement_and_a_payment(
    env: Env, server: str, browser, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    with env.session() as s:
        certifier_from_elsewhere(s, env.world)
        proposed_payment(s, env.world, env.settings.fee_yen)
        s.commit()
    context, page = _open(browser, server, env, size=size)
    expect(page.locator("#judgements")).to_be_visible()
    expect(page.locator("#payment")).to_be_visible()
    shot(page, f"12-application-judgement-payment-{size[0]}", full_page=False)
    shot(page, f"13-application-judgement-payment-{size[0]}-full")
    context.close()
