"""Every cancellation reaches a long-lived task that waits with a bound (2026-12-06).

Python 3.11's ``asyncio.wait_for`` returns its awaitable's result when a cancellation arrives
in the loop pass that completes that awaitable (CPython gh-86296, fixed in 3.12).  A task that
loops around such a wait (the engine's operator restore around ``AmiClient.wait_connected``,
a consumer around ``Subscription.get``) then goes on running, and ``Engine.stop()``, which
cancels each task and awaits it, waited for ever: a ``make test`` worker hung in the engine
fixture's teardown.  The bounded waits now use ``asyncio.timeout()`` (``wait_for`` is banned
by ruff's TID251 outside the tests); these loops are cancelled at every moment of their cycle,
the one where the awaited event is already set included, and must end every time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from hotline.protocol.ami import AmiEvent
from hotline.settings import AmiSettings
from hotline.transport.ami import AmiClient
from hotline.transport.ami_events import Subscription

ROUNDS = 100
# With wait_for, a fifth of these rounds lost the cancellation (measured: 20 of 100).
ENDED_WITHIN = 1.0


async def _cancelled_every_time(wait: Callable[[], Awaitable[object]]) -> int:
    """Cancel a task looping on ``wait`` at ROUNDS moments of its cycle; the rounds in which
    it did not end."""
    lost = 0
    for round_ in range(ROUNDS):

        async def loop() -> None:
            while True:
                await wait()
                await asyncio.sleep(0.001)

        task = asyncio.create_task(loop())
        await asyncio.sleep(0.001 * (round_ % 5))
        task.cancel()
        await asyncio.wait({task}, timeout=ENDED_WITHIN)
        if not task.done():
            lost += 1
            task.cancel()  # a lost one would loop on: give it another chance
            await asyncio.wait({task}, timeout=ENDED_WITHIN)
    return lost


async def test_a_loop_on_wait_connected_is_cancelled_every_time() -> None:
    client = AmiClient(AmiSettings(), "secret")
    client._state.connected.set()  # connected: the wait completes at once, every cycle
    assert await _cancelled_every_time(lambda: client.wait_connected(10)) == 0


async def test_a_loop_on_a_subscription_is_cancelled_every_time() -> None:
    sub = Subscription(None, 10)
    event = AmiEvent.from_headers([("Event", "Newexten")])

    async def next_event() -> AmiEvent:
        sub.offer(event)  # always one waiting: the get completes at once
        return await sub.get(within=10)

    assert await _cancelled_every_time(next_event) == 0
