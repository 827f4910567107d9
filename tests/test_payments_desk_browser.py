"""The payments desk in a real headless Chromium: a 10-way split of a company's 110,000 yen,
a duplicate deposit marked for refund and listed. Screenshots go to ``tests/artifacts/``."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.clock import business_today
from pipeline.payments.statements import read_statement
from pipeline.payments.store import import_statement, reconcile
from pipeline.storage.models import Applicant, Application, BankTransaction, FieldValue
from tests.browser_support import browser, playwright_api  # noqa: F401 - fixture
from tests.payments_support import Txn, add_application, mufg_csv, write
from tests.review_client import Env, env, fast_hashing, server  # noqa: F401 - fixtures
from tests.review_support import PASSWORD

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
COMPANY = "カ）コンケンシヨウジ"
DUPLICATE_PAYER = "0777 ヤマモト ユウコ"


@pytest.fixture
def desk(env: Env, tmp_path: Path) -> Env:
    """Ten employees of one company, who paid 110,000 yen at once; one applicant who paid twice."""
    fee = env.settings.fee_yen
    day = business_today(env.settings) - timedelta(days=2)
    with env.session() as s:
        for n in range(1, 11):
            app = add_application(s, f"24050{n:05d}", f"シヤイン {n}")
            s.get(Applicant, app.applicant_id).name = f"社員 {n}号"
            s.add(
                FieldValue(
                    application_id=app.id,
                    envelope_id=app.envelope_id,
                    form_code="B",
                    name="exp1_org",
                    kind="text",
                    value="コンケンシヨウジ株式会社",
                    status="ok",
                )
            )
        twice = add_application(s, "2405000777", "ヤマモト ユウコ")
        s.get(Applicant, twice.applicant_id).name = "山本 優子"
        txns = [
            Txn(day, COMPANY, 10 * fee),
            Txn(day, "0777ヤマモトユウコ", fee),
            Txn(day + timedelta(days=1), DUPLICATE_PAYER, fee),
        ]
        import_statement(s, read_statement(write(tmp_path / "s.csv", mufg_csv(txns))))
        reconcile(s, today=day + timedelta(days=2), settings=env.settings)
        s.commit()
    return env


def _login(browser, base: str, size: tuple[int, int]):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="ja-JP")
    page = context.new_page()
    page.goto(base + "/payments")
    page.fill("input[name=username]", "sato")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('ログイン')")
    page.wait_for_url(base + "/payments")
    return context, page


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_ten_way_split_of_a_company_payment_completes(desk: Env, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    context, page = _login(browser, server, (1366, 900))
    row = page.locator("#deposits tr", has_text=COMPANY)
    expect(row).to_contain_text("110,000円")
    expect(row).to_contain_text("まとめての入金（分割待ち）")
    _shot(page, "payments-desk-1366")
    row.locator("a", has_text="処理する").click()

    # The employer's name finds the ten applicants as candidates, each with its reason.
    choices = page.locator("#allocate-form tbody tr")
    expect(choices).to_have_count(10)
    expect(choices.first).to_contain_text("勤務先「コンケンシヨウジ株式会社」の一致度 100%")
    summary = page.locator("#allocate-sum")
    choices.nth(0).locator("input.choose").check()
    choices.nth(1).locator("input.choose").check()
    expect(summary).to_have_text(
        "選択 2件・合計 22,000円 → 残り 88,000円（残りは後で割り当てられます）"
    )
    page.locator("#choose-all").check()
    choices.nth(9).locator("input.amount").fill("22000")
    expect(summary).to_contain_text("を 11,000円 超えています")
    expect(page.locator("#allocate-submit")).to_be_disabled()
    choices.nth(9).locator("input.amount").fill("11,000")
    expect(summary).to_have_text("選択 10件・合計 110,000円 → 残り 0円（すべて割り当てます）")
    _shot(page, "payments-split-1366")
    page.locator("#allocate-submit").click()

    notice = page.locator(".notice-success")
    expect(notice).to_contain_text("10件の申請に合計 110,000円 を割り当てました。")
    expect(notice).to_contain_text("入金はすべて割り当て済みです。")
    expect(page.locator("#remaining")).to_have_text("0円")
    expect(page.locator("#parts tbody tr")).to_have_count(10)
    context.close()
    with desk.session() as s:
        txn = s.scalars(select(BankTransaction).where(BankTransaction.payer_raw == COMPANY)).one()
        assert txn.status == "matched"
        statuses = s.scalars(
            select(Application.payment_status).where(Application.pass_number.like("24050000%"))
        )
        assert set(statuses) == {"paid"}


def test_a_duplicate_deposit_is_marked_for_refund_and_listed(
    desk: Env, server: str, browser
) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    context, page = _login(browser, server, (1920, 1080))
    _shot(page, "payments-desk-1920")
    refund_row = page.locator("#refunds tr", has_text=DUPLICATE_PAYER)
    expect(refund_row).to_contain_text("11,000円")
    refund_row.locator("a", has_text="返金を記録する").click()
    form = page.locator("#refund form")
    form.locator("select[name=reason]").select_option("二重のお振込み")
    form.locator("input[name=letter]").uncheck()  # the test applicant has no address
    _shot(page, "payments-deposit-1920")
    form.locator("button").click()
    expect(page.locator(".notice-success")).to_contain_text("11,000円 を返金一覧に載せました。")
    expect(page.locator(".notice-success")).to_contain_text("の入金: 二重入金 → 入金済み")
    expect(page.locator(".notice-success")).to_contain_text("の判定:")  # re-decided at once
    expect(page.locator("#refund")).to_have_count(0)

    page.goto(server + "/payments/refunds")
    listed = page.locator("#refund-list tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text(DUPLICATE_PAYER)
    expect(listed.first).to_contain_text("二重のお振込み")
    expect(listed.first).to_contain_text("山本 優子")
    expect(listed.first).to_contain_text("佐藤")
    _shot(page, "payments-refunds-1920")
    csv = page.request.get(server + "/payments/refunds.csv")
    assert csv.ok and "二重のお振込み" in csv.body().decode("utf-8-sig")
    context.close()
