"""Accounts and readings in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from hotline.core.phones import phone_digits as normalize_phone
from hotline.store.accounts import (
    AccountRecord,
    AccountStore,
    MeterRecord,
    ReadingDraft,
    ReadingStore,
)
from hotline.store.db import Database
from hotline.store.models import Reading

DAY = dt.date(2026, 10, 25)
AT = dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.UTC)


def account(number: str = "100000000001", **changes: object) -> AccountRecord:
    values: dict[str, object] = {
        "number": number,
        "name": "Иванов Иван",
        "address": "г. Красноярск",
        "timezone": "Asia/Krasnoyarsk",
        "balance": Decimal("1234.56"),
        "due_date": dt.date(2026, 12, 25),
        "last_payment": Decimal("0.01"),
        "last_payment_date": DAY,
        "avg_monthly_kwh": 250,
        "phones": ("79131234567",),
        "meters": (
            MeterRecord("M1", 1, 6, (12345,), DAY),
            MeterRecord("M2", 2, 6, (20000, 8000), DAY),
        ),
    }
    values.update(changes)
    return AccountRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
async def store(db: Database) -> tuple[AccountStore, ReadingStore]:
    await db.upgrade()
    return AccountStore(db), ReadingStore(db)


async def test_upsert_creates_then_replaces_phones_and_meters(
    store: tuple[AccountStore, ReadingStore],
) -> None:
    accounts, _ = store
    assert await accounts.upsert([account(), account("100000000002", phones=())]) == (2, 0)
    got = await accounts.get("100000000001")
    assert got == account()  # exact kopecks both ways
    changed = account(
        balance=Decimal("-120.50"),
        phones=("79137654321",),
        meters=(MeterRecord("M3", 3, 7, (1, 2, 3), None),),
    )
    assert await accounts.upsert([changed]) == (0, 1)
    assert await accounts.get("100000000001") == changed
    assert await accounts.numbers_for_phone("+7 913 123-45-67") == []
    assert await accounts.numbers_for_phone("8 (913) 765-43-21") == ["100000000001"]
    assert await accounts.count() == 2
    assert await accounts.get("999") is None


async def test_a_phone_shared_by_two_accounts_finds_both(
    store: tuple[AccountStore, ReadingStore],
) -> None:
    accounts, _ = store
    await accounts.upsert([account(), account("100000000002")])
    assert await accounts.numbers_for_phone("89131234567") == ["100000000001", "100000000002"]


async def test_resubmission_supersedes_and_keeps_history(
    store: tuple[AccountStore, ReadingStore],
) -> None:
    accounts, readings = store
    await accounts.upsert([account()])
    draft = ReadingDraft("c1", "100000000001", "M1", 1, "2026-11", 12400, 12345)
    first = await readings.submit(draft, at=AT)
    second = await readings.submit(
        ReadingDraft("c2", "100000000001", "M1", 1, "2026-11", 12410, 12345, ("implausible",)),
        at=AT,
    )
    assert (first.consumption, second.consumption) == (55, 65)
    assert second.needs_review and second.flags == ("implausible",)
    history = await readings.history("100000000001")
    assert [(r.value, r.superseded_by) for r in history] == [(12400, second.id), (12410, None)]
    assert [r.value for r in await readings.current(period="2026-11")] == [12410]
    assert await readings.current(period="2026-10") == []
    assert [r.label for r in await readings.last_taken("100000000001")] == ["M1/1=12410"]


async def test_at_most_one_current_reading_per_zone_and_period(
    db: Database, store: tuple[AccountStore, ReadingStore]
) -> None:
    # The partial unique index backs the rule even against a writer that skips submit().
    row = {
        "account_number": "1",
        "meter_id": "M1",
        "zone": 1,
        "period": "2026-11",
        "value": 1,
        "previous": 0,
        "consumption": 1,
        "flags": "",
        "taken_at": AT,
    }
    async with db.session() as session:
        session.add(Reading(**row))
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(Reading(**row))


async def test_last_accepted_is_the_later_of_billing_and_our_earlier_periods(
    store: tuple[AccountStore, ReadingStore],
) -> None:
    accounts, readings = store
    await accounts.upsert([account()])
    acc = account()
    last = await readings.last_accepted(acc, "M2", 2, "2026-11")
    assert last is not None and (last.value, last.on) == (8000, DAY)
    # A reading for November taken here: December checks against it, November itself not.
    await readings.submit(ReadingDraft(None, acc.number, "M2", 2, "2026-11", 8100, 8000), at=AT)
    assert (await readings.last_accepted(acc, "M2", 2, "2026-11")).value == 8000  # type: ignore[union-attr]
    december = await readings.last_accepted(acc, "M2", 2, "2026-12")
    assert december is not None and december.value == 8100
    assert december.on == dt.date(2026, 11, 24)  # local date in Krasnoyarsk
    # Billing imported a newer reading since: it wins.
    newer = account(meters=(MeterRecord("M2", 2, 6, (20500, 8200), dt.date(2026, 11, 30)),))
    await accounts.upsert([newer])
    assert (await readings.last_accepted(newer, "M2", 2, "2026-12")).value == 8200  # type: ignore[union-attr]


def test_phone_spellings_normalize_alike() -> None:
    assert {normalize_phone(p) for p in ("+79131234567", "89131234567", "9131234567")} == {
        "79131234567"
    }
    with pytest.raises(ValueError):
        normalize_phone("call me")
