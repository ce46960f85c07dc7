"""The call rows of a burst of calls in one statement (issue 19 item 1).

128 callers arriving in one second each opened their call row (the IVR's and the call
tracker's, one uniqueid, both upserts) in its own transaction through the ORM: a third of the
engine's busy samples in that second were SQLAlchemy building and flushing those, beside the
callers' keys on the same loop.  Here a row asked for while an earlier batch is being written
waits for the next batch, and a batch is one multi-row ``INSERT .. ON CONFLICT DO UPDATE ..
RETURNING`` through Core, in one transaction (group commit: a lone call waits for no timer, a
burst pays one statement per batch).  Every ``open()`` returns only once its row is committed,
so what the callers rely on (the row before its events, its id to the dialplan) holds.

The batched event writer learns each committed row's id here (``written``) and waits for the
rows still being written (``settled``) before it writes their calls' events: an IVR notes its
first events while its row is in the next batch, and under load those events found no row,
were held, spooled to disk and logged, for every other call (issue 19 item 1).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import (
    Integer,
    Select,
    Table,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import InterfaceError, OperationalError

from hotline.core.errors import NotFound
from hotline.store.db import Database, dialect_insert
from hotline.store.enums import EventKind
from hotline.store.models import Call, CallEvent

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


CALLS: Final[Table] = Call.__table__  # type: ignore[assignment]
CALL_EVENTS: Final[Table] = CallEvent.__table__  # type: ignore[assignment]
# What the first end of a call returns (``CallLog.ended``): its direction, and what the
# webhook event of an inbound call's end reports, so that event needs no second read.
ENDED_COLUMNS: Final = (
    CALLS.c.direction,
    CALLS.c.id,
    CALLS.c.uniqueid,
    CALLS.c.caller,
    CALLS.c.simulated,
    CALLS.c.started_at,
    CALLS.c.answered_at,
    CALLS.c.ended_at,
    CALLS.c.outcome,
    CALLS.c.hangup_cause,
    CALLS.c.operator_reason,
)
# Rows per statement: 10 columns each stays far below SQLite's bound on parameters.
MAX_ROWS: Final = 200
# Rows this process committed, kept to answer a later open that would change nothing (the
# IVR opens the row the call tracker opened a moment before): the newest, by uniqueid.
COMMITTED_KEPT: Final = 4096
# The fields an upsert fills only where the row has none.
_FILLED: Final = ("linkedid", "channel", "caller", "callee", "node")
# The database did not take the statement at all (down, locked, connection lost): every row
# of the batch shares that fate.  Anything else may be one row's value, tried alone then.
_AWAY: Final = (OperationalError, InterfaceError, OSError, TimeoutError)
# The call row upsert by dialect name (:func:`upsert_statement`).
_UPSERTS: dict[str, Any] = {}


class UnknownCall(NotFound):
    """No call with this uniqueid (or call id) is in the log."""


@dataclass
class _Row:
    values: dict[str, Any]
    # Done when the write ended, whichever way (``CallRows.settled``).
    ended: asyncio.Future[None]
    waiters: list[asyncio.Future[str]] = field(default_factory=list)

    def merge(self, later: Mapping[str, Any]) -> None:
        """A second open of the same call in the same batch, as the upsert would take it
        (PostgreSQL refuses one statement touching a row twice)."""
        _merge(self.values, later)


def _merge(values: dict[str, Any], later: Mapping[str, Any]) -> None:
    """``later``'s open taken into ``values`` as the upsert takes it: empty fields filled,
    simulated if either says so, the earliest start, the first direction."""
    for name in _FILLED:
        if values[name] is None:
            values[name] = later[name]
    values["simulated"] = values["simulated"] or later["simulated"]
    values["started_at"] = min(values["started_at"], later["started_at"])


def upsert_statement(db: Database) -> Any:
    """The statement recording call rows (or finding them again), executed with the rows as
    its parameters; returns (uniqueid, id).  Built once per dialect: with the rows as its
    parameter list SQLAlchemy's "insertmanyvalues" writes a batch as one multi-row VALUES,
    and the compiled statement comes from its cache.  Built per batch with
    ``.values(rows)`` it was built and compiled anew every time (1 ms of CPU per call row
    on this machine, the one uncached statement of an IVR call; issue 19 item 1)."""
    name = db.engine.dialect.name
    statement = _UPSERTS.get(name)
    if statement is None:
        statement = _UPSERTS[name] = _upsert(dialect_insert(db))
    return statement


def _upsert(dialect_insert: Any) -> Any:
    insert = dialect_insert(CALLS)
    new, old = insert.excluded, CALLS.c
    return insert.on_conflict_do_update(
        index_elements=[old.uniqueid],
        set_={
            "linkedid": func.coalesce(old.linkedid, new.linkedid),
            "channel": func.coalesce(old.channel, new.channel),
            "caller": func.coalesce(old.caller, new.caller),
            "callee": func.coalesce(old.callee, new.callee),
            "simulated": or_(old.simulated, new.simulated),
            "node": func.coalesce(old.node, new.node),
            "started_at": case(
                (new.started_at < old.started_at, new.started_at), else_=old.started_at
            ),
        },
    ).returning(old.uniqueid, old.id)


def row_values(
    *,
    call_id: str,
    uniqueid: str,
    direction: Any,
    started_at: datetime,
    linkedid: str | None,
    channel: str | None,
    caller: str | None,
    callee: str | None,
    simulated: bool,
    node: str | None,
) -> dict[str, Any]:
    """A call row's values, every key present (a multi-row VALUES needs the same keys)."""
    return {
        "id": call_id,
        "direction": direction,
        "uniqueid": uniqueid,
        "linkedid": linkedid,
        "channel": channel,
        "caller": caller,
        "callee": callee,
        "simulated": simulated,
        "started_at": started_at,
        "node": node,
    }


