"""End-to-end tests in a real headless Chromium (Debian's ``chromium``, driven by
Playwright; no browser download). The app runs under uvicorn in a background
thread on a free loopback port. Screenshots of the main pages are saved under
``tests/artifacts/`` for a person to look at."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_support import browser, playwright_api  # noqa: F401 - fixture
from tests.review_client import Env, env, fast_hashing, server  # noqa: F401 - fixtures
from tests.review_support import PASSWORD

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('ログイン')")
    page.wait_for_url(base + "/")
    return context, page


def test_log_in_correct_a_field_and_see_the_decision_change(env: Env, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    w = env.world
    expect = playwright_api.expect
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(server + "/login")
    _shot(page, "01-login")
    context.close()

    context, page = _login(browser, server, "sato")
    expect(page.locator("h1")).to_have_text("確認待ち一覧")
    _shot(page, "02-queue")

    # A confident but wrong reading: correcting it moves 不認定（案） to 要確認 at once.
    page.goto(f"{server}/items/{w.ineligible_item_id}")
    expect(page.locator("#decision-outcome")).to_contain_text("不認定（案）")
    page.locator("summary", has_text="すべての記載事項を表示").click()
    row = page.locator("details.all-fields tr", has_text="経歴1 期間 自")
    row.locator("summary", has_text="確認・修正").click()
    row.locator("summary", has_text="修正する").click()
    row.locator("input[name=value]").fill("2015-04")
    row.locator("input[name=reason]").fill("原本の画像では2015年4月")
    row.locator("button", has_text="修正を保存").click()
    expect(page.locator(".notice-success")).to_contain_text(
        "不認定（案）— 責任者の判断待ち → 要確認"
    )
    expect(page.locator("#decision-outcome")).to_have_text("要確認")

    # The uncertain reading: correct it, confirm it, and the application becomes eligible.
    page.goto(f"{server}/items/{w.item_id}")
    expect(page.locator("#field-value")).to_have_text("2023-04")
    expect(page.locator(".crop img")).to_be_visible()
    page.locator("details.page-view summary").first.click()  # the whole page, on demand
    expect(page.locator("details.page-view img").first).to_have_attribute(
        "src", re.compile(r"/files/pages/\d+/image")
    )
    _shot(page, "03-item")
    page.locator("#field summary", has_text="修正する").click()
    page.locator("#field input[name=value]").fill("2015年4月")
    page.locator("#field input[name=reason]").fill("画像では2015年4月と読める")
    page.locator("#field button", has_text="修正を保存").click()
    expect(page.locator(".notice-success")).to_contain_text("値を修正しました")
    expect(page.locator("#field-value")).to_have_text("2015-04")
    expect(page.locator("#decision-outcome")).to_have_text("要確認")
    page.locator("#field button", has_text="この値で確定").click()
    expect(page.locator(".notice-success")).to_contain_text("要確認 → 認定可")
    expect(page.locator("#decision-outcome")).to_have_text("認定可")
    expect(page.locator("#audit")).to_contain_text("画像では2015年4月と読める")
    _shot(page, "04-item-after-confirm")

    page.goto(f"{server}/items/{w.payment_item_id}")
    expect(page.locator("h3", has_text="候補の申請者")).to_be_visible()
    _shot(page, "05-payment-item")
    context.close()

    context, page = _login(browser, server, "tanaka")
    page.goto(f"{server}/items/{w.item_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("button", has_text="承認").click()
    expect(page.locator(".notice-success")).to_contain_text("承認しました")
    expect(page.locator("#decision-outcome")).to_have_text("認定済み")
    page.goto(server + "/reports")
    _shot(page, "06-reports")
    context.close()

    context, page = _login(browser, server, "admin")
    page.goto(server + "/admin/users")
    _shot(page, "07-users")
    context.close()


def test_two_people_at_once_a_stale_edit_is_refused(env: Env, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    w = env.world
    expect = playwright_api.expect
    sato_ctx, sato = _login(browser, server, "sato")
    suzuki_ctx, suzuki = _login(browser, server, "suzuki")
    sato.goto(f"{server}/items/{w.item_id}")
    suzuki.goto(f"{server}/items/{w.item_id}")
    expect(suzuki.locator("#presence")).to_contain_text("佐藤さんもこの項目を開いています")

    sato.locator("#field summary", has_text="修正する").click()
    sato.locator("#field input[name=value]").fill("2015-04")
    sato.locator("#field input[name=reason]").fill("佐藤: 画像と照合")
    sato.locator("#field button", has_text="修正を保存").click()
    expect(sato.locator(".notice-success")).to_contain_text("値を修正しました")

    # Suzuki's page still shows the old value; submitting from it is refused.
    suzuki.locator("#field summary", has_text="修正する").click()
    suzuki.locator("#field input[name=value]").fill("2016-04")
    suzuki.locator("#field input[name=reason]").fill("鈴木: 別の読み")
    suzuki.locator("#field button", has_text="修正を保存").click()
    expect(suzuki.locator(".notice-error")).to_contain_text("保存しませんでした")
    expect(suzuki.locator(".notice-error")).to_contain_text("佐藤: 画像と照合")
    expect(suzuki.locator("#field-value")).to_have_text("2015-04")
    _shot(suzuki, "08-stale-refused")
    sato_ctx.close()
    suzuki_ctx.close()

    from pipeline.storage.models import FieldValue

    with env.session() as s:
        assert s.get(FieldValue, w.field_id).value == "2015-04"


# --- the verification screen of one application -----------------------------------------------


def _open_items(env: Env, application_id: int) -> list[str]:
    from sqlalchemy import select

    from pipeline.storage.models import ReviewItem

    with env.session() as s:
        items = s.scalars(
            select(ReviewItem).where(
                ReviewItem.application_id == application_id,
                ReviewItem.status.in_(("open", "in_progress")),
            )
        )
        return [i.kind for i in items]


def _settle_by_keyboard(page, server: str, application_id: int) -> None:  # type: ignore[no-untyped-def]
    """Open the application from the queue and settle its deciding field with the keyboard only
    (an informational field left as it is: Ctrl+Enter saves from anywhere)."""
    expect = playwright_api.expect
    page.click(f"a[href='/applications/{application_id}']")
    field = page.locator(".check.current .value")
    expect(field).to_be_focused()
    expect(field).to_have_value("2023-04")
    page.keyboard.type("2015年4月")  # typing replaces the proposed value
    page.keyboard.press("Enter")  # confirms this field and moves on (保存, or the informational)
    expect(page.locator("#save, #confirm-informational").first).to_be_focused()
    expect(page.locator("#remaining")).to_contain_text("すべて確認しました")
    expect(page.locator("#decision-outcome")).to_have_text("認定可（保存すると）")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")


def test_a_field_confirmed_on_the_application_screen_closes_its_item(
    env: Env, server: str, browser
) -> None:  # type: ignore[no-untyped-def]
    w = env.world
    expect = playwright_api.expect
    context, page = _login(browser, server, "sato")
    page.goto(f"{server}/applications/{w.application_id}")
    expect(page.locator("#page-outline")).to_be_visible()  # the field outlined on its page
    _shot(page, "09-application-screen")
    page.keyboard.press("Alt+P")
    expect(page.locator("#page-overlay")).to_be_visible()
    page.keyboard.press("Escape")
    page.goto(server + "/")
    _settle_by_keyboard(page, server, w.application_id)
    expect(page.locator(".notice-success")).to_contain_text("1 件を確定しました")
    expect(page.locator(".notice-success")).to_contain_text("要確認 → 認定可")
    assert "field_review" not in _open_items(env, w.application_id)
    context.close()


def test_an_approved_application_leaves_no_open_item(env: Env, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    from tests.review_support import open_informational_item

    w = env.world
    expect = playwright_api.expect
    with env.session() as s:  # an informational reading still open: it stops mattering too
        open_informational_item(s, w.application_id, "exp1_org")
        s.commit()
    context, page = _login(browser, server, "sato")
    _settle_by_keyboard(page, server, w.application_id)
    context.close()
    context, page = _login(browser, server, "tanaka")
    page.goto(server + "/manager")
    row = page.locator("tr", has_text="山田 太郎")
    expect(row).to_contain_text("認定可")
    _shot(page, "10-manager-inbox")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button", has_text="承認").click()
    expect(page.locator(".notice-success")).to_contain_text("承認しました")
    assert _open_items(env, w.application_id) == []
    context.close()


def test_a_stale_application_screen_is_refused_with_what_changed(
    env: Env, server: str, browser
) -> None:  # type: ignore[no-untyped-def]
    w = env.world
    expect = playwright_api.expect
    sato_ctx, sato = _login(browser, server, "sato")
    suzuki_ctx, suzuki = _login(browser, server, "suzuki")
    sato.goto(f"{server}/applications/{w.application_id}")
    suzuki.goto(f"{server}/applications/{w.application_id}")
    suzuki.keyboard.type("2015-04")
    suzuki.keyboard.press("Enter")
    suzuki.keyboard.press("Enter")
    expect(suzuki.locator(".notice-success")).to_contain_text("1 件を確定しました")

    sato.keyboard.press("Enter")  # confirms the value it still shows, 2023-04
    sato.keyboard.press("Enter")
    expect(sato.locator("#stale")).to_contain_text("保存しませんでした")
    expect(sato.locator("#stale")).to_contain_text("鈴木")
    expect(sato.locator("#stale")).to_contain_text("値を確定")
    _shot(sato, "11-application-stale")
    sato_ctx.close()
    suzuki_ctx.close()

    from pipeline.storage.models import FieldValue

    with env.session() as s:
        row = s.get(FieldValue, w.field_id)
        assert (row.value, row.confirmed_by) == ("2015-04", f"user:{w.staff2_id}")
