"""The engine builds a monthly campaign on its day (issue 22 item 5): a debt reminder on the
20th; in December 2026 the 20th is a Sunday, so the engine (its clock fixed at Monday the
21st, 10:00 in Krasnoyarsk, when the calling window opens) builds it from the accounts in
debt and starts it, once.  The campaign's channel cap is 0, so nothing is dialled: dialling
a running campaign is tests/e2e/test_dialer_calls.py's business."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dialer import scheduled
from dialer.model import CampaignRules, CampaignState
from dialer.repository import DialerStore
from dialer.repository.schedules import Schedules
from dialer.schedule import AccountFilter, ScheduleRunState
from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.audit import Actor
from tests.dialer_support import short_scenario
from tests.e2e.engine_support import engine_settings
from tests.e2e.test_dialer_calls import FAST_DIALER

pytestmark = [pytest.mark.e2e]

MONDAY_10 = datetime(2026, 12, 21, 3, 0, tzinfo=UTC)  # 10:00 in Krasnoyarsk


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(
        tmp_path / "hotline.db", dialer={**FAST_DIALER, "schedules": {"check_seconds": 0.2}}
    )


def account(number: str, balance: str, phone: str) -> AccountRecord:
    due = date(2026, 12, 10)
    zone = "Asia/Krasnoyarsk"
    return AccountRecord(
        number, "", "", zone, Decimal(balance), due, None, None, None, (phone,), ()
    )


async def test_the_engine_builds_and_starts_the_monthly_campaign_on_its_day(
    settings: Settings,
) -> None:
    engine = Engine(settings, clock=lambda: MONDAY_10)
    db = engine.db
    await db.upgrade()
    await AccountStore(db).upsert(
        [account("1001", "1500", "79131234561"), account("1002", "100", "79131234562")]
    )
    store = DialerStore(db)
    await store.add_scenario("debt", short_scenario(), "setup", MONDAY_10)
    where = AccountFilter(min_debt=Decimal("500"), due_passed=True)
    rules = CampaignRules(max_channels=0)  # started, never dialled here
    await scheduled.add(db, "reminder", "debt", 20, where, rules, Actor("boris", "cli"))
    await engine.start()
    try:
        async with asyncio.timeout(20):
            while (
                not (runs := await Schedules(db).runs("reminder")) or runs[0].finished_at is None
            ):
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # a few more scheduler ticks: nothing more is built
        campaigns = await store.campaigns()
        runs = await Schedules(db).runs("reminder")
    finally:
        await engine.stop()
    assert [(r.period, r.day, r.state) for r in runs] == [
        ("2026-12", date(2026, 12, 21), ScheduleRunState.STARTED)
    ]
    assert [(c.name, c.state) for c in campaigns] == [("reminder-2026-12", CampaignState.RUNNING)]
    assert campaigns[0].started_at == MONDAY_10
    targets = await store.targets_detail(campaigns[0].id)
    assert [t["phone"] for t in targets] == ["+79131234561"]
