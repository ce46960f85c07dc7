"""Batched dispatch that loses nothing (issue 19 item 4), on SQLite and PostgreSQL: a batch's
attempts are written unsent and each is marked sent just before its Originate, so when a
worker dies inside a batch the attempts it left tell apart

* never sent: withdrawn, their contacts pending again, dialled later, counted once;
* sent, channel alive: followed by the adopter;
* sent, fate unknown (no channel): settled as unknown, not redialled blindly.

A worker is "killed" by freezing its dispatcher task at a chosen point: nothing more runs in
it, as with SIGKILL (the e2e test ``tests/e2e/test_dispatch2_killed_in_batch.py`` kills a
real ``hotline run``)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from dialer.engine import Dialer
from dialer.model import AttemptStatus, TargetState
from dialer.repository import DialerStore
from dialer.workers import DialerWorker, Heartbeat
from hotline.protocol.ami import AmiEvent
from hotline.settings import DialerSettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.workers import SharedPacer
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_dialer_service import OPEN, StubAmi, StubPrompts

PHONES = [f"+7913300{i:04d}" for i in range(6)]
RULES = OPEN.model_copy(update={"max_channels": 100, "max_attempts": 3})


@pytest.fixture
async def pair(db_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two workers' own connections to one migrated database."""
    first, second = Database(db_url), Database(db_url)
    await first.upgrade()
    yield first, second
    await first.dispose()
    await second.dispose()


def dialer(
    db: Database, name: str, clock: Clock | None = None, heartbeat: Heartbeat | None = None
) -> tuple[Dialer, StubAmi]:
    ami = StubAmi()
    pacer = None if db.is_sqlite else SharedPacer(db)
    worker = DialerWorker(name=name, pacer=pacer, heartbeat=heartbeat)
    return (
        Dialer(
            DialerSettings(calls_per_second=1000.0, trunk_channels=100),
            DialerStore(db),
            ami,  # type: ignore[arg-type]
            StubPrompts(),  # type: ignore[arg-type]
            CallLog(db),
            clock=clock or Clock(NOW),
            worker=worker,
        ),
        ami,
    )


class Beats:
    """A worker's heartbeat on a monotonic clock the test moves: fresh, then stale."""

    def __init__(self) -> None:
        self.mono = 0.0
        self.heartbeat = Heartbeat(10.0, clock=lambda: self.mono)

    async def beat(self) -> None:
        async def committed() -> None:
            pass

        await self.heartbeat.beating(committed())

    def stale(self) -> None:
        self.mono += 5.0  # half of dead_after: another worker may take it for dead


def freeze_at_call(
    owner: Any,
    name: str,
    call: int,
    frozen: asyncio.Event,
    release: asyncio.Event,
    *,
    after: bool = False,
) -> dict[str, Any]:
    """The ``call``-th call of ``owner.name`` sets ``frozen`` and waits for ``release``
    before it is made, or with ``after`` once it is made (a mark: committed) and before it
    returns: a worker killed (or stalled) between the mark's commit and its Originate.
    Returns where that call's arguments will be (keyword arguments by name, "args")."""
    seen: dict[str, Any] = {}
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)
    calls = 0

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call and not after:
            seen.update(kwargs, args=args)
            frozen.set()
            await release.wait()
        result = await original(*args, **kwargs)
        if calls == call and after:
            seen.update(kwargs, args=args)
            frozen.set()
            await release.wait()
        return result

    setattr(owner, name, wrapper)
    return seen


async def killed_inside_a_batch(
    first: Dialer, first_ami: StubAmi, store: DialerStore, point: str
) -> tuple[asyncio.Task[int], asyncio.Event, dict[str, Any]]:
    """w1 writes the six attempts in one batch, sends two, and is frozen at ``point`` of the
    third (before its mark, or after its mark and before its Originate)."""
    frozen, release = asyncio.Event(), asyncio.Event()
    halted = asyncio.Event()
    if point == "originate":
        seen = freeze_at_call(first_ami, "originate", 3, frozen, release)
        # Originates go out without waiting for the one before to be answered (issue 19
        # item 6), so w1 also stops before marking the fourth: it dies with the third's
        # Originate on its way and three contacts never sent.
        freeze_at_call(first.store, "mark_sent", 4, halted, release)
    else:
        seen = freeze_at_call(first.store, "mark_sent", 3, frozen, release)
        halted.set()
    task = asyncio.create_task(first.dispatch_once())
    await asyncio.wait_for(frozen.wait(), 30)
    await asyncio.wait_for(halted.wait(), 30)
    assert len(first_ami.originated) == 2
    assert len(await store.inflight("w1")) == 6  # the whole batch is written
    return task, release, seen


