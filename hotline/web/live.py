"""What wakes the console's live pages (issue 20): an AMI event, or on PostgreSQL a NOTIFY
that a queue, an operator or a callback changed (``hotline.store.notify``, any engine
worker or console process), or failing both the page's refresh interval."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.requests import Request

from hotline.store.notify import Listener, NotifyChannel, Waker
from hotline.transport.ami import Subscription


@contextlib.asynccontextmanager
async def live_waker(request: Request) -> AsyncIterator[Waker | None]:
    """A waker for the LIVE channel while a stream is open (None without a listener)."""
    listener: Listener | None = getattr(request.app.state, "notify", None)
    if listener is None:
        yield None
        return
    waker = listener.waker(NotifyChannel.LIVE)
    try:
        yield waker
    finally:
        listener.remove(waker)


async def changed(sub: Subscription | None, waker: Waker | None, within: float) -> None:
    """Return when an AMI event arrives (draining the burst), a notification wakes
    ``waker``, or after ``within`` seconds."""
    waits: list[asyncio.Task[object]] = []
    if sub is not None:
        waits.append(asyncio.create_task(sub.get(within)))
    if waker is not None:
        waits.append(asyncio.create_task(waker.wait(within)))
    if not waits:
        await asyncio.sleep(within)
        return
    try:
        await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        for task in waits:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await task
    if sub is not None:
        while not sub.queue.empty():
            sub.queue.get_nowait()
