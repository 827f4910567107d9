"""The payments desk: deposits to place, splits, refunds, letters asking for the fee.

Every action carries the deposit's version as the page showed it (a stale page
is refused with what changed), is audited by the payments domain, and
re-decides every application it touched at once (the decision before → after
is shown with the result).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.clock import business_today
from pipeline.errors import ConcurrencyError, ValidationError
from pipeline.payments.allocation import allocate, withdraw_part
from pipeline.payments.notices import ask_for_payment
from pipeline.payments.refunds import (
    REFUND_REASONS,
    REFUND_STATES,
    mark_for_refund,
    mark_paid_back,
    refund_csv,
    refund_list,
)
from pipeline.review.actions import Context, Outcome, rerun
from pipeline.review.labels import PAYMENT_STATUS_JA
from pipeline.review.payments_view import load_deposit, load_desk
from pipeline.review.web import DB, CurrentUser, add_flash, render
from pipeline.storage.models import AuditEvent, BankTransaction, User
from pipeline.text.dates import DateParseError, parse_date

router = APIRouter(prefix="/payments")
log = logging.getLogger(__name__)
STALE_JA = (
    "この入金は、画面を開いた後に他の方が変更しました。変更は保存していません。"
    "下の最新の内容を確認してから、もう一度操作してください。"
)
Act = Callable[[Context], tuple[set[int], str]]


def _version(text: str) -> int:
    if not text.isdigit():
        raise HTTPException(status_code=400)
    return int(text)


def _yen(text: str) -> int | None:
    digits = unicodedata.normalize("NFKC", text or "").replace(",", "").replace("円", "").strip()
    return int(digits) if digits.isdigit() and len(digits) <= 9 else None


@router.get("")
def desk_page(request: Request, *, page: str = "1", user: CurrentUser, db: DB) -> Response:
    settings = request.app.state.settings
    number = int(page) if page.isdigit() and len(page) < 7 else 1  # a bad link: the first page
    view = load_desk(db, settings.fee_yen, business_today(settings), number)
    return render(
        request, "payments_desk.html", {"v": view, "fee": settings.fee_yen}, db=db, user=user
    )


def _show_deposit(
    request: Request,
    db: Session,
    user: User,
    txn_id: int,
    *,
    query: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    settings = request.app.state.settings
    view = load_deposit(db, txn_id, settings.fee_yen, query, settings.tz)
    if view is None:
        raise HTTPException(status_code=404)
    context = {"v": view, "fee": settings.fee_yen, "error": error, "reasons": REFUND_REASONS}
    return render(
        request, "payments_deposit.html", context, db=db, user=user, status_code=status_code
    )


@router.get("/deposits/{txn_id}")
def deposit_page(
    request: Request, *, txn_id: int, q: str = "", user: CurrentUser, db: DB
) -> Response:
    return _show_deposit(request, db, user, txn_id, query=q[:200])


def _act(request: Request, db: Session, user: User, back: str, act: Act) -> Response:
    """Run ``act``, re-decide what it touched, commit, flash the outcome, redirect to ``back``.

    A refusal (``ValidationError``, ``ConcurrencyError``) propagates for the caller to show."""
    settings = request.app.state.settings
    ctx = Context(session=db, user=user, settings=settings)
    since = db.scalar(select(func.max(AuditEvent.id))) or 0
    touched, message = act(ctx)
    outcome = rerun(ctx, touched, Outcome(message))
    lines = _payment_changes(db, since) + outcome.decision_lines()
    db.commit()
    add_flash(request, db, outcome.message_ja, lines=lines)
    db.commit()
    return RedirectResponse(back, status_code=303)


def _payment_changes(db: Session, since: int) -> list[str]:
    """「申請 #13 の入金: 二重入金 → 入金済み」 for each payment status the action changed."""
    db.flush()
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.id > since, AuditEvent.action == "application.payment_status")
        .order_by(AuditEvent.entity_id, AuditEvent.id)
    )
    lines = []
    for e in events:
        before = str((e.before or {}).get("payment_status", ""))
        after = str((e.after or {}).get("payment_status", ""))
        lines.append(
            f"申請 #{e.entity_id} の入金: {PAYMENT_STATUS_JA.get(before, '確認中')} → "
            f"{PAYMENT_STATUS_JA.get(after, '確認中')}"
        )
    return lines


