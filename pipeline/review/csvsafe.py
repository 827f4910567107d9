"""CSV exports that a spreadsheet opens as data, never as formulas.

A cell beginning with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return,
which some spreadsheets skip before looking) is prefixed with an apostrophe,
as OWASP recommends. Files are UTF-8 with a byte-order mark so that Excel
reads the Japanese correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue()
