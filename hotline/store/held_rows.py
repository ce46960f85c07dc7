"""Rows a tracker's store refused while it was away, written again once it is back (issue 21).

The queue tracker's and the voice-quality tracker's rows were written once, and a refused
write was logged and lost ("queue tracker failed on AgentConnect"): the KPIs then missed the
calls of every outage.  Such a row is now held, in order, and spooled to local disk
(``hotline.store.held_spool``) before the tracker goes on; a task writes the held rows again
with back-off (0.5 s doubling to 10 s) and, at start, what an engine killed during an outage
spooled.  A row written again is written once: ``write(row, again=True)`` looks for it first
(the kill can come between the commit and the spool's delete).  A row the store refuses for
another reason than being away (a constraint, bad data) would be refused forever: it is
logged and dropped, not retried.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, Final, Generic, TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError

from hotline.store.db import STORE_ERRORS
from hotline.store.held_spool import HeldSpool

log = logging.getLogger(__name__)

RETRY_FIRST: Final = 0.5
RETRY_MAX: Final = 10.0
# "Not now" (the store down, locked, the connection lost): tried again; anything else of the
# store's errors is the row's own fault.
AWAY: Final = (OperationalError, InterfaceError, OSError, TimeoutError)

Row = TypeVar("Row")


class Kept(StrEnum):
    """What became of a row given to :meth:`HeldRows.add`: a caller that answers a person
    (the console) must not call a row saved that is only held."""

    WRITTEN = "written"  # committed
    SPOOLED = "spooled"  # held, on local disk: written once the store is back
    IN_MEMORY = "in_memory"  # held, but the spool is full or failed: lost if the process dies


class HeldRows(Generic[Row]):
    def __init__(
        self,
        what: str,
        spool: HeldSpool | None,
        write: Callable[[Row, bool], Awaitable[None]],
        to_json: Callable[[Row], dict[str, Any]],
        from_json: Callable[[dict[str, Any]], Row],
        write_many: Callable[[list[Row]], Awaitable[None]] | None = None,
    ) -> None:
        """``what``: the rows' name in the log (no personal data: the spool holds that).
        Without a ``spool`` nothing is held: a refused write raises to the caller (the
        writers' plain form, the CLI's and the tests').  ``write_many``: new rows in one
        transaction, for :meth:`add_many` (held rows are written again one by one)."""
        self._what = what
        self._spool = spool
        self._write = write
        self._write_many = write_many
        self._to_json = to_json
        self._from_json = from_json
        self._held: deque[tuple[str, Row]] = deque()
        self._wake = asyncio.Event()
        self._spooling = asyncio.Lock()

    @property
    def held(self) -> int:
        return len(self._held)

    async def add(self, row: Row) -> Kept:
        """Write ``row``, or hold it (on disk first) while the store is away or rows are
        still held before it (they keep their order)."""
        if self._spool is None:
            await self._write(row, False)
            return Kept.WRITTEN
        if not self._held:
            try:
                await self._write(row, False)
                return Kept.WRITTEN
            except STORE_ERRORS as exc:
                log.warning("%s kept for the store: %s", self._what, type(exc).__name__)
        key = uuid.uuid4().hex
        async with self._spooling:  # not while the spool is read back at start
            spooled = await self._spool.put([(key, self._to_json(row))], f"a {self._what}")
            self._held.append((key, row))
        self._wake.set()
        return Kept.SPOOLED if spooled else Kept.IN_MEMORY

    async def add_many(self, rows: list[Row]) -> Kept:
        """:meth:`add` for several rows in one transaction (``write_many``): all written, or
        all held in order.  A row of the batch the store refuses for its own sake is dropped
        (logged) when the held rows are written again one by one; the others are kept."""
        if self._write_many is None or len(rows) < 2:
            kept = Kept.WRITTEN
            for row in rows:
                kept = await self.add(row)
            return kept
        if self._spool is None:
            await self._write_many(rows)
            return Kept.WRITTEN
        if not self._held:
            try:
                await self._write_many(rows)
                return Kept.WRITTEN
            except STORE_ERRORS as exc:
                log.warning(
                    "%d rows (%s) kept for the store: %s",
                    len(rows),
                    self._what,
                    type(exc).__name__,
                )
        keyed = [(uuid.uuid4().hex, row) for row in rows]
        async with self._spooling:
            entries = [(key, self._to_json(row)) for key, row in keyed]
            spooled = await self._spool.put(entries, f"{len(rows)} rows: {self._what}")
            self._held.extend(keyed)
        self._wake.set()
        return Kept.SPOOLED if spooled else Kept.IN_MEMORY

    async def write_held(self) -> None:
        """Write the held rows in order; raises (one of ``AWAY``) while the store is away."""
        if self._spool is None:
            return  # nothing is held without one
        while self._held:
            key, row = self._held[0]
            try:
                await self._write(row, True)
            except AWAY:
                raise
            except Exception:  # its own fault: refused again forever, and would stop the rest
                log.exception("a held %s could not be written: dropped", self._what)
            self._held.popleft()
            await self._spool.delete([key])

    async def run(self) -> None:
        """Take back what an earlier run spooled, then write whatever is held, with back-off
        while the store is away.  Cancel it to stop (what is held stays spooled)."""
        if self._spool is None:
            return
        # Rows held meanwhile are spooled too: taken back are the others, older, first.
        async with self._spooling:
            holding = {key for key, _row in self._held}
            entries = await self._spool.entries()
            back = [(k, self._from_json(p)) for k, p in entries if k not in holding]
            self._held.extendleft(reversed(back))
        if back:
            log.warning("%d %s rows taken back from the spool", len(back), self._what)
        delay = RETRY_FIRST
        while True:
            if not self._held:
                self._wake.clear()
                await self._wake.wait()
            try:
                await self.write_held()
            except AWAY:
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = RETRY_FIRST
            log.info("held %s rows written", self._what)
