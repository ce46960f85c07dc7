"""Monthly campaigns built from the accounts table (issue 22 item 5), on SQLite and
PostgreSQL: the filter, one build per month (also under two concurrent builders), the
import checks with bad rows reported, and the scheduler building on its day (fixed clock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dialer import scheduled
from dialer.model import CampaignRules, CampaignState
from dialer.repository import DialerStore
from dialer.repository.schedules import Schedules
from dialer.schedule import AccountFilter, ScheduleRunState, parse_filter
from hotline.settings import Settings, load_settings
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from tests.dialer_support import NOW, short_scenario

SUPERVISOR = Actor("boris", "cli")
DAY = date(2026, 12, 21)
DEBTORS = AccountFilter(min_debt=Decimal("500"), due_passed=True)


def account(
    number: str,
    balance: str,
    due: date | None,
    phones: tuple[str, ...],
    zone: str = "Asia/Krasnoyarsk",
) -> AccountRecord:
    return AccountRecord(
        number, f"Абонент {number}", "", zone, Decimal(balance), due, None, None, None, phones, ()
    )


ACCOUNTS = [
    account("1001", "1500.00", date(2026, 12, 10), ("79131234561",)),
    account("1002", "500.00", date(2026, 12, 10), ("79131234562",)),  # not above 500
    account("1003", "900.00", date(2026, 12, 25), ("79131234563",)),  # not due yet
    account("1004", "700.00", date(2026, 12, 1), ()),  # no phone
    account("1005", "800.00", None, ("79131234565",)),  # no due date
    account("2001", "2500.50", date(2026, 11, 30), ("79131234571", "79131234570"), "Asia/Tomsk"),
    account("2002", "-100.00", date(2026, 11, 30), ("79131234572",)),  # overpaid
    account("2003", "600.00", date(2026, 11, 30), ("7123",)),  # a bad number in billing
]


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.upgrade()
    await AccountStore(database).upsert(ACCOUNTS)
    await DialerStore(database).add_scenario("debt", short_scenario(), "setup", NOW)
    yield database
    await database.dispose()


@pytest.fixture
def settings() -> Settings:
    return load_settings(overrides={"sandbox": {"enabled": False}})


async def add(db: Database, where: AccountFilter = DEBTORS, day: int = 20) -> None:
    await scheduled.add(db, "debt-reminder", "debt", day, where, CampaignRules(), SUPERVISOR)


async def test_the_filter_picks_accounts_in_debt_past_their_due_date(db: Database) -> None:
    schedules = Schedules(db)
    picked = await schedules.matching_accounts(DEBTORS, DAY)
    assert [(a.number, a.phone) for a in picked] == [
        ("1001", "79131234561"),
        ("2001", "79131234570"),  # the first registered phone
        ("2003", "7123"),
    ]
    region = AccountFilter(timezones=("Asia/Tomsk",))
    assert [a.number for a in await schedules.matching_accounts(region, DAY)] == ["2001"]
    unit = AccountFilter(number_prefixes=("10",), has_phone=False)
    assert [a.number for a in await schedules.matching_accounts(unit, DAY)] == [
        "1001",
        "1002",
        "1003",
        "1004",
        "1005",
    ]
    phones = [a.phone for a in await schedules.matching_accounts(unit, DAY)]
    assert phones[3] is None


def test_a_bad_filter_is_refused_with_every_field_named() -> None:
    with pytest.raises(ValueError) as refused:
        parse_filter({"min_debt": -5, "timezones": ["Mars/Olympus"], "sql": "1=1"})
    message = str(refused.value)
    assert "min_debt" in message and "Mars/Olympus" in message and "sql" in message


async def test_a_month_is_built_once_with_bad_rows_reported(
    db: Database, settings: Settings
) -> None:
    await add(db)
    schedule = await Schedules(db).get("debt-reminder")
    now = datetime(2026, 12, 21, 3, 0, tzinfo=UTC)
    by = Actor("scheduler", "engine")
    result = await scheduled.build(db, settings, schedule, "2026-12", DAY, by, now=now)
    assert result is not None and result.state is ScheduleRunState.STARTED
    assert result.campaign == "debt-reminder-2026-12"
    assert result.detail["contacts"] == 2 and result.detail["bad"] == 1
    assert result.detail["bad_rows"][0].startswith("account 2003: phone:")
    store = DialerStore(db)
    campaign = await store.campaign("debt-reminder-2026-12")
    assert campaign.state is CampaignState.RUNNING
    assert (campaign.author, campaign.approved_by) == ("schedule:debt-reminder", "boris")
    targets = {t["phone"]: t for t in await store.targets_detail(campaign.id)}
    assert set(targets) == {"+79131234561", "+79131234570"}
    # The debt and the zone come from the account.
    assert targets["+79131234570"]["timezone"] == "Asia/Tomsk"
    due = await store.due_targets(campaign.id, now + timedelta(days=1), 10)
    assert {t.phone: t.variables["amount"] for t in due}["+79131234570"] == "2500.50"
    # Again (another worker, a person's run-now): nothing more.
    assert await scheduled.build(db, settings, schedule, "2026-12", DAY, by, now=now) is None
    assert [c.name for c in await store.campaigns()] == ["debt-reminder-2026-12"]
    actions = [e.action for e in await AuditLog(db).entries()]
    assert actions.count("campaign.schedule.run") == 1 and "campaign.schedule.add" in actions
    runs = await Schedules(db).runs("debt-reminder")
    assert [(r.period, r.state, r.campaign) for r in runs] == [
        ("2026-12", ScheduleRunState.STARTED, "debt-reminder-2026-12")
    ]


async def test_no_matching_account_builds_no_campaign(db: Database, settings: Settings) -> None:
    await add(db, AccountFilter(min_debt=Decimal("100000")))
    schedule = await Schedules(db).get("debt-reminder")
    by = Actor("scheduler", "engine")
    result = await scheduled.build(db, settings, schedule, "2026-12", DAY, by, now=NOW)
    assert result is not None and result.state is ScheduleRunState.EMPTY
    assert await DialerStore(db).campaigns() == []


async def test_two_concurrent_builders_make_one_campaign(
    db: Database, db_url: str, settings: Settings
) -> None:
    await add(db)
    other = Database(db_url)
    try:
        schedules = [await Schedules(d).get("debt-reminder") for d in (db, other)]
        by = Actor("scheduler", "engine")
        results = await asyncio.gather(
            *(
                scheduled.build(d, settings, s, "2026-12", DAY, by, now=NOW)
                for d, s in zip((db, other), schedules, strict=True)
            )
        )
    finally:
        await other.dispose()
    assert sorted(r is None for r in results) == [False, True]
    assert [c.name for c in await DialerStore(db).campaigns()] == ["debt-reminder-2026-12"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_the_scheduler_builds_and_starts_on_its_day(
    db: Database, settings: Settings
) -> None:
    """The 20th of December 2026 is a Sunday: the build moves to Monday the 21st (the
    default rule) and happens when the calling window opens there (10:00 Krasnoyarsk)."""
    clock = Clock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    await add(db)
    runner = scheduled.ScheduleRunner(db, settings, clock)
    sunday = datetime(2026, 12, 20, 5, 0, tzinfo=UTC)  # 12:00 local
    for moment in (sunday, datetime(2026, 12, 21, 2, 59, tzinfo=UTC)):
        clock.now = moment
        assert await runner.tick() == []
    clock.now = datetime(2026, 12, 21, 3, 0, tzinfo=UTC)  # Monday 10:00 local
    built = await runner.tick()
    assert [(r.period, r.day, r.state) for r in built] == [
        ("2026-12", DAY, ScheduleRunState.STARTED)
    ]
    campaign = await DialerStore(db).campaign("debt-reminder-2026-12")
    assert campaign.state is CampaignState.RUNNING
    clock.now += timedelta(hours=1)
    assert await runner.tick() == []
    assert len(await DialerStore(db).campaigns()) == 1
