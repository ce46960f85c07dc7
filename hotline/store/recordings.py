"""The index of call recordings and who accessed them.  Every method is its own unit of
work."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.clock import utc_now
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database, batches, dialect_insert
from hotline.store.enums import EventKind, QueueEventKind
from hotline.store.models import Call, CallEvent, QueueEvent, Recording, RecordingAccess
from hotline.store.types import as_utc

_RECORDINGS: Final[Table] = Recording.__table__  # type: ignore[assignment]
_CALLS: Final[Table] = Call.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class RecordingRecord:
    id: int
    call_id: str | None
    uniqueid: str
    path: str
    caller: str | None
    account: str | None
    operator: str | None
    started_at: datetime
    duration: float | None
    purged_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "call_id": self.call_id,
            "uniqueid": self.uniqueid,
            "path": self.path,
            "caller": self.caller,
            "account": self.account,
            "operator": self.operator,
            "started_at": self.started_at.isoformat(),
            "duration": self.duration,
            "purged_at": self.purged_at.isoformat() if self.purged_at else None,
        }


def _recording(r: Recording) -> RecordingRecord:
    return RecordingRecord(
        r.id,
        r.call_id,
        r.uniqueid,
        r.path,
        r.caller,
        r.account,
        r.operator,
        r.started_at,
        r.duration,
        r.purged_at,
    )


PATHS_PER_QUERY: Final = 500


@dataclass(frozen=True)
class Completion:
    """A call's recordings and what completing them at its hang-up takes."""

    recordings: list[RecordingRecord]
    call_id: str | None  # the call's row, if any
    account: str | None  # the last account the caller was identified as
    operator: str | None  # the last operator who took the call (queue CONNECT)


# The index row's statements, built once (per dialect) and run with their parameters: built
# per call, SQLAlchemy made a new cache key from the statement's values every time (the row
# cost 1.4 ms of CPU per call on the engine's loop, 0.9 ms now; issue 19 item 1).
_INDEX_STATEMENTS: dict[tuple[str, bool], Any] = {}
_BY_PATH: Final = select(Recording.id).where(Recording.path == bindparam("path"))


def _index_statement(db: Database, returning: bool = True) -> Any:
    """The index row's INSERT, with the new row's id (``started``) or without (a batch of
    rows, ``index_soon``); each built once per dialect."""
    key = (db.engine.dialect.name, returning)
    statement = _INDEX_STATEMENTS.get(key)
    if statement is None:
        columns = _RECORDINGS.c
        statement = (
            dialect_insert(db)(_RECORDINGS)
            .values(
                call_id=select(Call.id)
                .where(Call.uniqueid == bindparam("uniqueid"))
                .scalar_subquery(),
                uniqueid=bindparam("uniqueid", type_=columns.uniqueid.type),
                path=bindparam("path", type_=columns.path.type),
                caller=bindparam("caller", type_=columns.caller.type),
                started_at=bindparam("started_at", type_=columns.started_at.type),
            )
            .on_conflict_do_nothing(index_elements=[columns.path])
        )
        if returning:
            statement = statement.returning(columns.id)
        _INDEX_STATEMENTS[key] = statement
    return statement


# What completing the recordings of calls that hung up needs, in one query (``p_uniqueids``),
# built once: each row's call, account and operator correlated with its own uniqueid.
_TO_COMPLETE_MANY: Final = (
    select(
        Recording,
        select(Call.id).where(Call.uniqueid == Recording.uniqueid).scalar_subquery(),
        select(CallEvent.value)
        .join(Call, CallEvent.call_id == Call.id)
        .where(Call.uniqueid == Recording.uniqueid, CallEvent.kind == EventKind.ACCOUNT)
        .order_by(CallEvent.at.desc(), CallEvent.id.desc())
        .limit(1)
        .scalar_subquery(),
        select(QueueEvent.member)
        .where(
            QueueEvent.uniqueid == Recording.uniqueid,
            QueueEvent.kind == QueueEventKind.CONNECT,
        )
        .order_by(QueueEvent.at.desc(), QueueEvent.id.desc())
        .limit(1)
        .scalar_subquery(),
    )
    .where(Recording.uniqueid.in_(bindparam("p_uniqueids", expanding=True)))
    .order_by(Recording.uniqueid, Recording.id)
)


