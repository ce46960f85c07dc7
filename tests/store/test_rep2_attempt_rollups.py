"""The campaign report's per-attempt counts and hourly chart read from the 15-minute roll-ups
plus the buckets not rolled (issue 19 item 3) equal one GROUP BY over the attempts (the
computation before the roll-ups: per attempt number, status and reason; per UTC minute and
result, folded into local hours), on SQLite and PostgreSQL, over generated attempts with edge
cases: two campaigns, attempts on bucket boundaries and a microsecond before one, attempts of
the last minute (not rolled), every status, reasons and results NULL and not, and late writes
into rolled buckets (a status and reason changed, a result set, an attempt inserted, one
deleted, one moved to another bucket)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, text, update

from bench.dialer import OPEN, SCENARIO
from dialer.model import AttemptStatus, Reason
from dialer.report import campaign_report
from dialer.repository import DialerStore
from dialer.repository.reports import ReportRows
from hotline.store.attempt_rollups import attempt_counts, roll_up
from hotline.store.db import Database
from hotline.store.models import AttemptRollupBucket, AttemptRollupMark, DialAttempt
from hotline.store.rollup_buckets import bucket_of, bucket_start

# Relative to the real clock: the marking triggers use the database's clock.
NOW = datetime.now(UTC)
START = bucket_start(bucket_of(NOW - timedelta(days=3)))
HOURS = 30
REASONS = (None, *Reason)
# Whole hours, a half hour with summer time, three quarters.
ZONES = tuple(map(ZoneInfo, ("Europe/Moscow", "America/St_Johns", "Asia/Kathmandu")))

Row = tuple[int, str, str | None, int]


async def _campaigns(db: Database) -> list[int]:
    store = DialerStore(db)
    version = await store.add_scenario("r", SCENARIO, "test", NOW)
    ids = []
    for name in ("a", "b", "empty"):
        campaign = await store.create_campaign(name, version.id, OPEN, "test", NOW)
        ids.append(campaign.id)
    return ids


async def _targets(db: Database, campaign_id: int, count: int) -> list[int]:
    async with db.session() as session:
        await session.execute(
            text(
                "INSERT INTO campaign_targets (campaign_id, row, phone, timezone, channel, "
                "variables, state, attempts) VALUES (:c, :row, :phone, 'Europe/Moscow', "
                "'phone', '{}', 'pending', 0)"
            ),
            [
                {"c": campaign_id, "row": i, "phone": f"+7913{campaign_id}{i:06d}"}
                for i in range(count)
            ],
        )
        found = await session.execute(
            text("SELECT id FROM campaign_targets WHERE campaign_id = :c"), {"c": campaign_id}
        )
        return [row[0] for row in found]


def _attempts(campaigns: list[tuple[int, list[int]]], count: int) -> list[dict[str, Any]]:
    pick = random.Random(41)
    tick = timedelta(microseconds=1)
    quarter = timedelta(minutes=15)
    edges = [START, START + quarter, START + quarter - tick, START + timedelta(hours=HOURS) - tick]
    out = []
    for i in range(count):
        if i < len(edges):
            created = edges[i]
        elif i % 25 == 0:  # the last minute: not rolled, not marked
            created = datetime.now(UTC) - timedelta(seconds=pick.randrange(0, 60))
        else:
            created = START + timedelta(
                seconds=pick.randrange(0, HOURS * 3600), microseconds=pick.randrange(0, 10**6)
            )
        campaign, targets = campaigns[i % len(campaigns)]
        out.append(
            {
                "id": f"{i:032x}",
                "campaign_id": campaign,
                "target_id": pick.choice(targets),
                "number": pick.choice((1, 1, 2, 3)),
                "phone": "+79130000000",
                "status": pick.choice(list(AttemptStatus)).value,
                "created_at": created,
                "reason": pick.choice(REASONS),
                "result": pick.choice((None, "positive", "negative")),
            }
        )
    return out


async def _grouped(db: Database, campaign_id: int) -> list[Row]:
    """The counts before the roll-ups: one GROUP BY over the campaign's attempts."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(DialAttempt.number, DialAttempt.status, DialAttempt.reason, func.count())
            .where(DialAttempt.campaign_id == campaign_id)
            .group_by(DialAttempt.number, DialAttempt.status, DialAttempt.reason)
        )
        return sorted(((n, s, r, c) for n, s, r, c in rows), key=_key)


async def _minutes(db: Database, campaign_id: int) -> list[tuple[datetime, str | None, int]]:
    """The chart's counts before the roll-ups: per UTC minute and result."""
    rows = ReportRows(db)
    minute = rows._minute(DialAttempt.created_at)
    async with db.engine.connect() as conn:
        found = await conn.execute(
            select(minute, DialAttempt.result, func.count())
            .where(DialAttempt.campaign_id == campaign_id)
            .group_by(minute, DialAttempt.result)
        )
        return [(rows._as_minute(m), r, c) for m, r, c in found]


def _key(row: Row) -> tuple[str, ...]:
    return tuple(map(str, row))


