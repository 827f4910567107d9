"""Test-client helpers for the review app: a migrated world and logged-in clients."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.config import Settings, get_settings
from pipeline.review.app import create_app
from pipeline.storage import db
from tests.review_support import PASSWORD, World, build_world

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Env:
    app: FastAPI
    world: World
    engine: Engine
    settings: Settings

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1", follow_redirects=False)

    def login(self, username: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        response = login(client, username, password)
        assert response.status_code == 303, response.text
        return client

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def csrf_of(html: str) -> str:
    match = META_CSRF.search(html) or CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    """Log in through the form (a TestClient, or an httpx.Client on a running server)."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden inputs of the form posting to ``action`` (first such form)."""
    start = html.index(f'action="{action}"')
    end = html.index("</form>", start)
    chunk = html[start:end]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', chunk))


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 parameters: the tests exercise the logic, not the cost."""
    from argon2 import PasswordHasher

    from pipeline.review import auth

    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
def env(fast_hashing: None) -> Iterator[Env]:
    settings = get_settings()
    url = settings.effective_database_url
    db.upgrade(url)
    engine = db.make_engine(url)
    world = build_world(engine, settings)
    app = create_app(settings, engine=engine)
    try:
        yield Env(app=app, world=world, engine=engine, settings=settings)
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(env: Env) -> Iterator[str]:
    """The app under uvicorn in a background thread on a free loopback port: its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(env.app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "uvicorn did not shut down"
