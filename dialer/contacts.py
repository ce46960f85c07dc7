"""Contact lists from CSV or XLSX: every row checked, numbers normalised to E.164,
duplicates and do-not-call numbers removed, a report by row.  Parsing is blocking file work:
call :func:`read_contacts` through ``asyncio.to_thread``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NamedTuple, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer.model import SayKind, VariableError
from dialer.values import value_parser
from hotline.core.phones import normalise_phone
from hotline.core.table_text import TableDecodeError, decode_table

PHONE_COLUMNS: Final = ("phone", "телефон", "номер", "number")
TIMEZONE_COLUMNS: Final = ("timezone", "tz", "часовой пояс")
ACCOUNT_COLUMNS: Final = ("account", "account_number", "лицевой счёт", "лс")
EMAIL_COLUMNS: Final = ("email", "e-mail")
NAME_COLUMNS: Final = ("name", "фио")
DELIVER_BY_COLUMNS: Final = ("deliver_by",)
CHANNEL_COLUMNS: Final = ("channel", "канал")
# e-mail goes only to addresses the customer gave of their own accord; an address
# without this mark set (yes/да/1/true) is not used.
EMAIL_GIVEN_COLUMNS: Final = ("email_given_by_customer",)
_YES: Final = frozenset({"1", "yes", "y", "true", "да", "д"})
_NO: Final = frozenset({"0", "no", "n", "false", "нет", "н"})
CHANNELS: Final = {
    "phone": "phone",
    "телефон": "phone",
    "email": "email",
    "e-mail": "email",
    "sms": "sms",
    "смс": "sms",
}
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# The key under which _rows reports a row the file format does not let us read.
UNREADABLE_ROW: Final = "\x00unreadable"


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, header)."""


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.reason}"


class ParsedContact(NamedTuple):
    """One accepted row: a NamedTuple, built about four times faster than a frozen dataclass
    (which sets each field through ``object.__setattr__``), once per row of a long list."""

    row: int
    phone: str  # E.164
    name: str | None
    email: str | None
    timezone: str | None
    account_number: str | None
    variables: dict[str, str]
    deliver_by: str | None = None
    channel: str = "phone"


@dataclass
class ImportReport:
    contacts: list[ParsedContact] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    do_not_call: list[RowProblem] = field(default_factory=list)
    # Rows left out by a campaign rule (numbers not in the contract, R-084), with the reason.
    dropped: list[RowProblem] = field(default_factory=list)
    # Addresses kept out of e-mail informing: not marked as given by the customer.
    emails_unused: list[RowProblem] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": len(self.contacts) if self.ok else 0,
            "errors": [str(p) for p in self.errors],
            "duplicates": [str(p) for p in self.duplicates],
            "do_not_call": [str(p) for p in self.do_not_call],
            "dropped": [str(p) for p in self.dropped],
            "emails_unused": [str(p) for p in self.emails_unused],
        }


@dataclass(frozen=True)
class AccountInfo:
    timezone: str | None
    debt: str | None  # roubles.kopecks as text
    # The numbers in the contract: the account's registered phones, digits only (7913...).
    phones: frozenset[str] = frozenset()


class AccountLookup(Protocol):
    """Where a contact linked to an account takes its time zone and debt from
    (``dialer.accounts.StoredAccounts``: the billing accounts of ``hotline accounts import``)."""

    async def lookup(self, numbers: Iterable[str]) -> Mapping[str, AccountInfo]: ...


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        yield from _csv_rows(path)
    else:
        raise ImportFileError(f"{path.name}: expected a .csv or .xlsx file")


def _header(cells: Iterable[Any]) -> list[str]:
    names = [str(c).strip().lower() if c is not None else "" for c in cells]
    seen = [n for n in names if n]
    if len(seen) != len(set(seen)):
        raise ImportFileError("the header repeats a column name")
    return names


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        # UTF-8, else cp1251 (Russian Excel); a file that is neither is refused whole.
        text = decode_table(path.read_bytes())
    except TableDecodeError as exc:
        raise ImportFileError(f"{path.name}: {exc}; nothing was imported") from None
    with io.StringIO(text, newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        try:
            header = _header(next(reader))
        except StopIteration as exc:
            raise ImportFileError(f"{path.name} is empty") from exc
        except csv.Error as exc:
            raise ImportFileError(f"{path.name}: unreadable header ({exc})") from exc
        number = 1
        while True:
            number += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # A cell over the csv module's field limit, a stray NUL, ...: the rest of the
                # file cannot be read reliably, so this row is an error and reading stops.
                yield number, {UNREADABLE_ROW: f"unreadable row ({exc})"}
                return
            if not any(v.strip() for v in values):
                continue
            yield number, dict(zip(header, values, strict=False))


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportFileError(f"{path.name}: not a readable XLSX file ({exc})") from exc
    try:
        try:
            sheet = book.worksheets[0]
            # The declared dimension is not trusted: "A1:XFD1048576" would pad every row to
            # 16384 cells and add empty rows up to the millionth.  Only the cells present count.
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True)
            header = _header(next(rows))
        except StopIteration as exc:
            raise ImportFileError(f"{path.name} is empty") from exc
        except ImportFileError:
            raise
        except Exception as exc:  # a corrupt sheet: XML, zip member, cell types
            raise ImportFileError(f"{path.name}: unreadable header ({_why(exc)})") from exc
        number = 1
        while True:
            number += 1
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:
                # openpyxl parses the sheet as it goes: the rest of it cannot be read, so this
                # row is an error (the list is then refused whole) and reading stops.
                yield number, {UNREADABLE_ROW: f"unreadable row ({_why(exc)})"}
                return
            if not any(v not in (None, "") for v in values):
                continue
            yield number, dict(zip(header, values, strict=False))
    finally:
        book.close()


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _pick(row: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, str | None]:
    for name in names:
        if name in row:
            value = row[name]
            return name, None if value in (None, "") else str(value).strip()
    return names[0], None


