"""The read deadline of one FastAGI session: its header, then every reply.

``asyncio.timeout()`` per read would allocate a Timeout, two coroutines and a timer-heap entry
every time, and cancelling the reading task means looking that task up per command (issue 19
item 2).  A read that outlives its deadline is failed through the stream itself
(``StreamReader.set_exception``), which wakes whichever task is reading.  The stream is useless
after that, as a timed-out session always was: it is closed.

The server's sessions share one :class:`DeadlineSweeper`: a task that looks at every session's
deadline each ``SWEEP_SECONDS`` while there are sessions, so a read fails up to that much after
its deadline.  A timer per session cost a timer handle, a push on the loop's heap and a cancel
per call, 3-4 µs of the session's 106 on the loop (issue 19 item 2); AGI's deadlines are
seconds long.  A deadline made without a sweeper (an ``AgiCall`` outside the server) keeps a
timer of its own, moved only when it fires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from asyncio.base_events import BaseEventLoop
from collections.abc import Callable
from typing import Final

log = logging.getLogger("hotline.transport.fastagi")  # the server's logger

# How often the sweeper looks at the deadlines: the most a timed-out read is failed late.
SWEEP_SECONDS: Final = 0.1


def loop_clock(loop: asyncio.AbstractEventLoop) -> Callable[[], float]:
    """The loop's clock, read twice per command: asyncio's default loop reads
    time.monotonic() through a Python method; the builtin itself where that holds."""
    return time.monotonic if type(loop).time is BaseEventLoop.time else loop.time


class ReadExpired(Exception):
    """Set on the session's stream when a read outlives its deadline; the reader turns it
    into its own error (a dropped header, ``AgiTimeout``)."""


class ReadDeadline:
    """Callers set ``at`` (from ``clock()``), call ``arm_for()`` when it is earlier than
    ``timer_at``, and hold ``reading`` true exactly while awaiting the stream: the deadline only
    fails a read in progress.  ``expired`` tells a read that completed in the same loop pass
    as the deadline passed (the stream error was then set too late to reach it) that its
    deadline had passed.  With a sweeper, ``timer_at`` is minus infinity: nothing is armed."""

    __slots__ = (
        "_loop",
        "_reader",
        "_sweeper",
        "at",
        "clock",
        "expired",
        "reading",
        "timer",
        "timer_at",
    )

    def __init__(
        self,
        reader: asyncio.StreamReader,
        loop: asyncio.AbstractEventLoop | None = None,
        sweeper: DeadlineSweeper | None = None,
    ) -> None:
        self._reader = reader
        self.at = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.reading = False
        self.expired = False
        if sweeper is not None and not sweeper.closed:  # the server's sessions: no timer
            self._sweeper: DeadlineSweeper | None = sweeper
            self._loop = sweeper.loop
            self.clock = sweeper.clock
            self.timer_at = -math.inf
            sweeper.deadlines.add(self)
            if sweeper.task is None:
                sweeper.start()
            return
        self._sweeper = None
        # The caller's loop if it has it: on Python 3.11 get_running_loop() makes a getpid()
        # system call each time (a fork check).
        self._loop = asyncio.get_running_loop() if loop is None else loop
        self.clock = loop_clock(self._loop)
        # When the armed timer fires; infinity when none is armed (the next read arms one).
        self.timer_at = math.inf

    def start(self, limit: float) -> None:
        """Before a read: due within ``limit`` seconds from now."""
        self.at = at = self.clock() + limit
        if at < self.timer_at:
            self.arm_for(at)
        self.reading = True

    def arm_for(self, when: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self._loop.call_at(when, self._fire)
        self.timer_at = when

    def release(self) -> None:
        """Session over: drop the timer, or leave the sweeper."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.timer_at = math.inf
        if self._sweeper is not None:
            self._sweeper.deadlines.discard(self)

    def expire(self) -> None:
        """The deadline has passed during a read: fail it."""
        self.expired = True
        self._reader.set_exception(ReadExpired())

    def _fire(self) -> None:
        fired_at, self.timer, self.timer_at = self.timer_at, None, math.inf
        if not self.reading:
            return  # between reads; the next read arms the timer again
        if self.at > fired_at:
            self.arm_for(self.at)  # a later read moved the deadline on
            return
        self.expire()


class DeadlineSweeper:
    """The read deadlines of a server's sessions, looked at by one task every
    ``SWEEP_SECONDS`` while any session is open; the server owns it and closes it when it
    stops."""

    def __init__(self, loop: asyncio.AbstractEventLoop, period: float = SWEEP_SECONDS) -> None:
        # Read and written by ReadDeadline as it is made and released (a method call less
        # each, per session).
        self.loop = loop
        self.clock = loop_clock(loop)
        self.deadlines: set[ReadDeadline] = set()
        self.task: asyncio.Task[None] | None = None
        self.closed = False
        self._period = period

    def start(self) -> None:
        """Look at the deadlines until none is left (a deadline made then starts it again)."""
        self.task = self.loop.create_task(self._sweep(), name="fastagi-deadlines")

    async def close(self) -> None:
        """Stop looking (after the server's sessions ended: a read still open then has no
        deadline)."""
        self.closed = True
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _sweep(self) -> None:
        try:
            while self.deadlines:
                await asyncio.sleep(self._period)
                now = self.clock()
                due = [d for d in self.deadlines if d.reading and not d.expired and d.at <= now]
                for deadline in due:
                    try:
                        deadline.expire()
                    except Exception:  # one session's stream must not end every deadline
                        log.exception("FastAGI: could not fail a read past its deadline")
        finally:
            if self.task is asyncio.current_task():
                self.task = None
