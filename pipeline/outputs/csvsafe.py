"""CSV cells that are safe to open in Excel, and text that fits cp932.

* **Formula neutralisation.** A cell starting with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return would be read by a spreadsheet as a formula (CSV
  injection); such a cell gets a leading ``'``, which Excel shows as text.
* **cp932.** The office's Excel opens cp932 (Windows Shift_JIS) CSV by default.
  Characters cp932 cannot hold — rare kanji outside JIS X 0208 / IBM
  extensions such as 𠮷 (tsuchi-yoshi), emoji — are replaced by 〓 (geta, the
  typesetter's mark for a missing glyph) in the cp932 file only, and every
  replacement is reported so staff can write the character by hand. The
  UTF-8 file keeps the original text. A dash cp932 lacks (U+2014) becomes the
  cp932 horizontal bar (U+2015) rather than 〓.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
GETA = "〓"
_CP932_SUBSTITUTES = {"\u2014": "\u2015"}


def neutralise(value: object) -> str:
    """The cell text, with a leading ``'`` when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


@dataclass(frozen=True)
class Replacement:
    row: int  # 1-based data row (the header is row 0)
    column: str
    character: str

    def describe(self) -> str:
        return f"row {self.row}, {self.column}: U+{ord(self.character):04X} {self.character}"


def to_cp932(text: str) -> tuple[str, list[str]]:
    """``text`` with every character cp932 cannot encode replaced; returns (text, replaced)."""
    out: list[str] = []
    replaced: list[str] = []
    for ch in text:
        ch = _CP932_SUBSTITUTES.get(ch, ch)
        try:
            ch.encode("cp932")
        except UnicodeEncodeError:
            replaced.append(ch)
            ch = GETA
        out.append(ch)
    return "".join(out), replaced


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV (CRLF line ends, every cell neutralised) as one string."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def encode_utf8_bom(text: str) -> bytes:
    return text.encode("utf-8-sig")


def encode_cp932(
    header: Sequence[str], rows: Sequence[Sequence[object]]
) -> tuple[bytes, list[Replacement]]:
    """cp932 bytes of the CSV, with the replacements made (see the module doc)."""
    replacements: list[Replacement] = []
    fitted: list[list[str]] = []
    for number, row in enumerate(rows, start=1):
        cells: list[str] = []
        for column, cell in zip(header, row, strict=True):
            text, replaced = to_cp932(neutralise(cell))
            replacements.extend(Replacement(number, column, ch) for ch in replaced)
            cells.append(text)
        fitted.append(cells)
    text = csv_text(header, fitted)
    return text.encode("cp932"), replacements
