"""Reconciliation without a database: an applications file and statement files in, JSON out.

``conken payments match --applications APPS.json --statement FILE... --json``

APPS.json is a JSON list of objects::

    [{"id": 1, "pass_number": "23010123", "kana": "コンケン タロウ", "employer": null}, ...]

- ``id`` (integer or string, unique): the caller's identifier;
- ``pass_number`` (string of digits, may be empty): its last four digits are matched;
- ``kana`` (string, or list of strings for form A and the register): the
  applicant's name in katakana or hiragana, any width, spaces allowed;
- ``employer`` (string or null, optional): compared, as kana, with company payers.

Statements are read as by ``conken payments import`` (profile detected, or
``--profile``); a transaction in several overlapping files counts once.
Output (one JSON object)::

    {
      "fee_yen": 11000,
      "applications": [
        {"id": 1, "pass_number": "23010123",
         "status": "paid|unpaid|underpaid|overpaid|duplicate|review",
         "paid_yen": 11000,
         "transactions": [<transaction>, ...]}       # accepted, proposed or implicating it
      ],
      "unmatched": [<transaction>, ...],                # deposits assigned to no application
      "statements": [{"file", "profile", "sha256", "rows_read", "rows_new",
                      "rows_duplicate", "problems": [{"file", "line", "message"}]}],
      "summary": {"deposits": n, "unmatched": n, "statuses": {"paid": n, ...}}
    }

    <transaction> = {"key", "date", "amount_yen", "payer", "description",
                     "application_id", "rule", "score", "match_status"
                     ("accepted"|"proposed"|null), "outcome" ("paid"|"underpaid"|
                     "overpaid"|"duplicate"|"bulk"|"review"|"unmatched"),
                     "reason", "candidates": [{"application_id", "pass_number",
                     "score", "via", "implicated"}]}

``status`` ``review`` means no accepted payment but a proposal or a conflict
naming the application: staff decide. ``paid_yen`` counts accepted payments only.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from pydantic import ValidationError as PydanticValidationError

from pipeline.config import Settings
from pipeline.errors import InputFileError, ValidationError
from pipeline.payments.matching import (
    ApplicationRecord,
    Deposit,
    MatchResult,
    match_payments,
)
from pipeline.payments.profiles import Profile
from pipeline.payments.statements import StatementRow, read_statement
from pipeline.payments.store import match_settings
from pipeline.vocabulary import MatchStatus


class ApplicationIn(BaseModel):
    """One entry of APPS.json."""

    model_config = ConfigDict(extra="forbid")

    id: int | str
    pass_number: str = Field(max_length=32)
    kana: str | list[str]
    employer: str | None = None

    @field_validator("pass_number")
    @classmethod
    def _digits(cls, value: str) -> str:
        if value and not any(c.isdigit() for c in value):
            raise ValueError("pass_number must contain digits")
        return value

    def record(self) -> ApplicationRecord:
        names = (self.kana,) if isinstance(self.kana, str) else tuple(self.kana)
        return ApplicationRecord(self.id, self.pass_number, names, self.employer)


_APPS = TypeAdapter(list[ApplicationIn])


def load_applications_json(path: Path) -> list[ApplicationRecord]:
    """Read and validate APPS.json (see the module docstring)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as e:
        raise InputFileError(f"{path}: no such file") from e
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValidationError(f"{path}: not a UTF-8 JSON file ({e})") from e
    try:
        apps = _APPS.validate_python(data)
    except PydanticValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ValidationError(
            f"{path}: invalid applications list at {where}: {first['msg']}"
        ) from e
    ids = Counter(a.id for a in apps)
    repeated = [i for i, n in ids.items() if n > 1]
    if repeated:
        raise ValidationError(f"{path}: application id {repeated[0]!r} appears more than once")
    return [a.record() for a in apps]


def _transaction(result: MatchResult, rows: dict[str, StatementRow]) -> dict[str, Any]:
    row = rows[str(result.deposit.ref)]
    return {
        "key": row.txn_key,
        "date": row.booked_on.isoformat(),
        "amount_yen": row.deposit_yen,
        "payer": row.payer_raw,
        "description": row.description,
        "application_id": result.application_id,
        "rule": result.rule,
        "score": round(result.score, 1),
        "match_status": result.status.value if result.status else None,
        "outcome": result.outcome,
        "reason": result.reason,
        "candidates": result.candidates_json(),
    }


def reconcile_files(
    applications: Sequence[ApplicationRecord],
    statements: Sequence[Path],
    settings: Settings,
    profile: Profile | None = None,
) -> dict[str, Any]:
    """The standalone reconciliation (output documented in the module docstring)."""
    rows: dict[str, StatementRow] = {}
    files = []
    for path in statements:
        parsed = read_statement(path, profile)
        new = [r for r in parsed.rows if r.txn_key not in rows]
        rows.update((r.txn_key, r) for r in new)
        files.append(
            {
                "file": str(path),
                "profile": parsed.profile,
                "sha256": parsed.sha256,
                "rows_read": parsed.rows_read,
                "rows_new": len(new),
                "rows_duplicate": len(parsed.rows) - len(new),
                "problems": [p.as_dict() for p in parsed.problems],
            }
        )
    deposits = [
        Deposit(key, r.booked_on, r.deposit_yen, r.payer_raw)
        for key, r in rows.items()
        if r.is_deposit
    ]
    cfg = match_settings(settings)
    run = match_payments(applications, deposits, cfg)
    by_app: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    paid: Counter[Any] = Counter()
    unmatched = []
    for result in run.results:
        txn = _transaction(result, rows)
        for app_id in result.implicated_ids:
            by_app[app_id].append(txn)
        if result.application_id is None:
            unmatched.append(txn)
        elif result.status is MatchStatus.ACCEPTED:
            paid[result.application_id] += result.amount_yen
    out_apps = [
        {
            "id": app.id,
            "pass_number": app.pass_number,
            "status": run.statuses[app.id],
            "paid_yen": paid[app.id],
            "transactions": by_app.get(app.id, []),
        }
        for app in applications
    ]
    return {
        "fee_yen": cfg.fee_yen,
        "applications": out_apps,
        "unmatched": unmatched,
        "statements": files,
        "summary": {
            "deposits": len(deposits),
            "unmatched": len(unmatched),
            "statuses": dict(sorted(Counter(run.statuses.values()).items())),
        },
    }
