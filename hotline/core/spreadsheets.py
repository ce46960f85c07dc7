"""Reports as downloadable tables: CSV the way Russian Excel opens it, and XLSX.

Russian Excel reads a CSV correctly only as UTF-8 *with* a byte-order mark, ``;`` between
fields (``,`` is the decimal separator there) and decimal commas in numbers; without that,
Cyrillic turns into mojibake and numbers into text.  XLSX (openpyxl) has real numbers and dates.

Text is never a formula (CSV/formula injection): a ``str`` cell is text that may come from
outside (caller ID, meter names, names, addresses, campaign variables), so in CSV one that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR is prefixed with ``'``, and in XLSX every
``str`` is written as a string cell (never a formula; such a one also gets Excel's quote
prefix, so editing it does not turn it into one).  Numbers, money (``Decimal``) and dates are
the engine's own types and stay numbers and dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

# ``str`` is text (always written as text); the other types are the engine's own values.
Cell = str | int | float | Decimal | date | datetime | None

BOM: Final = "\ufeff"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
# Excel's limit for sheet titles, and the characters it refuses in them.
_TITLE_MAX: Final = 31
_TITLE_FORBIDDEN: Final = str.maketrans({c: "_" for c in "[]:*?/\\"})
# What makes Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def __post_init__(self) -> None:
        for number, row in enumerate(self.rows, 1):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"sheet {self.title!r}: row {number} has {len(row)} cells "
                    f"for {len(self.columns)} columns"
                )


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet take this text for a formula (or a signed number)?"""
    return text.startswith(FORMULA_STARTS)


def csv_text(text: str) -> str:
    """Text for a CSV cell: ``'`` before one a spreadsheet would take for a formula."""
    return f"'{text}" if is_formula_like(text) else text


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float | Decimal):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, str):
        return csv_text(value)
    return str(value)


def csv_rows(rows: Iterable[Sequence[Cell]], *, delimiter: str = ";") -> str:
    """Rows as CSV text (no byte-order mark), every cell through the same neutralising rules:
    for CSV files that are not reports (the recordings export's manifest)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return out.getvalue()


def to_csv(sheets: Sequence[Sheet]) -> bytes:
    """One CSV; several sheets follow each other, each under its title, a blank line between."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for index, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if index:
                writer.writerow([])
            writer.writerow([csv_text(sheet.title)])
        writer.writerow([csv_text(title) for title in sheet.columns])
        writer.writerows([_csv_cell(value) for value in row] for row in sheet.rows)
    return out.getvalue().encode("utf-8")


def _append(ws: Worksheet, row: Sequence[Cell]) -> None:
    # openpyxl cannot store time zones; reports show local wall-clock time.
    ws.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
    for column, value in enumerate(row, 1):
        if isinstance(value, str):
            cell = ws.cell(row=ws.max_row, column=column)
            # openpyxl makes any str that starts with "=" a formula: text stays text.
            cell.data_type = "s"
            if is_formula_like(value):
                cell.quotePrefix = True


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """One workbook, a worksheet per sheet, bold header row, frozen below it."""
    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title.translate(_TITLE_FORBIDDEN)[:_TITLE_MAX])
        _append(ws, sheet.columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            _append(ws, row)
        ws.freeze_panes = "A2"
        for column, title in zip(ws.columns, sheet.columns, strict=True):
            width = max([len(title), *(len(_csv_cell(c.value)) for c in column)])
            ws.column_dimensions[column[0].column_letter].width = min(width + 2, 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
