"""Reading a bank transfer name (振込依頼人名).

The manual asks payers to write the last four digits of the pass number in
front of their name (``0123コンケンタロウ``). What arrives varies: digits after
the name, with spaces, in full width, missing; a bank prefix (フリコミ);
a company instead of the person (カ）コンケンシヨウジ, コンケン（カ, ｶ)...).
``parse_payer`` takes the name apart into what matching needs; it never
raises and never evaluates anything (a name starting with ``=`` is just text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.text.kana import (
    kana_match_key,
    match_key_of_normalized,
    normalize_kana,
    normalize_spaces,
)

#: Prefixes some banks put in front of the payer's name.
BANK_PREFIXES = ("デンシンフリコミ", "テレフリコミ", "フリコミ", "振込み", "振込")

#: Zengin abbreviations of legal-entity types (カ = 株式会社, ユ = 有限会社, ...),
#: longest first so that シヤ wins over シ.
_ENTITY_ABBREVIATIONS = (
    "トクヒ",
    "シユウ",
    "ユウクミ",
    "ザイ",
    "シヤ",
    "ガク",
    "フク",
    "ホゴ",
    "ドク",
    "ベン",
    "カ",
    "ユ",
    "ド",
    "メ",
    "シ",
    "イ",
    "ソ",
    "株",
    "有",
)
_ABBR = "|".join(_ENTITY_ABBREVIATIONS)
#: ``(カ)``, ``カ)`` or ``(カ``: an abbreviation with at least one bracket.
_COMPANY_MARKER = re.compile(rf"\(({_ABBR})\)|\(({_ABBR})(?=\s|$)|(?:(?<=\s)|^)({_ABBR})\)")
_COMPANY_WORDS = re.compile(
    r"カブシキガイシヤ|カブシキカイシヤ|ユウゲンガイシヤ|ユウゲンカイシヤ|ゴウドウガイシヤ"
    r"|株式会社|有限会社|合同会社"
)
#: Kanji markers and spelled-out entity types, as the bank abbreviation.
_CANONICAL_MARKER = {"株": "カ", "有": "ユ", "カブ": "カ", "ユウ": "ユ", "ゴウ": "ド", "合同": "ド"}
_DIGIT_RUN = re.compile(r"[0-9]+")
SUFFIX_LENGTH = 4


@dataclass(frozen=True)
class ParsedPayer:
    """A transfer name taken apart.

    ``normalized``: the whole name in canonical kana (single spaces);
    ``bank_prefix``: the prefix removed, if any; ``company_marker``: the legal
    entity abbreviation found (``カ``), if any; ``suffixes``: candidate last-4
    digits of a pass number, in order of appearance; ``name``: what is left
    once prefix, marker and digits are gone; ``name_key``: its comparison key;
    ``alias_key``: the key under which staff-confirmed aliases are stored.
    """

    raw: str
    normalized: str
    bank_prefix: str | None
    company_marker: str | None
    suffixes: tuple[str, ...]
    name: str
    name_key: str

    @property
    def is_company(self) -> bool:
        return self.company_marker is not None

    @property
    def alias_key(self) -> str:
        return f"{self.company_marker}){self.name_key}" if self.company_marker else self.name_key


def _strip_prefix(text: str) -> tuple[str, str | None]:
    for prefix in BANK_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :].lstrip(), prefix
    return text, None


def _find_company(text: str) -> tuple[str, str | None]:
    match = _COMPANY_MARKER.search(text)
    if match is not None:
        marker = next(g for g in match.groups() if g)
        marker = _CANONICAL_MARKER.get(marker, marker)
        return (text[: match.start()] + " " + text[match.end() :]).strip(), marker
    words = _COMPANY_WORDS.search(text)
    if words is not None:
        word = words.group()
        marker = _CANONICAL_MARKER.get(word[:2]) or _CANONICAL_MARKER.get(word[:1], word[:1])
        return (text[: words.start()] + " " + text[words.end() :]).strip(), marker
    return text, None


def _suffixes(text: str) -> tuple[str, ...]:
    """Four-digit runs; if there are none, the last four digits of longer runs
    (a payer who wrote the whole pass number)."""
    runs = _DIGIT_RUN.findall(text)
    exact = tuple(run for run in runs if len(run) == SUFFIX_LENGTH)
    if exact:
        return tuple(dict.fromkeys(exact))
    longer = tuple(run[-SUFFIX_LENGTH:] for run in runs if len(run) > SUFFIX_LENGTH)
    return tuple(dict.fromkeys(longer))


@lru_cache(maxsize=65_536)
def parse_payer(raw: str) -> ParsedPayer:
    """Take a transfer name apart (see ``ParsedPayer``); pure, so cached."""
    normalized = normalize_kana(raw)
    rest, prefix = _strip_prefix(normalized)
    rest, marker = _find_company(rest)
    suffixes = _suffixes(rest)
    name = normalize_spaces(_DIGIT_RUN.sub(" ", rest))
    return ParsedPayer(
        raw=raw,
        normalized=normalized,
        bank_prefix=prefix,
        company_marker=marker,
        suffixes=suffixes,
        name=name,
        name_key=match_key_of_normalized(name),
    )


def name_key(kana: str) -> str:
    """The comparison key of an applicant's kana name (form A or the register)."""
    return kana_match_key(kana)


def employer_key(employer: str) -> str:
    """The comparison key of an employer, legal-entity words and markers removed."""
    text, _ = _find_company(normalize_kana(employer))
    return kana_match_key(text)
