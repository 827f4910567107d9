"""A newer submission replaces the older one (差し替え).

When an applicant sends a new envelope for the same qualification (same pass
number) while the earlier application is not final, the office works on the
newer one: the earlier application is ``superseded`` (final, audited, with a
reason that names the newer one), its open field and data-cleanup items close
as ``moot``, its payments move to the newer application, and each side links
to the other (audit events ``application.superseded`` / ``application.supersedes``).

What counts as a new submission, so that a misreading never retires someone
else's application and a follow-up is never taken for a replacement:

- the newer envelope holds form A (the application form itself): documents
  sent later without one (a missing certificate, a signed oath) are not a new
  submission and supersede nothing;
- both pass numbers are sure readings (``ok`` or confirmed by a person) and
  equal, and the qualification is the same;
- "newer" is the later received date (the postmark when staff set one), then
  the later envelope.

The nightly run calls :func:`supersede_earlier` before deciding; it is
idempotent (a superseded application is final and is never looked at again).
Files that are the same file (same hash) never get this far: intake records
them as ``duplicate`` envelopes without an application.

An approved application is final, so nothing supersedes it: a newer envelope of
the same pass number and qualification is decided on its own, and the rule
``certification.not_already_certified`` sends it to a person (approving it too
would number a second certificate). Rejected or withdrawn ones are final as well;
a new envelope after them is a new application (再申請) and is decided as one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.payments.transfer import move_payments
from pipeline.rules import store as rules_store
from pipeline.rules.earlier import sure_pass_numbers
from pipeline.storage.audit import record_event
from pipeline.storage.models import Application, AuditEvent, Envelope, Page
from pipeline.vocabulary import FINAL_DECISIONS, EnvelopeStatus

SUPERSEDED = "application.superseded"
SUPERSEDES = "application.supersedes"


@dataclass
class Links:
    """Which application replaced this one, and which ones it replaced."""

    superseded_by: int | None = None
    supersedes: list[int] = field(default_factory=list)


def _with_form_a(session: Session, envelope_ids: list[int]) -> set[int]:
    return set(
        session.scalars(
            select(Page.envelope_id).where(
                Page.envelope_id.in_(envelope_ids), Page.form_code == "A"
            )
        )
    )


def _groups(session: Session) -> list[list[Application]]:
    """Open applications that are submissions of the same person and qualification,
    oldest first within each group (groups of one are left out)."""
    open_apps = list(
        session.scalars(
            select(Application).where(
                Application.pass_number.is_not(None),
                Application.qualification.is_not(None),
                Application.decision.is_(None) | Application.decision.not_in(FINAL_DECISIONS),
            )
        )
    )
    if len(open_apps) < 2:
        return []
    sure = sure_pass_numbers(session, [a.id for a in open_apps])
    with_a = _with_form_a(session, [a.envelope_id for a in open_apps])
    grouped: dict[tuple[str, str], list[Application]] = defaultdict(list)
    for app in open_apps:
        if sure.get(app.id) == app.pass_number:
            grouped[(app.pass_number or "", app.qualification or "")].append(app)
    out = []
    for apps in grouped.values():
        apps.sort(key=lambda a: (a.effective_received_on, a.envelope_id))
        # Only an envelope with a new application form replaces what came before it.
        while len(apps) > 1 and apps[-1].envelope_id not in with_a:
            apps.pop()
        if len(apps) > 1:
            out.append(apps)
    return out


def supersede_earlier(
    session: Session, settings: Settings, *, run_id: int | None, actor: str
) -> list[tuple[int, int]]:
    """Supersede every open application that a newer submission replaces.

    Returns (older, newer) application ids, in the order they were superseded."""
    done: list[tuple[int, int]] = []
    for apps in _groups(session):
        newer = apps[-1]
        for older in apps[:-1]:
            supersede(session, settings, older, newer, actor=actor, run_id=run_id)
            done.append((older.id, newer.id))
    return done


def supersede(
    session: Session,
    settings: Settings,
    older: Application,
    newer: Application,
    *,
    actor: str,
    run_id: int | None,
) -> None:
    """``newer`` replaces ``older``: final decision, moot items, payments, links, envelope."""
    decision = rules_store.supersede(session, older.id, newer.id, actor=actor, run_id=run_id)
    move_payments(
        session,
        older.id,
        newer.id,
        actor=actor,
        reason=decision.reason or "",
        settings=settings,
        run_id=run_id,
    )
    envelope = session.get(Envelope, older.envelope_id)
    if envelope is not None:
        envelope.status = EnvelopeStatus.SUPERSEDED.value
    # Each side names the other (``application_id``): the trail is the link both ways.
    for entity, action, other in (
        (older.id, SUPERSEDED, newer.id),
        (newer.id, SUPERSEDES, older.id),
    ):
        record_event(
            session,
            actor=actor,
            action=action,
            entity_type="application",
            entity_id=entity,
            after={"application_id": other},
            reason=decision.reason,
            run_id=run_id,
        )
    session.flush()


def links(session: Session, application_id: int) -> Links:
    """The application's replacements, both ways (from the audit trail of supersessions)."""
    out = Links()
    for action, after in session.execute(
        select(AuditEvent.action, AuditEvent.after)
        .where(
            AuditEvent.entity_type == "application",
            AuditEvent.entity_id == application_id,
            AuditEvent.action.in_((SUPERSEDED, SUPERSEDES)),
        )
        .order_by(AuditEvent.id)
    ):
        other = int((after or {})["application_id"])
        if action == SUPERSEDED:
            out.superseded_by = other
        else:
            out.supersedes.append(other)
    return out
