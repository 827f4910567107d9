"""A postcode against its address: the first two digits name the prefecture.

An address that names a prefecture there is none of (神奈県: both engines lost 川 on a
fax) goes to a person too; one that names none (横浜市…) is left as written.

Both engines can make the same slip on a digit (650 read 350 on a curled copy);
the address beside it, read in kanji, names the prefecture, and Japan Post's
regional codes say which first digits that prefecture's postcodes have
(``data/postcode_regions.txt``). A sure postcode that does not fit its address
goes to a person; it is never corrected, as a few border towns have a
neighbour's codes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pipeline.extract.book import FieldBook

REGIONS_FILE = Path(__file__).parent / "data" / "postcode_regions.txt"
# The applicant's postcode and address on (A).
POSTCODE_KEY, ADDRESS_KEY = "A.postcode", "A.address"
# A prefecture's name ends in 都, 道, 府 or 県 within its first four characters.
_NAMED_PREFECTURE = re.compile(r"^\s*(\S{1,3}?[都道府県])")
UNKNOWN_PREFECTURE_JA = "住所の「{named}」は都道府県名にありません（読み取りの誤りの可能性）"
OFF_PREFECTURE_JA = "郵便番号の上2桁（{prefix}）が住所の{prefecture}の郵便番号と合いません（読み取りの誤りの可能性）"


@lru_cache(maxsize=1)
def regions() -> dict[str, frozenset[str]]:
    """Each prefecture's postcode prefixes (first two digits)."""
    out: dict[str, frozenset[str]] = {}
    for line in REGIONS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        prefecture, prefixes = line.split("\t")
        out[prefecture] = frozenset(prefixes.split())
    return out


def prefecture_of(address: str) -> str | None:
    """The prefecture an address starts with, or None."""
    text = address.strip()
    return next((p for p in regions() if text.startswith(p)), None)


def _prefix(postcode: str) -> str:
    """The first two digits of a postcode (fewer when it has fewer)."""
    return "".join(c for c in postcode if c.isdigit())[:2]


def postcode_fits(postcode: str, prefecture: str) -> bool:
    prefix = _prefix(postcode)
    return len(prefix) < 2 or prefix in regions().get(prefecture, frozenset({prefix}))


def hold_postcode_off_its_address(book: FieldBook) -> list[str]:
    """Hold a sure postcode whose first digits are not its address's prefecture's.
    Returns the keys held."""
    address = book.first(ADDRESS_KEY)
    prefecture = prefecture_of(address.value) if address and address.value else None
    if prefecture is None:
        return []
    held = []
    for read in book.all(POSTCODE_KEY):
        if read.confident and read.value and not postcode_fits(read.value, prefecture):
            reason = OFF_PREFECTURE_JA.format(prefix=_prefix(read.value), prefecture=prefecture)
            book.put(read.held(reason))
            held.append(read.key)
    return held


def hold_address_of_no_prefecture(book: FieldBook) -> list[str]:
    """Hold a sure address that starts with what reads as a prefecture's name but is none.
    Returns the keys held."""
    held = []
    for read in book.all(ADDRESS_KEY):
        if not (read.confident and read.value) or prefecture_of(read.value) is not None:
            continue
        named = _NAMED_PREFECTURE.match(read.value)
        if named:
            book.put(read.held(UNKNOWN_PREFECTURE_JA.format(named=named.group(1))))
            held.append(read.key)
    return held
