"""What "the same outcome" means for the crash-safety tests: normalised dumps.

A run that was killed and re-run must leave the same database rows and the
same files as one uninterrupted run. Some values legitimately differ between
the two and are left out or rewritten here, each for a stated reason:

* surrogate ids (``id`` and foreign keys): an aborted insert can consume a
  sequence value (PostgreSQL) and rows written by a second attempt get new
  ids; every foreign key is replaced by the natural key of the row it points
  at (an envelope by its file name, a field by envelope/form/name/row, a
  transaction by its bank key, ...), so a doubled or orphaned row still shows;
* ``run_id`` columns and ``run:<n>`` actors: the killed and re-run runs have
  their own ids (the run that did a step is not what we compare) — actors keep
  their kind (``run:N``), so a step done by a person would still differ;
* a statement import's ``file_name``: the absolute path of the file, which
  lies under each test's own data root — its base name is kept;
* timestamps of when a row was written (``created_at``, ``at``, ...): wall
  clock. Business times derived from inputs (``received_at`` from the file's
  mtime, ``booked_on``) are kept;
* ids inside audit payloads (``decision_id``, the ``dedupe_key`` of an opened item):
  surrogate ids too; with two workers the envelopes' OCR finishes in either order,
  so which envelope's fields and decision get the lower ids is a race — a decision
  is named by its application and its place among that application's decisions;
* the 申請番号 column of a letter list: an application's id, which follows the
  same race — it is replaced by the application's natural key;
* ``evaluation_id``: a random UUID per rules evaluation, links findings to
  their decision — replaced by a check that each decision's findings exist;
* the ``runs`` and ``run_locks`` tables: a killed run is one more row by
  design (checked separately: ``interrupted``, and no lock left behind);
* ``web_sessions``, ``item_presence``, ``users``: the nightly run never
  writes them;
* in file trees, each run's own report (``reports/run-<id>.*``, history) and
  output folder name: per run by design; the rows of every run's letter and
  certificate lists are compared together instead, so a letter stored by a
  killed run but listed by no file shows as lost.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from pipeline.storage.models import Base

WALL_CLOCK = {
    "created_at",
    "updated_at",
    "imported_at",
    "first_seen_at",
    "opened_at",
    "closed_at",
    "decided_at",
    "at",
    "seen_at",
    "sent_at",
}
RUN_REFS = {"run_id", "opened_run_id", "closed_run_id"}
RANDOM = {"evaluation_id"}
NOT_COMPARED = {"runs", "run_locks", "web_sessions", "item_presence", "users"}
FOREIGN = {
    "envelope_id": "envelopes",
    "duplicate_of_id": "envelopes",
    "duplicate_of": "envelopes",
    "page_id": "pages",
    "application_id": "applications",
    "applicant_id": "applicants",
    "field_id": "fields",
    "transaction_id": "bank_transactions",
    "import_id": "statement_imports",
    "assignee_id": "users",
    "decision_id": "decisions",
}
ENTITY_TABLE = {
    "envelope": "envelopes",
    "application": "applications",
    "field": "fields",
    "bank_transaction": "bank_transactions",
    "payment_match": "payment_matches",
    "letter": "letters",
    "exception": "exceptions",
}
_RUN_ACTOR = re.compile(r"\brun:\d+\b")

Rows = dict[str, list[dict[str, Any]]]


def _natural_keys(rows: Rows) -> dict[str, dict[int, str]]:
    """id -> natural key, table by table (in dependency order)."""
    keys: dict[str, dict[int, str]] = {}

    def add(table: str, make: Callable[[dict[str, Any]], str]) -> None:
        keys[table] = {r["id"]: make(r) for r in rows.get(table, [])}

    def ref(table: str, value: int | None) -> str:
        return "-" if value is None else keys[table].get(value, f"missing:{table}")

    add("envelopes", lambda r: r["original_name"])
    add("pages", lambda r: f"{ref('envelopes', r['envelope_id'])}#p{r['page_index']}")
    add("applications", lambda r: f"app:{ref('envelopes', r['envelope_id'])}")
    by_applicant = {a["applicant_id"]: keys["applications"][a["id"]] for a in rows["applications"]}
    add("applicants", lambda r: f"person-of:{by_applicant.get(r['id'], 'orphan')}")
    add(
        "fields",
        lambda r: (
            f"{ref('envelopes', r['envelope_id'])}:{r['form_code']}.{r['name']}[{r['row_index']}]"
        ),
    )
    add("statement_imports", lambda r: r["file_sha256"][:16])
    add("bank_transactions", lambda r: f"txn:{r['txn_key']}")
    add(
        "payment_matches",
        lambda r: (
            f"{ref('bank_transactions', r['transaction_id'])}->"
            f"{ref('applications', r['application_id'])}:{r['rule']}"
        ),
    )
    add("letters", lambda r: f"{ref('applications', r['application_id'])}:{r['kind']}")
    add("exceptions", lambda r: f"{r['kind']}:{re.sub(r'[0-9]+', '#', r['dedupe_key'])}")
    add("users", lambda r: r["username"])
    seen: dict[int, int] = {}
    decisions: dict[int, str] = {}
    for r in sorted(rows.get("decisions", []), key=lambda r: r["id"]):
        seen[r["application_id"]] = seen.get(r["application_id"], 0) + 1
        app = ref("applications", r["application_id"])
        decisions[r["id"]] = f"{app}:decision{seen[r['application_id']]}"
    keys["decisions"] = decisions
    return keys


def _normalise(value: Any, key: str | None, keys: dict[str, dict[int, str]]) -> Any:
    if isinstance(value, dict):
        return {
            k: _normalise(v, k, keys)
            for k, v in value.items()
            if k not in RUN_REFS | WALL_CLOCK | RANDOM
        }
    if isinstance(value, list):
        return [_normalise(v, key, keys) for v in value]
    if key == "dedupe_key" and isinstance(value, str):
        return re.sub(r"[0-9]+", "#", value)
    if key in FOREIGN and isinstance(value, int):
        return keys[FOREIGN[key]].get(value, f"missing:{FOREIGN[key]}")
    if isinstance(value, str):
        return _RUN_ACTOR.sub("run:N", value)
    return value


def read_tables(engine: Engine) -> Rows:
    out: Rows = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            out[table.name] = [dict(r._mapping) for r in conn.execute(select(table))]
    return out


def database_dump(engine: Engine) -> dict[str, list[str]]:
    """Every compared table as a sorted list of normalised rows (JSON text)."""
    rows = read_tables(engine)
    keys = _natural_keys(rows)
    dump: dict[str, list[str]] = {}
    for table, table_rows in rows.items():
        if table in NOT_COMPARED:
            continue
        normalised = []
        for row in table_rows:
            item = {k: v for k, v in row.items() if k != "id"}
            if table == "audit_events" and item.get("entity_id") is not None:
                target = ENTITY_TABLE.get(item["entity_type"])
                item["entity_id"] = (
                    keys[target].get(item["entity_id"], "missing") if target else "?"
                )
            if table == "statement_imports":
                item["file_name"] = Path(item["file_name"]).name  # absolute, under the data root
            if table == "exceptions":
                item["dedupe_key"] = re.sub(r"[0-9]+", "#", item["dedupe_key"])
            normalised.append(json.dumps(_normalise(item, None, keys), sort_keys=True, default=str))
        dump[table] = sorted(normalised)
    evaluations = {r["evaluation_id"] for r in rows["rule_findings"]}
    dump["decisions_without_findings"] = [
        str(r["application_id"])
        for r in rows["decisions"]
        if r["evaluation_id"] and r["evaluation_id"] not in evaluations
    ]
    return dump


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_tree(root: Path, *folders: str) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``root/<folder>`` (hidden temp files too)."""
    out: dict[str, str] = {}
    for folder in folders:
        base = root / folder
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            if path.is_file() or path.is_symlink():
                out[str(path.relative_to(root))] = _digest(path)
    return out


def application_keys(engine: Engine) -> dict[str, str]:
    """Application id (as a list prints it) -> the application's natural key."""
    keys = _natural_keys(read_tables(engine))["applications"]
    return {str(app_id): key for app_id, key in keys.items()}


def listed_outputs(root: Path, applications: dict[str, str]) -> list[str]:
    """Data rows of every run's letter and certificate lists, together, sorted; a letter
    list's 申請番号 (its first column) is given as the application's natural key."""
    rows: list[str] = []
    for path in sorted((root / "outputs").glob("run-*/*.csv")):
        if path.name.endswith("-cp932.csv"):
            continue  # the same rows as the UTF-8 file
        reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))
        next(reader, None)
        for row in reader:
            if path.name.startswith("letters") and row:
                row = [applications.get(row[0], f"missing:{row[0]}"), *row[1:]]
            rows.append(f"{path.name}:{json.dumps(row, ensure_ascii=False)}")
    return sorted(rows)
