"""Run reports and the history page (HTML files written by the reports stage).

Reports are served read-only from ``<data_root>/reports/`` with a strict
content security policy (no scripts, nothing from elsewhere); runs are listed
from the ``runs`` table.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import func, select

from pipeline.review.files import REPORT_SUFFIXES, FileRefused, safe_path
from pipeline.review.web import DB, Manager, render
from pipeline.storage.models import Run

router = APIRouter(prefix="/reports")
REPORT_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
PAGE_SIZE = 50


def _serve_report(request: Request, relative: str | None) -> Response:
    settings = request.app.state.settings
    try:
        # Run.report_path is relative to the data root and must stay in reports/.
        path = safe_path(settings.reports_dir, _within_reports(relative), suffixes=REPORT_SUFFIXES)
    except FileRefused as e:
        raise HTTPException(status_code=404) from e
    response = FileResponse(path)
    response.headers["Content-Security-Policy"] = REPORT_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _within_reports(relative: str | None) -> str | None:
    if relative is None:
        return None
    text = relative.replace("\\", "/")
    return text.removeprefix("reports/")


@router.get("")
def runs_page(request: Request, user: Manager, db: DB, page: int = 1) -> Response:
    total = int(db.scalar(select(func.count(Run.id))) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    runs = list(
        db.scalars(
            select(Run).order_by(Run.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        )
    )
    history = (request.app.state.settings.reports_dir / "history.html").is_file()
    return render(
        request,
        "reports.html",
        {"runs": runs, "page": page, "pages": pages, "history": history},
        db=db,
        user=user,
    )


@router.get("/history")
def history_page(request: Request, user: Manager) -> Response:
    return _serve_report(request, "history.html")


@router.get("/runs/{run_id}")
def run_report(request: Request, run_id: int, user: Manager, db: DB) -> Response:
    run = db.get(Run, run_id)
    if run is None:
        raise HTTPException(status_code=404)
    return _serve_report(request, run.report_path)


@router.get("/{name}.html")
def report_by_name(request: Request, name: str, user: Manager) -> Response:
    """A report the history page links to by its file name (``run-3.html``)."""
    return _serve_report(request, f"{name}.html")


@router.get("/files/{path:path}")
def report_asset(request: Request, path: str, user: Manager) -> Response:
    """Files a report links to (images, styles), inside the reports folder only."""
    return _serve_report(request, path)
