"""Building an application's rule facts from what the pipeline stored.

Every fact keeps the stored field's id (``B.exp2_from``), confidence and
status, so a finding can say which reading it rests on. Field rows of forms
(B) and (C) are joined by row number: each (C) block names the (B) row it
attests (経歴番号); a block without a readable row number is joined by its
position.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.rules.earlier import earlier_approval
from pipeline.storage.models import (
    Application,
    FieldValue,
    Page,
    RegistryEntry,
    RuleRuling,
    User,
)
from pipeline.vocabulary import FieldStatus

_ROW = re.compile(r"^(exp|att|sub)(\d+)_(.+)$")
FORMS = ("R", "A", "B", "C", "D")


def _fact(f: FieldValue | None, convert: Any = None) -> dict[str, Any]:
    if f is None:
        return {"value": None, "status": FieldStatus.MISSING.value, "confidence": 0.0}
    value: Any = f.value
    if value is not None and convert is not None:
        try:
            value = convert(value)
        except (ValueError, TypeError):
            value = None
    status = (
        f.status
        if value is not None or f.status == FieldStatus.MISSING.value
        else FieldStatus.INVALID.value
    )
    return {
        "value": value,
        "field_id": f"{f.form_code}.{f.name}",
        "confidence": float(f.confidence if f.confidence is not None else 0.0),
        "status": status,
    }


def _bool(value: str) -> bool:
    return value == "true"


def _year_month(value: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise ValueError(f"not a year-month: {value!r}")
    return value


def _year_month_or_present(value: str) -> str:
    return value if value == "present" else _year_month(value)


def _months_from_years(value: str) -> int:
    return round(float(value) * 12)


def load_facts(
    session: Session,
    application: Application,
    *,
    payment_status: str | None = None,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """The APP.json-shaped facts of a stored application (validated by the rules' model).

    ``tz``: the business time zone the rulings' times are told in (UTC without it).
    """
    fields = list(
        session.scalars(select(FieldValue).where(FieldValue.application_id == application.id))
    )
    by_key: dict[str, FieldValue] = {}
    for f in fields:
        by_key.setdefault(f"{f.form_code}.{f.name}", f)
    present_forms = {
        code
        for (code,) in session.execute(
            select(Page.form_code).where(
                Page.envelope_id == application.envelope_id, Page.form_code.is_not(None)
            )
        )
    }

    rows: dict[str, dict[int, dict[str, FieldValue]]] = defaultdict(lambda: defaultdict(dict))
    for f in fields:
        match = _ROW.match(f.name)
        if match and f.form_code in ("B", "C"):
            prefix, number, rest = match.groups()
            rows[prefix][int(number)][rest] = f

    experience, substitutions = _tables(rows)
    register = _register(session, application.pass_number)
    qualification_field = by_key.get("A.qual_cap")
    qualification = {
        "value": application.qualification,
        "field_id": "A.qualification",
        "confidence": float(qualification_field.confidence or 0.0) if qualification_field else 0.0,
        "status": _qualification_status(by_key, application),
    }
    return {
        "application_id": application.id,
        "qualification": qualification,
        "received_on": application.received_on.isoformat(),
        "received_on_override": application.received_on_override.isoformat()
        if application.received_on_override
        else None,
        "exam_report": {
            "pass_number": _fact(by_key.get("R.pass_number")),
            "exam_type": _fact(by_key.get("R.exam_type")),
            "result": _fact(by_key.get("R.exam_result")),
            "issue_date": _fact(by_key.get("R.issue_date"), date.fromisoformat),
        },
        "register": register,
        "experience": experience,
        "substitutions": substitutions,
        "oath_signed": _fact(by_key.get("D.signature"), _bool),
        "payment": {"status": payment_status or application.payment_status},
        "documents": {
            ("report" if code == "R" else code): {
                "value": code in present_forms,
                "status": FieldStatus.CONFIRMED.value,
            }
            for code in FORMS
        },
        "earlier_approval": _earlier_approval(session, application, tz),
        "rulings": load_rulings(session, application.id, tz),
    }


def _earlier_approval(
    session: Session, application: Application, tz: tzinfo | None
) -> dict[str, Any] | None:
    """Another approved application of the same pass number and qualification, if any."""
    found = earlier_approval(session, application, tz)
    return found.model_dump(mode="json") if found is not None else None


def load_rulings(session: Session, application_id: int, tz: tzinfo | None) -> list[dict[str, Any]]:
    """People's rulings on the application's findings, oldest first (the latest one wins)."""
    rows = list(
        session.scalars(
            select(RuleRuling)
            .where(RuleRuling.application_id == application_id)
            .order_by(RuleRuling.decided_at, RuleRuling.id)
        )
    )
    ids = {int(r.decided_by.split(":", 1)[1]) for r in rows if r.decided_by.startswith("user:")}
    names = (
        {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    out = []
    for r in rows:
        who = r.decided_by
        if who.startswith("user:"):
            who = names.get(int(who.split(":", 1)[1]), who)
        out.append(
            {
                "rule_id": r.rule_id,
                "key": r.key,
                "accepted": r.accepted,
                "by": who,
                "at": r.decided_at.astimezone(tz) if tz else r.decided_at,
                "reason": r.reason,
            }
        )
    return out


def _tables(
    rows: dict[str, dict[int, dict[str, FieldValue]]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Form B's experience rows (each with its form C attestation) and substitution items."""
    experience = []
    attestations = _attestations_by_row(rows["att"])
    for number in sorted(rows["exp"]):
        row = rows["exp"][number]
        if not _row_filled(row, ("org", "from", "to")):
            continue
        ticks = {k: _fact(row.get(f"field_{k}"), _bool) for k in range(1, 8)}
        attestation = attestations.get(number)
        experience.append(
            {
                "row": number,
                "organisation": _fact(row.get("org")),
                "from": _fact(row.get("from"), _year_month),
                "to": _fact(row.get("to"), _year_month_or_present),
                "fields": ticks,
                "attestation": attestation,
            }
        )
    substitutions = []
    for number in sorted(rows["sub"]):
        row = rows["sub"][number]
        if not _row_filled(row, ("name", "date", "years")):
            continue
        substitutions.append(
            {"item": _fact(row.get("name")), "months": _fact(row.get("years"), _months_from_years)}
        )
    return experience, substitutions


def _register(session: Session, pass_number: str | None) -> dict[str, Any] | None:
    """The passers register's line for the pass number, if there is one."""
    if not pass_number:
        return None
    entry = session.scalars(
        select(RegistryEntry).where(RegistryEntry.pass_number == pass_number)
    ).first()
    if entry is None:
        return None
    return {
        "pass_number": entry.pass_number,
        "exam_type": entry.exam_type,
        "result": entry.result,
        "issue_date": entry.issue_date.isoformat() if entry.issue_date else None,
    }


def _row_filled(row: dict[str, FieldValue], names: tuple[str, ...]) -> bool:
    """A table row counts when any of its main cells holds something (value or unread ink)."""
    return any(
        (f := row.get(n)) is not None
        and (f.value is not None or f.status != FieldStatus.MISSING.value)
        for n in names
    )


def _attestations_by_row(blocks: dict[int, dict[str, FieldValue]]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for position in sorted(blocks):
        block = blocks[position]
        if not _row_filled(block, ("org", "name", "signature")):
            continue
        row_field = block.get("row")
        target = position
        if row_field is not None and row_field.value and row_field.value.isdigit():
            target = int(row_field.value)
        signed = _fact(block.get("signature"), _bool)
        out[target] = {"organisation": _fact(block.get("org")), "signed": signed}
    return out


def _qualification_status(by_key: dict[str, FieldValue], application: Application) -> str:
    if application.qualification is None:
        return FieldStatus.MISSING.value
    boxes = [by_key.get("A.qual_cap"), by_key.get("A.qual_omp")]
    if application.qualification in ("CAP", "OMP"):
        statuses = {b.status for b in boxes if b is not None}
        if statuses <= {FieldStatus.OK.value, FieldStatus.CONFIRMED.value}:
            return (
                FieldStatus.CONFIRMED.value
                if FieldStatus.CONFIRMED.value in statuses
                else FieldStatus.OK.value
            )
        return FieldStatus.LOW_CONFIDENCE.value
    report_type = by_key.get("R.exam_type")
    return report_type.status if report_type is not None else FieldStatus.LOW_CONFIDENCE.value
