"""Reports as downloadable tables: CSV the way Russian Excel opens it, and XLSX.

Russian Excel reads a CSV correctly only as UTF-8 *with* a byte-order mark, ``;`` between
fields (``,`` is the decimal separator there) and decimal commas in numbers; without that,
Cyrillic turns into mojibake and numbers into text.  XLSX (openpyxl) has real numbers and dates.

Text is never a formula (CSV/formula injection): a ``str`` cell is text that may come from
outside (caller ID, meter names, names, addresses, campaign variables), so in CSV one that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR is prefixed with ``'``, and in XLSX every
``str`` is written as a string cell (never a formula; such a one also gets Excel's quote
prefix, so editing it does not turn it into one).  Numbers, money (``Decimal``) and dates are
the engine's own types and stay numbers and dates.  A NUL or another control character XML
cannot hold (an XLSX cell cannot store it; a CSV reader may stop at it) becomes U+FFFD in both.

Big exports are streamed (``csv_stream`` / ``xlsx_stream``): rows arrive in batches from the
store's keyset pages and leave as bytes, so memory stays flat however many rows there are.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell as OpenpyxlCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

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
# Text openpyxl would not store as a plain string by itself: formulas and error codes ("#N/A").
_NOT_PLAIN_TEXT: Final = (*FORMULA_STARTS, "#")
# Control characters XML 1.0 cannot carry (openpyxl refuses them; CR, LF and tab are fine).
_UNSTORABLE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT: Final = "\ufffd"
# How much of a finished workbook is read and sent at a time.
XLSX_CHUNK: Final = 64 * 1024


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


def storable(text: str) -> str:
    """``text`` with NUL and the other control characters a cell cannot hold as U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def csv_text(text: str) -> str:
    """Text for a CSV cell: ``'`` before one a spreadsheet would take for a formula, and
    no NUL or other unstorable control character."""
    text = storable(text)
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


class CsvWriter:
    """CSV for Russian Excel written piece by piece (the one CSV dialect of every report):
    ``start`` gives the byte-order mark, ``sheet`` a sheet's title (when there are several)
    and header, ``rows`` its rows; each returns the bytes to send or write."""

    def __init__(self, sheets: int) -> None:
        self._several = sheets > 1
        self._index = 0
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, delimiter=";", lineterminator="\r\n")

    def _take(self) -> bytes:
        text = self._out.getvalue()
        self._out.seek(0)
        self._out.truncate()
        return text.encode("utf-8")

    def start(self) -> bytes:
        return BOM.encode("utf-8")

    def sheet(self, title: str, columns: Sequence[str]) -> bytes:
        if self._several:
            if self._index:
                self._writer.writerow([])
            self._writer.writerow([csv_text(title)])
        self._index += 1
        self._writer.writerow([csv_text(column) for column in columns])
        return self._take()

    def rows(self, rows: Iterable[Sequence[Cell]]) -> bytes:
        self._writer.writerows([_csv_cell(value) for value in row] for row in rows)
        return self._take()


def to_csv(sheets: Sequence[Sheet]) -> bytes:
    """One CSV; several sheets follow each other, each under its title, a blank line between."""
    writer = CsvWriter(len(sheets))
    parts = [writer.start()]
    for sheet in sheets:
        parts.append(writer.sheet(sheet.title, sheet.columns))
        parts.append(writer.rows(sheet.rows))
    return b"".join(parts)


