"""Progress reporting from the flow to whoever listens (``conken run``'s bars).

The flow calls the module-level functions; with no listener set (a scheduled
run under ``conken serve``) they do nothing. Listeners live in the flow's
process: extraction progress advances as page futures complete there.
"""

from __future__ import annotations

from typing import Protocol


class Listener(Protocol):
    def stage_started(self, name: str, total: int | None) -> None: ...

    def advance(self, name: str, n: int = 1) -> None: ...

    def stage_finished(self, name: str, counts: dict[str, int], seconds: float) -> None: ...


_listener: Listener | None = None


def set_listener(listener: Listener | None) -> None:
    global _listener
    _listener = listener


def stage_started(name: str, total: int | None = None) -> None:
    if _listener is not None:
        _listener.stage_started(name, total)


def advance(name: str, n: int = 1) -> None:
    if _listener is not None:
        _listener.advance(name, n)


def stage_finished(name: str, counts: dict[str, int], seconds: float) -> None:
    if _listener is not None:
        _listener.stage_finished(name, counts, seconds)
