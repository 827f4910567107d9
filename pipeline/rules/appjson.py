"""APP.json: one application's facts as JSON, for ``conken rules check``.

No scans and no database: everything the rules need is in the file. Example:
``tests/fixtures/rules/eligible_cap.json``.

Schema (``conken.rules.application``; unknown keys are refused)::

    {
      "application_id": 12,                   optional, shown in the output
      "qualification": "CAP",                 fact; CAP | OMP | SV | OP | EN
      "received_on": "2024-05-10",            envelope arrival date (plain date)
      "received_on_override": "2024-05-08",   optional: staff override, e.g. the postmark
      "exam_report": {                        the exam result report copy (facts)
        "pass_number": "23010042",
        "exam_type": "CAP",
        "result": "合格",                      合格 / pass or 不合格 / fail
        "issue_date": "2023-04-01"
      },
      "register": {                           optional: the passers register's line
        "pass_number": "23010042", "exam_type": "CAP",
        "result": "pass", "issue_date": "2023-04-01"       (issue_date optional)
      },                                      absent or null: not found → review
      "experience": [                         form (B) rows
        {
          "row": 1,                           optional (default: position + 1)
          "organisation": "株式会社サンプル",   fact
          "from": "2019-04",                  fact, year-month
          "to": "現在",                        fact, year-month or 現在 / present
          "fields": [4, 6],                   ticked fields 1..7, or a mapping
                                              {"4": fact(bool), ...} for every box
          "attestation": {                    form (C) for this row, or null if none
            "organisation": "株式会社サンプル",  fact
            "signed": true                    fact
          }
        }
      ],
      "substitutions": [                      optional, default []
        {"item": "コン検 スーパーバイザー資格", "months": 12}   months optional (fact)
      ],
      "oath_signed": true,                    fact: form (D) signed
      "payment": {"status": "paid", "amount_yen": 11000},
                   status: paid | unpaid | underpaid | overpaid | duplicate | bulk | review
      "documents": {"report": true, "A": true, "B": true, "C": true, "D": false}
                                              optional, each a fact; default all present
      "earlier_approval": {                   optional (absent or null: none known):
        "application_id": 3,                  another application of the same pass
        "pass_number": "23010042",            number and qualification, approved
        "certificate_number": "CAP-2023-00012",   (all but application_id optional)
        "approved_on": "2023-06-01"
      },
      "rulings": [                            optional: people's rulings (rulings.py)
        {"rule_id": "attestation.same_organisation", "key": "<the finding's
         details.judgement.key>", "accepted": true, "by": "佐藤",
         "at": "2024-05-12T10:30:00+09:00", "reason": null}
      ]
    }

Limits: the file is at most ``MAX_FILE_BYTES`` (one application is a few KB), with at
most ``MAX_PERIODS`` experience rows and ``MAX_SUBSTITUTIONS`` substitution items
(form B has 16 rows and 3 items); anything larger is refused before it is parsed.

A *fact* is a bare value (typed by a person: confirmed, confidence 1.0) or an
object ``{"value": …, "field_id": "B.exp1_from", "confidence": 0.82, "status":
"low_confidence"}`` (status one of ok, low_confidence, invalid, missing,
corrected, confirmed; without a status it is ok at or above
``field_ok_confidence`` and low_confidence below). ``null`` is a missing value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic

from pipeline.errors import InputFileError, ValidationError
from pipeline.rules.facts import MAX_PERIODS, MAX_SUBSTITUTIONS, ApplicationFacts

MAX_FILE_BYTES = 256 * 1024


def read_application_json(path: Path) -> str:
    """The text of APP.json, refused when it is missing, unreadable or too large."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputFileError(
                f"{path}: {size:,} bytes is too large for one application "
                f"(the limit is {MAX_FILE_BYTES:,} bytes)"
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as e:
        raise InputFileError(f"{path}: no such file") from e
    except OSError as e:
        raise InputFileError(f"{path}: cannot read: {e}") from e
    if len(data) > MAX_FILE_BYTES:  # grew while read, or not a regular file
        raise InputFileError(f"{path}: larger than the limit of {MAX_FILE_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputFileError(f"{path}: cannot read as UTF-8 text: {e}") from e


def parse_application_json(
    text: str, *, source: str = "APP.json", ok_confidence: float = 0.90
) -> ApplicationFacts:
    """Parse and validate APP.json; errors name the line/column or the JSON path."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValidationError(
            f"{source}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
        ) from e
    if not isinstance(raw, dict):
        raise ValidationError(f"{source}: expected a JSON object at the top level")
    for key, limit in (("experience", MAX_PERIODS), ("substitutions", MAX_SUBSTITUTIONS)):
        items = raw.get(key)
        if isinstance(items, list) and len(items) > limit:
            raise ValidationError(
                f"{source}: {key} has {len(items):,} entries; at most {limit} are accepted"
            )
    try:
        return ApplicationFacts.model_validate(raw, context={"ok_confidence": ok_confidence})
    except pydantic.ValidationError as e:
        raise ValidationError(f"{source}: {describe_errors(e)}") from e


def json_path(loc: tuple[Any, ...]) -> str:
    """``('experience', 0, 'from')`` → ``experience[0].from``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def describe_errors(error: pydantic.ValidationError) -> str:
    """All validation errors on one line, each naming its JSON path."""
    parts = []
    for err in error.errors():
        loc = tuple(err["loc"])
        if loc and loc[-1] == "value" and err["type"] != "missing":
            loc = loc[:-1]  # a fact's value: name the fact
        path = json_path(loc)
        if err["type"] == "missing":
            parts.append(f"missing field {path}")
        elif err["type"] == "extra_forbidden":
            parts.append(f"unknown field {path}")
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            parts.append(f"{path}: {message}")
    return "; ".join(parts)
