"""Staff actions on a payment item: confirm, re-assign or split a deposit.

The payments stage does the bookkeeping (:mod:`pipeline.payments.actions`:
version check, audit, payment statuses, closing the item); this module adds
what the review app needs around it: the item's own version check, finding an
application from what staff type (a pass number or an application number),
and re-running the rules for every application the payment touched.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from pipeline.errors import ConcurrencyError, ValidationError
from pipeline.payments import actions as payments
from pipeline.review.actions import (
    ActionRefusedError,
    Context,
    Outcome,
    Seen,
    StaleEditError,
    _reason,
    check_fresh,
    require_open,
    rerun,
    touch,
)
from pipeline.review.stale import changes_since
from pipeline.storage.models import Application, BankTransaction, PaymentMatch, ReviewItem


def _transaction(
    ctx: Context, item: ReviewItem, match_id: int | None = None, transaction_id: int | None = None
) -> BankTransaction:
    """The deposit the item is about: its own, or for an application's payment item
    (underpaid, overpaid, a duplicate) the deposit the form was about (the match acted on,
    or the section's deposit), else the latest."""
    txn_id = item.transaction_id
    if txn_id is None and item.application_id is not None:
        txn_id = _application_deposit(ctx, item.application_id, match_id, transaction_id)
    if txn_id is None:
        raise ActionRefusedError("この項目には入金が結びついていません。")
    txn = ctx.session.get(BankTransaction, txn_id)
    if txn is None:
        raise ActionRefusedError("入金の記録が見つかりません。")
    return txn


def _application_deposit(
    ctx: Context, application_id: int, match_id: int | None, transaction_id: int | None
) -> int | None:
    if match_id is not None:
        match = ctx.session.get(PaymentMatch, match_id)
        if match is not None and match.application_id == application_id:
            return match.transaction_id
    if transaction_id is not None:
        owned = ctx.session.scalars(
            select(PaymentMatch.id).where(
                PaymentMatch.application_id == application_id,
                PaymentMatch.transaction_id == transaction_id,
            )
        ).first()
        if owned is not None:
            return transaction_id
    return ctx.session.scalars(
        select(PaymentMatch.transaction_id)
        .join(BankTransaction, BankTransaction.id == PaymentMatch.transaction_id)
        .where(PaymentMatch.application_id == application_id)
        .order_by(BankTransaction.booked_on.desc(), BankTransaction.id.desc())
    ).first()


def find_application(ctx: Context, text: str) -> Application:
    """An application by pass number (合格者番号, 10 digits) or application number (#12)."""
    value = unicodedata.normalize("NFKC", text or "").strip().lstrip("#")
    if not value:
        raise ActionRefusedError("合格者番号または申請番号を入力してください。")
    if not re.fullmatch(r"\d+", value):
        raise ActionRefusedError(f"「{value}」は合格者番号・申請番号として読めません。")
    if len(value) >= 8:
        rows = list(
            ctx.session.scalars(select(Application).where(Application.pass_number == value))
        )
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise ActionRefusedError(
                f"合格者番号 {value} の申請が複数あります。申請番号で指定してください。"
            )
        raise ActionRefusedError(f"合格者番号 {value} の申請が見つかりません。")
    application = ctx.session.get(Application, int(value))
    if application is None:
        raise ActionRefusedError(f"申請番号 {value} の申請が見つかりません。")
    return application


def _run(ctx: Context, item: ReviewItem, seen: Seen, action, touched: set[int], message: str):  # type: ignore[no-untyped-def]
    try:
        action()
    except ConcurrencyError as e:
        raise StaleEditError(
            "この入金は、画面を開いた後に他の方が変更しました。変更は保存していません。"
            "最新の内容を確認してから、もう一度操作してください。",
            changes_since(ctx.session, item, seen.loaded_at, ctx.settings.tz),
        ) from e
    except ValidationError as e:
        raise ActionRefusedError(f"入金の処理ができませんでした: {e.message}") from e
    touch(ctx, item)
    ctx.session.flush()
    if item.application_id is not None:
        touched.add(item.application_id)
    return rerun(ctx, touched, Outcome(message))


def _previous_applications(ctx: Context, txn: BankTransaction) -> set[int]:
    return {
        m.application_id
        for m in ctx.session.scalars(
            select(PaymentMatch).where(PaymentMatch.transaction_id == txn.id)
        )
        if m.application_id is not None
    }


def confirm_as(ctx: Context, match_id: int, transaction_version: int, reason: str | None) -> None:
    """The payments stage confirms the match, as this person (item page or application screen)."""
    payments.confirm_match(
        ctx.session,
        match_id,
        actor=ctx.actor,
        transaction_version=transaction_version,
        reason=reason,
        settings=ctx.settings,
    )


def confirm_payment(
    ctx: Context, item: ReviewItem, seen: Seen, match_id: int, reason: str | None
) -> Outcome:
    require_open(item)
    txn = _transaction(ctx, item, match_id)
    check_fresh(ctx, item, seen, entity=("bank_transaction", txn.id, txn.version))
    match = ctx.session.get(PaymentMatch, match_id)
    if match is None or match.transaction_id != txn.id:
        raise ActionRefusedError("この入金の候補ではありません。")
    why = _reason(reason, required=False, default="候補を確認")
    touched = _previous_applications(ctx, txn)
    version = seen.entity_version if seen.entity_version is not None else txn.version
    return _run(
        ctx,
        item,
        seen,
        lambda: confirm_as(ctx, match_id, version, why),
        touched,
        "入金を確定しました。",
    )


def reassign_payment(
    ctx: Context,
    item: ReviewItem,
    seen: Seen,
    target: str,
    reason: str | None,
    transaction_id: int | None = None,
) -> Outcome:
    require_open(item)
    txn = _transaction(ctx, item, transaction_id=transaction_id)
    check_fresh(ctx, item, seen, entity=("bank_transaction", txn.id, txn.version))
    application = find_application(ctx, target)
    why = _reason(reason, required=True)
    touched = _previous_applications(ctx, txn) | {application.id}
    version = seen.entity_version if seen.entity_version is not None else txn.version
    return _run(
        ctx,
        item,
        seen,
        lambda: payments.reassign(
            ctx.session,
            txn.id,
            application.id,
            actor=ctx.actor,
            transaction_version=version,
            reason=why,
            settings=ctx.settings,
        ),
        touched,
        f"入金を申請 #{application.id} に割り当てました。",
    )


def split_payment(
    ctx: Context,
    item: ReviewItem,
    seen: Seen,
    parts: list[tuple[str, str]],
    reason: str | None,
    transaction_id: int | None = None,
) -> Outcome:
    """``parts``: (pass number or application number, amount in yen) as typed."""
    require_open(item)
    txn = _transaction(ctx, item, transaction_id=transaction_id)
    check_fresh(ctx, item, seen, entity=("bank_transaction", txn.id, txn.version))
    allocations: list[tuple[int, int]] = []
    for target, amount in parts:
        if not (target or "").strip() and not (amount or "").strip():
            continue
        application = find_application(ctx, target)
        digits = unicodedata.normalize("NFKC", amount or "").replace(",", "").strip()
        if not re.fullmatch(r"\d{1,9}", digits):
            raise ActionRefusedError(f"金額「{amount}」を数字で入力してください。")
        allocations.append((application.id, int(digits)))
    if len(allocations) < 2:
        raise ActionRefusedError("分割するには、2件以上の申請と金額を入力してください。")
    why = _reason(reason, required=True)
    touched = _previous_applications(ctx, txn) | {a for a, _ in allocations}
    version = seen.entity_version if seen.entity_version is not None else txn.version
    return _run(
        ctx,
        item,
        seen,
        lambda: payments.split_bulk(
            ctx.session,
            txn.id,
            allocations,
            actor=ctx.actor,
            transaction_version=version,
            reason=why,
            settings=ctx.settings,
        ),
        touched,
        f"入金を {len(allocations)} 件の申請に分割しました。",
    )