@functools.cache
def _update_statement(names: frozenset[str]) -> Any:
    """A recording row's UPDATE of these columns (``p_id``, ``p_<column>``), built once."""
    values = {name: bindparam(f"p_{name}", type_=_RECORDINGS.c[name].type) for name in names}
    return update(_RECORDINGS).where(_RECORDINGS.c.id == bindparam("p_id")).values(values)


# Uniqueids this process indexed a recording for and whose hang-up has not come yet.
INDEXED_KEPT: Final = 4096


# Index rows written in one statement at most (``index_soon``).
INDEX_BATCH: Final = 500


class Recordings:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Index rows asked for and not yet committed (``index_soon``), and their writer.
        self._to_index: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._indexer: asyncio.Future[None] | None = None
        # Every call is recorded, and the queue tracker asks at every hang-up whether this
        # channel was: a row this process committed answers from here, without a transaction
        # (issue 19 item 1).  Oldest first; a channel that fell out is asked of the store.
        self._indexed: dict[str, None] = {}

    async def started(
        self, uniqueid: str, path: str, *, caller: str | None, at: datetime | None = None
    ) -> int:
        """Index a recording that has just started (idempotent by path): one statement, the
        call's id looked up in it (issue 19: the IVR indexes every call's recording)."""
        params = {
            "uniqueid": uniqueid,
            "path": path,
            "caller": caller,
            "started_at": as_utc(at) if at else utc_now(),
        }
        async with self._db.session() as session:
            new = await session.scalar(_index_statement(self._db), params)
            if new is None:
                new = (await session.execute(_BY_PATH, {"path": path})).scalar_one()
        self._mark_indexed(uniqueid)  # committed
        return int(new)

    async def index_soon(self, uniqueid: str, path: str, *, caller: str | None) -> None:
        """``started`` without the row's id, written with the other index rows asked for
        meanwhile in one statement (issue 19 item 1: every call's row was a transaction of its
        own, a burst of them at the menu's start).  Returns once committed; raises what the
        store raised for the batch."""
        done = asyncio.get_running_loop().create_future()
        params = {"uniqueid": uniqueid, "path": path, "caller": caller, "started_at": utc_now()}
        self._to_index.append((params, done))
        if self._indexer is None:
            self._indexer = asyncio.ensure_future(self._write_index_rows())
        await done

    async def _write_index_rows(self) -> None:
        """Commit the rows asked for, a batch at a time: those asked while one is written
        go in the next."""
        try:
            while self._to_index:
                batch = self._to_index[:INDEX_BATCH]
                del self._to_index[:INDEX_BATCH]
                try:
                    async with self._db.session() as session:
                        rows = [params for params, _done in batch]
                        await session.execute(_index_statement(self._db, returning=False), rows)
                except Exception as exc:
                    for _params, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for params, done in batch:
                    self._mark_indexed(params["uniqueid"])
                    if not done.done():
                        done.set_result(None)
        finally:
            self._indexer = None

    def _mark_indexed(self, uniqueid: str) -> None:
        self._indexed[uniqueid] = None
        while len(self._indexed) > INDEXED_KEPT:
            del self._indexed[next(iter(self._indexed))]

    async def known_paths(self, paths: list[str]) -> set[str]:
        """Which of ``paths`` the index holds (purged rows included)."""
        known: set[str] = set()
        for start in range(0, len(paths), PATHS_PER_QUERY):
            chunk = paths[start : start + PATHS_PER_QUERY]
            async with self._db.session() as session:
                query = select(Recording.path).where(Recording.path.in_(chunk))
                found = await session.scalars(query)
                known.update(found)
        return known

    async def adopt(self, found: Sequence[Unindexed]) -> int:
        """Index finished recordings nobody indexed, each with the call its file is named
        after (``Unindexed.name``: the channel's uniqueid or the call's id) where there is
        one; how many were new (a path indexed meanwhile, by the queue tracker or another
        worker, is left as it is).  A transaction per ``PATHS_PER_QUERY`` of them, one query
        for their calls and one statement for their rows (issue 19 item 1: a file each cost
        1.4 ms of the engine's loop, and a look after an outage finds hundreds)."""
        adopted = 0
        for chunk in batches(found, PATHS_PER_QUERY):
            async with self._db.session() as session:
                calls = await _calls_named(session, {f.name for f in chunk})
                rows = [_adopted_row(f, calls.get(f.name)) for f in chunk]
                statement = (
                    dialect_insert(self._db)(_RECORDINGS)
                    .on_conflict_do_nothing(index_elements=[_RECORDINGS.c.path])
                    .returning(_RECORDINGS.c.id)
                )
                adopted += len((await session.execute(statement, rows)).all())
        return adopted

    async def unwritten(self, path: str, at: datetime | None = None) -> bool:
        """Mark the recording at ``path`` as one MixMonitor could not write (its file was
        empty and is removed): no duration, out of every listing like a purged one (the row
        stays, so the call still shows it was to be recorded).  False if there is no such
        row not already marked."""
        async with self._db.session() as session:
            done = await session.execute(
                update(Recording)
                .where(Recording.path == path, Recording.purged_at.is_(None))
                .values(duration=0.0, purged_at=as_utc(at) if at else utc_now())
            )
            return bool(getattr(done, "rowcount", 0))

    async def any_for(self, uniqueid: str) -> bool:
        """Whether a recording of this channel is indexed: one row's id, no entity loaded
        (the queue tracker asks at every hang-up, issue 19 item 1).  A channel this process
        indexed is answered once from memory (its hang-up asks, and comes once)."""
        if uniqueid in self._indexed:
            del self._indexed[uniqueid]
            return True
        query = select(_RECORDINGS.c.id).where(_RECORDINGS.c.uniqueid == uniqueid).limit(1)
        async with self._db.session() as session:
            return (await session.execute(query)).first() is not None

    async def for_uniqueid(self, uniqueid: str) -> list[RecordingRecord]:
        async with self._db.session() as session:
            rows = await session.scalars(
                select(Recording).where(Recording.uniqueid == uniqueid).order_by(Recording.id)
            )
            return [_recording(r) for r in rows]

    async def to_complete(self, uniqueid: str) -> Completion:
        """The call's recordings with its id, account and operator, in one query (issue 19:
        the queue tracker read the whole call with its events, and the queue events, and the
        recordings again, for every recorded call's hang-up)."""
        found = await self.to_complete_many([uniqueid])
        return found.get(uniqueid) or Completion([], None, None, None)

    async def to_complete_many(self, uniqueids: Sequence[str]) -> dict[str, Completion]:
        """``to_complete`` for the calls that hung up together, in one query per
        ``PATHS_PER_QUERY`` of them; a call with no recording is left out."""
        found: dict[str, Completion] = {}
        async with self._db.session() as session:
            for some in batches(list(uniqueids), PATHS_PER_QUERY):
                rows = await session.execute(_TO_COMPLETE_MANY, {"p_uniqueids": some})
                for recording, call_id, account, operator in rows:
                    completion = found.get(recording.uniqueid)
                    if completion is None:
                        completion = found[recording.uniqueid] = Completion(
                            [], call_id, account, operator
                        )
                    completion.recordings.append(_recording(recording))
        return found

    async def update_many(self, updates: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """Several recordings' ``update`` (id, values) in one transaction: one statement
        for the rows that set the same columns."""
        by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
        for recording_id, values in updates:
            params = {f"p_{name}": value for name, value in values.items()}
            by_columns.setdefault(frozenset(values), []).append({"p_id": recording_id, **params})
        if not by_columns:
            return
        async with self._db.session() as session:
            for names, rows in by_columns.items():
                await session.execute(_update_statement(names), rows)

    async def update(self, recording_id: int, **values: Any) -> None:
        # The table's UPDATE, not the entity's: no ORM execution state (issue 19 item 1).
        params = {f"p_{name}": value for name, value in values.items()}
        async with self._db.session() as session:
            await session.execute(
                _update_statement(frozenset(values)), {"p_id": recording_id, **params}
            )

    async def find(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        call_id: str | None = None,
        include_purged: bool = False,
        caller: str | None = None,
        account: str | None = None,
        operator: str | None = None,
        recording_id: int | None = None,
        limit: int | None = None,
    ) -> list[RecordingRecord]:
        """Oldest first; ``caller`` matches the end of the number (people type the last
        digits), ``account`` and ``operator`` exactly."""
        query = select(Recording).order_by(Recording.started_at, Recording.id)
        if caller:
            query = query.where(Recording.caller.endswith(caller, autoescape=True))
        if account:
            query = query.where(Recording.account == account)
        if operator:
            query = query.where(Recording.operator == operator)
        if recording_id is not None:
            query = query.where(Recording.id == recording_id)
        if limit is not None:
            query = query.limit(limit)
        if start is not None:
            query = query.where(Recording.started_at >= as_utc(start))
        if end is not None:
            query = query.where(Recording.started_at < as_utc(end))
        if call_id is not None:
            query = query.where(Recording.call_id == call_id)
        if not include_purged:
            query = query.where(Recording.purged_at.is_(None))
        async with self._db.session() as session:
            return [_recording(r) for r in await session.scalars(query)]

    async def audit(
        self,
        action: str,
        by: Actor,
        recording_ids: list[int] | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """One access row per recording touched (one row with no id when none was), and in
        the same transaction one entry in the console's append-only audit log."""
        at = utc_now()
        async with self._db.session() as session:
            ids_text = ",".join(str(i) for i in recording_ids or [])
            AuditLog.add(
                session,
                by,
                f"recordings.{action}",
                f"recordings:{ids_text}"[:255] if ids_text else None,
                {**(detail or {}), "count": len(recording_ids or [])},
                at,
            )
            ids: list[int | None] = list(recording_ids or []) or [None]
            for rid in ids:
                session.add(
                    RecordingAccess(
                        at=at, recording_id=rid, action=action, by=by.name, detail=detail
                    )
                )

    async def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        query = select(RecordingAccess).order_by(RecordingAccess.id.desc()).limit(limit)
        async with self._db.session() as session:
            return [
                {
                    "at": r.at.isoformat(),
                    "recording_id": r.recording_id,
                    "action": r.action,
                    "by": r.by,
                    "detail": r.detail,
                }
                for r in await session.scalars(query)
            ]


@dataclass(frozen=True)
class Unindexed:
    """A finished recording file the index lacks (``Recordings.adopt``)."""

    path: str
    name: str  # the file name without its extension
    started_at: datetime
    duration: float


# A call a file is named after: its id, uniqueid and caller.
_NamedCall = tuple[str, str, str | None]


async def _calls_named(session: AsyncSession, names: set[str]) -> dict[str, _NamedCall]:
    """The calls whose uniqueid or id is one of ``names``, by that name (a uniqueid first)."""
    columns = _CALLS.c
    query = select(columns.id, columns.uniqueid, columns.caller).where(
        or_(columns.uniqueid.in_(names), columns.id.in_(names))
    )
    by_id: dict[str, _NamedCall] = {}
    by_uniqueid: dict[str, _NamedCall] = {}
    for call_id, uniqueid, caller in await session.execute(query):
        by_id[call_id] = by_uniqueid[uniqueid] = (call_id, uniqueid, caller)
    return {**by_id, **by_uniqueid}


def _adopted_row(found: Unindexed, call: _NamedCall | None) -> dict[str, Any]:
    call_id, uniqueid, caller = call or (None, found.name, None)
    return {
        "call_id": call_id,
        "uniqueid": uniqueid,
        "path": found.path,
        "caller": caller,
        "started_at": as_utc(found.started_at),
        "duration": found.duration,
    }
