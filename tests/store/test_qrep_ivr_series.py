"""The IVR chart series summed in SQL per local hour or day (issue 19 item 3) gives exactly
what the quarter-hours folded in Python give: the days, the chart by hour and by day, and
every other figure, on SQLite and PostgreSQL, in zones with whole-hour, half-hour and
45-minute offsets, across the clocks going back (Berlin 25 Oct 2026: an hour lived twice;
St John's 1 Nov 2026, a half-hour zone), over a whole period and one starting and ending
mid-bucket (its edges read from the events)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from hotline.calls.ivr_figures import IvrFigures, ivr_figures
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.store.ivr_rollups import roll_up
from hotline.store.models import Call, CallEvent
from hotline.store.rollup_buckets import Slots, offsets
from hotline.web.charts import Step, floor

START = datetime(2026, 10, 24, tzinfo=UTC)
END = datetime(2026, 11, 2, tzinfo=UTC)
ZONES = ("Europe/Moscow", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu")
OUTCOMES = (None, *CallOutcome)


def _calls() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    pick = random.Random(39)
    calls: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    at = START - timedelta(minutes=20)
    i = 0
    while at < END + timedelta(minutes=20):
        at += timedelta(seconds=pick.randrange(60, 900), microseconds=pick.randrange(1000))
        call_id = f"{i:032x}"
        calls.append(
            {
                "id": call_id,
                "direction": CallDirection.INBOUND,
                "uniqueid": f"39.{i}",
                "simulated": i % 11 == 0,
                "started_at": at,
                "ended_at": at + timedelta(minutes=4),
                "outcome": pick.choice(OUTCOMES),
            }
        )
        events.extend(
            {
                "call_id": call_id,
                "at": at + timedelta(seconds=1 + 40 * k),
                "kind": EventKind.NODE.value,
                "value": ("main", "readings")[k],
            }
            for k in range(pick.choice((0, 1, 2)))  # some calls never reach a node
        )
        i += 1
    return calls, events


def _chart(figures: IvrFigures, zone: ZoneInfo, step: Step) -> dict[datetime, dict[str, int]]:
    tallies = figures.tallies(lambda at: floor(at, zone, step))
    return {at: {e.value: n for e, n in c.items() if n} for at, c in tallies.items()}


def test_offsets_find_each_transition_to_the_second() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert offsets(berlin, START, END) == [
        (int(START.timestamp()), 7200),
        (int(datetime(2026, 10, 25, 1, tzinfo=UTC).timestamp()), 3600),
    ]
    assert offsets(ZoneInfo("Asia/Kathmandu"), START, END) == [(int(START.timestamp()), 20700)]


async def test_the_series_summed_per_local_slot_equals_the_quarter_hours(db: Database) -> None:
    await db.upgrade()
    calls, events = _calls()
    async with db.session() as session:
        await session.execute(insert(Call), calls)
        await session.execute(insert(CallEvent), events)
    while await roll_up(db, datetime.now(UTC), limit=500):
        pass
    mid = (START + timedelta(minutes=7, microseconds=5), END - timedelta(minutes=38))
    for start, end in ((START, END), mid):
        for simulated in (False, True):
            plain = await ivr_figures(db, start, end, include_simulated=simulated)
            assert plain.starts and plain.stats.calls
            for name in ZONES:
                zone = ZoneInfo(name)
                for step, seconds in ((Step.HOUR, 3600), (Step.DAY, 86400)):
                    summed = await ivr_figures(
                        db, start, end, include_simulated=simulated, slots=Slots(zone, seconds)
                    )
                    where = (start, name, step, simulated)
                    assert len(summed.starts) < len(plain.starts), where  # summed in SQL
                    assert summed.stats == plain.stats, where
                    assert summed.by_day(zone) == plain.by_day(zone), where
                    assert _chart(summed, zone, Step.DAY) == _chart(plain, zone, Step.DAY), where
                    if step is Step.HOUR:
                        hourly = _chart(summed, zone, Step.HOUR)
                        assert hourly == _chart(plain, zone, Step.HOUR), where
