"""A month's campaign left behind by a failed build (issue 22 item 5's leftover): the store
failing between creating the campaign and starting it marks the build failed and
retryable; the next build resumes the draft it left (list, approval, start) instead of
making a second campaign for the month; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from dialer import operations, scheduled
from dialer.model import CampaignRules, CampaignState
from dialer.repository import DialerStore
from dialer.repository.schedules import STALE_BUILD, RunRecord, Schedules
from dialer.schedule import AccountFilter, ScheduleRunState
from hotline.settings import Settings, load_settings
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.audit import Actor
from hotline.store.db import Database
from tests.dialer_support import NOW, short_scenario

DAY = date(2026, 12, 21)
BUILT_AT = datetime(2026, 12, 21, 3, 0, tzinfo=UTC)
SCHEDULER = Actor("scheduler", "engine")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.upgrade()
    await AccountStore(database).upsert(
        [
            AccountRecord(
                n, "", "", "Asia/Krasnoyarsk", Decimal(900), None, None, None, None, (p,), ()
            )
            for n, p in (("1001", "79131234561"), ("1002", "79131234562"))
        ]
    )
    await DialerStore(database).add_scenario("debt", short_scenario(), "setup", NOW)
    boris = Actor("boris", "cli")
    await scheduled.add(database, "reminder", "debt", 21, AccountFilter(), CampaignRules(), boris)
    yield database
    await database.dispose()


@pytest.fixture
def settings() -> Settings:
    return load_settings(overrides={"sandbox": {"enabled": False}})


async def test_a_store_failure_before_the_start_is_resumed_not_built_twice(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule = await Schedules(db).get("reminder")
    real = operations.transition

    async def database_gone(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("UPDATE campaigns", {}, ConnectionError("server closed"))

    monkeypatch.setattr(operations, "transition", database_gone)
    failed = await scheduled.build(db, settings, schedule, "2026-12", DAY, SCHEDULER, now=BUILT_AT)
    assert failed is not None and failed.state is ScheduleRunState.FAILED
    assert failed.detail[scheduled.RETRY] is True
    store = DialerStore(db)
    left = await store.campaign("reminder-2026-12")
    assert left.state is CampaignState.APPROVED  # the draft left behind, approved, not started
    run = await Schedules(db).run(schedule, "2026-12")
    assert run is not None and run.state is ScheduleRunState.FAILED
    assert scheduled.may_retry(run, BUILT_AT)
    # Without retry (the old behaviour's claim) nothing happens; the scheduler retries.
    assert await scheduled.build(db, settings, schedule, "2026-12", DAY, SCHEDULER) is None
    monkeypatch.setattr(operations, "transition", real)
    later = BUILT_AT + timedelta(minutes=1)
    done = await scheduled.build(
        db, settings, schedule, "2026-12", DAY, SCHEDULER, now=later, retry=True
    )
    assert done is not None and done.state is ScheduleRunState.STARTED
    assert done.campaign == "reminder-2026-12"
    campaigns = await store.campaigns()
    assert [c.name for c in campaigns] == ["reminder-2026-12"]
    assert campaigns[0].state is CampaignState.RUNNING and campaigns[0].id == left.id
    assert len(await store.targets_detail(left.id)) == 2
    run = await Schedules(db).run(schedule, "2026-12")
    assert run is not None and run.state is ScheduleRunState.STARTED
    assert not scheduled.may_retry(run, later + STALE_BUILD)
    again = await scheduled.build(db, settings, schedule, "2026-12", DAY, SCHEDULER, retry=True)
    assert again is None  # a started month is never built again


def test_which_builds_the_scheduler_tries_again() -> None:
    def run(state: ScheduleRunState, detail: dict[str, Any], at: datetime) -> RunRecord:
        return RunRecord("reminder", "2026-12", DAY, state, None, detail, at, None)

    now = BUILT_AT
    assert scheduled.may_retry(run(ScheduleRunState.FAILED, {"retry": True}, now), now)
    # A refusal (a bad scenario, a bad filter) waits for a person's run-now.
    assert not scheduled.may_retry(run(ScheduleRunState.FAILED, {"error": "x"}, now), now)
    assert not scheduled.may_retry(run(ScheduleRunState.BUILDING, {}, now), now)
    stale = now - STALE_BUILD
    assert scheduled.may_retry(run(ScheduleRunState.BUILDING, {}, stale), now)
    assert not scheduled.may_retry(run(ScheduleRunState.EMPTY, {}, stale), now)
