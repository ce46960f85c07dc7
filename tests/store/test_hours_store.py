"""Calendar overrides, the operator-hours loader and its TTL cache, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from hotline.contact_center import schedule as calendar_module
from hotline.contact_center.hours import HoursError
from hotline.contact_center.schedule import (
    OVERRIDE_WINDOW_DAYS,
    CalendarOverrides,
    HoursProvider,
    load_operator_hours,
)
from hotline.settings import HoursSettings
from hotline.store.db import Database

SETTINGS = HoursSettings()
# 2026-02-16 10:00 in Krasnoyarsk.
NOW = datetime(2026, 2, 16, 3, 0, tzinfo=UTC)
TODAY = date(2026, 2, 16)


@pytest.fixture
async def overrides(db: Database) -> CalendarOverrides:
    await db.upgrade()
    return CalendarOverrides(db)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_set_list_get_remove(overrides: CalendarOverrides) -> None:
    shagaa = await overrides.set(date(2026, 2, 18), "", "Shagaa (Tuva)", by="alice")
    assert (shagaa.hours, shagaa.note, shagaa.updated_by) == ("", "Shagaa (Tuva)", "alice")
    await overrides.set(date(2026, 8, 15), " 08:00-14:00 ", "Republic Day, shortened")
    await overrides.set(date(2026, 2, 17), "09:00-13:00, 14:00-17:00")

    listed = await overrides.list(date(2026, 2, 1), date(2026, 8, 15))
    assert [(r.day, r.hours) for r in listed] == [
        (date(2026, 2, 17), "09:00-13:00,14:00-17:00"),  # stored normalised
        (date(2026, 2, 18), ""),
        (date(2026, 8, 15), "08:00-14:00"),
    ]
    assert [r.day for r in await overrides.list(date(2026, 2, 18), date(2026, 2, 18))] == [
        date(2026, 2, 18)
    ]
    assert await overrides.list(date(2026, 3, 1), date(2026, 8, 14)) == []
    found = await overrides.get(date(2026, 2, 18))
    assert found is not None and found.note == "Shagaa (Tuva)"
    assert found.updated_at.tzinfo is not None
    assert abs(found.updated_at - datetime.now(UTC)) < timedelta(minutes=1)

    assert await overrides.remove(date(2026, 2, 18)) is True
    assert await overrides.remove(date(2026, 2, 18)) is False
    assert await overrides.get(date(2026, 2, 18)) is None


async def test_set_replaces_the_days_override(overrides: CalendarOverrides) -> None:
    await overrides.set(date(2026, 2, 18), "", "closed", by="alice")
    await overrides.set(date(2026, 2, 18), "10:00-15:00", "open after all", by="bob")
    (only,) = await overrides.list(date(2026, 2, 1), date(2026, 2, 28))
    assert (only.hours, only.note, only.updated_by) == ("10:00-15:00", "open after all", "bob")


async def test_bad_hours_are_refused_before_storing(overrides: CalendarOverrides) -> None:
    with pytest.raises(HoursError, match="override 2026-02-18: bad hours"):
        await overrides.set(date(2026, 2, 18), "9-18", "typo")
    with pytest.raises(ValueError, match="note"):
        await overrides.set(date(2026, 2, 18), "", "x" * 1001)
    assert await overrides.list(date(2026, 1, 1), date(2026, 12, 31)) == []


async def test_a_row_edited_by_hand_into_nonsense_is_skipped(
    db: Database, overrides: CalendarOverrides, caplog: pytest.LogCaptureFixture
) -> None:
    await overrides.set(date(2026, 2, 18), "", "Shagaa")
    async with db.session() as session:
        await session.execute(
            text(
                "INSERT INTO calendar_overrides (day, hours, note, updated_at) "
                "VALUES (:day, 'noon-ish', 'typo', CURRENT_TIMESTAMP)"
            ),
            {"day": date(2026, 2, 19)},
        )
    with caplog.at_level(logging.ERROR, logger="hotline.contact_center.schedule"):
        hours = await load_operator_hours(db, SETTINGS, now=NOW)
    assert "calendar override 2026-02-19 ignored" in caplog.text
    assert hours.hours_on(date(2026, 2, 18)).source == "override:Shagaa"
    assert hours.hours_on(date(2026, 2, 19)).source == "weekly:thursday"


async def test_loader_applies_the_coming_weeks(db: Database, overrides: CalendarOverrides) -> None:
    await overrides.set(TODAY - timedelta(days=2), "", "too old")
    await overrides.set(TODAY - timedelta(days=1), "", "yesterday")
    await overrides.set(TODAY, "12:00-13:00", "today")
    await overrides.set(TODAY + timedelta(days=OVERRIDE_WINDOW_DAYS), "", "last")
    await overrides.set(TODAY + timedelta(days=OVERRIDE_WINDOW_DAYS + 1), "", "too far")
    hours = await load_operator_hours(db, SETTINGS, now=NOW)
    assert sorted(o.note for o in hours.overrides.values()) == ["last", "today", "yesterday"]
    assert not hours.is_open(NOW)  # 10:00 local, but today only 12:00-13:00
    assert hours.next_opening(NOW) == datetime(2026, 2, 16, 5, 0, tzinfo=UTC)
    # "Today" is the local date: 18:00 UTC on the 15th is already the 16th in Krasnoyarsk.
    late = await load_operator_hours(db, SETTINGS, now=datetime(2026, 2, 15, 18, 0, tzinfo=UTC))
    assert "today" in {o.note for o in late.overrides.values()}


async def test_provider_caches_for_its_ttl(db: Database, overrides: CalendarOverrides) -> None:
    clock = Clock()
    provider = HoursProvider(db, SETTINGS, ttl=60, clock=clock)
    day = datetime.now(UTC).date() + timedelta(days=3)
    first = await provider.current()
    assert await provider.current() is first
    await overrides.set(day, "", "new")
    clock.now += 59
    assert await provider.current() is first  # still remembered
    clock.now += 2
    second = await provider.current()
    assert second is not first and second.hours_on(day).source == "override:new"
    await overrides.remove(day)
    provider.invalidate()
    assert (await provider.current()).hours_on(day).source != "override:new"


async def test_provider_shares_one_load(
    db: Database, overrides: CalendarOverrides, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = 0
    real = calendar_module.load_operator_hours

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(calendar_module, "load_operator_hours", counting)
    provider = HoursProvider(db, SETTINGS)
    results = await asyncio.gather(*(provider.current() for _ in range(20)))
    assert loads == 1 and len({id(r) for r in results}) == 1


async def test_provider_survives_a_store_outage(
    db: Database, overrides: CalendarOverrides, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    day = datetime.now(UTC).date() + timedelta(days=3)
    await overrides.set(day, "", "Shagaa")
    provider = HoursProvider(db, SETTINGS, ttl=60, clock=clock)
    good = await provider.current()
    async with db.session() as session:
        await session.execute(text("DROP TABLE calendar_overrides"))
    clock.now += 61
    with caplog.at_level(logging.ERROR, logger="hotline.contact_center.schedule"):
        assert await provider.current() is good  # the last good hours, overrides included
    assert "cannot read calendar overrides" in caplog.text
    assert good.hours_on(day).source == "override:Shagaa"


async def test_provider_without_any_store_still_answers(db: Database) -> None:
    # Never migrated: no table.  The schedule and the production calendar still apply.
    provider = HoursProvider(db, SETTINGS)
    hours = await provider.current()
    assert hours.overrides == {}
    assert hours.hours_on(date(2026, 1, 9)).source.startswith("holiday:")
