"""Issue 21 item 4: the account and contact importers under mutated files.

Mutated real files (bytes flipped, NUL/CR/quotes/separators inserted, invalid UTF-8, cut
short, an oversized cell) and generated XLSX sheets with odd cells go through the same path
the CLI and the console take: the file is refused with ``ImportFileError``, or every bad row
is reported; and the store then holds either the whole good file or nothing of it.

Regressions found by the fuzzing: a row whose time zone names a tzdata folder ("Asia")
refused the whole contact file with "[Errno 21] Is a directory: .../zoneinfo/Asia" instead of
reporting the row (accounts had the same check); a cp1251 contact file (what Russian Excel
saves) was refused with a bare "'utf-8' codec can't decode byte ..."."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from dialer import operations
from dialer.contacts import ImportFileError as ContactFileError
from dialer.contacts import read_contacts
from dialer.model import CampaignRules, SayKind
from dialer.repository import CampaignError, DialerStore
from hotline.accounts.importer import ImportFileError as AccountFileError
from hotline.accounts.importer import parse_accounts
from hotline.settings import Settings
from hotline.store.accounts import AccountStore
from hotline.store.db import Database
from hotline.store.models import Account, Contact, ContactList
from tests.dialer_support import NOW, short_scenario
from tests.fuzz import fuzz

FUZZ = fuzz(120, HealthCheck.function_scoped_fixture)
STORE_FUZZ = settings(FUZZ, max_examples=25)
SETTINGS = Settings()
ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS_CSV = (ROOT / "samples" / "accounts.csv").read_bytes()
CONTACTS_CSV = (
    "phone;amount;timezone;name\n"
    "+79131234561;100,50;Asia/Krasnoyarsk;Иванов Иван\n"
    "+79131234562;200;;Петрова Анна\n"
    "8 913 123-45-63;0,5;Europe/Moscow;\n"
).encode()
INSERTS = [b"\x00", b"\r", b"\n", b'"', b";", b",", b"\xff", b"\xd0", b"\xd0\x96", b"Asia"]
CELLS = st.one_of(
    st.none(),
    st.text(max_size=30).filter(lambda s: not any(ord(c) < 32 for c in s)),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.sampled_from(["+79131234561", "Asia", "Asia/Krasnoyarsk", "1234,56", "=1+1"]),
)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "oversize"]))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(INSERTS))
        elif kind == "oversize":  # over the csv module's 128 KiB field limit
            data[at:at] = b"x" * 140_000
        elif at < len(data):
            del data[at]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


sheets = st.lists(st.lists(CELLS, max_size=6), max_size=6).map(
    lambda rows: xlsx([["phone", "amount", "timezone"], *rows])
)
account_sheets = st.lists(st.lists(CELLS, min_size=4, max_size=17), max_size=5).map(
    lambda rows: xlsx([next(csv.reader(io.StringIO(ACCOUNTS_CSV.decode()), delimiter=";")), *rows])
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-import")


# --- The readers ------------------------------------------------------------------------------


@FUZZ
@given(
    st.one_of(mutated(CONTACTS_CSV).map(lambda b: (b, ".csv")), sheets.map(lambda b: (b, ".xlsx")))
)
def test_contact_reader_refuses_the_file_or_reports_rows(
    folder: Path, file: tuple[bytes, str]
) -> None:
    path = folder / f"contacts{file[1]}"
    path.write_bytes(file[0])
    try:
        report = read_contacts(
            path, {"amount": SayKind.MONEY}, region="RU", do_not_call=frozenset()
        )
    except ContactFileError as exc:
        assert str(exc)
        return
    assert report.ok == (not report.errors)
    assert all(problem.row >= 1 and str(problem) for problem in report.errors)


@FUZZ
@given(
    st.one_of(
        mutated(ACCOUNTS_CSV).map(lambda b: (b, ".csv")),
        account_sheets.map(lambda b: (b, ".xlsx")),
    )
)
def test_account_reader_refuses_the_file_or_reports_rows(
    folder: Path, file: tuple[bytes, str]
) -> None:
    path = folder / f"accounts{file[1]}"
    path.write_bytes(file[0])
    try:
        result = parse_accounts(path, SETTINGS.accounts, SETTINGS.readings)
    except AccountFileError as exc:
        assert str(exc)
        return
    assert all(str(error) for error in result.errors)
    # A bad account is never among the good ones.
    assert not {a.number for a in result.accounts} & set(result.skipped_accounts)


# --- Through the store: all or nothing --------------------------------------------------------


@pytest.fixture(scope="module")
def template(folder: Path) -> Path:
    """An upgraded database with a draft campaign, copied for every example."""
    path = folder / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.upgrade()
        store = DialerStore(db)
        version = await store.add_scenario("s", short_scenario(), "author", NOW)
        # Any number, not only the contract's (R-084 is tested elsewhere): rows get stored.
        rules = CampaignRules(contract_numbers_only=False)
        await store.create_campaign("fuzz", version.id, rules, "author", NOW)
        await db.dispose()

    asyncio.run(build())
    return path


def fresh(template: Path, folder: Path) -> Database:
    copy = folder / "example.db"
    shutil.copyfile(template, copy)
    return Database(f"sqlite+aiosqlite:///{copy}")


async def count(db: Database, model: Any) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


@STORE_FUZZ
@given(mutated(CONTACTS_CSV))
def test_contact_import_stores_the_whole_list_or_nothing(
    template: Path, folder: Path, data: bytes
) -> None:
    path = folder / "upload.csv"
    path.write_bytes(data)

    async def run() -> None:
        db = fresh(template, folder)
        try:
            try:
                report = await operations.check_contacts(db, SETTINGS, "fuzz", path)
            except CampaignError as exc:
                report = None
                assert str(exc)
            if report is not None and report.ok:
                await operations.attach_contacts(
                    db, "fuzz", "upload", str(path), report, operations.Actor("anna", "cli")
                )
                assert await count(db, Contact) == len(report.contacts)
                assert await count(db, ContactList) == 1
            else:
                assert await count(db, Contact) == 0
                assert await count(db, ContactList) == 0
        finally:
            await db.dispose()

    asyncio.run(run())


@STORE_FUZZ
@given(mutated(ACCOUNTS_CSV))
def test_account_import_stores_every_account_or_nothing(
    template: Path, folder: Path, data: bytes
) -> None:
    path = folder / "billing.csv"
    path.write_bytes(data)

    async def run() -> None:
        db = fresh(template, folder)
        try:
            try:
                result = parse_accounts(path, SETTINGS.accounts, SETTINGS.readings)
            except AccountFileError:
                result = None
            if result is not None and not result.errors:  # what `accounts import` stores
                await AccountStore(db).upsert(result.accounts)
                assert await count(db, Account) == len(result.accounts)
            else:
                assert await count(db, Account) == 0
        finally:
            await db.dispose()

    asyncio.run(run())


# --- Regressions ------------------------------------------------------------------------------


@pytest.fixture
def store_db(template: Path, tmp_path: Path) -> Iterator[Database]:
    copy = tmp_path / "hotline.db"
    shutil.copyfile(template, copy)
    yield Database(f"sqlite+aiosqlite:///{copy}")


async def test_a_time_zone_naming_a_tzdata_folder_is_a_row_error(
    store_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text("phone;amount;timezone\n+79131234561;100;Asia\n+79131234562;100;\n")
    try:
        report = await operations.check_contacts(store_db, SETTINGS, "fuzz", path)
    finally:
        await store_db.dispose()
    assert [(p.row, p.column) for p in report.errors] == [(2, "timezone")]
    assert "unknown time zone 'Asia'" in str(report.errors[0])


def test_an_account_time_zone_naming_a_tzdata_folder_is_a_row_error(tmp_path: Path) -> None:
    text = ACCOUNTS_CSV.decode().replace("Asia/Novokuznetsk", "Asia")
    path = tmp_path / "billing.csv"
    path.write_text(text)
    result = parse_accounts(path, SETTINGS.accounts, SETTINGS.readings)
    assert [e.column for e in result.errors] == ["timezone"]


async def test_a_cp1251_contact_file_is_read(store_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(CONTACTS_CSV.decode().encode("cp1251"))
    try:
        report = await operations.check_contacts(store_db, SETTINGS, "fuzz", path)
    finally:
        await store_db.dispose()
    assert report.ok, report.errors
    assert [c.name for c in report.contacts][:2] == ["Иванов Иван", "Петрова Анна"]


async def test_a_file_mixing_encodings_is_refused_with_its_line(
    store_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(CONTACTS_CSV + "+79131234564;1;;Сидоров\n".encode("cp1251"))
    try:
        with pytest.raises(CampaignError, match=r"line 5: not valid UTF-8 \(byte 0xd1\)"):
            await operations.check_contacts(store_db, SETTINGS, "fuzz", path)
    finally:
        await store_db.dispose()


def test_an_amount_beyond_the_decimal_context_is_a_row_error(tmp_path: Path) -> None:
    contacts = tmp_path / "list.csv"
    contacts.write_text("phone;amount\n+79131234561;1e30\n+79131234562;NaN\n")
    report = read_contacts(
        contacts, {"amount": SayKind.MONEY}, region="RU", do_not_call=frozenset()
    )
    assert [(p.row, p.column) for p in report.errors] == [(2, "amount"), (3, "amount")]
    billing = tmp_path / "billing.csv"
    billing.write_text(ACCOUNTS_CSV.decode().replace("1234,56", "1e30"))
    result = parse_accounts(billing, SETTINGS.accounts, SETTINGS.readings)
    assert [(e.row, e.column) for e in result.errors] == [(2, "balance")]
