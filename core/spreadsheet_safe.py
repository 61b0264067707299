"""Spreadsheet exports that cannot run what people typed: CSV/formula injection (CWE-1236) neutralised in one place.

A name, a typed answer or a reason that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel and LibreOffice as a formula when the file is opened (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`, `@SUM(...)`).
Every export writes its cells through these functions:

- CSV: such a text gets a leading apostrophe (OWASP's advice), which spreadsheets show as text and do not evaluate;
- XLSX: the text is kept verbatim but stored as a string cell: openpyxl would store a value starting with `=` as a
  formula, while a string cell is never evaluated.

Numbers, dates and None pass through unchanged, so numeric columns stay numeric.
"""

from __future__ import annotations

from typing import Any, Final

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """The value to give `csv.writer`: a text that a spreadsheet would read as a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def xlsx_safe(cell: Any) -> Any:
    """Make an openpyxl cell that holds text a plain string cell (never a formula); returns the cell."""
    if isinstance(cell.value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def xlsx_safe_row(row: Any) -> None:
    """`xlsx_safe` on every cell of a row just appended (e.g. `sheet[sheet.max_row]`)."""
    for cell in row:
        xlsx_safe(cell)
