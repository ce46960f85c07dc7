"""Reports as downloadable tables: CSV the way Russian Excel opens it, and XLSX.

Russian Excel reads a CSV correctly only as UTF-8 *with* a byte-order mark, ``;`` between
fields (``,`` is the decimal separator there) and decimal commas in numbers; without that,
Cyrillic turns into mojibake and numbers into text.  XLSX (openpyxl) has real numbers and dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font

Cell = str | int | float | date | datetime | None

BOM: Final = "\ufeff"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
# Excel's limit for sheet titles, and the characters it refuses in them.
_TITLE_MAX: Final = 31
_TITLE_FORBIDDEN: Final = str.maketrans({c: "_" for c in "[]:*?/\\"})


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


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def to_csv(sheets: Sequence[Sheet]) -> bytes:
    """One CSV; several sheets follow each other, each under its title, a blank line between."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for index, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if index:
                writer.writerow([])
            writer.writerow([sheet.title])
        writer.writerow(sheet.columns)
        writer.writerows([_csv_cell(value) for value in row] for row in sheet.rows)
    return out.getvalue().encode("utf-8")


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """One workbook, a worksheet per sheet, bold header row, frozen below it."""
    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title.translate(_TITLE_FORBIDDEN)[:_TITLE_MAX])
        ws.append(list(sheet.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            # openpyxl cannot store time zones; reports show local wall-clock time.
            ws.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
        ws.freeze_panes = "A2"
        for column, title in zip(ws.columns, sheet.columns, strict=True):
            width = max([len(title), *(len(_csv_cell(c.value)) for c in column)])
            ws.column_dimensions[column[0].column_letter].width = min(width + 2, 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