class XlsxWriter:
    """An XLSX workbook written row by row (openpyxl's write-only mode: rows go to a temporary
    file, so memory stays flat however many there are).  Each worksheet has a bold header row,
    frozen below it, and column widths taken from the header and the ``sample`` rows given
    with it (all rows when they are known up front)."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)
        self._ws: WriteOnlyWorksheet | None = None

    def sheet(
        self, title: str, columns: Sequence[str], sample: Iterable[Sequence[Cell]] = ()
    ) -> None:
        ws = self._book.create_sheet(title.translate(_TITLE_FORBIDDEN)[:_TITLE_MAX])
        widths = [len(column) for column in columns]
        for row in sample:
            for index, value in enumerate(row):
                widths[index] = max(widths[index], len(_csv_cell(value)))
        for index, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = min(width + 2, 60)
        ws.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = self._text_cell(ws, column)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        self._ws = ws

    @staticmethod
    def _text_cell(ws: WriteOnlyWorksheet, text: str) -> OpenpyxlCell:
        cell = WriteOnlyCell(ws, value=storable(text))
        # openpyxl makes any str that starts with "=" a formula: text stays text.
        cell.data_type = "s"
        if is_formula_like(text):
            cell.quotePrefix = True
        return cell

    def rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        ws = self._ws
        if ws is None:
            raise ValueError("rows before the first sheet")
        for row in rows:
            ws.append([self._value(ws, value) for value in row])

    def _value(self, ws: WriteOnlyWorksheet, value: Cell) -> Any:
        if isinstance(value, datetime):
            # openpyxl cannot store time zones; reports show local wall-clock time.
            return value.replace(tzinfo=None)
        if isinstance(value, str):
            if value.startswith(_NOT_PLAIN_TEXT):
                return self._text_cell(ws, value)
            return storable(value)
        return value

    def save(self, target: str | Path | IO[bytes]) -> None:
        self._book.save(target)


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """One workbook, a worksheet per sheet, bold header row, frozen below it."""
    writer = XlsxWriter()
    for sheet in sheets:
        writer.sheet(sheet.title, sheet.columns, sheet.rows)
        writer.rows(sheet.rows)
    out = io.BytesIO()
    writer.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class SheetStream:
    """A sheet whose rows arrive in batches (a store's keyset pages), never all at once."""

    title: str
    columns: tuple[str, ...]
    batches: AsyncIterable[Sequence[Sequence[Cell]]]

    @classmethod
    def of(cls, sheet: Sheet) -> SheetStream:
        """A sheet already in memory (a small one: totals) as one batch."""
        return cls(sheet.title, sheet.columns, _one_batch(sheet.rows))


async def _one_batch(rows: Sequence[Sequence[Cell]]) -> AsyncIterator[Sequence[Sequence[Cell]]]:
    yield rows


async def csv_stream(sheets: Sequence[SheetStream]) -> AsyncIterator[bytes]:
    """CSV for Russian Excel, a piece of bytes per batch (byte for byte ``to_csv`` of the
    same rows); each batch is formatted in a worker thread (thousands of cells: the event
    loop stays free)."""
    writer = CsvWriter(len(sheets))
    yield writer.start()
    for sheet in sheets:
        yield writer.sheet(sheet.title, sheet.columns)
        async for batch in sheet.batches:
            if batch:
                yield await asyncio.to_thread(writer.rows, batch)


async def xlsx_stream(
    sheets: Sequence[SheetStream], chunk: int = XLSX_CHUNK
) -> AsyncIterator[bytes]:
    """An XLSX workbook: written batch by batch in openpyxl's write-only mode to a temporary
    file (an XLSX is a zip whose directory comes last, so it cannot leave before it is
    whole), then sent in ``chunk``-byte pieces; the file goes when the stream ends or is
    dropped.  Every write and read runs in a worker thread: the event loop stays free."""
    handle, name = await asyncio.to_thread(tempfile.mkstemp, suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        writer = XlsxWriter()
        for sheet in sheets:
            first = True
            async for batch in sheet.batches:
                if first:
                    # Column widths from the first batch: the rest is not known yet.
                    await asyncio.to_thread(writer.sheet, sheet.title, sheet.columns, batch)
                    first = False
                await asyncio.to_thread(writer.rows, batch)
            if first:
                await asyncio.to_thread(writer.sheet, sheet.title, sheet.columns)
        await asyncio.to_thread(writer.save, path)
        with await asyncio.to_thread(path.open, "rb") as source:
            while piece := await asyncio.to_thread(source.read, chunk):
                yield piece
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)
