"""Scanned images: a field's crop and a whole page, looked up by id (never by path)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from pipeline.review.files import IMAGE_SUFFIXES, FileRefused, safe_path
from pipeline.review.web import DB, CurrentUser
from pipeline.storage.models import FieldValue, Page

router = APIRouter(prefix="/files")


def _serve(request: Request, stored: str | None) -> Response:
    try:
        path = safe_path(request.app.state.settings.data_root, stored, suffixes=IMAGE_SUFFIXES)
    except FileRefused as e:
        raise HTTPException(status_code=404) from e
    return FileResponse(path, headers={"Cache-Control": "private, max-age=300"})


@router.get("/fields/{field_id}/crop")
def field_crop(request: Request, field_id: int, user: CurrentUser, db: DB) -> Response:
    row = db.get(FieldValue, field_id)
    if row is None:
        raise HTTPException(status_code=404)
    return _serve(request, row.crop_path)


@router.get("/pages/{page_id}/image")
def page_image(request: Request, page_id: int, user: CurrentUser, db: DB) -> Response:
    page = db.get(Page, page_id)
    if page is None:
        raise HTTPException(status_code=404)
    return _serve(request, page.image_path)