def _cell(value: Any) -> str | None:
    """A cell as :func:`_pick` reads it: None when blank."""
    return None if value in (None, "") else str(value).strip()


def _first(keys: tuple[str, ...], names: tuple[str, ...]) -> str:
    """The column :func:`_pick` would read ``names`` from, for rows with these columns."""
    return next((name for name in names if name in keys), names[0])


_KNOWN: Final = frozenset(
    {*PHONE_COLUMNS, *TIMEZONE_COLUMNS, *ACCOUNT_COLUMNS, *EMAIL_COLUMNS, *NAME_COLUMNS}
    | {*DELIVER_BY_COLUMNS, *CHANNEL_COLUMNS, *EMAIL_GIVEN_COLUMNS}
)


class _Layout(NamedTuple):
    """Where each field of a row is read, for one set of columns."""

    phone: str
    account: str
    timezone: str
    deliver_by: str
    email: str
    given: str
    channel: str
    name: str
    # Columns that are none of the above nor a scenario value: kept as extra values.
    extra: tuple[str, ...]


def _layout(keys: tuple[str, ...], variables: Mapping[str, SayKind]) -> _Layout:
    return _Layout(
        _first(keys, PHONE_COLUMNS),
        _first(keys, ACCOUNT_COLUMNS),
        _first(keys, TIMEZONE_COLUMNS),
        _first(keys, DELIVER_BY_COLUMNS),
        _first(keys, EMAIL_COLUMNS),
        _first(keys, EMAIL_GIVEN_COLUMNS),
        _first(keys, CHANNEL_COLUMNS),
        _first(keys, NAME_COLUMNS),
        tuple(k for k in keys if k and k not in _KNOWN and k not in variables),
    )


def read_contacts(
    path: Path,
    variables: Mapping[str, SayKind],
    *,
    region: str,
    do_not_call: frozenset[str],
    accounts: Mapping[str, AccountInfo] | None = None,
    contract_numbers: bool = False,
    outage_not_before: tuple[dt.datetime, str] | None = None,
) -> ImportReport:
    """Every row of ``path`` checked; the caller stores ``contacts`` only when ``ok``.

    ``variables`` are the scenario's personal values: each must be present and valid (unless
    a linked account supplies it: the debt as ``amount``).  ``contract_numbers``: a row whose
    number is not one of its account's registered phones is dropped (R-084).
    ``outage_not_before``: (earliest start, zone of contacts without one): a planned outage
    (``outage_date`` and ``time_from``) that starts sooner is dropped (R-089 lead time).
    """
    report = check_rows(
        _rows(path),
        variables,
        region=region,
        do_not_call=do_not_call,
        accounts=accounts,
        contract_numbers=contract_numbers,
        outage_not_before=outage_not_before,
    )
    if not report.rows:
        raise ImportFileError(f"{path.name} has no rows")
    return report


