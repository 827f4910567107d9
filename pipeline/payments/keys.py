"""The stable key of a bank transaction.

Statement downloads overlap (a month downloaded weekly), so the same
transaction arrives many times. Its key is a SHA-256 over what the bank says
about it: booking date, deposit, withdrawal, balance, 摘要, 摘要内容 (each
NFKC-normalised, spaces collapsed) and an ordinal: the occurrence number among
otherwise identical rows of the same day in the same file. The ordinal keeps
two identical payments on one day apart, and, because it counts identical
rows only (not every row of the day), a download that cut a day in half still
gives the rows it has the same keys as a later full download.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Protocol

from pipeline.text.kana import normalize_spaces


class KeyedFields(Protocol):
    @property
    def booked_on(self) -> date: ...
    @property
    def deposit_yen(self) -> int: ...
    @property
    def withdrawal_yen(self) -> int: ...
    @property
    def balance_yen(self) -> int | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def payer_raw(self) -> str: ...


def _text(value: str | None) -> str:
    return normalize_spaces(unicodedata.normalize("NFKC", value or ""))


def content_of(row: KeyedFields) -> tuple[str, ...]:
    """What identifies a transaction apart from its ordinal."""
    return (
        row.booked_on.isoformat(),
        str(row.deposit_yen),
        str(row.withdrawal_yen),
        "" if row.balance_yen is None else str(row.balance_yen),
        _text(row.description),
        _text(row.payer_raw),
    )


def transaction_key(content: tuple[str, ...], ordinal: int) -> str:
    """64 hex characters; ``ordinal`` counts identical rows from 0."""
    payload = "\x1f".join((*content, str(ordinal)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def assign_keys(rows: Iterable[KeyedFields]) -> list[str]:
    """Keys for the rows of one file, in the rows' order."""
    seen: Counter[tuple[str, ...]] = Counter()
    keys = []
    for row in rows:
        content = content_of(row)
        keys.append(transaction_key(content, seen[content]))
        seen[content] += 1
    return keys
