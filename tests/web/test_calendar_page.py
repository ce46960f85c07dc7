"""The campaign calendar (issue 22 item 5): supervisors and admins see a month of campaigns
from start to end, a running one to its expected finish at the current pace, the monthly
schedules' builds, weekends and Russian public holidays; operators are refused."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dialer import scheduled
from dialer.model import CampaignRules
from dialer.repository import DialerStore
from dialer.repository.schedules import Schedules
from dialer.schedule import AccountFilter
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.web.views import campaign_calendar
from tests.dialer_support import contract_accounts, running_campaign
from tests.web.conftest import log_in

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 16:00 in Krasnoyarsk
STARTED = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 10:00 there


def seed(settings: Settings, tmp_path: Path) -> None:
    async def work() -> None:
        async with Database.from_settings(settings) as db:
            store = DialerStore(db)
            phones = ["+79131234561", "+79131234562", "+79131234563", "+79131234564"]
            campaign = await running_campaign(
                store, tmp_path, phones, name="nov-debt", now=STARTED
            )
            for number, target in enumerate(await store.due_targets(campaign.id, STARTED, 2)):
                await store.begin_attempt(target, f"a{number}", STARTED)
            early = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
            await running_campaign(store, tmp_path, phones[:1], name="early", now=early)
            await store.stop("early", datetime(2026, 11, 5, 3, 0, tzinfo=UTC))
            await contract_accounts(db, {"1001": ("79131234561",)})
            boris = Actor("boris", "cli")
            rules = CampaignRules(contract_numbers_only=False)
            await scheduled.add(
                db, "reminder", "nov-debt-scenario", 20, AccountFilter(), rules, boris
            )
            schedule = await Schedules(db).get("reminder")
            day = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
            by = Actor("scheduler", "engine")
            await scheduled.build(db, settings, schedule, "2026-11", day.date(), by, now=day)

    asyncio.run(work())


def cell(html: str, day: str) -> str:
    found = re.search(rf'<td data-day="{day}" class="([^"]*)">(.*?)</td>', html, re.DOTALL)
    assert found, f"no cell for {day}"
    return f"{found.group(1)}|{found.group(2)}"


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaign_calendar, "utc_now", lambda: NOW)


def test_the_month_shows_campaigns_holidays_and_builds(
    client: TestClient, settings: Settings, tmp_path: Path, fixed_now: None
) -> None:
    seed(settings, tmp_path)
    log_in(client, "boris")
    assert 'href="/campaigns/calendar"' in client.get("/campaigns").text
    page = client.get("/campaigns/calendar")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Ноябрь 2026" in html
    assert 'href="/campaigns/calendar?month=2026-10"' in html
    assert 'href="/campaigns/calendar?month=2026-12"' in html
    # A stopped campaign from its start to the day it stopped.
    assert "▶ early" in cell(html, "2026-11-02")
    assert "early ■ окончание" in cell(html, "2026-11-05")
    assert "early" not in cell(html, "2026-11-06")
    # The running one: to its expected finish at the current pace (Friday 27th).
    assert "▶ nov-debt" in cell(html, "2026-11-24")
    assert 'href="/campaigns/nov-debt"' in cell(html, "2026-11-25")
    assert "nov-debt ≈ ожидаемое окончание" in cell(html, "2026-11-27")
    assert "nov-debt" not in cell(html, "2026-11-28")
    # Unity Day (Wednesday 4 November) and a Saturday are days off.
    holiday = cell(html, "2026-11-04")
    assert "day-off" in holiday and "День народного единства" in holiday
    assert "day-off" in cell(html, "2026-11-07") and "day-off" not in cell(html, "2026-11-06")
    assert "today" in cell(html, "2026-11-24")
    # The monthly build of November, with its campaign; December's still to come.
    built = cell(html, "2026-11-20")
    assert 'href="/campaigns/reminder-2026-11"' in built and "запущена" in built
    assert "21.12.2026 — reminder (за 2026-12)" in html
    december = client.get("/campaigns/calendar?month=2026-12").text
    assert "reminder (2026-12): будет сформирована" in cell(december, "2026-12-21")
    assert "day-off" in cell(december, "2026-12-31")


def test_who_may_see_it_and_a_bad_month(client: TestClient, settings: Settings) -> None:
    log_in(client, "anna")  # an operator
    assert client.get("/campaigns/calendar").status_code == 403
    client.cookies.clear()
    log_in(client, "vera")  # an admin
    assert client.get("/campaigns/calendar?month=2026-02").status_code == 200
    refused = client.get("/campaigns/calendar?month=2026-13")
    assert refused.status_code == 400 and "ГГГГ-ММ" in refused.text


def test_no_campaign_may_be_named_calendar(client: TestClient, settings: Settings) -> None:
    csrf = log_in(client, "boris")
    created = client.post(
        "/campaigns", data={"csrf_token": csrf, "name": "calendar", "scenario": "x"}
    )
    assert created.status_code == 422 and "calendar" in created.text