def check_rows(
    rows: Iterable[tuple[int, dict[str, Any]]],
    variables: Mapping[str, SayKind],
    *,
    region: str,
    do_not_call: frozenset[str],
    accounts: Mapping[str, AccountInfo] | None = None,
    contract_numbers: bool = False,
    outage_not_before: tuple[dt.datetime, str] | None = None,
) -> ImportReport:
    """``read_contacts`` over (row number, {column: value}) rows, from a file or built from
    the accounts table (a monthly campaign, dialer.scheduled); no rows: an empty report."""
    report = ImportReport()
    seen: dict[str, int] = {}
    parsers = [(name, value_parser(kind)) for name, kind in variables.items()]
    # Rows of one file share their columns: where each field is read is worked out once per
    # set of columns (a short CSV row has fewer), not looked for again on every row.
    layouts: dict[tuple[str, ...], _Layout] = {}
    header_checked = False
    for number, row in rows:
        report.rows += 1
        if UNREADABLE_ROW in row:
            header_checked = True
            report.errors.append(RowProblem(number, "-", str(row[UNREADABLE_ROW])))
            continue
        if not header_checked:
            header_checked = True
            if not any(name in row for name in PHONE_COLUMNS):
                raise ImportFileError(f"no phone column (one of: {', '.join(PHONE_COLUMNS)})")
        problems: list[RowProblem] = []
        keys = tuple(row)
        layout = layouts.get(keys)
        if layout is None:
            layout = layouts[keys] = _layout(keys, variables)
        column = layout.phone
        raw_phone = _cell(row.get(column))
        phone = ""
        try:
            phone = normalise_phone(raw_phone or "", region)
        except ValueError as exc:
            problems.append(RowProblem(number, column, str(exc)))
        account = _cell(row.get(layout.account))
        info = (accounts or {}).get(account) if account else None
        tz_column = layout.timezone
        timezone = _cell(row.get(tz_column))
        if timezone is None and info is not None:
            timezone = info.timezone
        if timezone is not None:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia": IsADirectoryError
                problems.append(RowProblem(number, tz_column, f"unknown time zone {timezone!r}"))
        values: dict[str, str] = {}
        for name, parse in parsers:
            raw = row.get(name)
            if raw in (None, "") and name == "amount" and info is not None and info.debt:
                raw = info.debt
            try:
                values[name] = parse(raw)
            except VariableError as exc:
                problems.append(RowProblem(number, name, str(exc)))
        for name in layout.extra:
            raw = row[name]
            if raw not in (None, ""):
                values[name] = str(raw).strip()
        deliver_column = layout.deliver_by
        deliver_by = _cell(row.get(deliver_column))
        if deliver_by is not None:
            try:
                moment = dt.datetime.fromisoformat(deliver_by)
                if moment.tzinfo is None:
                    raise ValueError
                deliver_by = moment.isoformat()
            except ValueError:
                problems.append(
                    RowProblem(number, deliver_column, "not an ISO time with a zone offset")
                )
        email_column = layout.email
        email = _cell(row.get(email_column))
        if email is not None and not _EMAIL.match(email):
            problems.append(RowProblem(number, email_column, f"not an e-mail address: {email!r}"))
        given_column = layout.given
        raw_given = _cell(row.get(given_column))
        given = (raw_given or "").lower()
        if given and given not in _YES | _NO:
            problems.append(RowProblem(number, given_column, "expected yes or no (да или нет)"))
        channel_column = layout.channel
        raw_channel = _cell(row.get(channel_column))
        channel = CHANNELS.get((raw_channel or "phone").lower())
        if channel is None:
            problems.append(RowProblem(number, channel_column, "expected phone, email or sms"))
        elif channel == "email" and email is None:
            problems.append(RowProblem(number, channel_column, "e-mail chosen but no address"))
        if problems:
            report.errors.extend(problems)
            continue
        if phone in seen:
            report.duplicates.append(
                RowProblem(number, column, f"{phone} already on row {seen[phone]}")
            )
            continue
        seen[phone] = number
        if phone in do_not_call:
            report.do_not_call.append(RowProblem(number, column, "on the do-not-call list"))
            continue
        if outage_not_before is not None:
            why = _too_soon(values, timezone, *outage_not_before)
            if why is not None:
                report.dropped.append(RowProblem(number, "outage_date", why))
                continue
        if contract_numbers:
            why = _not_in_contract(phone, account, info)
            if why is not None:
                report.dropped.append(RowProblem(number, column, why))
                continue
        if email is not None and given not in _YES:
            report.emails_unused.append(
                RowProblem(number, email_column, f"not marked {EMAIL_GIVEN_COLUMNS[0]}: unused")
            )
            email = None
            if channel == "email":
                report.dropped.append(
                    RowProblem(number, channel_column, "e-mail chosen, no address given by them")
                )
                continue
        contact_name = _cell(row.get(layout.name))
        report.contacts.append(
            ParsedContact(
                number,
                phone,
                contact_name,
                email,
                timezone,
                account,
                values,
                deliver_by,
                channel or "phone",
            )
        )
    return report


def _too_soon(
    values: Mapping[str, str], zone: str | None, earliest: dt.datetime, default_zone: str
) -> str | None:
    """Why a planned outage is announced too late (None: in time, or no outage on the row)."""
    day = values.get("outage_date")
    if day is None:
        return None
    start = dt.datetime.combine(
        dt.date.fromisoformat(day),
        dt.time.fromisoformat(values.get("time_from", "00:00")),
        ZoneInfo(zone or default_zone),
    )
    if start >= earliest:
        return None
    return f"the outage starts {start:%d.%m.%Y %H:%M}, sooner than the notice lead time allows"


def _not_in_contract(phone: str, account: str | None, info: AccountInfo | None) -> str | None:
    """Why ``phone`` is not a number from the contract (None: it is)."""
    if account is None:
        return "numbers from the contract only: no account on the row"
    if info is None:
        return f"numbers from the contract only: account {account} not found"
    if phone.lstrip("+") not in info.phones:
        return f"numbers from the contract only: not a registered phone of account {account}"
    return None


def account_numbers(path: Path) -> set[str]:
    """The account numbers a contact file names (a cheap first pass: no phone parsing), so
    their accounts can be looked up before the rows are checked.  Blocking: run in a thread."""
    numbers = set()
    for _number, row in _rows(path):
        _column, account = _pick(row, ACCOUNT_COLUMNS)
        if account:
            numbers.add(account)
    return numbers