async def test_adoption_tells_never_sent_from_sent(
    pair: tuple[Database, Database], tmp_path: Path
) -> None:
    store = DialerStore(pair[0])
    campaign = await running_campaign(store, tmp_path, PHONES, rules=RULES)
    (first, first_ami), (second, second_ami) = dialer(pair[0], "w1"), dialer(pair[1], "w2")
    task, _release, third = await killed_inside_a_batch(first, first_ami, store, "originate")
    try:
        sent_ids = [o["action_id"] for o in first_ami.originated]
        by_phone = {a.phone: a for a in await store.inflight("w1")}
        # The third was marked sent, its Originate on its way when w1 died: fate unknown.
        never = {p for p, a in by_phone.items() if a.id not in {*sent_ids, third["action_id"]}}
        assert len(never) == 3
        second_ami.live = {sent_ids[0]}  # Asterisk still carries the first call

        assert await second.adopt({"w2"}) == 3  # the three that were (or may have been) sent
        # Sent, channel alive: followed by w2.
        assert [a.id for a in await store.inflight("w2")] == [sent_ids[0]]
        assert second.in_flight == 1
        # Sent, no channel (ended, or the Originate lost): unknown, not redialled blindly.
        for attempt_id in (sent_ids[1], third["action_id"]):
            attempt = await store.attempt(attempt_id)
            assert attempt is not None and attempt.status is AttemptStatus.UNKNOWN
        # Never sent: gone, their contacts pending again, the attempt not counted.
        targets = {t["phone"]: t for t in await store.targets_detail(campaign.id)}
        left = {a["attempt"] for a in await attempts(store, campaign.id)}
        for phone in never:
            assert by_phone[phone].id not in left
            assert targets[phone]["state"] == TargetState.PENDING.value
            assert targets[phone]["attempts"] == 0
        # Dialled later by w2, once each; nothing else is redialled.
        assert await second.dispatch_once() == 3
        assert {o["channel"].split("/")[1].split("@")[0] for o in second_ami.originated} == {
            p.lstrip("+") for p in never
        }
        assert await second.dispatch_once() == 0
        rows = await attempts(store, campaign.id)
        assert sorted(a["phone"] for a in rows) == sorted(PHONES)  # one attempt per number
        assert await second.adopt({"w2"}) == 0
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_worker_taken_for_dead_does_not_send_what_was_withdrawn(
    pair: tuple[Database, Database], tmp_path: Path
) -> None:
    store = DialerStore(pair[0])
    campaign = await running_campaign(store, tmp_path, PHONES, rules=RULES)
    (first, first_ami), (second, second_ami) = dialer(pair[0], "w1"), dialer(pair[1], "w2")
    task, release, _seen = await killed_inside_a_batch(first, first_ami, store, "mark")
    assert await second.adopt({"w2"}) == 2
    assert await second.dispatch_once() == 4
    release.set()  # w1 was only stalled: its marks find the attempts gone, it sends nothing
    assert await asyncio.wait_for(task, 30) == 2
    assert len(first_ami.originated) == 2 and len(second_ami.originated) == 4
    dialled = [o["channel"] for o in first_ami.originated + second_ami.originated]
    assert len(set(dialled)) == 6
    assert sorted(a["phone"] for a in await attempts(store, campaign.id)) == sorted(PHONES)