async def _same(db: Database, campaigns: list[int]) -> None:
    for campaign in campaigns:
        assert sorted(await attempt_counts(db, campaign), key=_key) == await _grouped(db, campaign)


async def _marks(db: Database) -> set[int]:
    async with db.engine.connect() as conn:
        return set((await conn.execute(select(AttemptRollupMark.bucket))).scalars())


async def _roll_all(db: Database, now: datetime) -> int:
    """Every due bucket as of ``now`` (fixed per test: a second pass then rolls only the
    marked buckets, whatever quarter-hour the clock has reached meanwhile)."""
    rolled = 0
    while batch := await roll_up(db, now, limit=50):
        rolled += batch
    return rolled


async def test_attempt_counts_from_rollups_equal_the_group_by(db: Database) -> None:
    await db.upgrade()
    a, b, empty = await _campaigns(db)
    targets = [(a, await _targets(db, a, 40)), (b, await _targets(db, b, 40))]
    attempts = _attempts(targets, 900)
    async with db.session() as session:
        await session.execute(insert(DialAttempt), attempts)
    before = {c: await _grouped(db, c) for c in (a, b)}
    assert len(before[a]) > 40 and any(r is None for _n, _s, r, _c in before[a])
    await _same(db, [a, b, empty])  # nothing rolled yet: all from the attempts
    rolled_at = datetime.now(UTC)
    assert await _roll_all(db, rolled_at) >= HOURS * 4
    assert await _marks(db) == set()  # the job cleared the marks the fill wrote
    await _same(db, [a, b, empty])
    report = await campaign_report(DialerStore(db), "a")
    assert [(r["attempt"], r["status"], r["reason"], r["count"]) for r in report.per_attempt] == [
        (n, s, r or "", c) for n, s, r, c in before[a]
    ]

    # Late writes into rolled buckets, each marking its bucket.
    old = [row for row in attempts if row["created_at"] < NOW - timedelta(hours=2)]
    changed, removed, moved, untouched, judged = old[10], old[11], old[12], old[13], old[15]
    late = dict(old[14], id="f" * 32, created_at=START + timedelta(minutes=20), reason=None)
    async with db.session() as session:
        await session.execute(
            update(DialAttempt)
            .where(DialAttempt.id == changed["id"])
            .values(status=AttemptStatus.ENDED.value, reason=Reason.BUSY.value)
        )
        await session.execute(delete(DialAttempt).where(DialAttempt.id == removed["id"]))
        await session.execute(
            update(DialAttempt)
            .where(DialAttempt.id == moved["id"])
            .values(created_at=START + timedelta(hours=HOURS - 1))
        )
        await session.execute(insert(DialAttempt), [late])
        await session.execute(
            update(DialAttempt)
            .where(DialAttempt.id == judged["id"])
            .values(result="negative" if judged["result"] == "positive" else "positive")
        )
        # A column the counts do not read: no mark.
        await session.execute(
            update(DialAttempt).where(DialAttempt.id == untouched["id"]).values(worker="w2")
        )
    marked = await _marks(db)
    expected = {
        bucket_of(changed["created_at"]),
        bucket_of(removed["created_at"]),
        bucket_of(moved["created_at"]),
        bucket_of(START + timedelta(hours=HOURS - 1)),
        bucket_of(late["created_at"]),
        bucket_of(judged["created_at"]),
    }
    assert marked == expected
    assert bucket_of(untouched["created_at"]) not in marked or (
        bucket_of(untouched["created_at"]) in expected
    )
    # Stale buckets are read from the attempts until rolled again.
    await _same(db, [a, b, empty])
    assert await _roll_all(db, rolled_at) == len(expected)
    assert await _marks(db) == set()
    await _same(db, [a, b, empty])
    async with db.engine.connect() as conn:
        rolled = (
            await conn.execute(select(func.count()).select_from(AttemptRollupBucket))
        ).scalar()
    assert rolled is not None and rolled >= HOURS * 4


async def test_recent_attempts_are_not_rolled_nor_marked(db: Database) -> None:
    """Writes to attempts under 15 minutes old cost no mark; the last hour is read from the
    attempts."""
    await db.upgrade()
    a, _b, _empty = await _campaigns(db)
    (target,) = await _targets(db, a, 1)
    now = datetime.now(UTC)
    row = {
        "id": "a" * 32,
        "campaign_id": a,
        "target_id": target,
        "number": 1,
        "phone": "+79130000000",
        "status": AttemptStatus.DIALING.value,
        "created_at": now,
    }
    async with db.session() as session:
        await session.execute(insert(DialAttempt), [row])
        await session.execute(
            update(DialAttempt)
            .where(DialAttempt.id == row["id"])
            .values(status=AttemptStatus.ENDED.value, reason=Reason.NO_ANSWER.value)
        )
    assert await _marks(db) == set()
    assert await roll_up(db, now) == 0  # its bucket is not due yet
    assert await attempt_counts(db, a) == [(1, "ended", "no_answer", 1)]
