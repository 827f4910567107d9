"""Security tests of the review app: log-in everywhere, CSRF on every form, session
fixation, roles, path traversal, escaping, log-in rate limit, CSV formulas."""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from pipeline.review.app import routers
from pipeline.review.auth import LoginThrottle
from pipeline.review.csvsafe import neutralise, to_csv
from pipeline.review.files import IMAGE_SUFFIXES, FileRefused, safe_path
from pipeline.review.sessions import COOKIE_NAME
from pipeline.storage.models import Applicant, FieldValue, ReviewItem, User, WebSession
from tests.review_client import Env, csrf_of, env, fast_hashing, form_fields, login  # noqa: F401 - fixtures
from tests.review_support import PASSWORD


def _routes(env: Env, method: str) -> list[str]:
    paths = []
    for router in routers():
        for route in router.routes:
            if isinstance(route, APIRoute) and method in route.methods:
                paths.append(re.sub(r"\{[^}:]+(:path)?\}", "1", route.path))
    return paths


# --- log-in everywhere ------------------------------------------------------------------------


def test_nothing_is_reachable_without_logging_in(env: Env) -> None:
    client = env.client()
    gets = [p for p in _routes(env, "GET") if p != "/login"]
    assert len(gets) >= 10  # queue, item, files, reports, audit, admin ...
    for path in [*gets, "/no-such-page"]:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login"), path
    posts = [p for p in _routes(env, "POST") if p != "/login"]
    token = csrf_of(client.get("/login").text)
    for path in posts:
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 401, path


def test_session_cookie_is_httponly_and_samesite(env: Env) -> None:
    client = env.client()
    response = client.get("/login")
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE_NAME}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_session_id_rotates_at_login_and_the_old_one_is_dead(env: Env) -> None:
    client = env.client()
    client.get("/login")
    before = client.cookies[COOKIE_NAME]
    assert login(client, "sato").status_code == 303
    after = client.cookies[COOKIE_NAME]
    assert after != before
    assert client.get("/").status_code == 200
    attacker = env.client()
    attacker.cookies.set(COOKIE_NAME, before)  # a session id planted before log-in
    assert attacker.get("/").status_code == 303


def test_logout_ends_the_session(env: Env) -> None:
    client = env.login("sato")
    cookie = client.cookies[COOKIE_NAME]
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    replay = env.client()
    replay.cookies.set(COOKIE_NAME, cookie)
    assert replay.get("/").status_code == 303


def test_a_tampered_cookie_is_not_a_session(env: Env) -> None:
    client = env.login("sato")
    value = client.cookies[COOKIE_NAME]
    token, _, signature = value.rpartition(".")
    forged = env.client()
    forged.cookies.set(COOKIE_NAME, token + "x." + signature)
    assert forged.get("/").status_code == 303


def test_disabling_a_user_ends_their_sessions(env: Env) -> None:
    client = env.login("sato")
    admin = env.login("admin")
    html = admin.get("/admin/users").text
    fields = form_fields(html, "/admin/users/sato/active")
    assert admin.post("/admin/users/sato/active", data=fields).status_code == 303
    assert client.get("/").status_code == 303
    with env.session() as s:
        assert (
            s.scalars(select(WebSession).where(WebSession.user_id == env.world.staff_id)).first()
            is None
        )
    assert login(env.client(), "sato").status_code == 401


def test_login_redirects_only_within_the_site(env: Env) -> None:
    client = env.client()
    token = csrf_of(client.get("/login").text)
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post(
            "/login",
            data={"username": "sato", "password": PASSWORD, "csrf_token": token, "next": evil},
        )
        assert response.headers["location"] == "/", evil
        client = env.client()
        token = csrf_of(client.get("/login").text)


