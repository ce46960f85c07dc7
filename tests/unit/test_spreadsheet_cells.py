"""Text from outside is never a formula in a CSV or XLSX export (formula injection, L2);
numbers, money and dates the engine typed stay numbers and dates."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from hotline.core.spreadsheets import Sheet, csv_rows, to_csv, to_xlsx

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+7 913 123-45-67",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _csv_cells(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_prefixes_formula_like_text_with_a_quote(text: str) -> None:
    rows = _csv_cells(to_csv([Sheet("s", ("meter",), ((text,),))]))
    assert rows == [["meter"], ["'" + text]]


@pytest.mark.parametrize("text", DANGEROUS)
def test_xlsx_writes_formula_like_text_as_a_string_cell(text: str) -> None:
    book = load_workbook(io.BytesIO(to_xlsx([Sheet("s", ("meter",), ((text,),))])))
    cell = book.worksheets[0]["A2"]
    assert cell.data_type == "s"
    # XML reads a CR back as a LF; the text is the same otherwise.
    assert cell.value == text.replace("\r", "\n")
    assert cell.quotePrefix


@pytest.mark.parametrize("text", DANGEROUS)
def test_the_recordings_manifest_rows_are_neutralised(text: str) -> None:
    rows = list(csv.reader(io.StringIO(csv_rows([(1, text)], delimiter=","), newline="")))
    assert rows == [["1", "'" + text]]


def test_ordinary_text_is_left_as_it_is() -> None:
    sheet = Sheet("s", ("name",), (("Иванов",), ("M1",), ("a=b",), ("",)))
    assert _csv_cells(to_csv([sheet])) == [["name"], ["Иванов"], ["M1"], ["a=b"], [""]]
    cells = load_workbook(io.BytesIO(to_xlsx([sheet]))).worksheets[0]["A"]
    assert [c.value for c in cells] == ["name", "Иванов", "M1", "a=b", None]
    assert not any(c.quotePrefix for c in cells)


def test_engine_numbers_money_and_dates_stay_numbers() -> None:
    sheet = Sheet(
        "s",
        ("value", "balance", "share", "day"),
        ((-155, Decimal("-120.50"), -0.5, date(2026, 3, 1)),),
    )
    assert _csv_cells(to_csv([sheet]))[1] == ["-155", "-120,5", "-0,5", "01.03.2026"]
    row = load_workbook(io.BytesIO(to_xlsx([sheet]))).worksheets[0][2]
    assert [c.data_type for c in row] == ["n", "n", "n", "d"]
    assert [c.value for c in row[:3]] == [-155, -120.5, -0.5]
