"""取下げ, 差し替え and 返金済み in a real headless Chromium, as staff use them; the pages
are photographed at 1366×900 and 1920×1080 into ``tests/artifacts/``."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.clock import business_today
from pipeline.stages import decide_applications
from pipeline.storage.models import Application, BankTransaction, ReviewItem
from tests.browser_support import browser, playwright_api  # noqa: F401 - fixture
from tests.payments_support import paid_deposit, refund_all
from tests.review_client import Env, env, fast_hashing, server  # noqa: F401 - fixtures
from tests.review_support import PASSWORD
from tests.test_moot_supersede import _resubmission

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SIZES = ((1366, 900), (1920, 1080))


@pytest.fixture
def office(env: Env) -> Env:
    """山田 sent his forms again (the older application is superseded by the run), paid
    twice (the second fee is on the refund list), and 60 deposits wait on the desk."""
    w = env.world
    today = business_today(env.settings)
    with env.session() as s:
        newer = _resubmission(s, env)
        paid_deposit(s, w.application_id, today - timedelta(days=6), key="m" * 16)
        s.commit()
    decide_applications(env.engine, env.settings, run_id=1, today=today)
    with env.session() as s:
        second = paid_deposit(s, newer, today - timedelta(days=1), key="n" * 16)
        refund_all(s, second, actor=f"user:{w.staff_id}", settings=env.settings, today=today)
        for i in range(60):
            s.add(
                BankTransaction(
                    txn_key=f"wait{i:03d}",
                    booked_on=today - timedelta(days=90 - i),
                    payer_raw=f"フリコミ ニン{i:02d}",
                    payer_normalized=f"フリコミニン{i:02d}",
                    deposit_yen=11_000,
                    status="unmatched",
                )
            )
        s.commit()
    return env


def _login(browser, base: str, size: tuple[int, int], user: str = "sato"):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="ja-JP")
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('ログイン')")
    page.wait_for_load_state()
    return context, page


def _shot(page, name: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{size[0]}.png"), full_page=True)


@pytest.mark.parametrize("size", SIZES, ids=["1366", "1920"])
def test_staff_withdraw_an_application_from_its_screen(
    office: Env, server: str, browser, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    app_id = office.world.ineligible_application_id
    context, page = _login(browser, server, size)
    page.goto(f"{server}/applications/{app_id}")
    _shot(page, "withdraw-closed", size)
    page.locator("details.withdraw summary").click()
    form = page.locator("form.withdraw-form")
    expect(form.locator("input[name=reason]")).to_be_visible()
    _shot(page, "withdraw-open", size)
    form.locator("input[name=reason]").fill("本人から電話で取下げの申し出")
    page.once("dialog", lambda dialog: dialog.accept())
    form.locator("button").click()
    notice = page.locator(".notice-success")
    expect(notice).to_contain_text(f"申請 #{app_id} を取下げとして記録しました。")
    expect(notice).to_contain_text("→ 取下げ")
    expect(page.locator(".final-note")).to_contain_text("理由: 本人から電話で取下げの申し出")
    expect(page.locator("details.withdraw")).to_have_count(0)
    _shot(page, "withdrawn", size)
    context.close()
    with office.session() as s:
        assert s.get(Application, app_id).decision == "withdrawn"


@pytest.mark.parametrize("size", SIZES, ids=["1366", "1920"])
def test_a_refund_is_marked_paid_back_and_the_pages_read_well(
    office: Env, server: str, browser, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    w = office.world
    context, page = _login(browser, server, size)
    page.goto(f"{server}/applications/{w.application_id}")
    expect(page.locator(".final-note")).to_contain_text("差し替えられました")
    _shot(page, "superseded-older", size)
    page.locator(".final-note a").click()
    expect(page.locator(".final-note")).to_contain_text("を差し替えたものです")
    _shot(page, "superseded-newer", size)

    page.goto(f"{server}/payments")
    expect(page.locator("#deposits h2")).to_contain_text("1 / 2 ページ目")
    expect(page.locator("#deposits tbody tr")).to_have_count(50)
    _shot(page, "desk-paged", size)

    with office.session() as s:
        item_id = s.scalars(select(ReviewItem.id).where(ReviewItem.kind == "payment_refund")).one()
    page.goto(f"{server}/items/{item_id}")
    expect(page.locator("body")).to_contain_text("返金（未返金）")
    expect(page.locator("form[action$='/payment/reassign']")).to_have_count(0)  # not placed again
    _shot(page, "refund-item", size)
    page.locator("a", has_text="返金一覧で「返金済み」を記録する").click()

    row = page.locator("#refund-list tbody tr").first
    expect(row).to_contain_text("未返金")
    _shot(page, "refunds-open", size)
    row.locator("input[name=note]").fill("振込手数料は当会負担")
    row.locator("button", has_text="返金済みにする").click()
    expect(page.locator(".notice-success")).to_contain_text("返金済みとして記録しました")
    page.locator(".counts a", has_text="返金済み").click()
    paid = page.locator("#refund-list tbody tr").first
    expect(paid).to_contain_text("返金済み")
    expect(paid).to_contain_text("振込手数料は当会負担")
    _shot(page, "refunds-paid", size)
    context.close()

    context, page = _login(browser, server, size, user="tanaka")
    page.goto(f"{server}/manager")
    page.locator("details.withdraw summary").first.click()
    _shot(page, "manager-inbox", size)
    context.close()