async def test_an_adopter_gives_back_a_marked_attempt_asterisk_never_saw(
    pair: tuple[Database, Database], tmp_path: Path
) -> None:
    # w1 is killed after committing the third attempt's mark and before its Originate. w2
    # watched the node since before the batch was written: it saw the first two calls'
    # channels and none of the third, so the third goes back to its contact (it used to be
    # settled as unknown: with one attempt allowed, a number never called).
    store = DialerStore(pair[0])
    campaign = await running_campaign(store, tmp_path, PHONES, rules=RULES)
    clock, beats = Clock(NOW), Beats()
    first, first_ami = dialer(pair[0], "w1", clock, beats.heartbeat)
    second, second_ami = dialer(pair[1], "w2", clock)
    await beats.beat()
    await second.handle_event(ami_event("FullyBooted", ""))  # w2's log-in: its watch begins
    clock.at = NOW + dt.timedelta(seconds=10)
    frozen, release = asyncio.Event(), asyncio.Event()
    third = freeze_at_call(first.store, "mark_sent", 3, frozen, release, after=True)
    task = asyncio.create_task(first.dispatch_once())
    try:
        await asyncio.wait_for(frozen.wait(), 30)
        marked = third["args"][0]
        sent_ids = list(first_ami.written)
        assert len(sent_ids) == 2
        for attempt_id in sent_ids:  # their channels, announced to every AMI session
            await second.handle_event(ami_event("Newchannel", attempt_id))
        second_ami.live = {sent_ids[0]}  # the first still rings; the second ended
        beats.stale()
        clock.at += dt.timedelta(seconds=5)
        assert await second.adopt({"w2"}) == 3
        assert [a.id for a in await store.inflight("w2")] == [sent_ids[0]]
        ended = await store.attempt(sent_ids[1])
        assert ended is not None and ended.status is AttemptStatus.UNKNOWN
        # The marked one is gone, its contact pending again, the attempt not counted (as the
        # three never marked).
        assert await store.attempt(marked) is None
        targets = await store.targets_detail(campaign.id)
        fresh = [t for t in targets if t["state"] == "pending" and t["attempts"] == 0]
        assert len(fresh) == 4
        # w1 was only stalled: with its heartbeat stale it does not send the marked one.
        release.set()
        assert await asyncio.wait_for(task, 30) == 2
        assert first_ami.written == sent_ids
        assert await second.dispatch_once() == 4
        rows = await attempts(store, campaign.id)
        assert sorted(a["phone"] for a in rows) == sorted(PHONES)  # one attempt per number
    finally:
        release.set()
        if not task.done():
            task.cancel()


async def test_a_worker_whose_heartbeat_went_stale_during_a_mark_does_not_send(
    pair: tuple[Database, Database], tmp_path: Path
) -> None:
    store = DialerStore(pair[0])
    campaign = await running_campaign(store, tmp_path, PHONES, rules=RULES)
    beats = Beats()
    first, first_ami = dialer(pair[0], "w1", heartbeat=beats.heartbeat)
    assert await first.dispatch_once() == 0  # never beaten: it may be taken for dead
    await beats.beat()
    frozen, release = asyncio.Event(), asyncio.Event()
    freeze_at_call(first.store, "mark_sent", 3, frozen, release, after=True)
    task = asyncio.create_task(first.dispatch_once())
    await asyncio.wait_for(frozen.wait(), 30)
    beats.stale()  # the mark's commit took as long as half of dead_after
    release.set()
    assert await asyncio.wait_for(task, 30) == 2
    assert len(first_ami.written) == 2
    # The third (marked) and the rest are back with their contacts, not counted.
    assert len(await attempts(store, campaign.id)) == 2
    pending = [t for t in await store.targets_detail(campaign.id) if t["state"] == "pending"]
    assert len(pending) == 4 and all(t["attempts"] == 0 for t in pending)
    await beats.beat()
    assert await first.dispatch_once() == 4
    rows = await attempts(store, campaign.id)
    assert sorted(a["phone"] for a in rows) == sorted(PHONES)


def ami_event(name: str, uniqueid: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), ("Uniqueid", uniqueid)])


async def test_a_restarted_worker_returns_its_unsent_attempts(
    pair: tuple[Database, Database], tmp_path: Path
) -> None:
    store = DialerStore(pair[0])
    campaign = await running_campaign(store, tmp_path, PHONES, rules=RULES)
    first, first_ami = dialer(pair[0], "w1")
    task, _release, _seen = await killed_inside_a_batch(first, first_ami, store, "mark")
    try:
        again, again_ami = dialer(pair[1], "w1")  # the same worker, restarted
        again_ami.live = {first_ami.originated[0]["action_id"]}
        await again.reconcile()
        assert [a.id for a in await store.inflight("w1")] == [again_ami.live.pop()]
        assert await again.dispatch_once() == 4
        assert sorted(a["phone"] for a in await attempts(store, campaign.id)) == sorted(PHONES)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def attempts(store: DialerStore, campaign_id: int) -> list[dict[str, Any]]:
    return await store.attempts_detail(campaign_id)
