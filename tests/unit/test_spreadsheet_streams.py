"""``csv_stream`` / ``xlsx_stream`` (issue 19 item 3): rows in batches, bytes out; the same
CSV as ``to_csv``, a valid workbook read back by openpyxl, the one cell check on every cell
(formula prefixes, CR/LF, and a NUL an XLSX cell cannot store: U+FFFD), and the workbook's
temporary file gone when the stream ends or is dropped half way."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hotline.core.spreadsheets import (
    REPLACEMENT,
    Cell,
    Sheet,
    SheetStream,
    csv_stream,
    to_csv,
    xlsx_stream,
)

COLUMNS = ("n", "text", "money", "day")
ROWS: list[tuple[Cell, ...]] = [
    (n, f"строка {n}", Decimal("12.50"), date(2026, 3, 1)) for n in range(1, 8)
]
TRICKY: list[tuple[Cell, ...]] = [
    (1, "=1+1", None, None),
    (2, "a\x00b", None, None),
    (3, "line one\nline two\r\nthree", None, None),
    (4, "\r=cmd", None, None),
    (5, "bell\x07tab\tend", None, None),
]


async def batches(
    rows: Sequence[tuple[Cell, ...]], size: int
) -> AsyncIterator[Sequence[tuple[Cell, ...]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def collect(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([piece async for piece in stream])


def csv_cells(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


async def test_csv_stream_is_to_csv_of_the_same_rows() -> None:
    streamed = await collect(
        csv_stream(
            [
                SheetStream("one", COLUMNS, batches(ROWS, 3)),
                SheetStream.of(Sheet("two", ("k",), (("v",),))),
            ]
        )
    )
    whole = to_csv([Sheet("one", COLUMNS, tuple(ROWS)), Sheet("two", ("k",), (("v",),))])
    assert streamed == whole


async def test_csv_stream_neutralises_every_cell() -> None:
    rows = csv_cells(await collect(csv_stream([SheetStream("s", COLUMNS, batches(TRICKY, 2))])))
    texts = [row[1] for row in rows[1:]]
    assert texts == [
        "'=1+1",
        f"a{REPLACEMENT}b",
        "line one\nline two\r\nthree",  # quoted: one cell over several lines
        "'\r=cmd",
        f"bell{REPLACEMENT}tab\tend",
    ]


async def test_xlsx_stream_reads_back_with_every_cell_stored() -> None:
    rows = ROWS + TRICKY
    data = await collect(xlsx_stream([SheetStream("лист", COLUMNS, batches(rows, 4))], chunk=512))
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert sheet.title == "лист"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == COLUMNS
    assert len(values) == 1 + len(rows)
    assert values[1][0] == 1 and values[1][2] == 12.5  # numbers stay numbers
    texts = [row[1] for row in values[1 + len(ROWS) :]]
    assert texts == [
        "=1+1",  # a string cell, not a formula
        f"a{REPLACEMENT}b",  # the NUL an XLSX cell cannot hold
        "line one\nline two\nthree",  # XML reads a CR back as a LF
        "\n=cmd",
        f"bell{REPLACEMENT}tab\tend",
    ]
    formula = sheet.cell(row=2 + len(ROWS), column=2)
    assert formula.data_type == "s" and formula.quotePrefix


async def test_an_empty_stream_still_has_its_header() -> None:
    data = await collect(xlsx_stream([SheetStream("s", COLUMNS, batches([], 5))]))
    assert list(load_workbook(io.BytesIO(data)).worksheets[0].values) == [COLUMNS]
    assert csv_cells(await collect(csv_stream([SheetStream("s", COLUMNS, batches([], 5))]))) == [
        list(COLUMNS)
    ]


def _workbooks(folder: Path) -> list[Path]:
    return list(folder.glob("*.xlsx"))


@pytest.mark.parametrize("read_all", [True, False])
async def test_the_temporary_workbook_goes_when_the_stream_ends(
    read_all: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A temporary directory of its own: other processes' files never count.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stream = xlsx_stream([SheetStream("s", COLUMNS, batches(ROWS * 50, 100))], chunk=256)
    first = await anext(stream)
    assert first[:2] == b"PK"
    assert len(_workbooks(tmp_path)) == 1  # the workbook waits on disk while it is sent
    if read_all:
        await collect(stream)
    else:
        await stream.aclose()  # a client that hung up half way
    assert _workbooks(tmp_path) == []
