"""``conken bench review``: settle a batch in the review app as staff would, keyboard only.

A batch is read by the nightly job (the demo sample, or a data root that already
holds a run, copied so the original is untouched). The review app then runs on it
and a headless Chromium (Debian's, driven by Playwright) does what a staff member
and a manager would: open the oldest application that needs its fields checked,
look at each field, confirm what was read right, type what was read wrong (the
truth of the generated batch says which), rule on each finding only a person can
judge (認める, or 認めない with a typed reason where the truth says the application
is ineligible; the truth of an other-organisation certifier says only "review", so
a person who knows nothing more accepts it), confirm a deposit the matcher proposed,
save, and go on to the next one; then the manager approves or rejects, from the
inbox, every decision waiting for them.

Nothing is clicked with the mouse. Per application the bench counts page loads,
form submits and keystrokes, and compares the keystrokes with the target: twice
the fields that needed a person, plus the characters of the corrections.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "bench-password-not-secret"
REJECT_REASON = "業務経験が基準に足りないため"
RULING_REASON = "資料から基準を満たさないと判断"
SCREEN = re.compile(r"/applications/(\d+)$")
MAX_VISITS = 2


@dataclass
class ApplicationTally:
    application_id: int
    fields_needing_person: int = 0
    judgements: int = 0  # findings ruled on (認める / 認めない)
    payments_confirmed: int = 0  # proposed matches confirmed on the screen
    corrections: int = 0
    correction_chars: int = 0
    page_loads: int = 0
    submits: int = 0
    keystrokes: int = 0
    mouse_actions: int = 0
    manager_decisions: int = 0
    reason_chars: int = 0  # typed reasons: a manager's rejection, a 認めない ruling
    decision_after: str | None = None
    waiting_for: list[str] = field(default_factory=list)  # rules still holding up a 要確認

    @property
    def keystroke_target(self) -> int:
        # A judgement or a deposit is one more thing that needed a person, like a field.
        needing = self.fields_needing_person + self.judgements + self.payments_confirmed
        fields = 2 * needing + self.correction_chars
        return fields + 2 * self.manager_decisions + self.reason_chars

    @property
    def page_load_target(self) -> int:
        return 2 + self.manager_decisions


@dataclass
class Driver:
    """Counts what a person does, by the application on screen when they did it."""

    page: Any
    tallies: dict[int, ApplicationTally] = field(default_factory=dict)
    current: int | None = None

    def tally(self, application_id: int | None = None) -> ApplicationTally:
        app_id = application_id if application_id is not None else self.current
        assert app_id is not None
        return self.tallies.setdefault(app_id, ApplicationTally(app_id))

    def on_load(self, url: str) -> None:
        match = SCREEN.search(url.split("?", 1)[0])
        if match:
            self.current = int(match.group(1))
        if self.current is not None:
            self.tally().page_loads += 1

    def press(self, key: str) -> None:
        self.tally().keystrokes += 1
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.tally().keystrokes += len(text)
        self.page.keyboard.type(text)


def _truth_values(sample: Path) -> dict[str, dict[tuple[str, str], Any]]:
    """Envelope file stem -> (form, field) -> true value, from the batch's truth files."""
    out: dict[str, dict[tuple[str, str], Any]] = {}
    for path in sorted((sample / "truth").glob("*.truth.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        values = {(f["form_code"], f["field"]): f["value"] for f in truth.get("fields", [])}
        for name in truth.get("files", {}).get("pdf", []):
            out[Path(name).stem] = values
    return out


def _truth_outcomes(sample: Path) -> dict[str, str]:
    """Envelope file stem -> the eligibility outcome the batch's truth gives."""
    out: dict[str, str] = {}
    for path in sorted((sample / "truth").glob("*.truth.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        outcome = str((truth.get("eligibility") or {}).get("outcome") or "")
        for name in truth.get("files", {}).get("pdf", []):
            out[Path(name).stem] = outcome
    return out


def _prepare(data_root: Path, source: Path | None) -> None:
    """A data root holding a nightly run of the batch (the demo's, unless given)."""
    if source is not None:
        shutil.copytree(source, data_root, dirs_exist_ok=True)
        return
    env = {**os.environ, "CONKEN_DATA_ROOT": str(data_root)}
    env.pop("CONKEN_DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", "demo"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _serve(data_root: Path) -> tuple[Any, str, Any]:
    """The review app on the batch, on a free loopback port: (server, base URL, engine)."""
    import socket

    import uvicorn
    from sqlalchemy.orm import Session

    from pipeline.config import get_settings
    from pipeline.review.app import create_app
    from pipeline.review.auth import add_user
    from pipeline.storage import db

    os.environ["CONKEN_DATA_ROOT"] = str(data_root)
    os.environ.pop("CONKEN_DATABASE_URL", None)
    get_settings.cache_clear()
    settings = get_settings()
    url = settings.effective_database_url
    db.upgrade(url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        add_user(session, "bench-staff", role="staff", password=PASSWORD, display_name="計測 担当")
        add_user(
            session, "bench-manager", role="manager", password=PASSWORD, display_name="計測 責任者"
        )
        session.commit()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        create_app(settings, engine=engine), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the review app did not start")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}", engine


def _log_in(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(base + "/")
    return page


@dataclass(frozen=True)
class FieldFacts:
    application_id: int
    form_code: str
    name: str
    kind: str
    value: str | None
    envelope_stem: str


def _field_facts(engine: Any, field_id: int) -> FieldFacts:
    from sqlalchemy.orm import Session

    from pipeline.storage.models import Envelope, FieldValue

    with Session(engine) as session:
        row = session.get(FieldValue, field_id)
        assert row is not None and row.application_id is not None
        envelope = session.get(Envelope, row.envelope_id)
        stem = Path(envelope.original_name).stem if envelope else ""
        return FieldFacts(row.application_id, row.form_code, row.name, row.kind, row.value, stem)


def _typed_truth(facts: FieldFacts, truth: Any) -> str | None:
    """What to type for the field: None when what the screen proposes is already right."""
    from pipeline.review.actions import ActionRefusedError, typed_value
    from pipeline.storage.models import FieldValue

    if truth is None:
        return None  # the batch does not say: a person would accept what they see
    text = ("true" if truth else "false") if isinstance(truth, bool) else str(truth)
    probe = FieldValue(form_code=facts.form_code, name=facts.name, kind=facts.kind)
    try:
        want = typed_value(probe, text)
    except ActionRefusedError:
        return None
    return None if want == facts.value else text


def _check_field(driver: Driver, engine: Any, truths: dict[str, Any]) -> None:
    """The focused field: type the right value if it was read wrong, then Enter."""
    field_id = driver.page.evaluate(
        "() => { const c = document.activeElement.closest('.check'); return c ? Number(c.dataset.field) : null; }"
    )
    facts = _field_facts(engine, int(field_id))
    tally = driver.tally(facts.application_id)
    tally.fields_needing_person += 1
    right = _typed_truth(
        facts, truths.get(facts.envelope_stem, {}).get((facts.form_code, facts.name))
    )
    if right is not None:
        tally.corrections += 1
        if facts.kind in ("checkbox", "signature", "seal"):
            driver.press("1" if right == "true" else "0")
            tally.correction_chars += 1
        else:
            driver.type(right)
            tally.correction_chars += len(right)
    driver.press("Enter")


def _focus(page: Any) -> str:
    return str(
        page.evaluate(
            "() => { const a = document.activeElement; if (!a) return ''; "
            "if (a.id === 'save' || a.id === 'confirm-informational') return a.id; "
            "const c = a.closest('.check'); if (!c) return ''; "
            "return c.classList.contains('judge') ? 'judge' "
            ": c.classList.contains('pay') ? 'pay' : 'field'; }"
        )
    )


def _envelope_stem(engine: Any, application_id: int) -> str:
    from sqlalchemy.orm import Session

    from pipeline.storage.models import Application, Envelope

    with Session(engine) as session:
        application = session.get(Application, application_id)
        envelope = session.get(Envelope, application.envelope_id) if application else None
        return Path(envelope.original_name).stem if envelope else ""


def _judge(driver: Driver, engine: Any, outcomes: dict[str, str]) -> None:
    """The focused judgement: 認めない (with a reason) only where the truth says ineligible."""
    tally = driver.tally()
    tally.judgements += 1
    if outcomes.get(_envelope_stem(engine, tally.application_id)) == "ineligible":
        driver.press("0")
        driver.type(RULING_REASON)
        tally.reason_chars += len(RULING_REASON)
    else:
        driver.press("1")
    driver.press("Enter")


def _settle_screen(
    driver: Driver, engine: Any, truths: dict[str, Any], outcomes: dict[str, str]
) -> None:
    page = driver.page
    for _ in range(500):
        where = _focus(page)
        if where == "field":
            _check_field(driver, engine, truths)
        elif where == "judge":
            _judge(driver, engine, outcomes)
        elif where == "pay":  # the matcher's proposal for this application: confirm it
            driver.tally().payments_confirmed += 1
            driver.press("Enter")
        elif where == "confirm-informational":
            driver.tally().fields_needing_person += page.locator(".informational .check").count()
            driver.press("Enter")
        elif where == "save":
            driver.tally().submits += 1
            with page.expect_navigation():
                driver.press("Enter")
            return
        else:
            raise RuntimeError(f"nothing to act on at {page.url}")


def _staff_pass(
    driver: Driver, base: str, engine: Any, truths: dict[str, Any], outcomes: dict[str, str]
) -> None:
    page = driver.page
    page.on("load", lambda p: driver.on_load(p.url))
    page.goto(base + "/applications/next")
    visits: dict[int, int] = defaultdict(int)
    skipped = 0
    while SCREEN.search(page.url) and skipped <= len(visits) + 1:
        app_id = driver.current
        assert app_id is not None
        visits[app_id] += 1
        # A second visit is the screen asking what only became askable once the readings
        # were confirmed (a judgement on confirmed facts); a third would be going round.
        if visits[app_id] > MAX_VISITS or not _focus(page):
            skipped += 1  # refused, or left for what the screen does not settle
            with page.expect_navigation():
                driver.press("Alt+N")
            continue
        skipped = 0
        _settle_screen(driver, engine, truths, outcomes)


def _manager_pass(driver: Driver, base: str) -> None:
    """Approve or reject, from the inbox, every decision waiting (the first is focused)."""
    page = driver.page
    page.on("dialog", lambda dialog: dialog.accept())
    page.on("load", lambda p: driver.on_load(p.url))
    page.goto(base + "/manager")
    for _ in range(1000):
        target = page.evaluate(
            "() => { const a = document.activeElement; const f = a && a.closest('form.decide');"
            " return f ? f.action : null; }"
        )
        if not target:
            return
        match = re.search(r"/applications/(\d+)/(approve|reject)$", target)
        assert match is not None
        driver.current = int(match.group(1))
        tally = driver.tally()
        tally.manager_decisions += 1
        if match.group(2) == "reject":
            driver.type(REJECT_REASON)
            tally.reason_chars += len(REJECT_REASON)
        tally.submits += 1
        tally.keystrokes += 1  # the Enter that answers the confirmation dialog
        with page.expect_navigation():
            driver.press("Enter")


def _decisions(engine: Any, tallies: dict[int, ApplicationTally]) -> None:
    """Each application's decision after the pass, and the rules that still hold it up."""
    from sqlalchemy.orm import Session

    from pipeline.rules.store import current_decision, stored_findings
    from pipeline.storage.models import Application

    with Session(engine) as session:
        for tally in tallies.values():
            application = session.get(Application, tally.application_id)
            tally.decision_after = application.decision if application else None
            current = current_decision(session, tally.application_id)
            if current is None or not current.evaluation_id or current.outcome != "review":
                continue
            tally.waiting_for = sorted(
                {
                    f.rule_id
                    for f in stored_findings(session, current.evaluation_id)
                    if f.outcome in ("fail", "review")
                }
            )


def _summary(tallies: list[ApplicationTally], seconds: float) -> dict[str, Any]:
    n = max(1, len(tallies))
    per_app = [
        {
            **asdict(t),
            "keystroke_target": t.keystroke_target,
            "within_keystroke_target": t.keystrokes <= t.keystroke_target,
            "within_page_load_target": t.page_loads <= t.page_load_target,
        }
        for t in sorted(tallies, key=lambda t: t.application_id)
    ]
    by_decision: dict[str, int] = defaultdict(int)
    for t in tallies:
        by_decision[t.decision_after or "none"] += 1
    return {
        "applications": len(tallies),
        "page_loads_per_application": round(sum(t.page_loads for t in tallies) / n, 2),
        "submits_per_application": round(sum(t.submits for t in tallies) / n, 2),
        "keystrokes_per_application": round(sum(t.keystrokes for t in tallies) / n, 2),
        "mouse_free_share": round(sum(1 for t in tallies if t.mouse_actions == 0) / n, 3),
        "fields_needing_person_per_application": round(
            sum(t.fields_needing_person for t in tallies) / n, 2
        ),
        "corrections": sum(t.corrections for t in tallies),
        "judgements": sum(t.judgements for t in tallies),
        "payments_confirmed": sum(t.payments_confirmed for t in tallies),
        "within_keystroke_target": sum(1 for t in tallies if t.keystrokes <= t.keystroke_target),
        "within_page_load_target": sum(1 for t in tallies if t.page_loads <= t.page_load_target),
        "decisions_after": dict(sorted(by_decision.items())),
        "seconds": round(seconds, 1),
        "per_application": per_app,
    }


def run_review_bench(source: Path | None = None, sample: Path | None = None) -> dict[str, Any]:
    """Settle every application of the batch keyboard-only and count what it took."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:  # pragma: no cover - the dev extras install it
        raise RuntimeError("the review benchmark needs Playwright (make install)") from e
    from pipeline.sample_inbox import SAMPLE_DIR

    truths = _truth_values(sample or SAMPLE_DIR)
    outcomes = _truth_outcomes(sample or SAMPLE_DIR)
    with tempfile.TemporaryDirectory(prefix="conken-bench-review-") as tmp:
        data_root = Path(tmp) / "data"
        _prepare(data_root, source)
        server, base, engine = _serve(data_root)
        started = time.monotonic()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                staff = Driver(_log_in(browser, base, "bench-staff"))
                _staff_pass(staff, base, engine, truths, outcomes)
                manager = Driver(_log_in(browser, base, "bench-manager"), tallies=staff.tallies)
                _manager_pass(manager, base)
                browser.close()
        finally:
            server.should_exit = True
        seconds = time.monotonic() - started
        _decisions(engine, staff.tallies)
        engine.dispose()
    return _summary(list(staff.tallies.values()), seconds)
