"""The call log: one row per call plus its events, written by the AMI event recorder, the
FastAGI sessions and the dialer, read by the CLI and (later) the supervisor UI.

Every method is its own unit of work.  Writers are idempotent and keep the first value they
see, because the AMI recorder and the FastAGI session report the same call independently and
in no guaranteed order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, func, literal, select, update
from sqlalchemy.orm import selectinload

from hotline.core.clock import utc_now
from hotline.core.phones import mask_phone
from hotline.store.call_rows import (
    CALLS,
    CallRows,
    add_event,
    calls_from_statement,
    row_values,
)
from hotline.store.call_rows import (
    UnknownCall as UnknownCall,  # re-exported: the callers import it from here
)
from hotline.store.call_statements import ANSWERED, FIRST_END, returning_id
from hotline.store.call_statements import set_outcome as outcome_statement
from hotline.store.db import STORE_ERRORS, Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind, QueueEventKind
from hotline.store.event_writer import EventWriter
from hotline.store.models import Call, DialAttempt, QueueEvent, str_enum
from hotline.store.types import UtcDateTime, as_utc
from hotline.store.webhook_events import PATH_KINDS, inbound_call_ended

log = logging.getLogger(__name__)
# How long the end of a call waits for its noted path to be committed (its webhook reports it).
PATH_FLUSH_SECONDS = 2.0


# dialer.model.Result.POSITIVE, as the attempt row stores it (the store sits below the dialer).
_POSITIVE: Final = "positive"


@dataclass(frozen=True)
class SettledCall:
    """An open campaign call row whose dial attempt is closed, as the dialer would close it."""

    uniqueid: str
    ended_at: datetime
    outcome: CallOutcome


@dataclass(frozen=True)
class CallEventRecord:
    at: datetime
    kind: str
    value: str
    detail: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "value": self.value,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CallRecord:
    id: str
    direction: CallDirection
    uniqueid: str
    linkedid: str | None
    channel: str | None
    caller: str | None
    callee: str | None
    simulated: bool
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: CallOutcome | None
    hangup_cause: str | None
    operator_reason: str | None
    events: tuple[CallEventRecord, ...]  # ordered by (at, id)
    node: str | None = None  # the cluster node that carries it (issue 20)

    @property
    def path(self) -> tuple[str, ...]:
        """The menu nodes the caller walked through, in order."""
        return tuple(e.value for e in self.events if e.kind == EventKind.NODE)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ISO 8601 datetimes, enum values, plus the derived path."""
        return {
            "id": self.id,
            "direction": self.direction.value,
            "uniqueid": self.uniqueid,
            "linkedid": self.linkedid,
            "channel": self.channel,
            "caller": self.caller,
            "callee": self.callee,
            "simulated": self.simulated,
            "started_at": self.started_at.isoformat(),
            "answered_at": _iso(self.answered_at),
            "ended_at": _iso(self.ended_at),
            "outcome": self.outcome.value if self.outcome else None,
            "hangup_cause": self.hangup_cause,
            "operator_reason": self.operator_reason,
            "path": list(self.path),
            "events": [e.to_dict() for e in self.events],
        }