class CallRows:
    """Group commit of call rows for one :class:`~hotline.store.calllog.CallLog`."""

    def __init__(
        self,
        db: Database,
        max_rows: int = MAX_ROWS,
        *,
        written: Callable[[Mapping[str, str]], None] | None = None,
    ) -> None:
        """``written``: told the call ids (by uniqueid) of every batch committed."""
        self._db = db
        self._max_rows = max_rows
        self._written = written
        self._pending: dict[str, _Row] = {}  # by uniqueid, in the order asked
        self._unsettled: dict[str, _Row] = {}  # the newest row of each call not yet written
        # Rows committed by this process, every open of a call merged, with the call's id
        # (the newest COMMITTED_KEPT).
        self._committed: dict[str, dict[str, Any]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def settled(self, uniqueids: Collection[str], seconds: float) -> None:
        """Return once no row of these calls is waiting for its batch or being written, or
        after ``seconds``; never raises for a row that failed."""
        ends = [row.ended for u in uniqueids if (row := self._unsettled.get(u)) is not None]
        if ends:
            await asyncio.wait(ends, timeout=seconds)

    async def open(self, values: dict[str, Any]) -> str:
        """Write the row (or find it again) with the next batch; its call id.  A row this
        process committed already, to which ``values`` add nothing the upsert would keep,
        is not written again (issue 19 item 1: the IVR's open of every inbound call, a
        transaction of 0.6 ms of CPU, after the call tracker's)."""
        uniqueid = values["uniqueid"]
        known = self._committed.get(uniqueid)
        if known is not None and uniqueid not in self._unsettled and _adds_nothing(known, values):
            return str(known["id"])
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[str] = loop.create_future()
        row = self._pending.get(uniqueid)
        if row is None:
            row = self._pending[uniqueid] = _Row(dict(values), loop.create_future())
            self._unsettled[uniqueid] = row
        else:
            row.merge(values)
        row.waiters.append(waiter)
        if self._writer is None:
            # Started on the loop's next turn: every open() of this turn joins the batch.
            self._writer = asyncio.ensure_future(self._write_all())
        return await waiter

    async def _write_all(self) -> None:
        batch: list[_Row] = []
        try:
            while self._pending:
                names = list(self._pending)[: self._max_rows]
                batch = [self._pending.pop(name) for name in names]
                await self._write(batch)
                batch = []
        finally:
            self._writer = None
            # Cancelled (the engine stops): no waiter is left hanging.
            for row in (*batch, *self._pending.values()):
                for waiter in row.waiters:
                    waiter.cancel()
                self._ended(row)
            self._pending.clear()

    def _ended(self, row: _Row) -> None:
        if not row.ended.done():
            row.ended.set_result(None)
        uniqueid = row.values["uniqueid"]
        if self._unsettled.get(uniqueid) is row:
            del self._unsettled[uniqueid]

    async def _write(self, batch: list[_Row]) -> None:
        try:
            ids = await self._statement([row.values for row in batch])
        except Exception as exc:
            if len(batch) > 1 and not isinstance(exc, _AWAY):
                # One bad row (a value the database refuses) must not cost the others theirs.
                for row in batch:
                    await self._write([row])
                return
            for row in batch:
                _settle(row, exc)
                self._ended(row)
            return
        if self._written is not None:
            self._written(ids)
        for row in batch:
            call_id = ids[row.values["uniqueid"]]
            self._remember(row.values, call_id)
            _settle(row, call_id)
            self._ended(row)

    def _remember(self, values: dict[str, Any], call_id: str) -> None:
        """What the row holds at least: every open this process committed, merged."""
        uniqueid = values["uniqueid"]
        known = self._committed.pop(uniqueid, None)  # the newest last: the oldest go first
        if known is None:
            known = {**values, "id": call_id}
        else:
            _merge(known, values)
        self._committed[uniqueid] = known
        while len(self._committed) > COMMITTED_KEPT:
            del self._committed[next(iter(self._committed))]

    async def _statement(self, rows: list[dict[str, Any]]) -> dict[str, str]:
        async with self._db.session() as session:
            result = await session.execute(upsert_statement(self._db), rows)
            return {uniqueid: call_id for uniqueid, call_id in result}


def _adds_nothing(written: Mapping[str, Any], later: Mapping[str, Any]) -> bool:
    """Whether the upsert of ``later`` would leave a row this process wrote as ``written``
    as it is: the row has (at least) every field ``later`` fills, it is simulated if
    ``later`` is, and it started no later (the stored start is the earliest of those written,
    so at most ``written``'s)."""
    return (
        all(later[name] is None or written[name] is not None for name in _FILLED)
        and (written["simulated"] or not later["simulated"])
        and written["started_at"] <= later["started_at"]
    )


def _settle(row: _Row, outcome: str | BaseException) -> None:
    """The row's call id (or why it was not written) to every caller still waiting."""
    for waiter in row.waiters:
        if waiter.done():  # its caller was cancelled: the row is written all the same
            continue
        if isinstance(outcome, BaseException):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)


