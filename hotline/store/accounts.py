"""Accounts, their phones and meters (imported from billing), and the meter readings callers
submit through the IVR.

Readings are append-only: a second submission for the same meter, zone and billing period
supersedes the first (its ``superseded_by`` names the new row) and the first stays as history;
a partial unique index keeps at most one current row per (account, meter, zone, period), so
nothing is ever doubled even if two calls race.  Every method is its own unit of work, and a
reading is committed before :meth:`ReadingStore.submit` returns, so the IVR only says
"accepted" about what is already in the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Final, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, func, select
from sqlalchemy import insert as sql_insert

from hotline.core.clock import utc_now
from hotline.core.errors import NotFound
from hotline.core.phones import phone_digits
from hotline.core.pins import pin_matches_async
from hotline.store.account_rows import account_rows, from_kopecks, meter_row
from hotline.store.db import Database, batches, dialect_insert
from hotline.store.models import Account, AccountPhone, Meter, Reading
from hotline.store.paging import PAGE_SIZE, keyset_pages
from hotline.store.webhook_events import reading_stored

MAX_ZONES: Final = 3
FLAG_IMPLAUSIBLE: Final = "implausible"
FLAG_NEXT_PERIOD: Final = "next_period"
# Flags a person must look at before billing uses the reading.
REVIEW_FLAGS: Final = frozenset({FLAG_IMPLAUSIBLE})


# The tables the import writes with Core statements (no ORM objects for thousands of rows).
_ACCOUNTS: Final = cast(Table, Account.__table__)
_PHONES: Final = cast(Table, AccountPhone.__table__)
_METERS: Final = cast(Table, Meter.__table__)
# What a re-import replaces on an existing account: every column but its number.
_ACCOUNT_UPDATED: Final = tuple(c.name for c in _ACCOUNTS.columns if c.name != "number")


class UnknownMeter(NotFound):
    """The account has no meter with this id."""


@dataclass(frozen=True)
class MeterRecord:
    meter_id: str
    zones: int  # 1, 2 or 3
    digits: int  # whole-kWh digits on the display
    last: tuple[int | None, ...]  # billing's last accepted reading for zones 1..zones
    last_date: dt.date | None


@dataclass(frozen=True)
class AccountRecord:
    number: str
    name: str
    address: str
    timezone: str
    balance: Decimal  # positive: the customer owes; negative: overpaid
    due_date: dt.date | None
    last_payment: Decimal | None
    last_payment_date: dt.date | None
    avg_monthly_kwh: int | None
    phones: tuple[str, ...]
    meters: tuple[MeterRecord, ...]
    # The PIN as billing gave it, on its way to the store, which keeps only its hash; never
    # filled when read back.  None: the account has no PIN (a re-import clears it).
    pin: str | None = field(default=None, repr=False, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def meter(self, meter_id: str) -> MeterRecord:
        for meter in self.meters:
            if meter.meter_id == meter_id:
                return meter
        raise UnknownMeter(f"account {self.number} has no meter {meter_id!r}")


@dataclass(frozen=True)
class AccountBalance:
    """What a campaign contact linked to an account takes from it."""

    number: str
    timezone: str
    balance: Decimal  # positive: the customer owes; negative: overpaid
    # The phones registered for the account (digits only): the numbers in the contract.
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class LastReading:
    """The last accepted reading of a zone: billing's, or one taken here since."""

    value: int
    on: dt.date | None  # local date, when known


@dataclass(frozen=True)
class ReadingDraft:
    call_id: str | None
    account_number: str
    meter_id: str
    zone: int
    period: str  # "YYYY-MM"
    value: int
    previous: int
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadingRecord:
    id: int
    call_id: str | None
    account_number: str
    meter_id: str
    zone: int
    period: str
    value: int
    previous: int
    consumption: int
    flags: tuple[str, ...]
    needs_review: bool
    taken_at: dt.datetime
    superseded_by: int | None

    @property
    def label(self) -> str:
        """``<meter_id>/<zone>=<value>``: the call event value and HOTLINE_READING."""
        return f"{self.meter_id}/{self.zone}={self.value}"


class AccountStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db

    async def upsert(
        self, accounts: Sequence[AccountRecord], progress: Callable[[int], None] | None = None
    ) -> tuple[int, int]:
        """Create or replace the accounts (their phones and meters are replaced by the given
        ones; readings taken here are kept), all in one transaction.  Returns (created,
        updated); ``progress`` is called with the number of accounts written so far.

        Written with Core executemany over statements compiled once (a multi-row VALUES
        built per chunk spent nine tenths of the import compiling SQL), one read of the
        existing numbers per chunk, and no ORM objects: 20,000 accounts are 20,000 dicts."""
        created = updated = 0
        now = utc_now()
        insert = dialect_insert(self._db)
        upsert = insert(_ACCOUNTS)
        upsert = upsert.on_conflict_do_update(
            index_elements=[_ACCOUNTS.c.number],
            set_={name: upsert.excluded[name] for name in _ACCOUNT_UPDATED},
        )
        async with self._db.session() as session:
            conn = await session.connection()
            written = 0
            for chunk in batches(accounts):
                numbers = [a.number for a in chunk]
                existing = list(
                    await conn.scalars(
                        select(_ACCOUNTS.c.number).where(_ACCOUNTS.c.number.in_(numbers))
                    )
                )
                updated += len(existing)
                created += len(chunk) - len(existing)
                # A row with a PIN carries its argon2 hash (tens of ms each): off the loop.
                rows = await asyncio.to_thread(account_rows, chunk, now)
                await conn.execute(upsert, rows)
                if existing:
                    # Only accounts already there can have phones and meters to replace.
                    await conn.execute(
                        delete(_PHONES).where(_PHONES.c.account_number.in_(existing))
                    )
                    await conn.execute(
                        delete(_METERS).where(_METERS.c.account_number.in_(existing))
                    )
                phones = [
                    {"phone": p, "account_number": a.number} for a in chunk for p in set(a.phones)
                ]
                if phones:
                    await conn.execute(sql_insert(_PHONES), phones)
                meters = [meter_row(a.number, i, m) for a in chunk for i, m in enumerate(a.meters)]
                if meters:
                    await conn.execute(sql_insert(_METERS), meters)
                written += len(chunk)
                if progress is not None:
                    progress(written)
        return created, updated

    async def get(self, number: str) -> AccountRecord | None:
        async with self._db.session() as session:
            account = await session.get(Account, number)
            if account is None:
                return None
            phones = await session.scalars(
                select(AccountPhone.phone)
                .where(AccountPhone.account_number == number)
                .order_by(AccountPhone.phone)
            )
            meters = await session.scalars(
                select(Meter).where(Meter.account_number == number).order_by(Meter.position)
            )
            return _account_record(account, tuple(phones), tuple(meters))

    async def balances(self, numbers: Iterable[str]) -> dict[str, AccountBalance]:
        """Time zone and balance of each account found among ``numbers``."""
        wanted = sorted(set(numbers))
        found: dict[str, AccountBalance] = {}
        async with self._db.session() as session:
            for numbers in batches(wanted):
                rows = await session.execute(
                    select(Account.number, Account.timezone, Account.balance_kopecks).where(
                        Account.number.in_(numbers)
                    )
                )
                for number, timezone, kopecks in rows:
                    found[number] = AccountBalance(number, timezone, from_kopecks(kopecks))
                phones: dict[str, list[str]] = {}
                registered = await session.execute(
                    select(AccountPhone.account_number, AccountPhone.phone).where(
                        AccountPhone.account_number.in_(numbers)
                    )
                )
                for number, phone in registered:
                    phones.setdefault(number, []).append(phone)
                for number, listed in phones.items():
                    if number in found:
                        found[number] = replace(found[number], phones=tuple(sorted(listed)))
        return found

    async def numbers_for_phone(self, phone: str) -> list[str]:
        """The accounts registered for a phone number (any common spelling of it)."""
        try:
            normalized = phone_digits(phone)
        except ValueError:
            return []
        query = (
            select(AccountPhone.account_number)
            .where(AccountPhone.phone == normalized)
            .order_by(AccountPhone.account_number)
        )
        async with self._db.session() as session:
            return list(await session.scalars(query))

    async def has_pin(self, number: str) -> bool:
        return await self._pin_hash(number) is not None

    async def verify_pin(self, number: str, typed: str) -> bool:
        """Whether ``typed`` is the account's PIN (False when it has none)."""
        pin_hash = await self._pin_hash(number)
        return pin_hash is not None and await pin_matches_async(pin_hash, typed)

    async def _pin_hash(self, number: str) -> str | None:
        async with self._db.session() as session:
            return await session.scalar(select(Account.pin_hash).where(Account.number == number))

    async def count(self) -> int:
        async with self._db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


class ReadingStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def last_accepted(
        self, account: AccountRecord, meter_id: str, zone: int, before_period: str
    ) -> LastReading | None:
        """The reading a new one for ``before_period`` is checked against: the later of
        billing's last accepted reading and the newest reading taken here for an earlier
        period."""
        meter = account.meter(meter_id)
        baseline = meter.last[zone - 1] if zone <= len(meter.last) else None
        query = (
            select(Reading)
            .where(
                Reading.account_number == account.number,
                Reading.meter_id == meter_id,
                Reading.zone == zone,
                Reading.period < before_period,
                Reading.superseded_by.is_(None),
            )
            .order_by(Reading.period.desc(), Reading.id.desc())
            .limit(1)
        )
        async with self._db.session() as session:
            ours = (await session.scalars(query)).first()
        if ours is not None:
            taken_on = ours.taken_at.astimezone(account.zone).date()
            if baseline is None or meter.last_date is None or taken_on >= meter.last_date:
                return LastReading(ours.value, taken_on)
        if baseline is None:
            return None
        return LastReading(baseline, meter.last_date)

    async def submit(self, draft: ReadingDraft, at: dt.datetime | None = None) -> ReadingRecord:
        """Commit a reading, superseding the current one for the same meter, zone and period
        (kept as history).  Returns once it is committed."""
        flags = tuple(sorted(set(draft.flags)))
        async with self._db.session() as session:
            old = (
                await session.scalars(
                    select(Reading)
                    .where(
                        Reading.account_number == draft.account_number,
                        Reading.meter_id == draft.meter_id,
                        Reading.zone == draft.zone,
                        Reading.period == draft.period,
                        Reading.superseded_by.is_(None),
                    )
                    .with_for_update()
                )
            ).first()
            if old is not None:
                # Out of the unique index first; pointed at its successor below.
                old.superseded_by = 0
                await session.flush()
            row = Reading(
                call_id=draft.call_id,
                account_number=draft.account_number,
                meter_id=draft.meter_id,
                zone=draft.zone,
                period=draft.period,
                value=draft.value,
                previous=draft.previous,
                consumption=draft.value - draft.previous,
                flags=",".join(flags),
                needs_review=bool(REVIEW_FLAGS & set(flags)),
                taken_at=at or utc_now(),
            )
            session.add(row)
            await session.flush()
            if old is not None:
                old.superseded_by = row.id
            # Billing hears of it in the same transaction (issue 22 item 4).
            reading_stored(session, row, old.id if old is not None else None)
            return _reading_record(row)

    async def history(self, account_number: str) -> list[ReadingRecord]:
        """Every reading of the account, superseded ones included, oldest first."""
        query = (
            select(Reading).where(Reading.account_number == account_number).order_by(Reading.id)
        )
        async with self._db.session() as session:
            return [_reading_record(r) for r in await session.scalars(query)]

    async def current(
        self, *, since: dt.datetime | None = None, period: str | None = None
    ) -> list[ReadingRecord]:
        """The readings billing should use (not superseded), oldest first."""
        query = select(Reading).where(Reading.superseded_by.is_(None)).order_by(Reading.id)
        if since is not None:
            query = query.where(Reading.taken_at >= since)
        if period is not None:
            query = query.where(Reading.period == period)
        async with self._db.session() as session:
            return [_reading_record(r) for r in await session.scalars(query)]

    async def current_pages(
        self,
        *,
        since: dt.datetime | None = None,
        period: str | None = None,
        size: int = PAGE_SIZE,
    ) -> AsyncIterator[list[ReadingRecord]]:
        """``current``, a keyset page at a time (the export: memory stays flat)."""
        # Plain rows, not ORM objects: an export reads each once, and entities cost ~3x.
        query = select(*Reading.__table__.columns).where(Reading.superseded_by.is_(None))
        if since is not None:
            query = query.where(Reading.taken_at >= since)
        if period is not None:
            query = query.where(Reading.period == period)
        async for page in keyset_pages(self._db, query, (Reading.id,), size):
            yield [_reading_record(cast("Reading", row)) for row in page]

    async def last_taken(self, account_number: str) -> list[ReadingRecord]:
        """The newest current reading per meter and zone of the account."""
        query = (
            select(Reading)
            .where(Reading.account_number == account_number, Reading.superseded_by.is_(None))
            .order_by(Reading.period, Reading.id)
        )
        newest: dict[tuple[str, int], ReadingRecord] = {}
        async with self._db.session() as session:
            for row in await session.scalars(query):
                newest[(row.meter_id, row.zone)] = _reading_record(row)
        return list(newest.values())


def _account_record(
    account: Account, phones: tuple[str, ...], meters: tuple[Meter, ...]
) -> AccountRecord:
    return AccountRecord(
        number=account.number,
        name=account.name,
        address=account.address,
        timezone=account.timezone,
        balance=from_kopecks(account.balance_kopecks),
        due_date=account.due_date,
        last_payment=(
            None
            if account.last_payment_kopecks is None
            else from_kopecks(account.last_payment_kopecks)
        ),
        last_payment_date=account.last_payment_date,
        avg_monthly_kwh=account.avg_monthly_kwh,
        phones=phones,
        meters=tuple(
            MeterRecord(
                meter_id=m.meter_id,
                zones=m.zones,
                digits=m.digits,
                last=(m.last_1, m.last_2, m.last_3)[: m.zones],
                last_date=m.last_date,
            )
            for m in meters
        ),
    )


def _reading_record(row: Reading) -> ReadingRecord:
    return ReadingRecord(
        id=row.id,
        call_id=row.call_id,
        account_number=row.account_number,
        meter_id=row.meter_id,
        zone=row.zone,
        period=row.period,
        value=row.value,
        previous=row.previous,
        consumption=row.consumption,
        flags=tuple(f for f in row.flags.split(",") if f),
        needs_review=row.needs_review,
        taken_at=row.taken_at,
        superseded_by=row.superseded_by,
    )
