"""Every review item (the record under the queue by application): filtered, sorted, counted, paged."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pipeline.review.labels import KIND_JA
from pipeline.review.listing import SORTS, STATUS_FILTERS, QueueFilter, filter_choices, load_queue
from pipeline.review.web import DB, CurrentUser, render

router = APIRouter()


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


@router.get("/items")
def queue_page(
    request: Request,
    *,
    kind: str | None = None,
    status: str = "open",
    assignee: str | None = None,
    qualification: str | None = None,
    run: str | None = None,
    sort: str = "oldest",
    page: str = "1",
    user: CurrentUser,
    db: DB,
) -> Response:
    f = QueueFilter(
        kind=kind or None,
        status=status if status in STATUS_FILTERS else "open",
        assignee=assignee or None,
        qualification=qualification or None,
        run_id=_int_or_none(run),
        sort=sort if sort in SORTS else "oldest",
        page=_int_or_none(page) or 1,
    )
    settings = request.app.state.settings
    result = load_queue(db, f, user.id, settings.review_page_size)
    kinds = sorted(set(result.counts) | ({f.kind} if f.kind else set()))

    def link(**changes: object) -> str:
        return "/items?" + urlencode(f.query_args(**changes))

    return render(
        request,
        "queue.html",
        {
            "f": f,
            "result": result,
            "kinds": kinds,
            "known_kinds": KIND_JA,
            "sorts": SORTS,
            "statuses": STATUS_FILTERS,
            "choices": filter_choices(db),
            "link": link,
        },
        db=db,
        user=user,
    )
