"""What one AMI session saw of the channels Asterisk made: enough to tell, for an attempt
marked sent whose channel is gone, whether its Originate ever reached Asterisk.

A worker marks an attempt sent (committed), then writes its Originate.  Killed in between, it
leaves an attempt that is "sent" but was never dialled.  The worker that adopts it finds no
channel, and used to settle it as unknown: with one attempt allowed, the number was never
called.  Every channel an Originate makes is announced (``Newchannel``, its id the attempt's
id) to every AMI session of the node, and one that fails before a channel exists still
answers (``OriginateResponse``, its ActionID the attempt's id).  So an adopter that has
watched the node, without a gap, since before the attempt was written, and saw neither, knows
the Originate never went out, and can give the contact back to be dialled.  Where it cannot
vouch for the whole time (it logged in later, events were dropped, the trace aged out), it
settles the attempt as before.

An adopter that takes a whole node over from its dead owner (a cluster, issue 20) logs in to
the node only then, too late to vouch for anything.  So a worker that may take nodes over
watches each of them from its start, with an AMI session of its own that only notes
(dialer/taken_node.py: ``NodeWatch``), and the dialler it starts on a node it takes over
vouches with that watch.

A worker that stalls between the mark and the Originate for longer than the adopter waits
would dial after the adopter gave the contact back: the dispatcher does not send once its
heartbeat is older than half of ``workers.dead_after_seconds`` (dialer/workers.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from hotline.protocol.ami import AmiEvent
from hotline.settings import WorkerSettings
from hotline.transport.ami import AmiClient
from hotline.transport.ami_events import Subscription

# The events that leave a trace: a channel made, an Originate answered (failed before any
# channel existed), and the log-in's FullyBooted, which starts the watch.
TRACED_EVENTS: Final = ("Newchannel", "OriginateResponse", "FullyBooted")


class ChannelTraces:
    """The ids of the channels (and Originates) one AMI session saw, and since when it saw
    every one of them.

    ``connection`` counts the AMI connections begun (each has its own events), ``dropped`` the
    events the consumer's queue dropped: when either changes, the watch starts again.
    ``backlog`` is how many events wait in the consumer's queue, not yet noted."""

    def __init__(
        self,
        connection: Callable[[], int],
        dropped: Callable[[], int],
        backlog: Callable[[], int],
        clock: Callable[[], datetime],
        settings: WorkerSettings | None = None,
    ) -> None:
        self._connection = connection
        self._dropped = dropped
        self._backlog = backlog
        self._clock = clock
        settings = settings or WorkerSettings()
        self._keep = timedelta(seconds=settings.trace_keep_seconds)
        self._most = settings.trace_max_channels
        self._slack = timedelta(seconds=settings.clock_slack_seconds)
        self._catch_up = settings.trace_catch_up_seconds
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._current: tuple[int, int] | None = None
        self._since: datetime | None = None
        # The newest trace let go: nothing is vouched for before it.
        self._horizon: datetime | None = None

    @classmethod
    def of_session(
        cls,
        ami: AmiClient,
        events: Subscription,
        clock: Callable[[], datetime],
        settings: WorkerSettings | None = None,
    ) -> ChannelTraces:
        """The traces of what ``events`` (a subscription on ``ami`` taking the
        ``TRACED_EVENTS``) brings: its connections, its drops and its backlog."""
        return cls(
            lambda: ami.connection_count,
            lambda: events.dropped,
            events.queue.qsize,
            clock,
            settings,
        )

    def _watch(self, arrived: float = 0.0) -> tuple[datetime, datetime]:
        """Now, and when the unbroken watch began: if the session just changed, now, or when
        the connection's first event ``arrived`` (monotonic), all its events queued since."""
        now = self._clock()
        session = (self._connection(), self._dropped())
        if self._current is None or self._since is None or session != self._current:
            # A drop may have come after that event arrived: the watch starts now, then.
            same_drops = session[1] == (0 if self._current is None else self._current[1])
            late = time.monotonic() - arrived if arrived and same_drops else 0.0
            self._current, self._since = session, now - timedelta(seconds=max(late, 0.0))
        return now, self._since

    def watch(self, arrived: float = 0.0) -> None:
        """A connection's first event (its log-in's FullyBooted) was handled: if the
        connection is new, the watch starts from when that event ``arrived``."""
        self._watch(arrived)

    def take(self, event: AmiEvent) -> None:
        """One of the ``TRACED_EVENTS``: its channel (or Originate answer) noted, or, a
        log-in's FullyBooted, the watch (re)started from when it arrived."""
        if event.name == "Newchannel":
            self.note(event.uniqueid)
        elif event.name == "OriginateResponse":
            self.note(event.get("actionid"))
        elif event.name == "FullyBooted":
            self.watch(event.received_at)  # from the log-in, not the first call

    def note(self, channel_id: str) -> None:
        """A channel (or an Originate's answer) with this id was seen."""
        now, _ = self._watch()
        if not channel_id:
            return
        self._seen[channel_id] = now
        self._seen.move_to_end(channel_id)
        while self._seen:
            oldest_id, oldest = next(iter(self._seen.items()))
            if len(self._seen) <= self._most and now - oldest <= self._keep:
                break
            del self._seen[oldest_id]
            self._horizon = oldest if self._horizon is None else max(self._horizon, oldest)

    def seen(self, channel_id: str) -> bool:
        return channel_id in self._seen

    def never_reached(self, channel_id: str, written_at: datetime) -> bool:
        """True only if this session watched, without a gap, from before ``written_at`` (when
        the attempt was written, before its Originate could go) and saw nothing of it."""
        now, start = self._watch()
        if channel_id in self._seen:
            return False
        if self._horizon is not None:
            start = max(start, self._horizon)
        return start <= written_at - self._slack and now - written_at < self._keep

    async def caught_up(self, within: float | None = None) -> bool:
        """Wait until every event received before this call has been noted (the consumer's
        queue was empty at some moment since); False if it did not happen ``within`` seconds
        (default ``workers.trace_catch_up_seconds``)."""
        deadline = time.monotonic() + (self._catch_up if within is None else within)
        while self._backlog() > 0:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True
