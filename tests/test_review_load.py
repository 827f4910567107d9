"""Issue #9: the review app under 50 concurrent requests on loopback stays correct
and responsive (a bounded load test).

The real app runs under uvicorn on a free 127.0.0.1 port (the ``server`` fixture)
over the SQLite world of ``tests/review_support.py`` plus ten extra open items.
Ten reviewer sessions log in beforehand (only failed log-ins are throttled, so
this never trips the limiter). Then 50 requests start together behind a
barrier, each on its own connection: 40 reads (the queue page, item pages, a
field's crop image) and 10 writes (assign to oneself, or finish, each on its own
item, with the session's CSRF token and the versions of the page it loaded).
Every answer must be the expected one, every write applied exactly once (rows
and audit log), the app must still answer after the burst, and the latencies
stay under a generous bound.
"""

# ruff: noqa: F811 - pytest fixtures are imported, then named as parameters

from __future__ import annotations

import html
import logging
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import func, select

from pipeline.queue import open_or_update
from pipeline.storage.models import AuditEvent, ExceptionStatus, ReviewItem
from tests.review_client import Env, env, fast_hashing, form_fields, login, server  # noqa: F401

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

PEOPLE = ("sato", "suzuki", "tanaka", "admin")  # session n is PEOPLE[n % 4]
SESSIONS = 10  # one write and four reads each: 40 reads, 10 writes
EXTRA_ITEMS = 10
# One uvicorn worker answers ~15-20 of these a second on 2 idle cores, so the last
# of 50 simultaneous requests waits ~2-4 s; with one or both cores busy elsewhere
# it was 6-8.5 s. The bounds leave room for that and still fail well before the
# 30 s of SQLite's busy timeout or of the connection pool (a lock-up, a starved pool).
MAX_SECONDS = 15.0
P95_SECONDS = 10.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

Check = Callable[[httpx.Response], None]


@dataclass
class Reviewer:
    username: str
    user_id: int
    client: httpx.Client


@dataclass
class Call:
    label: str
    reviewer: Reviewer
    method: str
    path: str
    check: Check
    data: dict[str, str] = field(default_factory=dict)
    response: httpx.Response | None = None
    error: httpx.HTTPError | None = None
    seconds: float = 0.0


def _page_with(text: str) -> Check:
    def check(r: httpx.Response) -> None:
        assert r.status_code == 200, r.status_code
        assert r.headers["content-type"].startswith("text/html")
        assert html.escape(text, quote=False) in r.text, f"{text!r} not on the page"

    return check


def _png(r: httpx.Response) -> None:
    assert r.status_code == 200, r.status_code
    assert r.headers["content-type"] == "image/png"
    assert r.content.startswith(PNG_MAGIC)


def _redirect_to(path: str) -> Check:
    def check(r: httpx.Response) -> None:
        assert r.status_code == 303, (r.status_code, r.text[:500])
        assert r.headers["location"] == path

    return check


def _add_items(env: Env) -> dict[int, str]:
    """Ten open items with nothing else attached (so writes on them never meet)."""
    with env.session() as s:
        items = [
            open_or_update(
                s,
                kind="data_cleanup",
                dedupe_key=f"load:{n}",
                title_ja=f"負荷試験の項目 {n:02d}",
            )[0]
            for n in range(EXTRA_ITEMS)
        ]
        s.commit()
        return {item.id: item.title_ja for item in items}


def _reviewers(env: Env, base: str, sessions: int = SESSIONS) -> list[Reviewer]:
    ids = {"sato": env.world.staff_id, "suzuki": env.world.staff2_id}
    ids |= {"tanaka": env.world.manager_id, "admin": env.world.admin_id}
    reviewers = []
    for n in range(sessions):
        username = PEOPLE[n % len(PEOPLE)]
        user_id = ids[username]
        client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
        response = login(client, username)
        assert response.status_code == 303, response.text
        reviewers.append(Reviewer(username, user_id, client))
    return reviewers


def _run_together(calls: list[Call], base: str) -> float:
    """Send every call at once (own thread, own connection); the burst's wall time."""
    barrier = threading.Barrier(len(calls) + 1)

    def run(call: Call) -> None:
        cookies = httpx.Cookies(call.reviewer.client.cookies)
        with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
            request = client.build_request(call.method, call.path, data=call.data or None)
            barrier.wait()
            start = time.perf_counter()
            try:
                call.response = client.send(request)
            except httpx.HTTPError as e:
                call.error = e
            call.seconds = time.perf_counter() - start

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join(timeout=60)
    wall = time.perf_counter() - start
    assert not any(t.is_alive() for t in threads), "a request never finished"
    return wall


def _assert_answers(calls: list[Call]) -> None:
    """No transport error, no 5xx, and each answer the expected status and content."""
    problems = []
    for call in calls:
        where = f"{call.method} {call.path} ({call.reviewer.username})"
        if call.error is not None or call.response is None:
            problems.append(f"{where}: {call.error!r}")
        elif call.response.status_code >= 500:
            problems.append(f"{where}: {call.response.status_code} {call.response.text[:300]}")
        else:
            try:
                call.check(call.response)
            except AssertionError as e:
                problems.append(f"{where}: {e}")
    assert not problems, "\n".join(problems)


