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
from datetime import date

from pipeline.text.kana import normalize_spaces


def _text(value: str | None) -> str:
    return normalize_spaces(unicodedata.normalize("NFKC", value or ""))


def content_of(
    booked_on: date,
    deposit_yen: int,
    withdrawal_yen: int,
    balance_yen: int | None,
    description: str | None,
    payer_raw: str,
) -> tuple[str, ...]:
    """What identifies a transaction apart from its ordinal."""
    return (
        booked_on.isoformat(),
        str(deposit_yen),
        str(withdrawal_yen),
        "" if balance_yen is None else str(balance_yen),
        _text(description),
        _text(payer_raw),
    )


def transaction_key(content: tuple[str, ...], ordinal: int) -> str:
    """64 hex characters; ``ordinal`` counts identical rows from 0."""
    payload = "\x1f".join((*content, str(ordinal)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class KeyAssigner:
    """Gives the rows of one file their keys, counting identical rows."""

    def __init__(self) -> None:
        self._seen: Counter[tuple[str, ...]] = Counter()

    def key(self, content: tuple[str, ...]) -> str:
        ordinal = self._seen[content]
        self._seen[content] += 1
        return transaction_key(content, ordinal)
