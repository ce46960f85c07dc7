"""Call events written behind the caller's back, in batches.

Every key a caller presses produces two or three call-log events (the prompt, the digits, the
node).  Written one transaction each, they cost more than everything else the IVR does for
that key, and the caller waits for them before the next prompt starts.  These events are
statistics, not promises to the caller, so they are queued and one task commits whatever has
queued up in a single transaction.  Anything a caller is told was accepted (a callback, a
meter reading) is still committed before it is said, by its own store; and the IVR flushes
its events before it hands a call back to the dialplan, so a finished IVR call is complete
in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select

from hotline.core.clock import utc_now
from hotline.store.db import Database
from hotline.store.enums import EventKind
from hotline.store.models import Call, CallEvent

log = logging.getLogger(__name__)

MAX_BATCH: Final = 1000
QUEUE_SIZE: Final = 20_000
# uniqueid -> call id of recent calls, so a batch rarely needs to look one up.
KNOWN_CALLS: Final = 4096


@dataclass(frozen=True)
class _Event:
    uniqueid: str
    kind: str
    value: str
    detail: dict[str, Any] | None
    at: datetime


class EventWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Bounded: if the store stalls, callers slow down instead of memory growing.
        self._queue: asyncio.Queue[_Event] = asyncio.Queue(QUEUE_SIZE)
        self._call_ids: OrderedDict[str, str] = OrderedDict()
        self._queued = 0
        self._done = 0
        self._progress = asyncio.Condition()

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

    async def flush(self) -> None:
        """Return once every event added before this call is committed (or given up on)."""
        target = self._queued
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= target)

    async def run(self) -> None:
        """The writer task; cancel it to stop (after ``flush()`` for a clean stop)."""
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except Exception:
                # Statistics only: losing a batch must not stop the IVR or its later events.
                log.exception("call events lost: %d could not be written", len(batch))
            self._done += len(batch)
            async with self._progress:
                self._progress.notify_all()

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
