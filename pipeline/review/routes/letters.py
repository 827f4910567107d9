"""The letters runs printed: list them, open each PDF, mark them mailed.

``/letters`` lists the letters of a run (the latest by default) and those
staff requested that no run has printed yet; ``/letters/{id}.pdf`` lays a
letter out again with today's confirmed address; ``/letters/runs/{id}.pdf``
serves the run's combined PDF as it was printed. Marking sent (one letter or
the ones ticked) and undoing it are audited (:mod:`pipeline.outputs.letter_status`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.errors import ValidationError
from pipeline.outputs import letter_status
from pipeline.outputs.letter_pdf import letters_pdf
from pipeline.outputs.letter_sources import redraft
from pipeline.outputs.letter_text import KIND_JA
from pipeline.outputs.letters import COMBINED_PDF
from pipeline.outputs.run_outputs import output_folder
from pipeline.review.files import FileRefused, safe_path
from pipeline.review.web import DB, CurrentUser, add_flash, render
from pipeline.storage.models import Letter

router = APIRouter(prefix="/letters")
PDF_CSP = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"


def _pdf(content: bytes | None, name: str, path: str | None = None) -> Response:
    disposition = f"inline; filename*=UTF-8''{quote(name)}"
    headers = {
        "Content-Disposition": disposition,
        "Content-Security-Policy": PDF_CSP,
        "Cache-Control": "no-store",
    }
    if path is not None:
        return FileResponse(path, media_type="application/pdf", headers=headers)
    return Response(content, media_type="application/pdf", headers=headers)


@router.get("")
def letters_page(request: Request, user: CurrentUser, db: DB, run: str | None = None) -> Response:
    groups = letter_status.runs_with_letters(db)
    waiting = run == "waiting"
    chosen = None if waiting else int(run) if run and run.isdigit() else None
    if chosen is None and not waiting and groups:
        first = next((g for g in groups if g.run_id is not None), None)
        chosen, waiting = (first.run_id, False) if first else (None, True)
    settings = request.app.state.settings
    rows = letter_status.letters_of(db, None if waiting else chosen, settings.tz) if groups else []
    if waiting:  # whether each can print now, not as of the last run
        rows = [replace(row, held_reason=_cannot_print(db, settings, row.id)) for row in rows]
    combined = (
        chosen is not None
        and (output_folder(request.app.state.settings, chosen) / COMBINED_PDF).is_file()
    )
    return render(
        request,
        "letters.html",
        {
            "groups": groups,
            "run_id": chosen,
            "waiting": waiting,
            "rows": rows,
            "combined": combined,
        },
        db=db,
        user=user,
    )


@router.get("/runs/{run_id}.pdf")
def run_pdf(request: Request, run_id: int, user: CurrentUser) -> Response:
    settings = request.app.state.settings
    try:
        path = safe_path(
            settings.data_root, f"outputs/run-{run_id}/{COMBINED_PDF}", suffixes={".pdf"}
        )
    except FileRefused as e:
        raise HTTPException(status_code=404) from e
    return _pdf(None, f"通知文-実行{run_id}.pdf", str(path))


@router.get("/{letter_id}.pdf")
def letter_pdf(request: Request, letter_id: int, user: CurrentUser, db: DB) -> Response:
    letter = db.get(Letter, letter_id)
    if letter is None:
        raise HTTPException(status_code=404)
    settings = request.app.state.settings
    try:
        draft = redraft(db, settings, letter)
    except ValidationError as e:
        return render(
            request,
            "error.html",
            {"title": "この通知文は印刷できません", "text": e.message, "status": 409},
            db=db,
            user=user,
            status_code=409,
        )
    title = f"{KIND_JA.get(letter.kind, letter.kind)}（申請 {letter.application_id}）"
    return _pdf(letters_pdf([draft.planned], settings, title=title), f"{title}.pdf")


def _cannot_print(db: Session, settings: Settings, letter_id: int) -> str | None:
    letter = db.get(Letter, letter_id)
    if letter is None or letter.sent_at is not None:
        return None
    try:
        redraft(db, settings, letter)
    except ValidationError as e:
        return e.message
    return None


def _back(run: str | None) -> RedirectResponse:
    target = f"/letters?run={quote(run)}" if run else "/letters"
    return RedirectResponse(target, status_code=303)


@router.post("/{letter_id}/sent")
def mark_sent(
    request: Request,
    letter_id: int,
    user: CurrentUser,
    db: DB,
    run: Annotated[str | None, Form()] = None,
) -> Response:
    if db.get(Letter, letter_id) is None:
        raise HTTPException(status_code=404)
    if letter_status.mark_sent(db, letter_id, actor=f"user:{user.id}"):
        add_flash(request, db, f"通知文 {letter_id} を送付済みにしました。")
    else:
        add_flash(request, db, f"通知文 {letter_id} は既に送付済みです。", kind="info")
    db.commit()
    return _back(run)


@router.post("/sent")
def mark_many_sent(
    request: Request,
    user: CurrentUser,
    db: DB,
    letter_ids: Annotated[list[int] | None, Form()] = None,
    run: Annotated[str | None, Form()] = None,
) -> Response:
    chosen = sorted(set(letter_ids or []))
    if not chosen:
        add_flash(request, db, "送付済みにする通知文を選んでください。", kind="error")
        db.commit()
        return _back(run)
    marked = [
        i
        for i in chosen
        if db.get(Letter, i) is not None and letter_status.mark_sent(db, i, actor=f"user:{user.id}")
    ]
    skipped = len(chosen) - len(marked)
    add_flash(
        request,
        db,
        f"{len(marked)} 件の通知文を送付済みにしました。"
        + (f"（{skipped} 件は既に送付済みでした）" if skipped else ""),
    )
    db.commit()
    return _back(run)


@router.post("/{letter_id}/unsent")
def mark_unsent(
    request: Request,
    letter_id: int,
    user: CurrentUser,
    db: DB,
    reason: Annotated[str, Form()] = "",
    run: Annotated[str | None, Form()] = None,
) -> Response:
    if db.get(Letter, letter_id) is None:
        raise HTTPException(status_code=404)
    why = reason.strip()
    if not why:
        add_flash(request, db, "送付済みを取り消す理由を入力してください。", kind="error")
    elif letter_status.mark_unsent(db, letter_id, actor=f"user:{user.id}", reason=why[:500]):
        add_flash(request, db, f"通知文 {letter_id} の送付済みを取り消しました。")
    else:
        add_flash(request, db, f"通知文 {letter_id} は送付済みになっていません。", kind="info")
    db.commit()
    return _back(run)