def _deposit_action(
    request: Request, db: Session, user: User, txn_id: int, act: Act, query: str = ""
) -> Response:
    if db.get(BankTransaction, txn_id) is None:
        raise HTTPException(status_code=404)
    back = f"/payments/deposits/{txn_id}" + (f"?q={quote(query)}" if query else "")
    try:
        return _act(request, db, user, back, act)
    except ConcurrencyError:
        db.rollback()
        return _show_deposit(
            request, db, user, txn_id, query=query, error=STALE_JA, status_code=409
        )
    except ValidationError as e:
        db.rollback()
        return _show_deposit(
            request, db, user, txn_id, query=query, error=e.message, status_code=422
        )


@router.post("/deposits/{txn_id}/allocate")
async def allocate_parts(request: Request, *, txn_id: int, user: CurrentUser, db: DB) -> Response:
    form = await request.form()
    version = _version(str(form.get("txn_version", "")))
    query = str(form.get("q", ""))[:200]
    reason = str(form.get("reason", "")).strip()[:2000] or "入金窓口で割り当て"
    chosen = [str(v) for v in form.getlist("app") if str(v).isdigit()]
    parts: list[tuple[int, int]] = []
    for app_id in chosen:
        amount = _yen(str(form.get(f"amount_{app_id}", "")))
        if amount is None:
            return _show_deposit(
                request,
                db,
                user,
                txn_id,
                query=query,
                status_code=422,
                error=f"申請 #{app_id} の金額を数字で入力してください（例: 11000）。",
            )
        parts.append((int(app_id), amount))

    def act(ctx: Context) -> tuple[set[int], str]:
        result = allocate(
            ctx.session,
            txn_id,
            parts,
            actor=ctx.actor,
            transaction_version=version,
            reason=reason,
            settings=ctx.settings,
        )
        done = f"{len(parts)}件の申請に合計 {sum(a for _, a in parts):,}円 を割り当てました。"
        left = (
            "入金はすべて割り当て済みです。"
            if result.complete
            else f"残り {result.remaining_yen:,}円 は、続きを割り当てるまで保存されています。"
        )
        return result.touched, done + left

    return _deposit_action(request, db, user, txn_id, act, query)


def _with_reason(
    request: Request,
    db: Session,
    user: User,
    txn_id: int,
    form: tuple[str, str],
    missing_ja: str,
    act: Callable[[Context, dict[str, Any]], tuple[set[int], str]],
) -> Response:
    """An action on a deposit that needs a reason: ``form`` is (txn_version, reason);
    without a reason the page comes back with ``missing_ja`` and nothing is saved.
    ``act`` gets the keywords every payments action takes (actor, version, reason)."""
    version = _version(form[0])
    why = form[1].strip()[:2000]
    if not why:
        return _show_deposit(request, db, user, txn_id, status_code=422, error=missing_ja)

    def run(ctx: Context) -> tuple[set[int], str]:
        common = {
            "actor": ctx.actor,
            "transaction_version": version,
            "reason": why,
            "settings": ctx.settings,
        }
        return act(ctx, common)

    return _deposit_action(request, db, user, txn_id, run)


@router.post("/deposits/{txn_id}/parts/{match_id}/withdraw")
def withdraw(
    request: Request,
    *,
    txn_id: int,
    match_id: int,
    txn_version: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    user: CurrentUser,
    db: DB,
) -> Response:
    def act(ctx: Context, common: dict[str, Any]) -> tuple[set[int], str]:
        result = withdraw_part(ctx.session, match_id, **common)
        left = result.remaining_yen
        return result.touched, f"割り当てを取り消しました。残りは {left:,}円 です。"

    missing = "取り消す理由を入力してください。"
    return _with_reason(request, db, user, txn_id, (txn_version, reason), missing, act)


