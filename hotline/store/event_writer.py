"""Call events written behind the caller's back, in batches.

Every key a caller presses produces two or three call-log events (the prompt, the digits, the
node).  Written one transaction each, they cost more than everything else the IVR does for
that key, and the caller waits for them before the next prompt starts.  These events are
statistics, not promises to the caller, so they are queued and one task commits whatever has
queued up in a single transaction.  Anything a caller is told was accepted (a callback, a
meter reading) is still committed before it is said, by its own store; and the IVR flushes
its events before it hands a call back to the dialplan, so a finished IVR call is complete
in the log.

A database that is down or locked does not lose them (issue 21: found by the soak): a batch
that fails for the database's sake stays in a bounded outbox, in order, and is written again
with back-off once the database answers; new events queue behind it.  ``flush()`` returns
once the events are committed or parked there, so a call never waits for the database to
come back.  Only beyond the outbox's bound (a long outage under load) are events lost, and
those are counted (``lost``, the ``hotline_call_events_lost`` metric) and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from hotline.core.clock import utc_now
from hotline.core.metrics import CALL_EVENTS_LOST
from hotline.store.db import Database
from hotline.store.enums import EventKind
from hotline.store.models import Call, CallEvent

log = logging.getLogger(__name__)

MAX_BATCH: Final = 1000
QUEUE_SIZE: Final = 20_000
# uniqueid -> call id of recent calls, so a batch rarely needs to look one up.
KNOWN_CALLS: Final = 4096
# Events kept while the database is away (then counted as lost), and the back-off between
# attempts to write them.
OUTBOX_SIZE: Final = 50_000
RETRY_FIRST: Final = 0.5
RETRY_MAX: Final = 10.0
# Database errors that mean "not now" (down, locked, connection lost), worth another try.
TRANSIENT: Final = (OperationalError, InterfaceError, OSError, TimeoutError)


@dataclass(frozen=True)
class _Event:
    uniqueid: str
    kind: str
    value: str
    detail: dict[str, Any] | None
    at: datetime


class EventWriter:
    def __init__(self, db: Database, outbox_size: int = OUTBOX_SIZE) -> None:
        self._db = db
        # Bounded: if the store stalls, callers slow down instead of memory growing.
        self._queue: asyncio.Queue[_Event] = asyncio.Queue(QUEUE_SIZE)
        # Taken from the queue, not yet committed: the next batch, or what the database
        # refused last time (oldest first).
        self._outbox: deque[_Event] = deque()
        self._outbox_size = outbox_size
        self._call_ids: OrderedDict[str, str] = OrderedDict()
        self._queued = 0
        self._done = 0
        self._progress = asyncio.Condition()
        self.lost = 0  # events given up on: the outbox was full, or a batch was bad

    async def add(
        self,
        uniqueid: str,
        kind: EventKind,
        value: str,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        await self._queue.put(_Event(uniqueid, kind, value, detail, at or utc_now()))
        self._queued += 1

    @property
    def waiting(self) -> int:
        """Events kept in the outbox for the database to come back."""
        return len(self._outbox)

    async def flush(self) -> None:
        """Return once every event added before this call is committed, parked in the outbox
        for the database to come back, or given up on."""
        target = self._queued
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= target)

    async def run(self) -> None:
        """The writer task; cancel it to stop (after ``flush()`` for a clean stop)."""
        delay = RETRY_FIRST
        while True:
            if not self._outbox:
                self._take(await self._queue.get())
            else:  # the database refused the last batch: wait, taking new events meanwhile
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        self._take(await self._queue.get())
            while not self._queue.empty():
                self._take(self._queue.get_nowait())
            delay = await self._write_outbox(delay)
            self._done = self._queued - self._queue.qsize()
            async with self._progress:
                self._progress.notify_all()

    def _take(self, event: _Event) -> None:
        if len(self._outbox) >= self._outbox_size:
            self._lose(1, "the outbox is full")
            return
        self._outbox.append(event)

    def _lose(self, count: int, why: str) -> None:
        self.lost += count
        CALL_EVENTS_LOST.inc(count)
        log.error("call events lost: %d (%d in all): %s", count, self.lost, why)

    async def _write_outbox(self, delay: float) -> float:
        """One batch from the outbox's head; the next back-off."""
        batch = [self._outbox[i] for i in range(min(MAX_BATCH, len(self._outbox)))]
        try:
            await self._write(batch)
        except TRANSIENT as exc:
            if delay == RETRY_FIRST:
                log.warning(
                    "call events kept for the database (%d waiting): %s",
                    len(self._outbox),
                    type(exc).__name__,
                )
            return min(delay * 2, RETRY_MAX)
        except Exception:
            # Not the database being away but a bad batch: writing it again would fail again.
            log.exception("call events: a batch of %d could not be written", len(batch))
            self._lose(len(batch), "the batch was refused")
        for _ in batch:
            self._outbox.popleft()
        return RETRY_FIRST

    async def _write(self, batch: list[_Event]) -> None:
        async with self._db.session() as session:
            missing = {e.uniqueid for e in batch} - self._call_ids.keys()
            if missing:
                rows = await session.execute(
                    select(Call.uniqueid, Call.id).where(Call.uniqueid.in_(missing))
                )
                for uniqueid, found_id in rows:
                    self._remember(uniqueid, found_id)
            events = []
            for event in batch:
                call_id = self._call_ids.get(event.uniqueid)
                if call_id is None:
                    log.warning("event %s for unknown call %s dropped", event.kind, event.uniqueid)
                    continue
                events.append(
                    CallEvent(
                        call_id=call_id,
                        at=event.at,
                        kind=event.kind,
                        value=event.value,
                        detail=event.detail,
                    )
                )
            session.add_all(events)

    def _remember(self, uniqueid: str, call_id: str) -> None:
        self._call_ids[uniqueid] = call_id
        self._call_ids.move_to_end(uniqueid)
        while len(self._call_ids) > KNOWN_CALLS:
            self._call_ids.popitem(last=False)
