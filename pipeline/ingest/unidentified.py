"""An envelope in which no page is one of the association's forms.

A photo, a letter or a wrong file scanned into the inbox is readable (so not
quarantined) but it is no application: making one would give staff an
application with no qualification and the applicant a letter to 「申請者 様」
about 「プロフェッショナル資格（）」. Its pages stay stored for staff to look at,
the envelope is marked ``unidentified`` and an ``unidentified_document`` item
asks a person what it is (re-scan it, or set it aside).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from pipeline.queue import open_or_update
from pipeline.storage.audit import record_event, run_actor
from pipeline.storage.models import Envelope
from pipeline.vocabulary import EnvelopeStatus, Severity

KIND = "unidentified_document"


def store_unidentified(
    session: Session, envelope: Envelope, *, pages: int, run_id: int | None
) -> None:
    """Mark ``envelope`` (its pages already stored) and open the item for staff."""
    envelope.status = EnvelopeStatus.UNIDENTIFIED.value
    envelope.page_count = pages
    open_or_update(
        session,
        kind=KIND,
        dedupe_key=f"unidentified:envelope:{envelope.id}",
        title_ja=(
            f"申請様式のページが見つからない封筒です（{envelope.original_name}、{pages}ページ）: "
            "内容を確認し、申請書類なら再スキャンしてください"
        ),
        severity=Severity.HIGH,
        details={"original_name": envelope.original_name, "pages": pages},
        envelope_id=envelope.id,
        run_id=run_id,
    )
    record_event(
        session,
        actor=run_actor(run_id),
        action="envelope.unidentified",
        entity_type="envelope",
        entity_id=envelope.id,
        after={"pages": pages},
        run_id=run_id,
    )
