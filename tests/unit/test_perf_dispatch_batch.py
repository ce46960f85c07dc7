"""Dispatch in batches on the claims (issue 19 item 4): a pass begins the attempts pacing lets
out within a tick in one transaction (one UPDATE, one INSERT per batch), every attempt still
written before its Originate; a target claimed elsewhere meanwhile is neither dialled nor
counted; attempts pacing has no slot for after all are withdrawn, their targets pending again
with the attempt not counted; slow pacing still dials one call per tick."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from dialer.dispatcher import DIAL_BATCH
from dialer.engine import Dialer
from dialer.model import AttemptStatus
from dialer.repository import DialerStore, TargetRecord
from dialer.workers import DialerWorker
from hotline.settings import DialerSettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_dialer_service import OPEN, StubAmi, StubPrompts, db, make_dialer

__all__ = ["db"]  # the fixture
WIDE = OPEN.model_copy(update={"max_channels": 10_000})


def _writes(db: Database) -> list[str]:
    """The attempt writes of a pass: INSERTs, and UPDATEs of targets to calling."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        head = statement.lstrip().upper()
        if head.startswith("INSERT INTO DIAL_ATTEMPTS"):
            statements.append("INSERT")
        elif head.startswith("UPDATE CAMPAIGN_TARGETS") and "attempts" in statement:
            statements.append("UPDATE")

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    return statements


async def test_a_pass_begins_its_attempts_in_batches_before_any_originate(
    db: Database, tmp_path: Path
) -> None:
    store = DialerStore(db)
    calls = DIAL_BATCH + 5
    await running_campaign(store, tmp_path, [f"+7913400{i:04d}" for i in range(calls)], rules=WIDE)
    dialer, ami = make_dialer(db, Clock(NOW), trunk_channels=1000, calls_per_second=1e6)
    seen: list[AttemptStatus | None] = []
    original = ami.originate

    async def checking(channel: str, **kwargs: Any) -> str:
        attempt = await store.attempt(kwargs["channel_id"])
        seen.append(attempt.status if attempt else None)
        return await original(channel, **kwargs)

    ami.originate = checking  # type: ignore[method-assign]
    writes = _writes(db)
    assert await dialer.dispatch_once() == calls
    assert seen == [AttemptStatus.DIALING] * calls
    assert writes.count("UPDATE") == writes.count("INSERT") == 2  # 100 + 5
    assert len({o["channel"] for o in ami.originated}) == calls


async def test_a_target_claimed_meanwhile_is_not_dialled(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    phones = [f"+7913500{i:04d}" for i in range(5)]
    campaign = await running_campaign(store, tmp_path, phones, rules=WIDE)
    dialer, ami = make_dialer(db, Clock(NOW), trunk_channels=1000)
    original = dialer.store.begin_attempts

    async def racing(batch: list[tuple[TargetRecord, str]], now: Any, **kwargs: Any) -> Any:
        assert await store.begin_attempt(batch[2][0], "elsewhere", now) is not None
        return await original(batch, now, **kwargs)

    dialer.store.begin_attempts = racing  # type: ignore[method-assign]
    assert await dialer.dispatch_once() == 4
    dialled = {c["channel_id"] for c in ami.originated}
    assert len(dialled) == 4 and "elsewhere" not in dialled
    attempts = await store.attempts_detail(campaign.id)
    assert sorted(a["number"] for a in attempts) == [1] * 5  # nobody's attempt counted twice


class _ShortPacer:
    """A shared pacer whose estimate was too kind: another worker booked slots meanwhile."""

    def __init__(self, estimate: int, slots: int) -> None:
        self.estimate, self.slots = estimate, slots

    async def free_slots(self, name: str, interval: float, horizon: float) -> int:
        return self.estimate

    async def take_many(self, name: str, interval: float, horizon: float, count: int) -> Any:
        booked, self.slots = min(count, self.slots), self.slots - min(count, self.slots)
        return [0.0] * booked


async def test_attempts_without_a_pacing_slot_are_withdrawn(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    phones = [f"+7913600{i:04d}" for i in range(8)]
    campaign = await running_campaign(store, tmp_path, phones, rules=WIDE)
    ami = StubAmi()
    dialer = Dialer(
        DialerSettings(calls_per_second=10.0, trunk_channels=1000),
        store,
        ami,  # type: ignore[arg-type]
        StubPrompts(),  # type: ignore[arg-type]
        CallLog(db),
        clock=Clock(NOW),
        worker=DialerWorker(name="w1", pacer=_ShortPacer(estimate=5, slots=2)),  # type: ignore[arg-type]
    )
    assert await dialer.dispatch_once() == 2  # the pass ends: pacing is out of slots
    assert len(ami.originated) == 2
    attempts = await store.attempts_detail(campaign.id)
    dialled = sorted(o["channel_id"] for o in ami.originated)
    assert sorted(a["attempt"] for a in attempts) == dialled
    rows = await store.targets_detail(campaign.id)
    assert sorted(r["state"] for r in rows) == ["calling"] * 2 + ["pending"] * 6
    assert sorted(r["attempts"] for r in rows) == [0] * 6 + [1] * 2
    assert dialer.in_flight == 2
    # Nothing is left claimed: another worker (or the next pass) may dial the rest.
    again = await store.claim_targets(campaign.id, NOW, 100, worker="w2", until=NOW)
    assert len(again) == 6


async def test_slow_pacing_dials_one_call_per_tick(db: Database, tmp_path: Path) -> None:
    store = DialerStore(db)
    await running_campaign(store, tmp_path, ["+79136100001", "+79136100002"], rules=WIDE)
    dialer, ami = make_dialer(db, Clock(NOW), calls_per_second=0.5, trunk_channels=1000)
    writes = _writes(db)
    assert await dialer.dispatch_once() == 1
    assert await dialer.dispatch_once() == 0  # the next slot is 2 s away: more than a tick
    assert len(ami.originated) == 1 and writes.count("INSERT") == 1
