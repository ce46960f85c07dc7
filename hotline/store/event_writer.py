"""Call events written behind the caller's back, in batches.

Every key a caller presses produces two or three call-log events (the prompt, the digits, the
node).  Written one transaction each, they cost more than everything else the IVR does for
that key, and the caller waits for them before the next prompt starts.  These events are
statistics, not promises to the caller, so they are queued and one task commits them in
groups: after the first event of a batch it waits ``LINGER_SECONDS`` for more (``flush()``
ends the wait), then commits what has queued up in a single transaction.  Anything a caller
is told was accepted (a callback, a meter reading) is still committed before it is said, by
its own store; and the IVR flushes its events before it hands a call back to the dialplan,
so a finished IVR call is complete in the log.

A database that is down or locked does not lose them (issue 21: found by the soak): a batch
that fails for the database's sake stays in a bounded outbox, in order, and is written again
with back-off once the database answers; new events queue behind it.  ``flush()`` returns
once the events are committed or parked there, so a call never waits for the database to
come back.  Only beyond the outbox's bound (a long outage under load) are events lost, and
those are counted (``lost``, the ``hotline_call_events_lost`` metric) and logged.

An event whose call row is not written yet (the call tracker holds the row through an outage,
or its commit has not landed) is held for that row, not dropped: looked for again with
back-off and written once the row exists, up to ``held_writes.events_for_row_seconds``; then
it is logged (the call's uniqueid and the kinds, no values: digits are personal data) and
counted as lost.  Held events count against the outbox's bound.

What the outbox keeps for the database and what is held for a row is also spooled to local disk
(``hotline.store.held_spool``) before ``flush()`` returns, and deleted once committed: an engine
killed during an outage writes it at its next start, in order.  A replayed event is not written
twice (the spool's delete can come too late, after the commit): an event the call already has
(the same time, kind and value) is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import InterfaceError, OperationalError

from hotline.core.clock import utc_now
from hotline.core.metrics import CALL_EVENTS_LOST
from hotline.store.db import BATCH_ROWS, Database, batches
from hotline.store.enums import EventKind
from hotline.store.held_spool import CALL_EVENTS, HeldSpool
from hotline.store.models import Call, CallEvent

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hotline.settings import Settings

log = logging.getLogger(__name__)

MAX_BATCH: Final = 1000
# Group commit: after the first event of a batch, the events of the next LINGER_SECONDS join
# it (``flush()`` cuts the wait short).  Without it the writer committed whatever one turn
# of the loop had queued: at 320 callers pressing keys, a transaction every few events, and
# those transactions were a tenth of the engine's loop (issue 19 item 1).  Half a second, not
# the 50 ms it was: engine alone at 192 callers the writer went from 13.6 % of the loop's
# CPU to 7.7 % (runs 57-59).  Statistics only: what must be stored before a caller hears
# of it is not written here, and the call's end and the IVR's hand-back flush.
LINGER_SECONDS: Final = 0.5
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
# Rows per INSERT executemany: one statement per slice instead of the ORM's unit of work.
INSERT_ROWS: Final = 250
# How long events for a call row not written yet are held (held_writes.events_for_row_seconds),
# and the back-off between looks for their rows.
EVENTS_FOR_ROW_SECONDS: Final = 300.0
HELD_RETRY_FIRST: Final = 0.5
HELD_RETRY_MAX: Final = 10.0
# How long a batch waits for its calls' rows this process is writing (``follow_rows``):
# beyond it their events are held as for a row written elsewhere.
ROWS_WAIT_SECONDS: Final = 2.0
_CALLS: Final[Table] = Call.__table__  # type: ignore[assignment]
# Built once (a statement built per batch cost SQLAlchemy a new cache key each time).
_IDS_OF: Final = select(_CALLS.c.uniqueid, _CALLS.c.id).where(
    _CALLS.c.uniqueid.in_(bindparam("p_uniqueids", expanding=True))
)
_CALL_EVENTS: Final[Table] = CallEvent.__table__  # type: ignore[assignment]
_INSERT: Final = insert(_CALL_EVENTS)


@dataclass
class _Event:
    uniqueid: str
    kind: str
    value: str
    detail: dict[str, Any] | None
    at: datetime
    # Its key in the spool (None: not spooled; "": the spool refused it), and whether it
    # came back from the spool at start (then it may be committed already).
    key: str | None = None
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "uniqueid": self.uniqueid,
            "kind": self.kind,
            "value": self.value,
            "detail": self.detail,
            "at": self.at.isoformat(),
        }


@dataclass
class _Held:
    """A call's events waiting for its row, oldest first, since ``since`` (monotonic)."""

    since: float
    events: list[_Event] = field(default_factory=list)


