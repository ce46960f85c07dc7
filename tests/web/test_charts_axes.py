"""Issue 18 item 2: every chart's x axis is the period the page shows (a day by hours, a week
by days, a campaign from its start to its end or now), also with one data point or none.

Before the fix the campaign chart of a campaign whose attempts fall in one hour was drawn by
uPlot's own range for a lone timestamp, 1000 days from it; the IVR chart put its days at
midnight of the server's zone, not the installation's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dialer.model import AttemptStatus, Reason, Result
from dialer.repository import DialerStore
from hotline.core.clock import utc_now
from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from hotline.web.charts import NO_DATA, Line, Step, ceil, chart_spec, floor, slots
from tests.dialer_support import running_campaign
from tests.web.charts_browser import browser_page, charts, log_in, served

ZONE = ZoneInfo("Asia/Krasnoyarsk")  # the default hours.timezone, UTC+7
DAY = datetime(2026, 3, 2, tzinfo=ZONE)


def test_a_day_by_hours_and_a_week_by_days() -> None:
    hours = slots(DAY, DAY + timedelta(days=1), ZONE, Step.HOUR)
    assert len(hours) == 24 and hours[0] == DAY and hours[-1].hour == 23
    days = slots(DAY, DAY + timedelta(days=7), ZONE, Step.DAY)
    assert [d.day for d in days] == [2, 3, 4, 5, 6, 7, 8]
    assert floor(datetime(2026, 3, 2, 0, 30, tzinfo=UTC), ZONE, Step.DAY) == DAY
    assert ceil(DAY + timedelta(minutes=1), ZONE, Step.HOUR) == DAY + timedelta(hours=1)


def test_one_point_is_drawn_on_the_whole_period_and_none_gets_a_note() -> None:
    first, last = DAY, DAY + timedelta(days=1)
    one = {DAY + timedelta(hours=10): 3.0}
    spec = chart_spec(first, last, ZONE, Step.HOUR, [Line("Звонков", one)], "звонков")
    assert spec["range"] == [int(first.timestamp()), int(last.timestamp())]
    assert len(spec["x"]) == 24 and spec["series"][0]["values"][10] == 3.0
    assert sum(spec["series"][0]["values"]) == 3.0 and not spec["empty"]
    assert spec["zone"] == "Asia/Krasnoyarsk" and spec["unit"] == "звонков"
    # Nothing at all (a target line is not data): the axis stays, with the note.
    target = Line("Цель", {}, None, target=80.0)
    empty = chart_spec(first, last, ZONE, Step.HOUR, [Line("%", {}, None), target], "%")
    assert empty["empty"] and empty["note"] == NO_DATA and len(empty["x"]) == 24
    assert empty["series"][1] == {"label": "Цель", "values": [80.0] * 24, "target": True}
    # A share of 0 % is a figure, not "no data".
    zero = chart_spec(first, last, ZONE, Step.HOUR, [Line("%", {DAY: 0.0}, None)], "%")
    assert not zero["empty"]


def seed(settings: Settings, started: datetime) -> None:
    """One IVR call and one campaign attempt, both in the same hour."""

    async def work() -> None:
        async with Database.from_settings(settings) as db:
            log = CallLog(db)
            await log.open(uniqueid="ivr-1", direction=CallDirection.INBOUND, started_at=started)
            await log.add_event("ivr-1", "node", "main", at=started)
            await log.set_outcome("ivr-1", CallOutcome.COMPLETED)
            await log.ended("ivr-1", at=started + timedelta(seconds=40))
            store = DialerStore(db)
            tmp = Path(settings.paths.recordings_dir).parent
            campaign = await running_campaign(
                store, tmp, ["+79131234567"], name="one-hour", now=started
            )
            (target,) = await store.due_targets(campaign.id, started, 10)
            at = started + timedelta(minutes=1)
            attempt = await store.begin_attempt(target, "one-hour-1", at)
            assert attempt is not None
            await store.end_attempt(
                attempt.id,
                status=AttemptStatus.ENDED,
                result=Result.POSITIVE,
                reason=Reason.DELIVERED,
                cause="16",
                now=started + timedelta(minutes=2),
                retry_at=None,
                final=True,
            )

    asyncio.run(work())


def test_each_chart_is_drawn_on_the_pages_period(settings: Settings) -> None:
    started = utc_now() - timedelta(minutes=3)
    seed(settings, started)
    today = started.astimezone(ZONE).date()
    midnight = datetime.combine(today, time(), tzinfo=ZONE)
    with served(settings) as url, browser_page() as page:
        log_in(page, url, "boris")
        # The campaign: from the hour it started to now, one point in it.
        page.goto(f"{url}/campaigns/one-hour")
        drawn = charts(page)["campaign-chart"]
        assert drawn.min == floor(started, ZONE, Step.HOUR).timestamp()
        assert drawn.max == ceil(utc_now(), ZONE, Step.HOUR).timestamp()
        assert drawn.max - drawn.min <= 2 * 3600 and drawn.note is None
        # The IVR report of one day: that day by hours.
        page.goto(f"{url}/reports/ivr?start={today}&end={today}")
        drawn = charts(page)["ivr-chart"]
        assert (drawn.min, drawn.max, drawn.points) == (
            midnight.timestamp(),
            (midnight + timedelta(days=1)).timestamp(),
            24,
        )
        # The queue report of the default week: seven days, nothing queued, and a note.  The
        # week ends on the server's day when the page is asked for (``started`` is three
        # minutes earlier and may be on the day before, just after a local midnight).
        served_day = utc_now().astimezone(ZONE).date()
        page.goto(f"{url}/reports/queue")
        served_midnight = datetime.combine(served_day, time(), tzinfo=ZONE)
        drawn = charts(page)["queue-chart"]
        assert (drawn.min, drawn.max, drawn.points) == (
            (served_midnight - timedelta(days=6)).timestamp(),
            (served_midnight + timedelta(days=1)).timestamp(),
            7,
        )
        assert drawn.note == NO_DATA
        assert page.locator("#queue-chart .chart-note").is_visible()
        # The appeal register of one day: that day by hours, nothing registered, a note.
        page.goto(f"{url}/appeals?since={today}&until={today}")
        drawn = charts(page)["appeals-chart"]
        assert (drawn.min, drawn.max, drawn.points) == (
            midnight.timestamp(),
            (midnight + timedelta(days=1)).timestamp(),
            24,
        )
        assert drawn.note == NO_DATA
