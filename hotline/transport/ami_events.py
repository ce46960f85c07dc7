"""The AMI client's event subscriptions: bounded queues the socket reader never waits on, and
which event names any of them takes (the reader skips the rest before parsing them)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Final

from hotline.core.metrics import AMI_EVENTS_DROPPED
from hotline.protocol.ami import AmiEvent
from hotline.protocol.ami_classes import ALL_CLASSES, event_mask, widened

log = logging.getLogger("hotline.transport.ami")  # the client's logger, as before the move


# A subscription name taking one kind of UserEvent only (its ``UserEvent`` header).
_USER_EVENT: Final = "userevent"
_KIND_PREFIX: Final = _USER_EVENT + ":"


def user_event(kind: str) -> str:
    """The name that subscribes to the UserEvents of ``kind`` alone (``UserEvent:<kind>``).
    Five consumers of the engine each take one kind; subscribed to every UserEvent, each
    woke for every key a caller pressed on the menu's levels in dialplan (issue 19 item 1)."""
    return f"UserEvent:{kind}"


class Subscription:
    """A consumer's bounded queue of events; the AMI reader never waits on it."""

    def __init__(self, names: frozenset[str] | None, maxsize: int) -> None:
        # Event names, lower case (None: every event), and the UserEvent kinds, lower case,
        # when the subscription takes only some (``user_event``; None: every kind).
        self.names = names
        self.user_events: frozenset[str] | None = None
        if names is not None:
            kinds = frozenset(n[len(_KIND_PREFIX) :] for n in names if n.startswith(_KIND_PREFIX))
            if kinds:
                self.names = frozenset(n for n in names if not n.startswith(_KIND_PREFIX)) | {
                    _USER_EVENT
                }
                self.user_events = None if _USER_EVENT in names else kinds
        self.queue: asyncio.Queue[AmiEvent] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, event: AmiEvent) -> None:
        names = self.names
        if names is not None:
            name = event.name.lower()
            if name not in names:
                return
            kinds = self.user_events
            if (
                kinds is not None
                and name == _USER_EVENT
                and event.headers.get(_USER_EVENT, "").lower() not in kinds
            ):
                return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            AMI_EVENTS_DROPPED.inc()
            if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                log.warning("AMI consumer is behind: %d events dropped", self.dropped)

    async def get(self, within: float | None = None) -> AmiEvent:
        """The next event; TimeoutError if none arrives ``within`` seconds."""
        async with asyncio.timeout(within):
            return await self.queue.get()

    async def __aiter__(self) -> AsyncIterator[AmiEvent]:
        while True:
            yield await self.queue.get()


async def consume(
    events: AsyncIterable[AmiEvent], handle: Callable[[AmiEvent], Awaitable[None]], consumer: str
) -> None:
    """Feed every event to ``handle`` until cancelled.  One bad event (or a database hiccup)
    is logged and skipped: it must not stop the consumer for every later event."""
    async for event in events:
        try:
            await handle(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed on %s", consumer, event.name)


async def consume_batches(
    events: Subscription,
    handle: Callable[[list[AmiEvent]], Awaitable[None]],
    consumer: str,
    most: int,
    linger: float = 0.0,
) -> None:
    """Feed ``handle`` the events waiting in the queue together (at most ``most`` at a
    time), until cancelled: a consumer that writes a row per event commits a burst (a hundred
    hang-ups at once) in one transaction, not one each.  ``linger``: after a batch's first
    event, how long the events that follow join it (Asterisk reports a burst of hang-ups over
    a second, not at once).  A batch that fails is logged and skipped, as ``consume`` skips
    one event."""
    queue = events.queue
    while True:
        batch = [await queue.get()]
        while len(batch) < most and not queue.empty():
            batch.append(queue.get_nowait())
        if linger > 0 and len(batch) < most:
            try:
                async with asyncio.timeout(linger):  # one deadline for the whole linger
                    while len(batch) < most:
                        batch.append(await queue.get())
            except TimeoutError:
                pass
            except asyncio.CancelledError:  # stopped while lingering: what was taken is kept
                await _handle(handle, batch, consumer)
                raise
        await _handle(handle, batch, consumer)


async def _handle(
    handle: Callable[[list[AmiEvent]], Awaitable[None]], batch: list[AmiEvent], consumer: str
) -> None:
    try:
        await handle(batch)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("%s failed on %d events", consumer, len(batch))


def wanted_names(subscriptions: Iterable[Subscription]) -> frozenset[str] | None:
    """The lower-case event names the ``subscriptions`` take together (None: one takes all)."""
    names: set[str] = set()
    for sub in subscriptions:
        if sub.names is None:
            return None
        names |= sub.names
    return frozenset(names)


class Subscriptions:
    """A client's subscriptions, the event names they take together, and the event classes
    its session asks Asterisk for (issue 19 item 1: the classes of those names only)."""

    def __init__(self) -> None:
        self.all: list[Subscription] = []
        # The event names some subscription takes (None: one takes all); issue 19 item 6.
        self.wanted: frozenset[str] | None = frozenset()
        self.mask = ALL_CLASSES

    def add(self, names: frozenset[str] | None, maxsize: int) -> Subscription:
        sub = Subscription(names, maxsize)
        self.all.append(sub)
        self.wanted = wanted_names(self.all)
        return sub

    def remove(self, sub: Subscription) -> None:
        if sub in self.all:
            self.all.remove(sub)
        self.wanted = wanted_names(self.all)

    def login_mask(self) -> str:
        """The classes to log in with.  A client without subscriptions yet takes them all:
        the first events of the ones it makes later must not be filtered away."""
        self.mask = event_mask(self.wanted) if self.all else ALL_CLASSES
        return self.mask

    def wider_mask(self) -> str | None:
        """The classes to ask for now that a subscription takes some the session lacks (None:
        it has them).  Never narrowed while connected: the next login asks for less."""
        mask = widened(self.mask, event_mask(self.wanted))
        if mask is not None:
            self.mask = mask
        return mask
