"""④ Fee: the payments stage matched a complete payment."""

from __future__ import annotations

from pipeline.rules.facts import ApplicationFacts
from pipeline.rules.findings import Finding, Used
from pipeline.rules.readings import LETTER_UNDERPAYMENT, SECTION_FEE, Readings
from pipeline.vocabulary import FindingOutcome, PaymentOutcome

RULE = "fee.paid"

_REFUND_NOTE_JA: dict[str, str] = {
    PaymentOutcome.OVERPAID: "（過入金分は入金担当が返金を処理します）",
    PaymentOutcome.DUPLICATE: "（二重の入金分は入金担当が返金を処理します）",
}

_WAITING_JA: dict[str, str] = {
    PaymentOutcome.UNPAID: "認定審査手数料の入金がまだ確認できません。",
    PaymentOutcome.UNDERPAID: "認定審査手数料が不足しています。不足額の振込を依頼してください。",
    PaymentOutcome.BULK: "一括振込の一部です。入金担当による割当てを待っています。",
}


def check_paid(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    status = used.plain("payment_status", app.payment.status.value, "payments.status")
    if app.payment.amount_yen is not None:
        used.plain("payment_amount_yen", app.payment.amount_yen, "payments.amount_yen")
    if status in readings.paid_statuses:
        note = _REFUND_NOTE_JA.get(status, "")
        return used.finding(
            RULE, FindingOutcome.PASS, SECTION_FEE, f"認定審査手数料の入金を確認しました。{note}"
        )
    if status in readings.waiting_statuses:
        letter = LETTER_UNDERPAYMENT if status == PaymentOutcome.UNDERPAID else None
        return used.finding(
            RULE, FindingOutcome.FAIL, SECTION_FEE, _WAITING_JA[status], letter_kind=letter
        )
    return used.finding(
        RULE,
        FindingOutcome.REVIEW,
        SECTION_FEE,
        "入金の照合が確定していません（候補の入金の確認待ち）。",
    )