# --- CSRF -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_every_form_refuses_a_missing_or_wrong_csrf_token(env: Env, token: str | None) -> None:
    client = env.login("admin")
    posts = _routes(env, "POST")
    assert len(posts) >= 14
    for path in posts:
        data = {"item_version": "1", "loaded_at": "2030-01-01T00:00:00+00:00"}
        if token is not None:
            data["csrf_token"] = token
        response = client.post(path, data=data)
        assert response.status_code == 403, path
    # nothing was changed by any of them
    with env.session() as s:
        assert s.get(FieldValue, env.world.field_id).status == "low_confidence"
        assert s.get(ReviewItem, env.world.item_id).version == 1


def test_login_itself_needs_the_csrf_token(env: Env) -> None:
    client = env.client()
    client.get("/login")
    response = client.post("/login", data={"username": "sato", "password": PASSWORD})
    assert response.status_code == 403
    assert COOKIE_NAME in client.cookies
    assert client.get("/").status_code == 303


def test_another_sessions_token_is_refused(env: Env) -> None:
    sato, suzuki = env.login("sato"), env.login("suzuki")
    suzuki_token = csrf_of(suzuki.get("/").text)
    html = sato.get(f"/items/{env.world.item_id}").text
    fields = form_fields(html, f"/items/{env.world.item_id}/assign")
    fields["csrf_token"] = suzuki_token
    assert sato.post(f"/items/{env.world.item_id}/assign", data=fields).status_code == 403


# --- roles ---------------------------------------------------------------------------------------


def test_roles(env: Env) -> None:
    staff, manager, admin = env.login("sato"), env.login("tanaka"), env.login("admin")
    for path in ("/admin/users", "/reports", "/audit", "/audit/export.csv"):
        assert staff.get(path).status_code == 403, path
    assert manager.get("/admin/users").status_code == 403
    assert manager.get("/audit").status_code == 200
    assert admin.get("/admin/users").status_code == 200
    # staff cannot add users even with a valid token
    token = csrf_of(staff.get("/").text)
    data = {
        "csrf_token": token,
        "username": "mallory",
        "display_name": "M",
        "role": "admin",
        "password": "x" * 12,
        "password_again": "x" * 12,
    }
    assert staff.post("/admin/users", data=data).status_code == 403
    data["csrf_token"] = csrf_of(manager.get("/").text)
    assert manager.post("/admin/users", data=data).status_code == 403
    data["csrf_token"] = csrf_of(admin.get("/admin/users").text)
    assert admin.post("/admin/users", data=data).status_code == 303
    with env.session() as s:
        user = s.scalars(select(User).where(User.username == "mallory")).one()
        assert user.role == "admin" and user.password_hash.startswith("$argon2")


# --- files ---------------------------------------------------------------------------------------


def _set_crop(env: Env, path: str) -> None:
    with env.session() as s:
        s.get(FieldValue, env.world.field_id).crop_path = path
        s.commit()


def test_image_routes_refuse_paths_outside_the_data_root(env: Env, tmp_path: Path) -> None:
    client = env.login("sato")
    url = f"/files/fields/{env.world.field_id}/crop"
    assert client.get(url).status_code == 200  # the real crop
    secret = tmp_path / "outside.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    root = env.settings.data_root
    link = root / "store" / "link.png"
    link.symlink_to(secret)
    dir_link = root / "store" / "dirlink"
    dir_link.symlink_to(tmp_path)
    (root / "conken-notes.txt").write_text("not an image")
    for bad in (
        "../outside.png",
        "store/../../outside.png",
        str(secret),  # absolute
        "/etc/passwd",
        "store/link.png",  # symlink to a file outside
        "dirlink/outside.png",
        "store/dirlink/outside.png",
        "conken-notes.txt",  # inside, but not an image
        "..\\outside.png",
        "C:\\Windows\\win.ini",
        "",
    ):
        _set_crop(env, bad)
        assert client.get(url).status_code == 404, bad


