"""The applicant's personal data in a ground-truth record, for log scans."""

from __future__ import annotations

from typing import Any

PERSONAL_KEYS = (
    "family_kanji",
    "given_kanji",
    "family_kana",
    "given_kana",
    "birth_date",
    "address",
    "phone",
    "email",
    "postcode",
)


def personal_values(record: dict[str, Any]) -> list[str]:
    return [str(record[k]) for k in PERSONAL_KEYS if record.get(k)]