class EventWriter:
    def __init__(
        self,
        db: Database,
        outbox_size: int = OUTBOX_SIZE,
        *,
        events_for_row_seconds: float = EVENTS_FOR_ROW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        spool: HeldSpool | None = None,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self._db = db
        self._linger = linger
        self._hurry = asyncio.Event()  # set by flush(): no lingering for the next batch
        # Bounded: if the store stalls, callers slow down instead of memory growing.
        self._queue: asyncio.Queue[_Event] = asyncio.Queue(QUEUE_SIZE)
        # Taken from the queue, not yet committed: the next batch, or what the database
        # refused last time (oldest first).
        self._outbox: deque[_Event] = deque()
        self._outbox_size = outbox_size
        self._call_ids: OrderedDict[str, str] = OrderedDict()
        self._queued = 0
        # Events still in the queue: their kinds, by call (``pending_for``).
        self._queued_calls: dict[str, Counter[str]] = {}
        self._done = 0
        self._progress = asyncio.Condition()
        self.lost = 0  # events given up on: the outbox was full, or a batch was bad
        # uniqueid -> events whose call row is not written yet (in the order they came).
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._held_count = 0
        self._held_seconds = events_for_row_seconds
        self._clock = clock
        self._held_due = 0.0  # when the held calls' rows are looked for again (clock)
        self._held_delay = HELD_RETRY_FIRST
        self._spool = spool
        self._given_up: list[_Event] = []  # expired held events, to delete from the spool
        self._away = False  # the last write was refused: new events are spooled as they come
        # This process's call rows still being written (``follow_rows``), waited for.
        self._rows_settled: Callable[[Collection[str], float], Awaitable[None]] | None = None

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> Self:
        return cls(
            db,
            events_for_row_seconds=settings.held_writes.events_for_row_seconds,
            spool=HeldSpool.from_settings(settings, CALL_EVENTS),
        )

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
        self._queued_calls.setdefault(uniqueid, Counter())[kind] += 1

    def follow_rows(self, settled: Callable[[Collection[str], float], Awaitable[None]]) -> None:
        """Wait (``settled``: ``CallRows.settled``) for this process's rows of a batch's calls
        before writing it: an event noted while its row is in the next batch of rows is then
        written with it, not held, spooled and logged as a row that may never come."""
        self._rows_settled = settled

    def remember_calls(self, ids: Mapping[str, str]) -> None:
        """Call ids (by uniqueid) just committed: a batch needs no look-up for them."""
        for uniqueid, call_id in ids.items():
            self._remember(uniqueid, call_id)

    @property
    def waiting(self) -> int:
        """Events kept in the outbox for the database to come back."""
        return len(self._outbox)

    @property
    def held(self) -> int:
        """Events held for a call row not written yet."""
        return self._held_count

    def pending_for(self, uniqueid: str, kinds: Collection[str] | None = None) -> bool:
        """Whether an event of this call (of these kinds) is not committed yet: queued, in
        the outbox (the batch being written stays there until its commit), or held for the
        call's row.  While the database is away, always (the outbox may be long to look
        through, and ``flush()`` then returns once the events are parked)."""

        def wanted(event: _Event) -> bool:
            return event.uniqueid == uniqueid and (kinds is None or event.kind in kinds)

        queued = self._queued_calls.get(uniqueid)
        held = self._held.get(uniqueid)
        return (
            self._away
            or (queued is not None and (kinds is None or any(k in kinds for k in queued)))
            or (held is not None and any(map(wanted, held.events)))
            or any(map(wanted, self._outbox))
        )

    async def flush_call(self, uniqueid: str, kinds: Collection[str] | None = None) -> None:
        """``flush()`` when an event of this call (of these kinds) is not committed yet; else
        at once.  A call's end waited for a batch of everyone's events: at 128 callers
        hanging up together, a transaction each (issue 19 item 1)."""
        if self.pending_for(uniqueid, kinds):
            await self.flush()

    async def flush(self) -> None:
        """Return once every event added before this call is committed, parked in the outbox
        for the database to come back, or given up on."""
        target = self._queued
        self._hurry.set()
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= target)

    async def run(self) -> None:
        """The writer task; cancel it to stop (after ``flush()`` for a clean stop)."""
        delay = RETRY_FIRST
        await self._restore()
        while True:
            wait: float | None = delay if self._outbox else None
            if self._held:  # look for the held events' rows again in time
                held_wait = max(self._held_due - self._clock(), 0.0)
                wait = held_wait if wait is None else min(wait, held_wait)
            if wait is None:
                self._take(await self._queue.get())
                await self._gather()
            else:  # a refused batch, or held events: wait, taking new events meanwhile
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        self._take(await self._queue.get())
            while not self._queue.empty():
                self._take(self._queue.get_nowait())
            self._expire_held()
            if self._given_up:
                await self._unspool(self._given_up)
                self._given_up.clear()
            if self._outbox or self._held_is_due():
                delay = await self._write_outbox(delay)
            if self._away:  # parked for the database: on disk before flush() returns
                await self._spool_new()
            self._done = self._queued - self._queue.qsize()
            async with self._progress:
                self._progress.notify_all()

    async def _gather(self) -> None:
        """Let the next ``linger`` seconds' events join the batch (one commit for a burst of
        keys), unless flush() asked for the events already queued."""
        if self._linger <= 0 or len(self._outbox) + self._queue.qsize() >= MAX_BATCH:
            return
        if not self._hurry.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._linger):
                    await self._hurry.wait()
        self._hurry.clear()

    def _take(self, event: _Event) -> None:
        queued = self._queued_calls.get(event.uniqueid)
        if queued is not None:  # always, for an event add() queued
            queued[event.kind] -= 1
            if queued[event.kind] <= 0:
                del queued[event.kind]
                if not queued:
                    del self._queued_calls[event.uniqueid]
        if len(self._outbox) + self._held_count >= self._outbox_size:
            self._lose(1, "the outbox is full")
            return
        self._outbox.append(event)

    def _lose(self, count: int, why: str) -> None:
        self.lost += count
        CALL_EVENTS_LOST.inc(count)
        log.error("call events lost: %d (%d in all): %s", count, self.lost, why)

    async def _restore(self) -> None:
        """Take back the events an earlier run spooled and did not commit, ahead of new ones."""
        if self._spool is None:
            return
        for key, row in await self._spool.entries():
            at = datetime.fromisoformat(row["at"])
            event = _Event(row["uniqueid"], row["kind"], row["value"], row["detail"], at)
            event.key, event.replayed = key, True
            self._outbox.append(event)
        if self._outbox:
            log.warning("call events: %d taken back from the spool", len(self._outbox))

    async def _spool_new(self) -> None:
        """Spool the outbox's events not spooled yet (its tail: the rest went before)."""
        fresh: list[_Event] = []
        for event in reversed(self._outbox):
            if event.key is not None:
                break
            fresh.append(event)
        await self._to_spool(fresh[::-1])

    async def _to_spool(self, events: list[_Event]) -> None:
        events = [event for event in events if event.key is None]
        if self._spool is None or not events:
            return
        keys = [uuid.uuid4().hex for _ in events]
        # The kinds only: the values hold digits and numbers.
        kinds = Counter(event.kind for event in events)
        what = f"{len(events)} call events ({', '.join(f'{k} x{n}' for k, n in kinds.items())})"
        spooled = await self._spool.put(
            zip(keys, (event.to_json() for event in events), strict=True), what
        )
        for event, key in zip(events, keys, strict=True):
            event.key = key if spooled else ""

    async def _unspool(self, events: list[_Event]) -> None:
        if self._spool is not None:
            await self._spool.delete(event.key for event in events if event.key)

    def _held_is_due(self) -> bool:
        return bool(self._held) and self._clock() >= self._held_due

    def _expire_held(self) -> None:
        """Give up on the calls whose row has not come within the bound."""
        oldest = self._clock() - self._held_seconds
        while self._held:
            uniqueid, held = next(iter(self._held.items()))
            if held.since > oldest:
                return
            del self._held[uniqueid]
            self._given_up.extend(held.events)
            self._held_count -= len(held.events)
            kinds = Counter(event.kind for event in held.events)
            # The uniqueid and the kinds only: the values hold digits and numbers.
            self._lose(
                len(held.events),
                f"no call row for {uniqueid} within {self._held_seconds:g} s "
                f"({', '.join(f'{kind} x{n}' for kind, n in sorted(kinds.items()))})",
            )

    async def _write_outbox(self, delay: float) -> float:
        """One batch from the outbox's head, with the held events whose row now exists; the
        next back-off."""
        batch = [self._outbox[i] for i in range(min(MAX_BATCH, len(self._outbox)))]
        if self._rows_settled is not None:
            unknown_calls = {e.uniqueid for e in batch} - self._call_ids.keys()
            if unknown_calls:
                await self._rows_settled(unknown_calls, ROWS_WAIT_SECONDS)
        look_held = self._held_is_due()
        try:
            released, unknown = await self._write(batch, look_held)
        except TRANSIENT as exc:
            self._away = True
            if look_held:  # the held calls' rows are looked for again later, not at once
                self._held_delay = min(self._held_delay * 2, HELD_RETRY_MAX)
                self._held_due = self._clock() + self._held_delay
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
            released, unknown = [], []
        self._away = False
        for _ in batch:
            self._outbox.popleft()
        still = {id(event) for event in unknown}
        written = [event for u in released for event in self._held[u].events]
        written += [event for event in batch if id(event) not in still]
        self._settle_held(released, unknown, look_held)
        await self._unspool(written)
        await self._to_spool(unknown)  # held for their row: on disk too
        return RETRY_FIRST

    def _settle_held(self, released: list[str], unknown: list[_Event], looked: bool) -> None:
        """After a commit: forget the held calls whose events were written, hold the events
        that found no row, and schedule the next look."""
        for uniqueid in released:
            held = self._held.pop(uniqueid, None)
            if held is not None:
                self._held_count -= len(held.events)
        now = self._clock()
        for event in unknown:
            held = self._held.get(event.uniqueid)
            if held is None:
                held = self._held[event.uniqueid] = _Held(since=now)
                log.warning(
                    "call events for %s kept until its call row is written", event.uniqueid
                )
            held.events.append(event)
            self._held_count += 1
        if released:
            self._held_delay = HELD_RETRY_FIRST
        elif looked:
            self._held_delay = min(self._held_delay * 2, HELD_RETRY_MAX)
        if looked or unknown:
            self._held_due = now + self._held_delay

    async def _write(self, batch: list[_Event], look_held: bool) -> tuple[list[str], list[_Event]]:
        """Commit ``batch`` with the held events whose row now exists (all held calls are
        looked for when ``look_held``, else those the batch names); returns the held calls
        written and the batch's events that found no row.  Nothing is changed here in the
        writer's own state but the call-id cache: a refused commit changes nothing."""
        wanted = {e.uniqueid for e in batch}
        if look_held:
            wanted |= self._held.keys()
        # This write's own map: the bounded cache may drop a call this write still needs.
        ids = {u: self._call_ids[u] for u in wanted if u in self._call_ids}
        async with self._db.session() as session:
            for some in batches(sorted(wanted - ids.keys()), BATCH_ROWS):
                found = await session.execute(_IDS_OF, {"p_uniqueids": some})
                for uniqueid, call_id in found:
                    ids[uniqueid] = call_id
                    self._remember(uniqueid, call_id)
            released = [u for u in self._held if u in ids]
            # A held call's earlier events first, then the batch's (the order they came).
            events = [e for u in released for e in self._held[u].events]
            unknown: list[_Event] = []
            for event in batch:
                if event.uniqueid in ids:
                    events.append(event)
                else:
                    unknown.append(event)
            rows = [
                {
                    "call_id": ids[e.uniqueid],
                    "at": e.at,
                    "kind": e.kind,
                    "value": e.value,
                    "detail": e.detail,
                }
                for e in events
            ]
            if any(e.replayed for e in events):
                rows = await self._not_written(session, rows, events)
            for chunk in batches(rows, INSERT_ROWS):
                # The table's INSERT (Core executemany), not the entity's: the ORM's bulk
                # insert spent Python per row on the loop the callers' keys wait for (issue 19).
                await session.execute(_INSERT, chunk)
        return released, unknown

    @staticmethod
    async def _not_written(
        session: AsyncSession, rows: list[dict[str, Any]], events: list[_Event]
    ) -> list[dict[str, Any]]:
        """``rows`` less the replayed events the call already has (committed by the run that
        spooled them, killed before it deleted them from the spool)."""
        calls = {row["call_id"] for row, e in zip(rows, events, strict=True) if e.replayed}
        have: set[tuple[str, datetime, str, str]] = set()
        for some in batches(sorted(calls), BATCH_ROWS):
            found = await session.execute(
                select(CallEvent.call_id, CallEvent.at, CallEvent.kind, CallEvent.value).where(
                    CallEvent.call_id.in_(some)
                )
            )
            have.update((c, at, kind, value) for c, at, kind, value in found)
        return [
            row
            for row, e in zip(rows, events, strict=True)
            if not e.replayed or (row["call_id"], e.at, e.kind, e.value) not in have
        ]

    def _remember(self, uniqueid: str, call_id: str) -> None:
        self._call_ids[uniqueid] = call_id
        self._call_ids.move_to_end(uniqueid)
        while len(self._call_ids) > KNOWN_CALLS:
            self._call_ids.popitem(last=False)
