"""User management (admin only): list, add, disable / enable, set a password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.errors import ValidationError
from pipeline.review.auth import add_user, get_user, list_users, set_active, set_password
from pipeline.review.web import DB, Admin, add_flash, render

router = APIRouter(prefix="/admin")


def _page(
    request: Request, db: DB, user: Admin, error: str | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "users.html",
        {"users": list_users(db), "error": error},
        db=db,
        user=user,
        status_code=status_code,
    )


@router.get("/users")
def users_page(request: Request, user: Admin, db: DB) -> Response:
    return _page(request, db, user)


@router.post("/users")
def users_add(
    request: Request,
    user: Admin,
    db: DB,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "staff",
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    if password != password_again:
        return _page(request, db, user, "確認用のパスワードが一致しません。", 422)
    try:
        added = add_user(
            db,
            username.strip(),
            role=role,
            password=password,
            display_name=display_name,
            actor=f"user:{user.id}",
        )
    except ValidationError as e:
        db.rollback()
        return _page(request, db, user, f"追加できませんでした: {e.message}", 422)
    add_flash(request, db, f"ユーザー「{added.display_name}」を追加しました。")
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{username}/active")
def users_active(
    request: Request,
    username: str,
    user: Admin,
    db: DB,
    active: Annotated[str, Form()] = "false",
) -> Response:
    target = get_user(db, username)
    if target is None:
        raise HTTPException(status_code=404)
    if target.id == user.id and active != "true":
        return _page(request, db, user, "自分自身を無効にすることはできません。", 422)
    set_active(db, username, active == "true", actor=f"user:{user.id}")
    state = "有効" if active == "true" else "無効"
    add_flash(request, db, f"ユーザー「{target.display_name}」を{state}にしました。")
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{username}/password")
def users_password(
    request: Request,
    username: str,
    user: Admin,
    db: DB,
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    if get_user(db, username) is None:
        raise HTTPException(status_code=404)
    if password != password_again:
        return _page(request, db, user, "確認用のパスワードが一致しません。", 422)
    try:
        target = set_password(db, username, password, actor=f"user:{user.id}")
    except ValidationError as e:
        db.rollback()
        return _page(request, db, user, f"変更できませんでした: {e.message}", 422)
    add_flash(request, db, f"ユーザー「{target.display_name}」のパスワードを変更しました。")
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)
