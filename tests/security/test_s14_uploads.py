"""Uploads that break the parser (issue 14, M6): a corrupt XLSX sheet, a sheet declaring a huge
dimension, a cell of the wrong type, a CSV cell over the csv module's field limit.  Each gives
a clear error naming the problem and its row and imports nothing: never a 500, never half a
list, never a hang."""

from __future__ import annotations

import asyncio
import re
import zipfile
from pathlib import Path

import httpx2 as httpx
import pytest
from openpyxl import Workbook

from dialer.contacts import ImportFileError, read_contacts
from dialer.model import SayKind
from dialer.repository import DialerStore
from hotline.accounts.importer import ImportFileError as AccountsFileError
from hotline.accounts.importer import parse_accounts
from hotline.settings import Settings, load_settings
from hotline.store.db import Database
from tests.dialer_support import NOW, short_scenario
from tests.e2e.web_support import web_console
from tests.security.test_web_console import login_token
from tests.web.conftest import PASSWORD

SHEET = "xl/worksheets/sheet1.xml"
CONTACTS = [("phone", "amount"), ("+79131234561", "10.00"), ("+79131234562", "20.00")]
# A generous bound for reading a three-row file; the unbounded parse took minutes.
PARSE_BOUND_SECONDS = 30.0


def _xlsx(path: Path, rows: list[tuple[str, ...]], edit: object = None) -> Path:
    """An XLSX of ``rows``; ``edit(xml) -> xml`` rewrites its sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == SHEET and callable(edit):
                data = edit(data.decode()).encode()
            target.writestr(item, data)
    plain.unlink()
    return path


def corrupt_after_row_3(xml: str) -> str:
    """The sheet XML cut inside row 4: rows 2 and 3 read fine, then the parser fails."""
    end = xml.index("</row>", xml.index('<row r="3"')) + len("</row>")
    return xml[:end] + '<row r="4"><c r="A4" t="inlineStr"><is><t>+7913'


def huge_dimension(xml: str) -> str:
    """The sheet declares every cell there is, and its last row is the millionth: every
    missing row in between came back as 16384 empty cells."""
    last = (
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>+79131234563</t></is></c>'
        '<c r="B1048576" t="inlineStr"><is><t>30.00</t></is></c></row>'
    )
    xml = xml.replace("</sheetData>", last + "</sheetData>")
    return re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml)


def text_in_a_number_cell(xml: str) -> str:
    """Row 3's amount claims to be a number and is not (openpyxl raises while parsing)."""
    return re.sub(r'(<c r="B3"[^>]*>)(.*?)(</c>)', r'<c r="B3" t="n"><v>lots</v></c>', xml)


def _contacts(path: Path) -> tuple[list[str], int]:
    report = read_contacts(
        path, {"amount": SayKind.MONEY}, region="RU", do_not_call=frozenset(), accounts={}
    )
    return [str(problem) for problem in report.errors], (len(report.contacts) if report.ok else 0)


@pytest.mark.parametrize(("edit", "row"), [(corrupt_after_row_3, 4), (text_in_a_number_cell, 3)])
def test_a_sheet_openpyxl_cannot_read_is_a_row_error_and_nothing_is_imported(
    tmp_path: Path, edit: object, row: int
) -> None:
    errors, imported = _contacts(_xlsx(tmp_path / "list.xlsx", CONTACTS, edit))
    assert imported == 0
    assert len(errors) == 1 and errors[0].startswith(f"row {row}, -: unreadable row ("), errors


def test_a_broken_header_or_a_sheet_less_file_is_a_file_error(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "list.xlsx", CONTACTS, lambda xml: xml[: xml.index("<sheetData>")])
    with pytest.raises(ImportFileError, match=r"list\.xlsx"):
        _contacts(path)


async def test_a_huge_declared_dimension_reads_only_the_cells_present(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "list.xlsx", CONTACTS, huge_dimension)
    errors, imported = await asyncio.wait_for(
        asyncio.to_thread(_contacts, path), PARSE_BOUND_SECONDS
    )
    assert (errors, imported) == ([], 3)


def test_a_csv_cell_over_the_field_limit_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "phone,amount\n+79131234561,10.00\n+79131234562," + "9" * 200_000 + "\n",
        encoding="utf-8",
    )
    errors, imported = _contacts(path)
    assert imported == 0
    assert len(errors) == 1 and errors[0].startswith("row 3, -: unreadable row (field larger")


ACCOUNTS = [
    ("account", "phones", "name", "address", "timezone", "meter", "zones", "digits"),
    ("100000000011", "79131234561", "А", "Б", "Asia/Krasnoyarsk", "1", "1", "6"),
    ("100000000012", "79131234562", "В", "Г", "Asia/Krasnoyarsk", "2", "1", "6"),
]


@pytest.mark.parametrize(
    ("edit", "row"), [(corrupt_after_row_3, 4), (lambda xml: xml.replace("</sheetData>", ""), 4)]
)
def test_an_unreadable_accounts_workbook_imports_nothing_and_names_the_row(
    tmp_path: Path, edit: object, row: int
) -> None:
    settings = load_settings()
    path = _xlsx(tmp_path / "accounts.xlsx", ACCOUNTS, edit)
    with pytest.raises(
        AccountsFileError, match=rf"row {row} cannot be read.*nothing was imported"
    ):
        parse_accounts(path, settings.accounts, settings.readings)


def test_an_accounts_csv_cell_over_the_field_limit_imports_nothing(tmp_path: Path) -> None:
    settings = load_settings()
    path = tmp_path / "accounts.csv"
    lines = [";".join(row) for row in ACCOUNTS]
    lines[2] = lines[2].replace("Г", "Г" * 200_000)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AccountsFileError, match=r"line 3 cannot be read.*nothing was imported"):
        parse_accounts(path, settings.accounts, settings.readings)


# --- through the console as its own process ---------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        overrides={
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"},
            "paths": {"data_dir": str(tmp_path / "data")},
            "sandbox": {"enabled": False},
        }
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found
    return found.group(1)


@pytest.mark.e2e
async def test_the_console_reports_a_corrupt_workbook_by_row_and_stores_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    path = _xlsx(tmp_path / "debtors.xlsx", CONTACTS, corrupt_after_row_3)
    async with (
        web_console(settings) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        async with Database.from_settings(settings) as db:
            await DialerStore(db).add_scenario("debt", short_scenario(), "setup", NOW)
        token = await login_token(client)
        await client.post(
            "/login", data={"name": "boris", "password": PASSWORD, "csrf_token": token}
        )
        page = await client.get("/campaigns")
        csrf = _csrf(page.text)
        created = await client.post(
            "/campaigns",
            data={"csrf_token": csrf, "name": "dec-debt", "scenario": "debt"},
            follow_redirects=True,
        )
        assert created.status_code == 200, created.text
        reply = await client.post(
            "/campaigns/dec-debt/contacts",
            data={"csrf_token": csrf},
            files={"file": ("debtors.xlsx", path.read_bytes(), "application/octet-stream")},
        )
    assert reply.status_code == 422, reply.text[:500]
    assert "Ничего не сохранено" in reply.text and "row 4, -: unreadable row (" in reply.text
    assert 'id="confirm-contacts"' not in reply.text
    async with Database.from_settings(settings) as db:
        campaign = await DialerStore(db).campaign("dec-debt")
    assert campaign.list_id is None
