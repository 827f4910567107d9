"""An envelope's fields by key while sources outside the crops settle them.

Reads are immutable; the book is the one place that holds the current read of
each field while the passers register and the other form are consulted, and
hands the settled list back in the page order it was given.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.extract.reading import FieldRead


class FieldBook:
    def __init__(self, fields: Iterable[FieldRead]) -> None:
        self._order: list[tuple[str, int | None]] = []
        self._reads: dict[tuple[str, int | None], FieldRead] = {}
        for read in fields:
            slot = (read.key, read.page_index)
            if slot not in self._reads:
                self._order.append(slot)
            self._reads[slot] = read

    def all(self, key: str) -> list[FieldRead]:
        return [self._reads[slot] for slot in self._order if slot[0] == key]

    def first(self, key: str) -> FieldRead | None:
        found = self.all(key)
        return found[0] if found else None

    def field_keys(self) -> list[str]:
        return list(dict.fromkeys(key for key, _ in self._order))

    def put(self, read: FieldRead) -> None:
        """Replace the read of the same field on the same page."""
        slot = (read.key, read.page_index)
        if slot not in self._reads:
            raise KeyError(f"no field {read.key} on page {read.page_index} to replace")
        self._reads[slot] = read

    def fields(self) -> list[FieldRead]:
        return [self._reads[slot] for slot in self._order]

    def as_map(self) -> dict[str, list[FieldRead]]:
        out: dict[str, list[FieldRead]] = {}
        for slot in self._order:
            out.setdefault(slot[0], []).append(self._reads[slot])
        return out
