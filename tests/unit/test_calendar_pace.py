"""The expected finish of a running campaign at its measured pace, counted in the hours its
calling window is open: evenings, weekends and Russian public holidays skipped (issue 22
item 5)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dialer import pace
from dialer.model import CampaignRules
from dialer.report import status
from dialer.repository import DialerStore
from dialer.window import CallingWindow
from hotline.store.db import Database
from tests.dialer_support import ZONE, running_campaign

LOCAL = ZoneInfo(ZONE)  # Asia/Krasnoyarsk, UTC+7
WINDOW = CallingWindow(CampaignRules(), ZONE)  # 10:00-20:00 on working days
HOUR = 3600.0


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LOCAL)  # type: ignore[misc]


def test_remaining_attempts_counts_each_open_contact_at_least_once() -> None:
    assert pace.remaining_attempts(4, 2, 3) == 10
    assert pace.remaining_attempts(2, 6, 3) == 2  # every retry used: one more each at most
    assert pace.remaining_attempts(0, 0, 3) == 0


def test_open_seconds_count_only_the_calling_window() -> None:
    # Friday 15:00 to Monday 12:00: 5 h on Friday, none at the weekend, 2 h on Monday.
    start, end = local(2026, 12, 4, 15), local(2026, 12, 7, 12)
    assert pace.open_seconds(WINDOW, start, end) == 7 * HOUR
    assert pace.open_seconds(WINDOW, end, start) == 0.0


def test_dial_rate_is_attempts_per_open_hour() -> None:
    rate = pace.dial_rate(WINDOW, 20, local(2026, 12, 4, 15), local(2026, 12, 7, 12))
    assert rate is not None and rate * HOUR == pytest.approx(20 / 7)
    assert pace.dial_rate(WINDOW, 0, local(2026, 12, 4, 15), local(2026, 12, 7, 12)) is None
    # Started on Saturday: no open time yet, no pace.
    assert pace.dial_rate(WINDOW, 3, local(2026, 12, 5, 10), local(2026, 12, 6, 18)) is None


def test_the_weekend_is_skipped() -> None:
    # Friday 19:00, three hours of attempts left: one on Friday, two on Monday morning.
    finish = pace.expected_finish(WINDOW, local(2026, 12, 4, 19), 3, 1 / HOUR)
    assert finish == local(2026, 12, 7, 12)


def test_public_holidays_are_skipped() -> None:
    # Thursday 30 April 2026, 19:00: 1 May (Friday) is a holiday, then the weekend.
    finish = pace.expected_finish(WINDOW, local(2026, 4, 30, 19), 2 * 60, 1 / 60)
    assert finish == local(2026, 5, 4, 11)
    # Victory Day observed on Monday 11 May 2026: Friday 8 May 19:30 -> Tuesday 12 May.
    finish = pace.expected_finish(WINDOW, local(2026, 5, 8, 19, 30), 1, 1 / HOUR)
    assert finish == local(2026, 5, 12, 10, 30)


def test_outside_the_window_the_count_starts_at_the_next_opening() -> None:
    finish = pace.expected_finish(WINDOW, local(2026, 12, 8, 6), 30, 1 / 60)
    assert finish == local(2026, 12, 8, 10, 30)


def test_no_pace_no_forecast_and_nothing_left_is_now() -> None:
    now = local(2026, 12, 8, 12)
    assert pace.expected_finish(WINDOW, now, 5, None) is None
    assert pace.expected_finish(WINDOW, now, 0, None) == now
    # Beyond a year of open hours: no date worth showing.
    assert pace.expected_finish(WINDOW, now, 10**6, 1 / HOUR) is None


def test_a_window_open_every_day_counts_weekends_and_holidays() -> None:
    always = "00:00-24:00"
    rules = CampaignRules(
        weekday_hours=always, saturday_hours=always, sunday_hours=always, holiday_hours=always
    )
    window = CallingWindow(rules, ZONE)
    finish = pace.expected_finish(window, local(2026, 12, 4, 19), 3, 1 / HOUR)
    assert finish == local(2026, 12, 4, 22)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def test_campaign_status_forecasts_within_the_calling_window(
    db: Database, tmp_path: Path
) -> None:
    """The live page's and `hotline campaign status`'s estimate: two attempts in six open
    hours leave ten attempts (four contacts, three each) for thirty open hours; from Tuesday
    16:00 that is Friday 16:00, not a wall-clock guess (the old estimate gave none before a
    contact was done, and counted nights and weekends as dialling time)."""
    started = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 10:00 local
    store = DialerStore(db)
    phones = ["+79131234561", "+79131234562", "+79131234563", "+79131234564"]
    campaign = await running_campaign(store, tmp_path, phones, now=started)
    for number, target in enumerate(await store.due_targets(campaign.id, started, 2)):
        assert await store.begin_attempt(target, f"a{number}", started) is not None
    now = started + timedelta(hours=6)  # Tuesday 16:00 local
    progress = await status(store, "test", now)  # the default zone: Krasnoyarsk
    assert progress.estimated_finish == local(2026, 11, 27, 16)
