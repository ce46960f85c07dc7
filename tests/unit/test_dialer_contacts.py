"""Contact import: E.164, duplicates, do-not-call, the row-level report, linked accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from dialer.contacts import AccountInfo, ImportFileError, read_contacts
from dialer.model import SayKind
from hotline.core.phones import normalise_phone, phone_digits

VARS = {"amount": SayKind.MONEY, "due_date": SayKind.DATE}


def test_numbers_are_normalised_to_e164() -> None:
    assert normalise_phone("8 (913) 123-45-67", "RU") == "+79131234567"
    assert normalise_phone("+7 391 200 00 00", "RU") == "+73912000000"
    for bad in ("12345", "+7 000 000 00 00", "телефон"):
        with pytest.raises(ValueError):
            normalise_phone(bad, "RU")


def test_csv_with_semicolons_duplicates_and_do_not_call(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Телефон;amount;due_date;email;district;email_given_by_customer\n"
        "8 913 123-45-61;100,50;10.12.2026;a@example.ru;North;да\n"
        "+79131234561;5;2026-12-10;;;\n"
        "+79131234562;7;2026-12-10;;;\n"
        "\n"
        "+79131234563;8;2026-12-10;;;\n",
        encoding="utf-8",
    )
    report = read_contacts(path, VARS, region="RU", do_not_call=frozenset({"+79131234562"}))
    assert report.ok and report.rows == 4
    assert [c.phone for c in report.contacts] == ["+79131234561", "+79131234563"]
    first = report.contacts[0]
    assert first.variables == {"amount": "100.50", "due_date": "2026-12-10", "district": "North"}
    assert first.email == "a@example.ru" and first.row == 2
    assert [str(p) for p in report.duplicates] == ["row 3, телефон: +79131234561 already on row 2"]
    assert [p.row for p in report.do_not_call] == [4]


def test_every_bad_row_is_reported_by_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "phone,amount,due_date,timezone\n"
        "+79131234561,1,2026-12-10,Asia/Omsk\n"
        "nope,1,2026-12-10,\n"
        "+79131234562,,2026-13-10,Nowhere/Else\n",
        encoding="utf-8",
    )
    report = read_contacts(path, VARS, region="RU", do_not_call=frozenset())
    assert not report.ok
    assert {(p.row, p.column) for p in report.errors} == {
        (3, "phone"),
        (4, "amount"),
        (4, "due_date"),
        (4, "timezone"),
    }
    assert report.summary()["imported"] == 0


def test_xlsx_and_linked_accounts(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["phone", "account", "due_date"])
    sheet.append(["+79131234561", "2400123", "2026-12-10"])
    book.save(tmp_path / "list.xlsx")
    accounts = {"2400123": AccountInfo(timezone="Asia/Krasnoyarsk", debt="1520.30")}
    report = read_contacts(
        tmp_path / "list.xlsx", VARS, region="RU", do_not_call=frozenset(), accounts=accounts
    )
    assert report.ok, report.errors
    contact = report.contacts[0]
    assert contact.timezone == "Asia/Krasnoyarsk"
    assert contact.variables["amount"] == "1520.30"
    assert contact.account_number == "2400123"


def test_a_file_without_a_phone_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("name,amount\nx,1\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="no phone column"):
        read_contacts(path, VARS, region="RU", do_not_call=frozenset())
    (tmp_path / "list.pdf").write_text("x")
    with pytest.raises(ImportFileError):
        read_contacts(tmp_path / "list.pdf", VARS, region="RU", do_not_call=frozenset())


@pytest.mark.parametrize(
    "raw", ["8 (913) 123-45-67", "+7 391 200 00 00", "9131234567", "79501112233"]
)
def test_account_digits_are_the_e164_digits_of_valid_russian_numbers(raw: str) -> None:
    # The accounts table keys phones by phone_digits; it must agree with the one normal form.
    assert phone_digits(raw) == normalise_phone(raw, "RU").removeprefix("+")
