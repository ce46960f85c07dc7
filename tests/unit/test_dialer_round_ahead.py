"""Issue 19 item 6 (the campaign reached 15.5 of its 20 calls a second under combined load):
between two rounds of a pass nothing was sent while the next round was prepared (its due
contacts claimed, their numbers' latest calls read, its attempts INSERTed), about 90 gaps a
minute of 0.28 s.  Now the next round is prepared while the current one is sent: one round
ahead at most, owned by the pass, withdrawn like any unsent attempt when the pass stops, and
not prepared for a campaign paused meanwhile.

A round's sending is held at an attempt's mark (the stub AMI, the dialer's clock frozen):
the next round's attempts are written meanwhile, unsent.  Checked against the old code: the
second write never came while the first round was held (the wait for it ran out), and a
paused campaign was dialled to the end of the pass."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from dialer.engine import Dialer
from dialer.model import TargetState
from dialer.repository import DialerStore
from hotline.store.db import Database
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_dialer_service import OPEN, StubAmi, db, make_dialer

__all__ = ["db"]

PHONES = [f"+7913840{i:04d}" for i in range(8)]
WIDE = OPEN.model_copy(update={"max_channels": 100})
# Three slots a tick: a pass dials its contacts in rounds of up to three.
PACED = {"calls_per_second": 10.0, "tick_seconds": 0.2, "trunk_channels": 1000}
BOUND = 30.0  # generous: a loaded machine waits, a missing write fails


def hold_at(owner: Any, name: str, call: int, held: asyncio.Event, go: asyncio.Event) -> None:
    """The ``call``-th call of ``owner.name`` sets ``held`` and waits for ``go``."""
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)
    calls = 0

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call:
            held.set()
            await go.wait()
        return await original(*args, **kwargs)

    setattr(owner, name, wrapper)


def count_writes(store: DialerStore, written: asyncio.Event, call: int) -> list[int]:
    """Sizes of the attempts' writes; ``written`` is set once the ``call``-th has returned."""
    original = store.begin_attempts
    sizes: list[int] = []

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        begun = await original(*args, **kwargs)
        sizes.append(len(begun))
        if len(sizes) == call:
            written.set()
        return begun

    store.begin_attempts = wrapper  # type: ignore[method-assign]
    return sizes


async def held_in_first_round(
    db: Database, tmp_path: Path
) -> tuple[Dialer, StubAmi, DialerStore, asyncio.Task[int], asyncio.Event, list[int]]:
    """A pass whose first round is held at its second attempt's mark, after the second
    round's attempts were written."""
    dialer, ami = make_dialer(db, Clock(NOW), **PACED)
    store = dialer.store
    await running_campaign(store, tmp_path, PHONES, rules=WIDE)
    held, go, second = asyncio.Event(), asyncio.Event(), asyncio.Event()
    hold_at(store, "mark_sent", 2, held, go)
    sizes = count_writes(store, second, 2)
    task = asyncio.create_task(dialer.dispatch_once())
    await asyncio.wait_for(held.wait(), BOUND)
    await asyncio.wait_for(second.wait(), BOUND)  # the old code never got here
    return dialer, ami, store, task, go, sizes


async def resume_a_tick_later(dialer: Dialer, task: asyncio.Task[int], go: asyncio.Event) -> None:
    """Let the held pass go on once what it read at its start is a tick old, then run the
    passes that dial the rest (for the tests of what a long pass reads again)."""
    tick = dialer.settings.tick_seconds
    started = time.monotonic()
    while time.monotonic() - started <= tick:
        await asyncio.sleep(tick / 4)
    go.set()
    await asyncio.wait_for(task, BOUND)
    for _ in range(len(PHONES)):
        await dialer.dispatch_once()


async def test_the_next_round_is_written_while_the_current_one_is_sent(
    db: Database, tmp_path: Path
) -> None:
    dialer, ami, store, task, go, sizes = await held_in_first_round(db, tmp_path)
    first, ahead = sizes
    assert first == 3 and 1 <= ahead <= 3
    assert len(ami.written) == 1  # the first round is still going out
    written = await store.inflight()
    assert len(written) == first + ahead
    assert sum(not attempt.sent for attempt in written) == first + ahead - 1
    go.set()
    dialled = await asyncio.wait_for(task, BOUND)
    # The rest in later passes (one may end where float rounding leaves pacing no slot).
    for _ in range(len(PHONES)):
        if dialled == len(PHONES):
            break
        dialled += await dialer.dispatch_once()
    assert dialled == len(PHONES)
    # Each number once, every attempt sent, none left unsent.
    numbers = [call["channel"].split("/")[1].split("@")[0] for call in ami.originated]
    assert sorted(numbers) == sorted(p.lstrip("+") for p in PHONES)
    attempts = await store.inflight()
    assert len(attempts) == len(PHONES) and all(a.sent for a in attempts)
    assert not dialer._live.sending  # nothing held back from reconciliation


async def test_a_stopped_pass_withdraws_the_round_prepared_ahead(
    db: Database, tmp_path: Path
) -> None:
    dialer, ami, store, task, _go, sizes = await held_in_first_round(db, tmp_path)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Only the attempt whose Originate went out is left; the rest of its round and the
    # round ahead are withdrawn, their contacts pending again with no attempt counted.
    assert len(ami.written) == 1
    assert [a.id for a in await store.inflight()] == ami.written
    campaign = await store.campaign("test")
    targets = await store.targets_detail(campaign.id)
    pending = [t for t in targets if t["state"] == TargetState.PENDING.value]
    assert len(pending) == len(PHONES) - 1 and all(t["attempts"] == 0 for t in pending)
    assert sum(sizes) > 3  # the round ahead had been written
    assert not dialer._live.sending


async def test_no_round_is_prepared_ahead_for_a_campaign_paused_meanwhile(
    db: Database, tmp_path: Path
) -> None:
    dialer, ami = make_dialer(db, Clock(NOW), **PACED)
    store = dialer.store
    await running_campaign(store, tmp_path, PHONES, rules=WIDE)
    held, go = asyncio.Event(), asyncio.Event()
    # The round ahead first reads the campaign's state: paused while that read waits.
    hold_at(store, "campaign_state", 1, held, go)
    task = asyncio.create_task(dialer.dispatch_once())
    await asyncio.wait_for(held.wait(), BOUND)  # the old code never read it
    await store.pause("test")
    go.set()
    assert await asyncio.wait_for(task, BOUND) == 3  # the first round only
    assert len(ami.written) == 3
    attempts = await store.inflight()
    assert len(attempts) == 3 and all(a.sent for a in attempts)
    campaign = await store.campaign("test")
    states = [t["state"] for t in await store.targets_detail(campaign.id)]
    assert states.count(TargetState.PENDING.value) == len(PHONES) - 3
    assert await dialer.dispatch_once() == 0  # paused
