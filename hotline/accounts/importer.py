"""Parse an accounts file from billing (CSV or XLSX) into account records, with a row-level
report of everything wrong.  Pure and blocking: the CLI runs it in a thread.

Layout: one row per meter, with a header row.  An account with two meters has two rows; its
account columns are repeated on each (or left blank after the first) and must agree.

=================  ========  ==========================================================
column             required  meaning
=================  ========  ==========================================================
account            yes       account number, exactly ``accounts.account_digits`` digits
phones                       phone numbers separated by ``;`` or ``,``
name, address
timezone                     IANA zone (Europe/Moscow); default ``accounts.default_timezone``
meter              yes       meter id (serial number), unique within the account
zones              yes       tariff zones: 1, 2 (day/night) or 3 (day/night/peak)
digits                       whole-kWh digits on the display; default ``readings.meter_digits``
reading_1..3       per zone  last reading billing accepted, per zone (day, night, peak)
reading_date                 the date of those readings
avg_monthly_kwh              the account's average monthly consumption (plausibility check)
balance            yes       roubles: positive = debt, negative = overpayment (``-12,50``)
due_date                     payment due date
last_payment                 roubles, and ``last_payment_date``
pin                          4 to 12 digits the caller types before hearing money (hashed)
=================  ========  ==========================================================

Dates are ``YYYY-MM-DD`` or ``DD.MM.YYYY``; amounts take a decimal point or comma and spaces
between thousands.  CSV fields are separated by ``;`` or ``,`` (detected from the header).

Encoding (CSV): UTF-8 (with or without BOM) is tried first; a file that is not UTF-8 is read
as cp1251, the usual encoding of Russian Excel/1C exports, unless it contains UTF-8 Cyrillic
sequences too (a file mixed from two sources), which is refused with the line of the first
bad byte rather than silently decoded as mojibake.  ``encoding`` forces one encoding.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hotline.accounts import import_cells as cells
from hotline.core.table_text import Encoding as Encoding
from hotline.core.table_text import TableDecodeError, decode_table
from hotline.settings import AccountSettings, ReadingSettings
from hotline.store.accounts import MAX_ZONES, AccountRecord, MeterRecord

Progress = Callable[[int, int], None]  # (rows done, rows in all)

REQUIRED: Final = ("account", "meter", "zones", "balance")
OPTIONAL: Final = (
    "phones",
    "name",
    "address",
    "timezone",
    "digits",
    "reading_1",
    "reading_2",
    "reading_3",
    "reading_date",
    "avg_monthly_kwh",
    "due_date",
    "last_payment",
    "last_payment_date",
    "pin",
)
COLUMNS: Final = REQUIRED + OPTIONAL
# Columns that describe the account, not the meter: equal on all rows of one account.
ACCOUNT_COLUMNS: Final = (
    "phones",
    "name",
    "address",
    "timezone",
    "avg_monthly_kwh",
    "balance",
    "due_date",
    "last_payment",
    "last_payment_date",
    "pin",
)


class ImportFileError(ValueError):
    """The file cannot be read at all (not CSV/XLSX, unreadable)."""


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str  # "" when the whole row or file is concerned
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class ImportResult:
    accounts: list[AccountRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0  # data rows read
    skipped_accounts: list[str] = field(default_factory=list)  # bad accounts left out


@dataclass
class _Row:
    number: int
    values: dict[str, str]


@dataclass
class _Draft:
    first_row: int
    fields: dict[str, Any]
    field_rows: dict[str, int]
    meters: list[MeterRecord]
    meter_rows: dict[str, int]
    bad: bool = False


def parse_accounts(
    path: Path,
    accounts: AccountSettings,
    readings: ReadingSettings,
    *,
    encoding: Encoding = "auto",
    progress: Progress | None = None,
) -> ImportResult:
    """Read and check the whole file; ``result.accounts`` holds the good accounts only."""
    result = ImportResult()
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        header, rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        try:
            header, rows = _csv_rows(path, encoding)
        except _DecodeError as exc:
            result.errors.append(RowError(exc.line, "", exc.reason))
            return result
    else:
        raise ImportFileError(f"{path.name}: expected a .csv or .xlsx file")
    columns = _check_header(header, result)
    if result.errors:
        return result
    drafts: dict[str, _Draft] = {}
    rows_list = list(rows(columns))
    total = len(rows_list)
    for done, row in enumerate(rows_list, 1):
        result.rows += 1
        _parse_row(row, accounts, readings, drafts, result)
        if progress is not None and (done % 200 == 0 or done == total):
            progress(done, total)
    for draft in drafts.values():
        if not draft.bad and draft.fields.get("balance") is None:
            # Needed once per account: later rows of the account may leave it blank.
            draft.bad = True
            result.errors.append(RowError(draft.first_row, "balance", "required"))
    bad_rows = {e.row for e in result.errors}
    for number, draft in drafts.items():
        if draft.bad or bad_rows & {draft.first_row, *draft.meter_rows.values()}:
            result.skipped_accounts.append(number)
            continue
        result.accounts.append(_account(number, draft, accounts))
    result.errors.sort(key=lambda e: (e.row, e.column))
    return result


# --- reading the file ------------------------------------------------------------------------

RowSource = Callable[[list[str | None]], Iterator[_Row]]


class _DecodeError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _decode(raw: bytes, encoding: Encoding) -> str:
    try:
        return decode_table(raw, encoding)
    except TableDecodeError as exc:
        raise _DecodeError(exc.line, exc.reason) from None


def _csv_rows(path: Path, encoding: Encoding) -> tuple[list[str | None], RowSource]:
    text = _decode(path.read_bytes(), encoding)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        # A cell over the csv module's field limit, a stray NUL, ...: the file is refused whole.
        raise ImportFileError(
            f"{path.name}: line {reader.line_num} cannot be read ({exc}); nothing was imported"
        ) from exc
    if not records:
        return [], lambda _columns: iter(())
    header: list[str | None] = list(records[0])

    def rows(columns: list[str | None]) -> Iterator[_Row]:
        for index, record in enumerate(records[1:], 2):
            if not any(cell.strip() for cell in record):
                continue
            yield _Row(index, _by_column(columns, record, index))

    return header, rows


def _xlsx_rows(path: Path) -> tuple[list[str | None], RowSource]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportFileError(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    records: list[list[object]] = []
    try:
        sheet = book.worksheets[0]
        # Only the cells present count: a declared "A1:XFD1048576" would pad every row.
        sheet.reset_dimensions()
        records.extend(list(r) for r in sheet.iter_rows(values_only=True))
    except Exception as exc:  # a corrupt sheet: XML, zip member, cell types
        raise ImportFileError(
            f"{path.name}: row {len(records) + 1} cannot be read "
            f"({type(exc).__name__}: {str(exc)[:200]}); nothing was imported"
        ) from exc
    finally:
        book.close()
    if not records:
        return [], lambda _columns: iter(())
    header = [None if c is None else str(c) for c in records[0]]

    def rows(columns: list[str | None]) -> Iterator[_Row]:
        for index, record in enumerate(records[1:], 2):
            cells = [_cell_text(c) for c in record]
            if not any(cells):
                continue
            yield _Row(index, _by_column(columns, cells, index))

    return header, rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _by_column(columns: list[str | None], cells: list[str], index: int) -> dict[str, str]:
    values = {name: cells[i].strip() for i, name in enumerate(columns) if name and i < len(cells)}
    extra = [c for c in cells[len(columns) :] if c.strip()]
    if extra:
        values["__extra__"] = str(len(columns))
    return values


def _check_header(header: list[str | None], result: ImportResult) -> list[str | None]:
    if not header:
        result.errors.append(RowError(1, "", "the file is empty (no header row)"))
        return []
    columns = [None if h is None or not h.strip() else h.strip().lower() for h in header]
    seen: set[str] = set()
    for name in columns:
        if name is None:
            continue
        if name not in COLUMNS:
            result.errors.append(RowError(1, name, "unknown column"))
        elif name in seen:
            result.errors.append(RowError(1, name, "column given twice"))
        seen.add(name)
    for name in REQUIRED:
        if name not in seen:
            result.errors.append(RowError(1, name, "required column is missing"))
    return columns


# --- one row ---------------------------------------------------------------------------------


def _parse_row(
    row: _Row,
    accounts: AccountSettings,
    readings: ReadingSettings,
    drafts: dict[str, _Draft],
    result: ImportResult,
) -> None:
    values = row.values
    errors: list[RowError] = []

    def check(column: str, parse: Callable[[str], Any]) -> Any:
        try:
            return parse(values.get(column, ""))
        except cells.Bad as exc:
            errors.append(RowError(row.number, column, str(exc)))
            return None

    if "__extra__" in values:
        errors.append(RowError(row.number, "", "more cells than header columns"))
    number = check("account", lambda v: cells.account_number(v, accounts.account_digits))
    meter_id = check("meter", cells.meter_id)
    zones = check("zones", lambda v: cells.integer(v, 1, MAX_ZONES, required=True))
    digits = check("digits", lambda v: cells.integer(v, 1, 12) or readings.meter_digits)
    last: list[int | None] = []
    for zone in range(1, MAX_ZONES + 1):
        column = f"reading_{zone}"
        if zones is not None and zone > zones:
            if values.get(column, ""):
                errors.append(RowError(row.number, column, f"the meter has {zones} zone(s)"))
            continue
        value = check(column, lambda v: cells.integer(v, 0, None, required=True))
        if value is not None and digits is not None and len(str(value)) > digits:
            errors.append(
                RowError(row.number, column, f"{value} has more digits than the meter ({digits})")
            )
        last.append(value)
    reading_date = check("reading_date", cells.date)
    account_fields = {
        "phones": check("phones", cells.phones),
        "name": check("name", cells.text),
        "address": check("address", cells.text),
        "timezone": check("timezone", lambda v: cells.timezone(v, accounts.default_timezone)),
        "avg_monthly_kwh": check("avg_monthly_kwh", lambda v: cells.integer(v, 0, None)),
        "balance": check("balance", lambda v: cells.amount(v, negative=True)),
        "due_date": check("due_date", cells.date),
        "last_payment": check("last_payment", lambda v: cells.amount(v)),
        "last_payment_date": check("last_payment_date", cells.date),
        "pin": check("pin", cells.pin),
    }
    result.errors.extend(errors)
    if number is None:
        return
    draft = drafts.get(number)
    if draft is None:
        draft = drafts[number] = _Draft(row.number, {}, {}, [], {})
    if errors:
        draft.bad = True
        return
    for column, value in account_fields.items():
        given = values.get(column, "") != ""
        if column not in draft.fields or (given and column not in draft.field_rows):
            # Blank on a later row means "as above"; the first row that gives it sets it.
            draft.fields[column] = value
            if given:
                draft.field_rows[column] = row.number
        elif given and draft.fields[column] != value:
            draft.bad = True
            first = draft.field_rows[column]
            result.errors.append(
                RowError(row.number, column, f"differs from row {first} of the same account")
            )
    if meter_id in draft.meter_rows:
        draft.bad = True
        result.errors.append(
            RowError(
                row.number,
                "meter",
                f"meter {meter_id} of account {number} is already on row "
                f"{draft.meter_rows[meter_id]}",
            )
        )
        return
    draft.meter_rows[meter_id] = row.number
    draft.meters.append(MeterRecord(meter_id, zones, digits, tuple(last), reading_date))


def _account(number: str, draft: _Draft, accounts: AccountSettings) -> AccountRecord:
    f = draft.fields
    return AccountRecord(
        number=number,
        name=f.get("name") or "",
        address=f.get("address") or "",
        timezone=f.get("timezone") or accounts.default_timezone,
        balance=f["balance"],
        due_date=f.get("due_date"),
        last_payment=f.get("last_payment"),
        last_payment_date=f.get("last_payment_date"),
        avg_monthly_kwh=f.get("avg_monthly_kwh"),
        phones=f.get("phones") or (),
        meters=tuple(draft.meters),
        pin=f.get("pin"),
    )
