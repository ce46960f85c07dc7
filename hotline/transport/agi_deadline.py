"""The read deadline of one FastAGI session: its header, then every reply, under one timer.

``asyncio.timeout()`` per read would allocate a Timeout, two coroutines and a timer-heap entry
every time, and cancelling the reading task means looking that task up per command (issue 19
item 2).  Here one timer per session stays armed and is only moved when it fires; a read that
outlives its deadline is failed through the stream itself (``StreamReader.set_exception``),
which wakes whichever task is reading.  The stream is useless after that, as a timed-out
session always was: it is closed.
"""

from __future__ import annotations

import asyncio
import time
from asyncio.base_events import BaseEventLoop
from collections.abc import Callable


class ReadExpired(Exception):
    """Set on the session's stream when a read outlives its deadline; the reader turns it
    into its own error (a dropped header, ``AgiTimeout``)."""


class ReadDeadline:
    """Callers set ``at`` (from ``clock()``), call ``arm_for()`` when it is earlier than the
    timer, and hold ``reading`` true exactly while awaiting the stream: the timer only fails
    a read in progress.  ``expired`` tells a read that completed in the same loop pass as the
    timer (the stream error was then set too late to reach it) that its deadline had passed."""

    __slots__ = ("_loop", "_reader", "at", "clock", "expired", "reading", "timer", "timer_at")

    def __init__(
        self, reader: asyncio.StreamReader, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        # The caller's loop if it has it: on Python 3.11 get_running_loop() makes a getpid()
        # system call each time (a fork check), and the server makes one of these per session.
        self._loop = asyncio.get_running_loop() if loop is None else loop
        self._reader = reader
        # The loop's clock, read twice per command: asyncio's default loop reads
        # time.monotonic() through a Python method; take the builtin itself where that holds.
        self.clock: Callable[[], float] = (
            time.monotonic if type(self._loop).time is BaseEventLoop.time else self._loop.time
        )
        self.at = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0
        self.reading = False
        self.expired = False

    def start(self, limit: float) -> None:
        """Before a read: due within ``limit`` seconds from now."""
        self.at = at = self.clock() + limit
        if self.timer is None or at < self.timer_at:
            self.arm_for(at)
        self.reading = True

    def arm_for(self, when: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self._loop.call_at(when, self._fire)
        self.timer_at = when

    def release(self) -> None:
        """Session over: drop the timer."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _fire(self) -> None:
        self.timer = None
        if not self.reading:
            return  # between reads; the next read arms the timer again
        if self.at > self.timer_at:
            self.arm_for(self.at)  # a later read moved the deadline on
            return
        self.expired = True
        self._reader.set_exception(ReadExpired())
