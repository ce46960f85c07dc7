"""CallLog.between: calls in a time range, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.store.calllog import CallLog
from hotline.store.enums import CallDirection

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
KRAT = ZoneInfo("Asia/Krasnoyarsk")


async def _open(log: CallLog, uniqueid: str, at: datetime, *, simulated: bool = False) -> None:
    await log.open(
        uniqueid=uniqueid, direction=CallDirection.INBOUND, started_at=at, simulated=simulated
    )


async def test_between_returns_the_calls_in_range_oldest_first(call_log: CallLog) -> None:
    await _open(call_log, "before", T0 - timedelta(seconds=1))
    await _open(call_log, "second", T0 + timedelta(hours=1))
    await _open(call_log, "first", T0)
    await _open(call_log, "sim", T0 + timedelta(minutes=5), simulated=True)
    await _open(call_log, "at-end", T0 + timedelta(days=1))
    await call_log.add_event("first", "node", "main", at=T0 + timedelta(seconds=2))

    end = T0 + timedelta(days=1)
    calls = await call_log.between(T0, end)
    assert [c.uniqueid for c in calls] == ["first", "second"]
    assert calls[0].path == ("main",)

    with_sim = await call_log.between(T0, end, include_simulated=True)
    assert [c.uniqueid for c in with_sim] == ["first", "sim", "second"]
    assert [c.uniqueid for c in await call_log.between(T0, end, limit=1)] == ["first"]


async def test_between_accepts_other_time_zones(call_log: CallLog) -> None:
    await _open(call_log, "morning", T0)  # 16:00 in Krasnoyarsk
    local_day = datetime(2026, 3, 1, tzinfo=KRAT)
    calls = await call_log.between(local_day, local_day + timedelta(days=1))
    assert [c.uniqueid for c in calls] == ["morning"]
    assert await call_log.between(local_day, local_day + timedelta(hours=16)) == []