def test_safe_path_accepts_only_regular_image_files_inside(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    good = tmp_path / "store" / "a.png"
    good.write_bytes(b"x")
    assert safe_path(tmp_path, "store/a.png", suffixes=IMAGE_SUFFIXES) == good.resolve()
    (tmp_path / "store" / "folder.png").mkdir()
    with pytest.raises(FileRefused):
        safe_path(tmp_path, "store/folder.png", suffixes=IMAGE_SUFFIXES)
    with pytest.raises(FileRefused):
        safe_path(tmp_path, "store/a.png\x00.txt", suffixes=IMAGE_SUFFIXES)


# --- escaping -------------------------------------------------------------------------------------


def test_ocr_and_user_text_is_escaped(env: Env) -> None:
    script = "<script>alert(1)</script>"
    with env.session() as s:
        field = s.get(FieldValue, env.world.field_id)
        field.raw_text = script + "<img src=x onerror=alert(2)>"
        org = s.scalars(
            select(FieldValue).where(
                FieldValue.application_id == env.world.application_id,
                FieldValue.name == "exp1_org",
            )
        ).one()
        org.value = script
        item = s.get(ReviewItem, env.world.item_id)
        item.title_ja = script
        applicant = s.scalars(select(Applicant)).first()
        applicant.name = script
        s.commit()
    client = env.login("sato")
    for path in ("/", f"/items/{env.world.item_id}"):
        html = client.get(path).text
        assert script not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert "<img src=x" not in html
    html = client.get(f"/items/{env.world.item_id}").text
    fields = form_fields(html, f"/items/{env.world.item_id}/finish")
    client.post(f"/items/{env.world.item_id}/finish", data={**fields, "reason": script})
    page = client.get(f"/items/{env.world.item_id}").text
    assert script not in page and "&lt;script&gt;" in page


# --- log-in rate limit ------------------------------------------------------------------------------


def test_login_is_rate_limited_per_username_and_address(env: Env) -> None:
    client = env.client()
    for _ in range(5):
        assert login(client, "sato", "wrong password!").status_code == 401
    blocked = login(client, "sato", PASSWORD)  # even the right password
    assert blocked.status_code == 429
    assert "しばらくお待ちください" in blocked.text
    assert login(env.client(), "suzuki").status_code == 303  # another user is not blocked


def test_login_throttle_window_slides() -> None:
    throttle = LoginThrottle(max_failures=3, window_seconds=300)
    for t in (0, 10, 20):
        throttle.failed("Sato", "10.0.0.1", now=t)
    assert throttle.blocked("sato", "10.0.0.1", now=30)
    assert not throttle.blocked("sato", "10.0.0.2", now=30)
    assert not throttle.blocked("sato", "10.0.0.1", now=301)  # the first failure expired
    throttle.failed("sato", "10.0.0.1", now=302)
    assert throttle.blocked("sato", "10.0.0.1", now=303)
    throttle.succeeded("sato", "10.0.0.1")
    assert not throttle.blocked("sato", "10.0.0.1", now=304)


# --- CSV formulas -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_are_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text


def test_plain_cells_are_kept() -> None:
    assert neutralise("山田 太郎") == "山田 太郎"
    assert neutralise(None) == ""
    assert neutralise(11000) == "11000"
    body = to_csv(["a"], [["=cmd|' /C calc'!A0"]])
    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body[1:]))) == [["a"], ["'=cmd|' /C calc'!A0"]]


def test_audit_export_neutralises_formulas_from_users(env: Env) -> None:
    client = env.login("sato")
    html = client.get(f"/items/{env.world.item_id}").text
    fields = form_fields(html, f"/items/{env.world.item_id}/fields/{env.world.field_id}/correct")
    reason = '=HYPERLINK("http://evil.example","x")'
    client.post(
        f"/items/{env.world.item_id}/fields/{env.world.field_id}/correct",
        data={**fields, "value": "2015-04", "reason": reason},
    )
    manager = env.login("tanaka")
    for url in (f"/items/{env.world.item_id}/audit.csv", "/audit/export.csv"):
        body = manager.get(url).text
        rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        cells = [c for row in rows for c in row]
        assert "'" + reason in cells, url
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), url
