"""CSV exports of the review app: a spreadsheet opens them as data, never as formulas.

Cells are neutralised by :func:`pipeline.outputs.csvsafe.neutralise` (the one
rule for every CSV the project writes); files are UTF-8 with a byte-order mark
so that Excel reads the Japanese correctly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pipeline.outputs.csvsafe import csv_text, neutralise

__all__ = ["neutralise", "to_csv"]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    return "\ufeff" + csv_text(header, rows)
