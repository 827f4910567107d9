"""What the pages that act share: run an action in one transaction, or say why not.

An item page and an application's screen refuse an action the same way: a stale
form (409) with what changed, a refused action or unreadable values (422) with
the message, anything else the domain raised (422) with its message, nothing
saved. Who an action assigns work to is read the same way too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import HTTPException
from sqlalchemy.orm import Session

from pipeline.errors import ConcurrencyError, ConkenError
from pipeline.review.actions import ActionRefusedError, StaleEditError
from pipeline.storage.models import User

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Refused:
    """Why an action was not saved, as the page shows it."""

    status_code: int
    error: str | None = None
    stale: list[dict[str, object]] | None = None
    field_errors: dict[int | str, str] | None = None


def attempt(
    db: Session,
    action: Callable[[], T],
    *,
    where: str,
    conflict_changes: Callable[[], list[dict[str, object]]] | None = None,
) -> T | Refused:
    """Run ``action`` and commit; on refusal roll back and say why (``where``: for the log)."""
    try:
        result = action()
        db.commit()
        return result
    except StaleEditError as e:
        db.rollback()
        return Refused(409, stale=e.changes)
    except ConcurrencyError:
        # A lost race the action could not describe: what changed since, if the page can tell.
        db.rollback()
        return Refused(409, stale=conflict_changes() if conflict_changes else [])
    except ActionRefusedError as e:
        db.rollback()
        return Refused(422, error=e.message, field_errors=getattr(e, "errors", None))
    except ConkenError as e:  # e.g. the rules could not read the stored facts
        db.rollback()
        log.warning("%s: action refused: %s", where, e.message)
        return Refused(422, error=f"処理できなかったため、保存していません（{e.message}）。")


def assignee_of(db: Session, user: User, assignee: str) -> User | None:
    """ "me", an active user's id, or nobody (anything else is a bad request)."""
    if assignee == "me":
        return user
    if assignee.isdigit():
        target = db.get(User, int(assignee))
        if target is None or not target.active:
            raise HTTPException(status_code=400)
        return target
    return None
