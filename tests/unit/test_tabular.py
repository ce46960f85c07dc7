"""CSV for Russian Excel and XLSX from the same sheets."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from hotline.core.spreadsheets import Sheet, to_csv, to_xlsx


def test_csv_has_bom_semicolons_and_decimal_commas() -> None:
    sheet = Sheet(
        "Звонки",
        ("Дата", "Доля", "Текст"),
        ((date(2026, 3, 1), 0.125, 'с ";" внутри'), (None, 1.0, "да")),
    )
    text = to_csv([sheet]).decode("utf-8")
    assert text.startswith("\ufeff")
    assert text[1:].split("\r\n") == [
        "Дата;Доля;Текст",
        '01.03.2026;0,125;"с "";"" внутри"',
        ";1;да",
        "",
    ]


def test_several_sheets_in_one_csv_are_titled() -> None:
    first = Sheet("А", ("x",), ((1,),))
    second = Sheet("Б", ("y",), ((2,),))
    assert to_csv([first, second]).decode("utf-8-sig").split("\r\n") == [
        "А",
        "x",
        "1",
        "",
        "Б",
        "y",
        "2",
        "",
    ]


def test_rows_must_fit_the_columns() -> None:
    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        Sheet("bad", ("a", "b"), ((1,),))


def test_xlsx_keeps_numbers_and_local_times() -> None:
    at = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    sheet = Sheet("Очередь: [март]", ("Когда", "Ожидание, с"), ((at, 41.5),))
    book = load_workbook(io.BytesIO(to_xlsx([sheet])))
    assert book.sheetnames == ["Очередь_ _март_"]
    rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows == [("Когда", "Ожидание, с"), (datetime(2026, 3, 1, 10, 30), 41.5)]
