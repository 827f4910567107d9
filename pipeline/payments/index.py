"""Applications indexed for matching: by suffix, pass number, name and employer blocks.

A deposit is compared only with the applications that share its four digits
or a name block (first two or last two characters of the name key), never
with all of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from pipeline.payments.names import employer_key, name_key

if TYPE_CHECKING:
    from pipeline.payments.matching import ApplicationRecord

AppId = Hashable


def _blocks(key: str) -> tuple[str, ...]:
    if len(key) < 2:
        return (f"w:{key}",)
    return (f"p:{key[:2]}", f"s:{key[-2:]}")


class _BlockIndex:
    """Keys grouped by their first and last two characters, for fuzzy look-ups.

    Each distinct key is compared once however many applications share it
    (homonyms are common), and each distinct query is answered once.
    """

    def __init__(self) -> None:
        self._apps: dict[str, list[AppId]] = defaultdict(list)
        self._blocks: dict[str, list[str]] = defaultdict(list)
        self._memo: dict[tuple[str, float], dict[AppId, float]] = {}

    def add(self, key: str, app_id: AppId) -> None:
        if not key:
            return
        if key not in self._apps:
            for block in _blocks(key):
                self._blocks[block].append(key)
        self._apps[key].append(app_id)
        self._memo.clear()

    def search(self, key: str, cutoff: float) -> dict[AppId, float]:
        """Best score per application among keys sharing a block with ``key``."""
        if not key:
            return {}
        memo = self._memo.get((key, cutoff))
        if memo is not None:
            return memo
        best: dict[AppId, float] = {}
        for block in _blocks(key):
            choices = self._blocks.get(block)
            if not choices:
                continue
            for found, score, _ in process.extract(
                key, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            ):
                for app_id in self._apps[found]:
                    best[app_id] = max(best.get(app_id, 0.0), float(score))
        self._memo[(key, cutoff)] = best
        return best


class ApplicationIndex:
    """Applications by suffix, by pass number, and by name and employer blocks."""

    def __init__(self, applications: Iterable[ApplicationRecord]) -> None:
        self.by_id: dict[AppId, ApplicationRecord] = {}
        self.by_suffix: dict[str, list[ApplicationRecord]] = defaultdict(list)
        self.by_pass: dict[str, list[ApplicationRecord]] = defaultdict(list)
        self.name_keys: dict[AppId, tuple[str, ...]] = {}
        self.names = _BlockIndex()
        self.employers = _BlockIndex()
        for app in applications:
            self.by_id[app.id] = app
            if app.suffix:
                self.by_suffix[app.suffix].append(app)
            self.by_pass[app.pass_number].append(app)
            keys = tuple(dict.fromkeys(k for k in (name_key(n) for n in app.kana) if k))
            self.name_keys[app.id] = keys
            for key in keys:
                self.names.add(key, app.id)
            if app.employer:
                self.employers.add(employer_key(app.employer), app.id)

    def name_score(self, key: str, app: ApplicationRecord) -> float:
        if not key:
            return 0.0
        return max((float(fuzz.ratio(key, k)) for k in self.name_keys[app.id]), default=0.0)
