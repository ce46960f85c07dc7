"""`hotline queue stats` leads with the seeds' definitions (R-026, R-029): every call's wait
against 40 s with the calls over it, and lost calls over all calls received, callbacks apart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from hotline.store.enums import QueueEventKind as K
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from tests.cli_support import hermetic_store_url, period_around, run_hotline


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("USER", "tester")
    yield from hermetic_store_url(tmp_path, monkeypatch)


def seed(url: str) -> None:
    """An hour ago: a answered after 20 s; b answered after 70 s; c left a callback after
    45 s and hung up; d hung up in the IVR; e was served by the IVR."""

    async def main() -> None:
        async with Database(url) as db:
            await db.upgrade()
            at = datetime.now(UTC) - timedelta(hours=1)
            log, events = CallLog(db), QueueEvents(db)
            for uid in "abcde":
                await log.open(uniqueid=uid, direction=CallDirection.INBOUND, started_at=at)
                await log.ended(uid, at=at + timedelta(seconds=90))
            await log.set_outcome("d", CallOutcome.ABANDONED)
            await log.set_outcome("e", CallOutcome.COMPLETED)
            for uid, connect in (("a", 20), ("b", 70)):
                await events.add(QueueEventRecord(at, K.JOIN, uid, "q"))
                await events.add(
                    QueueEventRecord(at + timedelta(seconds=connect), K.CONNECT, uid, "q")
                )
            await events.add(QueueEventRecord(at, K.JOIN, "c", "q"))
            await events.add(QueueEventRecord(at + timedelta(seconds=40), K.TIMEOUT, "c", "q"))
            await events.add(QueueEventRecord(at + timedelta(seconds=45), K.CALLBACK, "c", "q"))

    asyncio.run(main())


def period() -> tuple[str, ...]:
    return period_around(datetime.now(UTC) - timedelta(hours=1))


def test_queue_stats_json_has_the_seeds_figures(url: str) -> None:
    seed(url)
    code, out, _ = run_hotline(url, "queue", "stats", *period(), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [k["name"] for k in data["kpis"][:2]] == ["wait_within_limit", "lost_ratio_seed"]
    wait = data["kpis"][0]
    assert (wait["value"], wait["target"], wait["target_chosen"]) == (0.3333, 1.0, False)
    assert [c["uniqueid"] for c in data["over_wait_limit"]] == ["b", "c"]
    # Lost to the seed: c (callback, then hung up) and d (hung up in the IVR) of 5 calls.
    assert (data["lost_seed"], data["lost_callback"], data["lost_in_ivr"]) == (2, 1, 1)
    assert data["kpis"][1]["value"] == 0.4


def test_queue_stats_table_leads_with_the_seed(url: str) -> None:
    seed(url)
    code, out, _ = run_hotline(url, "queue", "stats", *period())
    assert code == 0
    lines = out.splitlines()
    assert lines[1].startswith("wait within 40 s (every call, R-026): 33.3 % of 3 calls")
    assert "≥ 100.0 % (the seed's)" in lines[1]
    assert "calls that waited over 40 s: 2" in out
    assert "lost calls (ended before an operator answered, over all 5 calls received" in out
    assert "left a callback request and hung up:  1" in out
    assert out.index("lost calls") < out.index("other definitions")


def test_a_supervisors_target_is_labelled(url: str) -> None:
    seed(url)
    code, out, _ = run_hotline(
        url, "queue", "stats", *period(), settings=("queue.service_level_target=0.3",)
    )
    assert code == 0, out
    assert "≥ 30.0 % (supervisor's choice; the seed: 100.0 %)" in out


def seed_two_queues(url: str) -> None:
    """An hour ago: o answered in the operators' queue after 50 s; x answered by the
    dispatcher after 10 s, y hung up waiting for the dispatcher."""

    async def main() -> None:
        async with Database(url) as db:
            await db.upgrade()
            at = datetime.now(UTC) - timedelta(hours=1)
            log, events = CallLog(db), QueueEvents(db)
            for uid, queue, connect in (
                ("o", "hotline-operators", 50),
                ("x", "hotline-dispatcher", 10),
                ("y", "hotline-dispatcher", None),
            ):
                await log.open(uniqueid=uid, direction=CallDirection.INBOUND, started_at=at)
                await log.ended(uid, at=at + timedelta(seconds=90))
                await events.add(QueueEventRecord(at, K.JOIN, uid, queue))
                kind, after = (K.CONNECT, connect) if connect else (K.ABANDON, 30)
                await events.add(QueueEventRecord(at + timedelta(seconds=after), kind, uid, queue))

    asyncio.run(main())


def test_queue_stats_per_department(url: str) -> None:
    seed_two_queues(url)
    code, out, _ = run_hotline(
        url, "queue", "stats", *period(), "--queue", "dispatcher", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert (data["queue"], data["calls_total"], data["offered"]) == ("dispatcher", 2, 2)
    kpis = {k["name"]: k["value"] for k in data["kpis"]}
    assert (kpis["wait_within_limit"], kpis["lost_ratio_seed"]) == (0.5, 0.5)
    code, out, _ = run_hotline(url, "queue", "stats", *period(), "--queue", "operators")
    assert code == 0 and out.startswith("queue operators: Операторы (hotline-operators)")
    assert "calls that waited over 40 s: 1" in out
    code, _, err = run_hotline(url, "queue", "stats", *period(), "--queue", "billing")
    assert code == 2 and "unknown queue 'billing'" in err
