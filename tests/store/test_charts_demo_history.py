"""Issue 18 item 4: the demo's synthetic day of traffic.  Deterministic for a seed and a
moment; every report over it has figures in every section (with the test-calls switch on),
and none of it counts as real traffic without the switch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dialer.model import CampaignState
from dialer.repository import DialerStore
from hotline.calls.ivr_stats import ivr_stats
from hotline.cli.demo_history import ATTEMPT_ENDS, History, write_history
from hotline.contact_center.queue_report import build_report
from hotline.settings import Settings, load_settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.operators import Operators
from hotline.store.recordings import Recordings
from hotline.web.wallboard_model import snapshot

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 16:00 in Krasnoyarsk
DAY_AGO = NOW - timedelta(hours=24)
# Fewer calls than the demo's day (160) keep the test short; every section still has figures.
CALLS = 80


def settings_for(tmp_path: Path, name: str) -> Settings:
    return load_settings(
        overrides={
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / name}"},
            "paths": {"recordings_dir": str(tmp_path / "recordings")},
            "sandbox": {"enabled": False},
        }
    )


@pytest.fixture
async def history(tmp_path: Path) -> AsyncIterator[tuple[Database, Settings, History]]:
    settings = settings_for(tmp_path, "a.db")
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        written = await write_history(db, settings, now=NOW, calls=CALLS)
        yield db, settings, written


async def calls_of(db: Database) -> list[tuple[Any, ...]]:
    calls = await CallLog(db).between(DAY_AGO, NOW, include_simulated=True)
    return [(c.uniqueid, c.started_at, tuple(c.path), c.outcome, c.ended_at) for c in calls]


async def test_the_same_seed_writes_the_same_day(
    history: tuple[Database, Settings, History], tmp_path: Path
) -> None:
    db, _, written = history
    again = settings_for(tmp_path, "b.db")
    async with Database.from_settings(again) as other:
        await other.upgrade()
        assert await write_history(other, again, now=NOW, calls=CALLS) == written
        assert await calls_of(other) == await calls_of(db)


async def test_every_report_has_figures(history: tuple[Database, Settings, History]) -> None:
    db, settings, written = history
    # The day's calls and the one an operator is on at ``NOW`` (not recorded until it ends).
    assert written.calls == CALLS + 1 and written.readings > 0 and written.callbacks > 0
    assert written.abandoned > 0 and 0 < written.answered == written.recordings + 1
    # Every call is a test call: without the switch nothing counts as real traffic.
    real = await build_report(db, settings, DAY_AGO, NOW)
    assert real.calls_total == 0 and not await CallLog(db).between(DAY_AGO, NOW)

    report = await build_report(db, settings, DAY_AGO, NOW, include_simulated=True)
    assert report.calls_total == written.calls
    assert report.offered == written.queued and report.answered == written.answered
    assert report.answered_within_target > 0 and report.over_wait_limit
    assert report.lost_waiting > 0 and report.lost_callback > 0 and report.lost_in_ivr > 0
    assert report.callbacks_requested > 0 and report.callbacks_done > 0
    assert report.ivr_contained > 0
    # The demo history has no operator desk rows (dispositions, card views, pauses: issue 17),
    # so those KPIs alone stay empty.
    desk = {"first_contact_resolution", "card_lookup_time", "wrapup_time"}
    assert all(k.value is not None for k in report.kpis if k.name not in desk), [
        k.name for k in report.kpis if k.value is None
    ]
    assert [k.value for k in report.kpis if k.name in desk] == [None, None, None]
    dispatcher = await build_report(
        db, settings, DAY_AGO, NOW, include_simulated=True, department="dispatcher"
    )
    assert dispatcher.offered > 0

    calls = await CallLog(db).between(DAY_AGO, NOW, include_simulated=True)
    stats = ivr_stats(calls, include_simulated=True)
    assert stats.calls == written.calls and stats.containment
    assert {"main", "readings", "balance", "info", "outages"} <= set(stats.node_entries)
    assert {"menu", "outage", "readings", "balance"} <= set(stats.operator_reasons)

    board = await snapshot(db, settings, None, include_simulated=True, now=NOW)
    assert board.today.calls_total > 0 and board.today.offered > 0

    store = DialerStore(db)
    campaign = await store.campaign(written.campaign)
    assert campaign.state is CampaignState.FINISHED and campaign.started_at < campaign.finished_at
    targets = await store.targets_detail(campaign.id)
    assert {(t["result"], t["reason"]) for t in targets} == {
        (r.value, why.value) for r, why in ATTEMPT_ENDS
    }
    assert len(await store.attempts_detail(campaign.id)) == written.attempts > len(targets)

    found = await Recordings(db).find(start=DAY_AGO, end=NOW)
    assert len(found) == written.recordings
    assert all(r.duration and r.operator for r in found)
    operators = await Operators(db).all()
    assert operators and all(o.simulated for o in operators)


async def test_a_second_demo_run_adds_another_day(
    history: tuple[Database, Settings, History],
) -> None:
    db, settings, first = history
    later = await write_history(db, settings, now=NOW + timedelta(hours=1), calls=5)
    assert later.campaign != first.campaign and later.calls == 6
    assert len(await Operators(db).all()) == 3
