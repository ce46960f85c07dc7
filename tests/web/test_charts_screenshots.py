"""Issue 18 item 6: the README's screenshots, taken here in Chromium at 1366x768 on the demo's
synthetic day (hotline/cli/demo_history.py) with the console as the demo runs it (test calls
included): the wallboard, a campaign page, the queue report and the operator panel, saved
under docs/screenshots/.  A chart whose x range leaves the page's period fails the test."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page

from dialer.repository import DialerStore
from hotline.access.users import Role, Users
from hotline.cli.demo_history import OPERATORS, History, write_history
from hotline.core.clock import utc_now
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.web.charts import Step, ceil, floor
from tests.screenshots import screenshot_dir
from tests.web.charts_browser import browser_page, charts, log_in, served
from tests.web.conftest import PASSWORD

CALLS = 100


def seed(settings: Settings, now: datetime) -> tuple[History, datetime, datetime]:
    """The synthetic day, and an operator's console account; the campaign's start and end."""

    async def work() -> tuple[History, datetime, datetime]:
        async with Database.from_settings(settings) as db:
            made = await write_history(db, settings, now=now, calls=CALLS)
            await Users(db, settings.web).add(
                OPERATORS[0], Role.OPERATOR, PASSWORD, Actor("setup", "cli")
            )
            campaign = await DialerStore(db).campaign(made.campaign)
            assert campaign.started_at and campaign.finished_at
            return made, campaign.started_at, campaign.finished_at

    return asyncio.run(work())


def within(page: Page, first: datetime, last: datetime) -> None:
    """Every chart on the page is drawn on ``[first, last]`` exactly."""
    drawn = charts(page)
    assert drawn, "no chart on the page"
    for name, chart in drawn.items():
        assert (chart.min, chart.max) == (first.timestamp(), last.timestamp()), name
        assert chart.note is None, f"{name}: no data drawn"


def test_the_readmes_screenshots(settings: Settings) -> None:
    now = utc_now()
    made, started, finished = seed(settings, now)
    zone = ZoneInfo(settings.hours.timezone)
    # The synthetic day is the 24 hours up to now: the local day of 12 hours ago has at least
    # half of it (the day of now has only minutes of it just after a local midnight).
    today = (now - timedelta(hours=12)).astimezone(zone).date()
    midnight = datetime.combine(today, time(), zone)
    demo = settings.model_copy(
        update={"web": settings.web.model_copy(update={"include_simulated": True})}
    )
    shots = screenshot_dir()
    with served(demo) as url, browser_page() as page:
        log_in(page, url, "boris")
        page.goto(f"{url}/wallboard")
        page.locator("#tile-sl").wait_for()
        assert "Учтены тестовые звонки" in page.locator("#test-calls").inner_text()
        page.screenshot(path=shots / "wallboard.png")

        page.goto(f"{url}/campaigns/{made.campaign}")
        within(page, floor(started, zone, Step.HOUR), ceil(finished, zone, Step.HOUR))
        page.locator("#campaign-chart").scroll_into_view_if_needed()
        page.screenshot(path=shots / "campaign.png")

        page.goto(f"{url}/reports/queue?start={today}&end={today}")
        within(page, midnight, midnight + timedelta(days=1))
        page.screenshot(path=shots / "queue-report.png", full_page=True)

        page.click("#logout")
        log_in(page, url, OPERATORS[0])
        page.goto(f"{url}/operator")
        page.wait_for_load_state()
        page.screenshot(path=shots / "operator-panel.png")