@router.post("/deposits/{txn_id}/refund")
def refund(
    request: Request,
    *,
    txn_id: int,
    txn_version: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    letter: Annotated[str, Form()] = "",
    user: CurrentUser,
    db: DB,
) -> Response:
    def act(ctx: Context, common: dict[str, Any]) -> tuple[set[int], str]:
        today = business_today(ctx.settings)
        done = mark_for_refund(ctx.session, txn_id, dated=today, with_letter=bool(letter), **common)
        total = sum(p.amount_yen for p in done.parts)
        text = (
            f"{total:,}円 を返金一覧に載せました。"
            "返金したら、返金一覧で「返金済み」を記録してください。"
        )
        if done.letters:
            text += "返金のお知らせを作成しました（「通知文」から印刷して郵送してください）。"
        return done.touched, text

    missing = "返金の理由を選んでください。"
    return _with_reason(request, db, user, txn_id, (txn_version, reason), missing, act)


@router.post("/applications/{app_id}/ask")
def ask(request: Request, *, app_id: int, user: CurrentUser, db: DB) -> Response:
    """Write the letter the application's payment calls for (a reminder or the difference)."""

    def act(ctx: Context) -> tuple[set[int], str]:
        letter = ask_for_payment(
            ctx.session, ctx.settings, app_id, actor=ctx.actor, dated=business_today(ctx.settings)
        )
        return {app_id}, _asked(letter.kind, app_id)

    try:
        return _act(request, db, user, "/payments#asks", act)
    except ValidationError as e:
        db.rollback()
        add_flash(request, db, e.message, kind="error")
        db.commit()
        return RedirectResponse("/payments#asks", status_code=303)


def _asked(kind: str, app_id: int) -> str:
    what = "入金のお願い" if kind == "payment_reminder" else "不足額のお願い"
    return f"申請 #{app_id} の{what}を作成しました（「通知文」から印刷して郵送してください）。"


@router.get("/refunds")
def refunds_page(request: Request, *, state: str = "all", user: CurrentUser, db: DB) -> Response:
    state = state if state in REFUND_STATES else "all"
    every = refund_list(db)
    counts = {
        key: len(refund_list(db, key)) if key != "all" else len(every) for key in REFUND_STATES
    }
    context = {
        "rows": [r for r in every if state in ("all", r.state)],
        "people": _people(db),
        "state": state,
        "states": REFUND_STATES,
        "counts": counts,
        "today": business_today(request.app.state.settings).isoformat(),
    }
    return render(request, "payments_refunds.html", context, db=db, user=user)


@router.post("/refunds/{match_id}/paid")
def refund_paid(
    request: Request,
    *,
    match_id: int,
    paid_on: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    user: CurrentUser,
    db: DB,
) -> Response:
    """Record that a refund was sent back (the day, an optional note); audited."""
    back = "/payments/refunds?state=open"
    today = business_today(request.app.state.settings)
    try:
        day = parse_date(unicodedata.normalize("NFKC", paid_on).strip())
    except DateParseError:
        add_flash(
            request,
            db,
            f"返金日「{paid_on}」を日付として読めません。保存していません"
            "（例: 2024-06-01、2024/6/1、令和6年6月1日）。",
            kind="error",
        )
        db.commit()
        return RedirectResponse(back, status_code=303)
    try:
        row = mark_paid_back(
            db, match_id, actor=f"user:{user.id}", paid_on=day, note=note.strip()[:500], today=today
        )
    except ValidationError as e:
        db.rollback()
        add_flash(request, db, f"{e.message}保存していません。", kind="error")
        db.commit()
        return RedirectResponse(back, status_code=303)
    db.commit()
    add_flash(request, db, f"{row.amount_yen:,}円 を {day:%Y/%m/%d} に返金済みとして記録しました。")
    db.commit()
    return RedirectResponse(back, status_code=303)


@router.get("/refunds.csv")
def refunds_csv(request: Request, *, user: CurrentUser, db: DB) -> Response:
    body = refund_csv(refund_list(db), _people(db), request.app.state.settings.tz)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="refunds.csv"'},
    )


def _people(db: Session) -> dict[str, str]:
    return {f"user:{uid}": name for uid, name in db.execute(select(User.id, User.display_name))}