def _audit_count(env: Env, item_id: int, action: str) -> int:
    with env.session() as s:
        stmt = select(func.count()).where(
            AuditEvent.entity_type == "exception",
            AuditEvent.entity_id == item_id,
            AuditEvent.action == action,
        )
        return int(s.scalar(stmt) or 0)


def test_fifty_concurrent_requests_stay_correct_and_responsive(env: Env, server: str) -> None:
    w = env.world
    extra = _add_items(env)
    extra_ids = list(extra)
    with env.session() as s:
        titles = {i.id: i.title_ja for i in s.scalars(select(ReviewItem))}
    reviewers = _reviewers(env, server)
    try:
        # Each reviewer opens the item it will act on, as a person would, for the form.
        writes: list[Call] = []
        versions: dict[int, int] = {}
        for n, (reviewer, item_id) in enumerate(zip(reviewers, extra, strict=True)):
            page = reviewer.client.get(f"/items/{item_id}").text
            if n % 2 == 0:
                action, data = f"/items/{item_id}/assign", {"assignee": str(reviewer.user_id)}
            else:
                action, data = f"/items/{item_id}/finish", {"reason": f"負荷試験 {n}"}
            fields = {**form_fields(page, action), **data}
            versions[item_id] = int(fields["item_version"])
            check = _redirect_to(f"/items/{item_id}")
            writes.append(Call("write", reviewer, "POST", action, check, fields))

        # Reads: item_a is one the same person opens from two or three sessions at
        # once, for the first time (two tabs); item_b is one being written meanwhile.
        firsts = [w.item_id, w.ineligible_item_id, w.payment_item_id, extra_ids[0]]
        reads: list[Call] = []
        for n, reviewer in enumerate(reviewers):
            item_a = firsts[n % len(PEOPLE)]
            item_b = extra_ids[(n + 1) % EXTRA_ITEMS]
            crop = f"/files/fields/{w.field_id}/crop"
            reads += [
                Call("queue", reviewer, "GET", "/", _page_with("確認待ち一覧")),
                Call("item", reviewer, "GET", f"/items/{item_a}", _page_with(titles[item_a])),
                Call("item", reviewer, "GET", f"/items/{item_b}", _page_with(titles[item_b])),
                Call("crop", reviewer, "GET", crop, _png),
            ]
        calls = reads + writes
        assert (len(reads), len(writes)) == (40, 10)

        wall = _run_together(calls, server)

        # Every answer: no transport error, no 5xx, the expected status and content.
        _assert_answers(calls)

        # Every write applied exactly once: the row moved on by one version, one audit entry.
        with env.session() as s:
            for n, (reviewer, item_id) in enumerate(zip(reviewers, extra, strict=True)):
                item = s.get(ReviewItem, item_id)
                assert item is not None
                assert item.version == versions[item_id] + 1, (item_id, item.version)
                if n % 2 == 0:
                    assert item.assignee_id == reviewer.user_id
                    assert item.status == ExceptionStatus.OPEN.value
                    assert _audit_count(env, item_id, "exception.assigned") == 1
                else:
                    assert item.status == ExceptionStatus.RESOLVED.value
                    assert item.closed_by == f"user:{reviewer.user_id}"
                    assert _audit_count(env, item_id, "exception.resolved") == 1
                    assert _audit_count(env, item_id, "exception.assigned") == 0
            actions = ("exception.assigned", "exception.resolved", "exception.dismissed")
            stmt = select(func.count()).where(AuditEvent.action.in_(actions))
            assert s.scalar(stmt) == len(writes)  # nothing else was touched

        # The app still answers, and the queue shows the burst's outcome.
        after = reviewers[0].client.get("/")
        assert after.status_code == 200
        for n, item_id in enumerate(extra):
            shown = html.escape(extra[item_id], quote=False) in after.text
            assert shown == (n % 2 == 0), (item_id, "resolved items leave the open queue")

        seconds = sorted(c.seconds for c in calls)
        p50 = statistics.median(seconds)
        p95 = statistics.quantiles(seconds, n=20, method="inclusive")[18]
        summary = (
            f"review load: {len(calls)} concurrent requests ({len(reads)} reads, "
            f"{len(writes)} writes) in {wall:.2f} s = {len(calls) / wall:.1f} req/s; "
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {seconds[-1] * 1000:.0f} ms"
        )
        print(summary)
        log.info(summary)
        assert seconds[-1] < MAX_SECONDS, summary
        assert p95 < P95_SECONDS, summary
    finally:
        for reviewer in reviewers:
            reviewer.client.close()


def test_one_person_opening_an_item_in_ten_tabs_at_once(env: Env, server: str) -> None:
    """Ten simultaneous first visits by one user: each notes presence, none may fail
    (the (item, user) presence row was once inserted twice: a 500)."""
    (reviewer,) = _reviewers(env, server, sessions=1)
    try:
        item = env.world.payment_item_id
        with env.session() as s:
            title = s.get(ReviewItem, item).title_ja  # type: ignore[union-attr]
        calls = [
            Call("tab", reviewer, "GET", f"/items/{item}", _page_with(title)) for _ in range(10)
        ]
        _run_together(calls, server)
        _assert_answers(calls)
    finally:
        reviewer.client.close()