class CallLog:
    def __init__(self, db: Database, events: EventWriter | None = None) -> None:
        self._db = db
        # Where ``note`` sends events: a batching writer in the engine, else written at once.
        self._events = events
        # The call rows of calls opened together go in one statement (issue 19); the writer
        # learns their ids and waits for those in flight.
        self._rows = CallRows(db, written=None if events is None else events.remember_calls)
        if events is not None:
            events.follow_rows(self._rows.settled)

    @property
    def db(self) -> Database:
        """The store this log writes to (for stores that sit next to it, e.g. callbacks)."""
        return self._db

    async def open(
        self,
        *,
        uniqueid: str,
        direction: CallDirection,
        started_at: datetime | None = None,
        linkedid: str | None = None,
        channel: str | None = None,
        caller: str | None = None,
        callee: str | None = None,
        simulated: bool = False,
        node: str | None = None,
    ) -> str:
        """Record a call (or find it again) and return our call id.

        Safe to call several times and concurrently for one uniqueid: there is always one row.
        A repeated call fills in fields still empty, keeps the earliest ``started_at``, marks
        the call simulated if either caller says so, and never changes the direction.  The
        rows of calls opened together are written in one statement (:mod:`call_rows`); this
        returns once this one is committed.
        """
        call_id = await self._rows.open(
            row_values(
                call_id=uuid.uuid4().hex,
                uniqueid=uniqueid,
                direction=direction,
                started_at=_utc_or_now(started_at),
                linkedid=linkedid,
                channel=channel,
                caller=caller,
                callee=callee,
                simulated=simulated,
                node=node,
            )
        )
        log.debug("call %s open (%s from %s)", call_id, direction.value, mask_phone(caller))
        return call_id

    async def answered(self, uniqueid: str, at: datetime | None = None) -> None:
        """The call was answered; the first time reported is kept."""
        await self._update(ANSWERED, {"p_uniqueid": uniqueid, "p_at": _utc_or_now(at)})

    async def add_event(
        self,
        uniqueid: str,
        kind: EventKind,
        value: str,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Append an event; raises UnknownCall if the call was never opened."""
        async with self._db.session() as session:
            await add_event(session, uniqueid, kind, value, detail, _utc_or_now(at))

    async def record(
        self,
        uniqueid: str,
        kind: EventKind,
        value: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """An event stored at once (what a report counts), as ``add_event``; but when the
        store refuses it (away, or the call's row not written yet) it goes to the batched
        writer, which holds it until it can be written (issue 21: the IVR lost them), with
        its own time.  Without a writer it raises as ``add_event`` does."""
        at = utc_now()
        try:
            await self.add_event(uniqueid, kind, value, detail, at=at)
        except (*STORE_ERRORS, UnknownCall) as exc:
            if self._events is None:
                raise
            log.warning(
                "call %s: %s event handed to the batched writer (%s)",
                uniqueid,
                kind,
                type(exc).__name__,
            )
            await self._events.add(uniqueid, kind, value, detail, at=at)

    async def note(
        self,
        uniqueid: str,
        kind: EventKind,
        value: str,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """An event for statistics (a prompt, digits, a node): batched when the log has an
        event writer, so the caller does not wait for its commit.  Use ``add_event`` for
        anything that must be stored before the caller hears about it.  ``at``: when it
        happened (default now; the menu's levels in dialplan report it with the event)."""
        if self._events is None:
            await self.add_event(uniqueid, kind, value, detail, at=at)
        else:
            await self._events.add(uniqueid, kind, value, detail, at=at)

    async def flush(self, uniqueid: str | None = None) -> None:
        """Every event noted so far is committed (with ``uniqueid``: every one of that call)."""
        if self._events is not None:
            await (self._events.flush() if uniqueid is None else self._events.flush_call(uniqueid))

    async def set_outcome(
        self,
        uniqueid: str,
        outcome: CallOutcome,
        *,
        operator_reason: str | None = None,
        overwrite: bool = False,
    ) -> None:
        """Record how the call ended up.  The first outcome (and its reason) wins; with
        ``overwrite`` this one replaces it, keeping the old reason if none is given."""
        params = {"p_uniqueid": uniqueid, "p_outcome": outcome, "p_reason": operator_reason}
        await self._update(outcome_statement(overwrite), params)

    async def record_outcome(
        self,
        uniqueid: str,
        kind: EventKind,
        value: str,
        outcome: CallOutcome,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """``record`` then ``set_outcome`` (the first outcome wins) in one transaction: a
        hang-up's two writes (issue 19: one commit per call fewer when a burst hangs up).
        When the store refuses them the event goes to the batched writer as ``record``'s
        does, and the outcome's failure is raised (the caller decides whether it matters)."""
        at = utc_now()
        try:
            async with self._db.session() as session:
                params = {"p_uniqueid": uniqueid, "p_outcome": outcome, "p_reason": None}
                call_id = await returning_id(session, outcome_statement(False), params)
                await add_event(session, uniqueid, kind, value, detail, at, call_id)
        except (*STORE_ERRORS, UnknownCall) as exc:
            if self._events is not None:
                await self._events.add(uniqueid, kind, value, detail, at=at)
                log.warning(
                    "call %s: %s event handed to the batched writer (%s)",
                    uniqueid,
                    kind,
                    type(exc).__name__,
                )
            raise

    async def ended(
        self,
        uniqueid: str,
        *,
        at: datetime | None = None,
        hangup_cause: str | None = None,
        outcome: CallOutcome | None = None,
    ) -> None:
        """The call is over; the first end time and the first hangup cause are kept, and
        ``outcome`` is the call's outcome unless one was already recorded.  The first end of
        an inbound call writes its webhook event (issue 22 item 4) in the same transaction,
        with the menu path noted so far (waited for, briefly)."""
        if self._events is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PATH_FLUSH_SECONDS):
                    await self._events.flush_call(uniqueid, PATH_KINDS)
        params = {
            "p_uniqueid": uniqueid,
            "p_at": _utc_or_now(at),
            "p_cause": hangup_cause,
            "p_outcome": outcome,
        }
        async with self._db.session() as session:
            row = (await session.execute(FIRST_END, params)).first()
            if row is None:
                # Ended before: the first cause is kept, and the outcome if there is none
                # yet (in this transaction: the tracker's hang-up was two, issue 19).
                cause = literal(hangup_cause, Call.hangup_cause.type)
                again = (
                    update(CALLS)
                    .where(CALLS.c.uniqueid == uniqueid)
                    .values(hangup_cause=func.coalesce(CALLS.c.hangup_cause, cause))
                    .returning(CALLS.c.id)
                )
                if outcome is not None:
                    ends_as = literal(outcome, str_enum(CallOutcome))
                    again = again.values(outcome=func.coalesce(CALLS.c.outcome, ends_as))
                if (await session.execute(again)).first() is None:
                    raise UnknownCall(uniqueid)
                return
            if row.direction is CallDirection.INBOUND:
                # The ended row as the UPDATE left it: its webhook event needs no second read
                # (issue 19 item 1: an ORM load per hang-up in a burst of them).
                await inbound_call_ended(session, row)

    async def open_inbound(
        self, started_before: datetime, nodes: Sequence[str] | None = None
    ) -> set[str]:
        """Uniqueids of inbound calls started before ``started_before`` and not ended yet;
        with ``nodes``, only those of these cluster nodes (a worker judges only the calls of
        the Asterisk whose channels it lists, issue 20)."""
        query = select(Call.uniqueid).where(
            Call.ended_at.is_(None),
            Call.direction == CallDirection.INBOUND,
            Call.started_at < literal(as_utc(started_before), UtcDateTime()),
        )
        if nodes is not None:
            query = query.where(Call.node.in_(list(nodes)))
        async with self._db.session() as session:
            return set((await session.scalars(query)).all())

    async def open_settled_outbound(self) -> list[SettledCall]:
        """Campaign call rows still open whose dial attempt (its id is the call's uniqueid)
        is closed: the dialer gave up writing the row's end while the store was away (issue
        21).  Each with the attempt's end and the outcome the dialer gives it."""
        attempt = DialAttempt
        query = (
            select(Call.uniqueid, attempt.ended_at, attempt.transferred, attempt.result)
            .join(DialAttempt, DialAttempt.id == Call.uniqueid)
            .where(
                Call.ended_at.is_(None),
                Call.direction == CallDirection.OUTBOUND,
                DialAttempt.ended_at.is_not(None),
            )
        )
        async with self._db.session() as session:
            rows = (await session.execute(query)).all()
        return [
            SettledCall(
                uniqueid,
                ended_at,
                CallOutcome.OPERATOR
                if transferred
                else CallOutcome.COMPLETED
                if result == _POSITIVE
                else CallOutcome.ABANDONED,
            )
            for uniqueid, ended_at, transferred, result in rows
            if ended_at is not None  # the query's own condition, for the type checker
        ]

    async def get(
        self, *, uniqueid: str | None = None, call_id: str | None = None
    ) -> CallRecord | None:
        """One call with its events, by Asterisk uniqueid or by our call id (give one)."""
        if (uniqueid is None) == (call_id is None):
            raise ValueError("give exactly one of uniqueid and call_id")
        where = Call.uniqueid == uniqueid if uniqueid is not None else Call.id == call_id
        async with self._db.session() as session:
            call = await session.scalar(_with_events().where(where))
            return _record(call) if call is not None else None

    async def recent(self, limit: int = 20, *, since: datetime | None = None) -> list[CallRecord]:
        """The newest calls first, each with its events."""
        query = _with_events().order_by(Call.started_at.desc(), Call.id.desc()).limit(limit)
        if since is not None:
            query = query.where(Call.started_at >= _ts(since))
        async with self._db.session() as session:
            return [_record(call) for call in await session.scalars(query)]

    async def between(
        self,
        start: datetime,
        end: datetime,
        *,
        include_simulated: bool = False,
        limit: int = 100_000,
        answered_by: str | None = None,
        newest_first: bool = False,
    ) -> list[CallRecord]:
        """Calls started in ``[start, end)``, oldest first (or ``newest_first``), each with its
        events; at most ``limit`` of them, taken after every filter.  Simulated calls only
        with ``include_simulated``; only the calls queue member ``answered_by`` was connected
        to, when given."""
        order = (
            (Call.started_at.desc(), Call.id.desc())
            if newest_first
            else (Call.started_at, Call.id)
        )
        query = (
            _with_events()
            .where(Call.started_at >= _ts(start), Call.started_at < _ts(end))
            .order_by(*order)
            .limit(limit)
        )
        if not include_simulated:
            query = query.where(Call.simulated.is_(False))
        if answered_by is not None:
            connected = select(QueueEvent.uniqueid).where(
                QueueEvent.kind == QueueEventKind.CONNECT, QueueEvent.member == answered_by
            )
            query = query.where(Call.uniqueid.in_(connected))
        async with self._db.session() as session:
            return [_record(call) for call in await session.scalars(query)]

    async def simulated_count(self, start: datetime, end: datetime) -> int:
        """How many simulated calls started in ``[start, end)``: what the console's figures
        leave out unless asked to include them."""
        query = (
            select(func.count())
            .select_from(Call)
            .where(
                Call.started_at >= _ts(start),
                Call.started_at < _ts(end),
                Call.simulated.is_(True),
            )
        )
        async with self._db.session() as session:
            return int((await session.execute(query)).scalar_one())

    async def calls_from(
        self, caller: str, *, excluding: str | None = None, up_to: int | None = None
    ) -> int:
        """How many calls this number made before (the IVR plays experienced callers the
        short prompts); ``excluding`` leaves the current call out; ``up_to`` stops counting
        there (the IVR asks for 1: a number calling often, or many callers behind one, must
        not cost every call a count of all its rows)."""
        query = calls_from_statement(excluding is not None, up_to is not None)
        params = {"caller": caller, "excluding": excluding, "up_to": up_to}
        async with self._db.session() as session:
            return int(await session.scalar(query, params) or 0)

    async def _update(self, statement: Any, params: dict[str, Any]) -> None:
        async with self._db.session() as session:
            await returning_id(session, statement, params)


def _with_events() -> Select[Call]:
    return select(Call).options(selectinload(Call.events))


def _utc_or_now(at: datetime | None) -> datetime:
    return utc_now() if at is None else as_utc(at)


def _ts(at: datetime | None) -> ColumnElement[datetime]:
    # Typed bind: a bare datetime inside coalesce() would skip UtcDateTime's conversion.
    return literal(_utc_or_now(at), UtcDateTime())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _record(call: Call) -> CallRecord:
    return CallRecord(
        id=call.id,
        direction=call.direction,
        uniqueid=call.uniqueid,
        linkedid=call.linkedid,
        channel=call.channel,
        caller=call.caller,
        callee=call.callee,
        simulated=call.simulated,
        started_at=call.started_at,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        outcome=call.outcome,
        hangup_cause=call.hangup_cause,
        operator_reason=call.operator_reason,
        events=tuple(
            CallEventRecord(at=e.at, kind=e.kind, value=e.value, detail=e.detail)
            for e in call.events
        ),
        node=call.node,
    )
