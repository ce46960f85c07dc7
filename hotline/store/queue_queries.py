"""The queue report's per-call figures computed in SQL (issue 19 item 2): the same
definitions as ``hotline.contact_center.kpi.queued_calls`` and the call facts of
``hotline.contact_center.queue_report``, as window functions and aggregates on SQLite and
PostgreSQL alike, so a report over a million queue events never loads them.

- the period's calls: inbound calls started in ``[start, end)`` (simulated ones only if
  asked); the queued ones among them joined the operator queue in the period (any queue);
- a queued call's events: all of its queue events (also those after ``end``), of one queue
  for a department's report; it counts if one of them is a join;
- in each call's events ordered by (at, id): the first join (joined), the first connect
  (answered: its time and operator), the first complete (talk time), any callback request,
  and the last event (when an unanswered caller left);
- the call's facts from its call events: the last answer target given in digits; readings
  when its operator reason or a menu node it walked names readings; personal when its
  account was identified.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind, QueueEventKind
from hotline.store.models import Call, CallEvent, QueueEvent
from hotline.store.types import UtcDateTime, as_utc

# The word in an operator reason or a node name that makes a call a readings call.
READINGS_WORD: Final = "reading"


class QueuedRow(NamedTuple):
    """One queued call, in order of joining (ties: the order of the calls' first events).
    A tuple: a report over a million queue events builds hundreds of thousands of them."""

    uniqueid: str
    joined_at: datetime
    connect_at: datetime | None  # the first connect: an operator answered
    member: str | None  # who answered
    talk: int | None  # the first complete's talk time
    callback: bool  # a callback request among its events
    last_at: datetime  # its last queue event
    answer_target: int | None  # the last answer target given in digits
    readings: bool
    personal: bool


@dataclass(frozen=True)
class QueueFigures:
    """What the queue report reads from the store, computed in SQL."""

    calls: list[QueuedRow]
    calls_total: int  # the period's calls (a department's: those with events in its queue)
    ivr_contained: int  # ... finished in self-service
    ivr_hangups: int  # ... ended in the IVR, never queued, not finished by it
    ring_no_answer: dict[str, int]  # operator → unanswered rings, most first
    call_ids: list[str]  # a department's calls' ids (its callbacks); empty for the hotline
    rolled: int = 0  # 15-minute buckets read from the roll-ups (hotline.store.queue_rollups)


def _digits(dialect: str, value: Any) -> ColumnElement[bool]:
    """``value`` is one or more ASCII digits (``str.isdigit`` for what the engine writes)."""
    if dialect == "sqlite":
        return and_(value != "", value.op("NOT GLOB")(literal_column("'*[^0-9]*'")))
    matches: ColumnElement[bool] = value.op("~")(literal_column("'^[0-9]+$'"))
    return matches


def _period_calls(
    start: datetime,
    end: datetime,
    include_simulated: bool,
    *,
    ranges: Sequence[tuple[datetime, datetime]] | None = None,
    also: Select[Any] | None = None,
    name: str = "period_calls",
) -> CTE:
    """Inbound calls started in ``[start, end)`` (or in any of ``ranges``, or among the ids
    ``also`` selects: the report's part not read from roll-ups)."""

    def started(lo: datetime, hi: datetime) -> ColumnElement[bool]:
        return and_(
            Call.started_at >= literal(as_utc(lo), UtcDateTime()),
            Call.started_at < literal(as_utc(hi), UtcDateTime()),
        )

    spans = [started(lo, hi) for lo, hi in ([(start, end)] if ranges is None else ranges)]
    conditions: list[ColumnElement[bool]] = [Call.direction == CallDirection.INBOUND.value]
    if not include_simulated:
        conditions.append(Call.simulated.is_(False))
    columns = (Call.id, Call.uniqueid, Call.outcome, Call.ended_at, Call.operator_reason)
    base = select(*columns, Call.simulated, Call.started_at).where(*conditions)
    # No range (the period is wholly rolled): no part at all, since SQLite does not fold a
    # bound false and scanned every call for it.
    parts = [base.where(or_(*spans))] if spans else []
    if also is not None:  # apart: OR-ed with the ranges, PostgreSQL scanned every call
        parts.append(base.where(Call.id.in_(also)))  # rolled buckets: none in the ranges
    if not parts:
        parts.append(base.where(false()))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).cte(name)


def _joined_in(start: datetime, end: datetime) -> Select[Any]:
    """Calls that joined a queue (any) in ``[start, end)``."""
    return select(QueueEvent.uniqueid).where(
        QueueEvent.kind == QueueEventKind.JOIN.value,
        QueueEvent.at >= literal(as_utc(start), UtcDateTime()),
        QueueEvent.at < literal(as_utc(end), UtcDateTime()),
    )


def _key(dialect: str, at: Any, id_: Any) -> ColumnElement[str]:
    """An event's time and id as fixed-width text (38 characters): sorting these sorts the
    events by (at, id), so ``min``/``max`` of the key and a value after it pick the value
    of the first/last event, with no window."""
    if dialect == "sqlite":  # the stored naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff"
        stamp: ColumnElement[str] = cast(at, String)
        number = func.printf(literal_column("'%012d'"), id_)
    else:
        utc = func.timezone(literal_column("'UTC'"), at)
        stamp = func.to_char(utc, literal_column("'YYYY-MM-DD HH24:MI:SS.US'"))
        number = func.lpad(cast(id_, String), 12, "0")
    keyed: ColumnElement[str] = stamp.op("||")(number)
    return keyed


def _then(key: ColumnElement[str], value: Any) -> ColumnElement[str]:
    """The key followed by ``value`` as text, "1" before it, or "0" for NULL."""
    text_value = func.coalesce(literal("1").op("||")(cast(value, String)), literal("0"))
    joined: ColumnElement[str] = key.op("||")(text_value)
    return joined


def _after_key(value: str | None) -> str | None:
    """The value ``_then`` packed after the key (None for NULL or no such event)."""
    if value is None or value[_KEY] == "0":
        return None
    return value[_KEY + 1 :]


_KEY: Final = 38


def _per_call(
    dialect: str,
    calls: CTE,
    joined: Select[Any] | None,
    queue: str | None,
    *,
    by_queue: bool = False,
) -> CTE:
    """One row per call of ``calls`` that ``joined`` selects (None: every one) (a
    department's report: and has events in its queue; ``by_queue``: one per call and queue),
    over its queue events (of that queue): the first join and connect, the first connect's
    operator and the first complete's talk time, whether it asked for a callback, its last
    event, and its first event's key (the order of ties).  One GROUP BY, no window: first
    and last come from the (at, id) keys."""
    uid = QueueEvent.uniqueid
    conditions: list[ColumnElement[bool]] = [uid.in_(select(calls.c.uniqueid))]
    if joined is not None:
        conditions.append(uid.in_(joined))
    if queue is not None:
        conditions.append(QueueEvent.queue == queue)
    scope = QueueEvent.queue if by_queue else literal("")
    stamp = UtcDateTime()
    key = _key(dialect, QueueEvent.at, QueueEvent.id)

    def first_of(kind: QueueEventKind, value: Any) -> ColumnElement[str]:
        return func.min(case((QueueEvent.kind == kind.value, _then(key, value))))

    return (
        select(
            uid.label("uniqueid"),
            scope.label("scope"),
            func.min(
                type_coerce(
                    case((QueueEvent.kind == QueueEventKind.JOIN.value, QueueEvent.at)), stamp
                )
            ).label("joined_at"),
            func.min(key).label("first_key"),
            func.min(
                type_coerce(
                    case((QueueEvent.kind == QueueEventKind.CONNECT.value, QueueEvent.at)), stamp
                )
            ).label("connect_at"),
            first_of(QueueEventKind.CONNECT, QueueEvent.member).label("member"),
            first_of(QueueEventKind.COMPLETE, QueueEvent.talk).label("talk"),
            func.max(case((QueueEvent.kind == QueueEventKind.CALLBACK.value, 1), else_=0)).label(
                "callback"
            ),
            func.max(type_coerce(QueueEvent.at, stamp)).label("last_at"),
        )
        .where(*conditions)
        .group_by(uid, *((QueueEvent.queue,) if by_queue else ()))
        .cte("queued_calls")
    )


def _facts(dialect: str, calls: CTE, queued: CTE) -> Select[Any]:
    """The calls with their call's facts from its call events (one GROUP BY), in order of
    joining (those that never joined, a department's, last)."""
    events = CallEvent.__table__.c
    key = _key(dialect, events.at, events.id)
    target = func.max(
        case(
            (
                and_(
                    events.kind == EventKind.ANSWER_TARGET.value,
                    _digits(dialect, events.value),
                ),
                _then(key, events.value),
            )
        )
    )
    pattern = f"%{READINGS_WORD}%"
    node_readings = and_(
        events.kind == EventKind.NODE.value, func.lower(events.value).like(pattern)
    )
    facts = (
        select(
            events.call_id,
            target.label("target"),
            func.max(case((node_readings, 1), else_=0)).label("readings"),
            func.max(case((events.kind == EventKind.ACCOUNT.value, 1), else_=0)).label("personal"),
        )
        .where(
            events.call_id.in_(
                select(calls.c.id).where(calls.c.uniqueid.in_(select(queued.c.uniqueid)))
            )
        )
        .group_by(events.call_id)
        .subquery("call_facts")
    )
    q, c, f = queued.c, calls.c, facts.c
    reason = func.lower(func.coalesce(c.operator_reason, "")).like(pattern)
    return (
        select(
            c.id,
            q.uniqueid,
            q.joined_at,
            q.first_key,
            q.connect_at,
            q.member,
            q.talk,
            q.callback,
            q.last_at,
            f.target,
            or_(reason, func.coalesce(f.readings, 0) == 1).label("readings"),
            func.coalesce(f.personal, 0).label("personal"),
            c.outcome,
            c.ended_at.is_not(None).label("ended"),
            q.scope,
            c.simulated,
            c.started_at,
        )
        .join(calls, c.uniqueid == q.uniqueid)
        .outerjoin(facts, f.call_id == c.id)
        .order_by(q.joined_at.is_(None), q.joined_at, q.first_key)
    )


def _totals(calls: CTE) -> Select[Any]:
    c = calls.c
    completed = c.outcome == CallOutcome.COMPLETED.value
    hung_up = and_(c.ended_at.is_not(None), or_(c.outcome.is_(None), ~completed))
    return select(
        func.count(),
        func.coalesce(func.sum(case((completed, 1), else_=0)), 0),
        func.coalesce(func.sum(case((hung_up, 1), else_=0)), 0),
    ).select_from(calls)


class Plain(NamedTuple):
    """One queued call (in one scope) as the report reads it, from events or roll-ups."""

    call_id: str
    uniqueid: str
    joined_at: datetime | None  # None: a department's call with events in its queue, no join
    first_key: str
    connect_at: datetime | None
    member: str | None
    talk: int | None
    callback: bool
    last_at: datetime
    target: int | None
    readings: bool
    personal: bool
    outcome: str | None
    ended: bool


_NEVER: Final = datetime(1970, 1, 1, tzinfo=UTC)


def order_key(row: Plain) -> tuple[bool, datetime, str]:
    """The report's order: by joining, ties by the first event (never joined: last)."""
    return row.joined_at is None, row.joined_at or _NEVER, row.first_key


def _plain(r: Any) -> Plain:
    target, talk = _after_key(r.target), _after_key(r.talk)
    return Plain(
        r.id,
        r.uniqueid,
        r.joined_at,
        r.first_key,
        r.connect_at,
        _after_key(r.member),
        None if talk is None else int(talk),
        bool(r.callback),
        r.last_at,
        None if target is None else int(target),
        bool(r.readings),
        bool(r.personal),
        None if r.outcome is None else str(getattr(r.outcome, "value", r.outcome)),
        bool(r.ended),
    )


async def event_rows(
    conn: AsyncConnection,
    start: datetime,
    end: datetime,
    include_simulated: bool,
    queue: str | None,
    *,
    ranges: Sequence[tuple[datetime, datetime]] | None = None,
    also: Select[Any] | None = None,
) -> tuple[list[Plain], list[tuple[str, int]]]:
    """The queued calls of the period from the events, in the report's order, and the
    unanswered rings per operator; only of calls started in ``ranges`` or among ``also``
    when given (the part the roll-ups do not cover)."""
    dialect = conn.dialect.name
    calls = _period_calls(start, end, include_simulated, ranges=ranges, also=also)
    # Only the part's calls' joins: SQLite builds an IN list before reading (250,000 at 1M).
    joined = _joined_in(start, end).where(QueueEvent.uniqueid.in_(select(calls.c.uniqueid)))
    queued = _per_call(dialect, calls, joined, queue)
    rows = [_plain(r) for r in await conn.execute(_facts(dialect, calls, queued))]
    rings = [(m, int(n)) for m, n in await conn.execute(_rings(calls, joined, queue))]
    return rows, rings


async def period_totals(
    conn: AsyncConnection, start: datetime, end: datetime, include_simulated: bool
) -> tuple[int, int, int]:
    """The period's calls, those the IVR finished, and those that ended otherwise."""
    total, contained, hangups = (
        await conn.execute(_totals(_period_calls(start, end, include_simulated)))
    ).one()
    return int(total), int(contained), int(hangups)


def figures_of(
    rows: Iterable[Plain],
    totals: tuple[int, int, int],
    rings: Iterable[tuple[str, int]],
    queue: str | None,
    rolled: int = 0,
) -> QueueFigures:
    """The report's figures of its queued calls (in order) and the period's ``totals`` (the
    whole hotline's; a department's calls are its rows)."""
    total, contained, hangups = totals if queue is None else (0, 0, 0)
    completed_value = CallOutcome.COMPLETED.value
    queued_rows: list[QueuedRow] = []
    call_ids: list[str] = []
    for r in rows:
        completed = r.outcome == completed_value
        hung_up = r.ended and not completed
        if queue is not None:
            total, contained = total + 1, contained + completed
            call_ids.append(r.call_id)
        if r.joined_at is None:  # a department's call with events in its queue, no join
            hangups += hung_up if queue is not None else 0
            continue
        if queue is None:  # counted among the period's calls: not a hang-up in the IVR
            hangups -= hung_up
        queued_rows.append(
            QueuedRow(
                r.uniqueid,
                r.joined_at,
                r.connect_at,
                r.member,
                r.talk,
                r.callback,
                r.last_at,
                r.target,
                r.readings,
                r.personal,
            )
        )
    by_member: dict[str, int] = {}
    for member, n in rings:
        by_member[member] = by_member.get(member, 0) + n
    return QueueFigures(
        calls=queued_rows,
        calls_total=int(total),
        ivr_contained=int(contained),
        ivr_hangups=int(hangups),
        ring_no_answer=dict(sorted(by_member.items(), key=_most_first)),
        call_ids=call_ids,
        rolled=rolled,
    )


async def queue_figures(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    include_simulated: bool = False,
    queue: str | None = None,
) -> QueueFigures:
    """The figures of calls started in ``[start, end)`` from the events alone: the whole
    hotline's, or (``queue``) one department's queue, whose calls are those with events in
    it.  (The report reads ``hotline.store.queue_rollups.report_figures``: roll-ups and
    these queries for the rest.)"""
    async with db.engine.connect() as conn:
        rows, rings = await event_rows(conn, start, end, include_simulated, queue)
        totals = await period_totals(conn, start, end, include_simulated)
    return figures_of(rows, totals, rings, queue)


async def rows_to_roll(
    conn: AsyncConnection, lo: datetime, hi: datetime
) -> tuple[list[tuple[str, bool, datetime, Plain]], list[tuple[str, str, str, int]]]:
    """For the roll-up job: every call started in ``[lo, hi)`` that has queue events, per
    scope ("" all its queues, else each queue), simulated or not, with its start; and its
    unanswered rings per queue and operator (uniqueid, queue, member, n)."""
    dialect = conn.dialect.name
    calls = _period_calls(lo, hi, True)
    out: list[tuple[str, bool, datetime, Plain]] = []
    for by_queue in (False, True):
        queued = _per_call(dialect, calls, None, None, by_queue=by_queue)
        out.extend(
            (r.scope, bool(r.simulated), r.started_at, _plain(r))
            for r in await conn.execute(_facts(dialect, calls, queued))
        )
    rings = [
        (uid, queue, member, int(n))
        for uid, queue, member, n in await conn.execute(_rings(calls, None, None, by_call=True))
    ]
    return out, rings


def _rings(
    calls: CTE, joined: Select[Any] | None, queue: str | None, *, by_call: bool = False
) -> Select[Any]:
    """Unanswered rings per operator (R-031) among the queued calls' events (``by_call``:
    per call, queue and operator)."""
    per: tuple[Any, ...] = (QueueEvent.uniqueid, QueueEvent.queue) if by_call else ()
    query = (
        select(*per, QueueEvent.member, func.count())
        .where(
            QueueEvent.kind == QueueEventKind.RING_NO_ANSWER.value,
            QueueEvent.member.is_not(None),
            QueueEvent.member != "",
            QueueEvent.uniqueid.in_(select(calls.c.uniqueid)),
            *(() if joined is None else (QueueEvent.uniqueid.in_(joined),)),
        )
        .group_by(*per, QueueEvent.member)
    )
    if queue is not None:
        query = query.where(QueueEvent.queue == queue)
    return query


def _most_first(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]