# The call's id by its uniqueid, and an event row run with its values as parameters: built
# once (a statement built per event cost its cache key every time, issue 19 item 1).
_CALL_ID: Final = select(CALLS.c.id).where(CALLS.c.uniqueid == bindparam("p_uniqueid"))
_INSERT_EVENT: Final = insert(CALL_EVENTS)


async def add_event(
    session: AsyncSession,
    uniqueid: str,
    kind: EventKind,
    value: str,
    detail: dict[str, Any] | None,
    at: datetime,
    call_id: str | None = None,
) -> None:
    """Append an event to the call (UnknownCall when there is no such call); ``call_id``:
    its id, when this transaction has it already (no second look-up)."""
    if call_id is None:
        call_id = await session.scalar(_CALL_ID, {"p_uniqueid": uniqueid})
    if call_id is None:
        raise UnknownCall(uniqueid)
    event = {"call_id": call_id, "at": at, "kind": kind, "value": value, "detail": detail}
    await session.execute(_INSERT_EVENT, event)


@functools.cache
def calls_from_statement(excluding: bool, up_to: bool) -> Select[Any]:
    """``CallLog.calls_from``'s count, built once per shape and run with its parameters
    (``caller``, ``excluding``, ``up_to``): built per call, its cache key cost 0.3 ms of
    CPU on every IVR call (issue 19 item 1)."""
    rows = select(CALLS.c.uniqueid).where(CALLS.c.caller == bindparam("caller"))
    if excluding:
        rows = rows.where(CALLS.c.uniqueid != bindparam("excluding"))
    if up_to:
        rows = rows.limit(bindparam("up_to", type_=Integer))
    return select(func.count()).select_from(rows.subquery())
