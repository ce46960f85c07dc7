"""``consume_batches`` with a linger (issue 19 item 1): the events that follow a batch's first
within ``linger`` seconds join it (a burst of hang-ups reaches the engine over a second, and the
quality tracker stored a row a transaction each); without one, a batch is what is queued; a
stop while lingering still hands over what was taken from the queue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from hotline.protocol.ami import AmiEvent
from hotline.transport.ami_events import Subscription, consume_batches


def _event(n: int) -> AmiEvent:
    return AmiEvent.from_headers([("Event", "UserEvent"), ("Uniqueid", f"1.{n}")])


async def _feed(sub: Subscription, count: int, gap: float) -> None:
    for n in range(count):
        sub.offer(_event(n))
        await asyncio.sleep(gap)


def _sizes() -> tuple[list[int], Callable[[list[AmiEvent]], Awaitable[None]]]:
    """The sizes of the batches handed over, and the handler that records them."""
    sizes: list[int] = []

    async def handle(batch: list[AmiEvent]) -> None:
        sizes.append(len(batch))

    return sizes, handle


async def _stopped(consumer: asyncio.Task[None]) -> None:
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer


async def test_events_within_the_linger_join_the_first() -> None:
    sub = Subscription(None, 100)
    sizes, handle = _sizes()
    consumer = asyncio.create_task(consume_batches(sub, handle, "test", 500, 3600.0))
    await _feed(sub, 5, 0.02)  # each arrives while the batch lingers
    await _stopped(consumer)
    assert sizes == [5]


async def test_a_batch_ends_when_its_linger_is_over() -> None:
    sub = Subscription(None, 100)
    sizes, handle = _sizes()
    consumer = asyncio.create_task(consume_batches(sub, handle, "test", 500, 0.05))
    for expected in ([1], [1, 1]):
        sub.offer(_event(len(sizes)))
        async with asyncio.timeout(10):
            while sizes != expected:
                await asyncio.sleep(0.01)
    await _stopped(consumer)


async def test_without_a_linger_a_batch_is_what_is_queued() -> None:
    sub = Subscription(None, 100)
    sizes, handle = _sizes()
    consumer = asyncio.create_task(consume_batches(sub, handle, "test", 500))
    sub.offer(_event(0))
    sub.offer(_event(1))
    await asyncio.sleep(0.01)  # the consumer takes both at once
    sub.offer(_event(2))  # then this one alone
    await asyncio.sleep(0.01)
    await _stopped(consumer)
    assert sizes == [2, 1]


async def test_a_batch_holds_at_most_most_events() -> None:
    sub = Subscription(None, 100)
    for n in range(7):
        sub.offer(_event(n))
    sizes, handle = _sizes()
    consumer = asyncio.create_task(consume_batches(sub, handle, "test", 3))
    await asyncio.sleep(0.01)
    await _stopped(consumer)
    assert sizes == [3, 3, 1]


async def test_a_stop_while_lingering_hands_over_what_was_taken() -> None:
    sub = Subscription(None, 100)
    handed: list[str] = []

    async def handle(batch: list[AmiEvent]) -> None:
        handed.extend(event.uniqueid for event in batch)

    consumer = asyncio.create_task(consume_batches(sub, handle, "test", 500, 3600.0))
    await _feed(sub, 2, 0.01)
    await asyncio.sleep(0.05)
    assert handed == []  # still lingering
    await _stopped(consumer)
    assert handed == ["1.0", "1.1"]
