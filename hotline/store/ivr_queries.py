"""The IVR statistics' aggregates computed in SQL (issue 19 item 3): the same definitions as
``hotline.calls.ivr_stats`` (a call's visits are its "node" events in order of (at, id); a
visit lasts to the next node event, else the end of the call, else the call's last event;
the non-empty "digits" events after a node event and before the next are the keys pressed
there) as window functions and aggregates, on SQLite and PostgreSQL alike, so a report over
a million call events never loads them.

One window over each call's events, ordered by (at, id), gives every event the node it
happened in and every node event its end; the figures are branches of one UNION ALL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.store.db import Database
from hotline.store.enums import CallOutcome, EventKind
from hotline.store.models import Call, CallEvent
from hotline.store.types import UtcDateTime, as_utc


@dataclass(frozen=True)
class IvrAggregates:
    """Raw figures of the IVR calls started in a period (calls with at least one node)."""

    # (node, visits, seconds spent there in all)
    nodes: list[tuple[str, int, float]]
    # (node, key, times pressed there)
    keys: list[tuple[str, str, int]]
    # (outcome, operator reason, heard an outage, calls)
    calls: list[tuple[CallOutcome | None, str | None, bool, int]]
    # (node, calls whose caller hung up there: outcome abandoned, the call's last visit)
    abandons: list[tuple[str, int]]
    # (UTC quarter-hour of the first visit, outcome, calls): the by-day and chart series
    # (every time zone's offset is a whole number of quarter-hours, so local hours and days
    # fold them exactly)
    starts: list[tuple[datetime, CallOutcome | None, int]]
    # 15-minute buckets read from the roll-ups (``hotline.store.ivr_rollups``), not events
    rolled: int = 0


def _epoch_seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    """``later - earlier`` in seconds, exact to the microsecond."""
    if dialect == "sqlite":
        # Stored as naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff": whole seconds from strftime
        # over the text without its fraction (SQLite's own clock rounds to milliseconds), the
        # fraction from the text.
        def whole(x: Any) -> ColumnElement[Any]:
            seconds = func.substr(x, literal_column("1"), literal_column("19"))
            return cast(func.strftime(literal_column("'%s'"), seconds), Float)

        def fraction(x: Any) -> ColumnElement[Any]:
            return cast(func.substr(x, literal_column("20")), Float)

        return (whole(later) - whole(earlier)) + (fraction(later) - fraction(earlier))
    return cast(extract("epoch", later - earlier), Float)


def _not_negative(dialect: str, value: ColumnElement[float]) -> ColumnElement[float]:
    zero = literal(0.0, Float)
    return func.max(value, zero) if dialect == "sqlite" else func.greatest(value, zero)


def _quarter(dialect: str, column: Any) -> ColumnElement[Any]:
    """The quarter-hour (UTC) a moment falls in."""
    if dialect == "sqlite":  # "YYYY-MM-DD HH:" and the minutes floored to 00/15/30/45
        minutes = cast(func.substr(column, literal_column("15"), literal_column("2")), Integer)
        floored = func.printf(literal_column("'%02d'"), minutes // 15 * 15)
        hour: ColumnElement[Any] = func.substr(column, literal_column("1"), literal_column("14"))
        return hour.op("||")(floored)
    seconds = func.floor(extract("epoch", column) / 900) * 900
    return func.to_timestamp(seconds)


def _as_minute(value: str) -> datetime:
    # SQLite: "YYYY-MM-DD HH:MM" of the stored UTC text; PostgreSQL: date_trunc's timestamptz
    # as text ("YYYY-MM-DD HH:MM:SS+ZZ", in the session's zone).
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _outcome(value: Any) -> CallOutcome | None:
    return None if value is None else CallOutcome(value)


# The node key's text: the event's time (26 characters), its id (12), then the node.
_NODE_AT: Final = 39


def _node_key(dialect: str) -> ColumnElement[str]:
    """For a node event: its time and id as fixed-width text, then the node; sorting these
    sorts node events by (at, id), so a running maximum is the node the caller is in."""
    if dialect == "sqlite":  # the stored naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff"
        stamp: ColumnElement[str] = cast(CallEvent.at, String)
        number = func.printf(literal_column("'%012d'"), CallEvent.id)
    else:
        utc = func.timezone(literal_column("'UTC'"), CallEvent.at)
        stamp = func.to_char(utc, literal_column("'YYYY-MM-DD HH24:MI:SS.US'"))
        number = func.lpad(cast(CallEvent.id, String), 12, "0")
    text = stamp.op("||")(number).op("||")(CallEvent.value)
    return case((CallEvent.kind == EventKind.NODE.value, text))


def _events(dialect: str, start: datetime, end: datetime, include_simulated: bool) -> CTE:
    """The period's call events, each with its call's columns, the node it happened in (None
    before the first node), whether it is the call's first node event, the time of the
    call's next node event and of its last event, and whether the call heard an outage.
    Every window shares one partition and order, so the events are sorted once."""
    period = [
        Call.started_at >= literal(as_utc(start), UtcDateTime()),
        Call.started_at < literal(as_utc(end), UtcDateTime()),
    ]
    if not include_simulated:
        period.append(Call.simulated.is_(False))
    call = CallEvent.call_id
    order = (CallEvent.at, CallEvent.id)
    is_node = CallEvent.kind == EventKind.NODE.value
    key = _node_key(dialect)
    whole = (None, None)
    return (
        select(
            call,
            CallEvent.at,
            CallEvent.kind,
            CallEvent.value,
            Call.outcome,
            Call.operator_reason,
            Call.ended_at,
            Call.simulated,
            _bucket(dialect, Call.started_at).label("bucket"),
            func.substr(
                func.max(key).over(partition_by=call, order_by=order, rows=(None, 0)),
                _NODE_AT,
            ).label("node"),
            (key == func.min(key).over(partition_by=call, order_by=order, rows=whole)).label(
                "first"
            ),
            # The node events after this one come in time order: the first is the earliest.
            func.min(case((is_node, CallEvent.at)))
            .over(partition_by=call, order_by=order, rows=(1, None))
            .label("next_at"),
            func.max(CallEvent.at)
            .over(partition_by=call, order_by=order, rows=whole)
            .label("last_at"),
            func.max(case((CallEvent.kind == EventKind.OUTAGE_HEARD.value, 1), else_=0))
            .over(partition_by=call, order_by=order, rows=whole)
            .label("outage"),
        )
        .join(Call, Call.id == call)
        .where(*period)
        .cte("ivr_events")
    )


def _bucket(dialect: str, column: Any) -> ColumnElement[int]:
    """The 15-minute bucket of a moment: UTC epoch seconds // 900 (``ivr_rollups``)."""
    if dialect == "sqlite":
        seconds = func.strftime(
            literal_column("'%s'"), func.substr(column, literal_column("1"), literal_column("19"))
        )
        bucket: ColumnElement[int] = cast(seconds, Integer) // 900
        return bucket
    return cast(func.floor(extract("epoch", column) / 900), BigInteger)


# One row of the aggregate: (section, a, b, c, count, seconds); a, b, c as text.
AggregateRow = tuple[str, str | None, str | None, str | None, int, float]
# The same per 15-minute bucket of the calls' start and simulated or not:
# (bucket, simulated, section, a, b, c, count, seconds).
BucketRow = tuple[int, bool, str, str | None, str | None, str | None, int, float]


async def aggregate_rows(
    conn: AsyncConnection, start: datetime, end: datetime, *, include_simulated: bool
) -> list[AggregateRow]:
    """The aggregate over calls started in ``[start, end)`` (simulated ones only if asked),
    in one statement: the events are numbered once, then each figure is a branch of a
    UNION ALL of (section, a, b, c, count, seconds) rows."""
    rows = await conn.execute(_aggregate(conn.dialect.name, start, end, include_simulated))
    return [
        (section, a, b, c, int(count), float(spent or 0.0))
        for section, a, b, c, count, spent in rows
    ]


async def bucket_rows(conn: AsyncConnection, start: datetime, end: datetime) -> list[BucketRow]:
    """``aggregate_rows`` of every call, grouped also by its 15-minute bucket and whether it
    is simulated (every figure is a sum over calls, so these add up to the period's)."""
    rows = await conn.execute(_aggregate(conn.dialect.name, start, end, True, by_bucket=True))
    return [
        (int(bucket), bool(simulated), section, a, b, c, int(count), float(spent or 0.0))
        for bucket, simulated, section, a, b, c, count, spent in rows
    ]


def _aggregate(
    dialect: str,
    start: datetime,
    end: datetime,
    include_simulated: bool,
    *,
    by_bucket: bool = False,
) -> Any:
    e = _events(dialect, start, end, include_simulated).c
    node = e.kind == EventKind.NODE.value
    until = func.coalesce(e.next_at, e.ended_at, e.last_at)
    seconds = _not_negative(dialect, _epoch_seconds_between(dialect, until, e.at))
    none = literal(None, String)
    zero = literal(0.0, Float)
    minute = cast(_quarter(dialect, e.at), String)
    outage = cast(e.outage, String)
    extra: tuple[Any, ...] = (e.bucket, e.simulated) if by_bucket else ()

    def branch(section: str, a: Any, b: Any, c: Any, spent: Any) -> Select[Any]:
        keys = [k for k in (a, b, c) if k is not none]
        return select(*extra, literal(section), a, b, c, func.count(), spent).group_by(
            *extra, *keys
        )

    branches = (
        branch("node", e.value, none, none, func.sum(seconds)).where(node),
        branch("key", e.node, e.value, none, zero).where(
            e.kind == EventKind.DIGITS.value, e.value != "", e.node.is_not(None)
        ),
        branch("call", e.outcome, e.operator_reason, outage, zero).where(node, e.first),
        branch("abandon", e.value, none, none, zero).where(
            node, e.next_at.is_(None), e.outcome == CallOutcome.ABANDONED.value
        ),
        branch("start", minute, e.outcome, none, zero).where(node, e.first),
    )
    return union_all(*branches)


def aggregates_from(rows: Iterable[AggregateRow], rolled: int = 0) -> IvrAggregates:
    """The figures from aggregate rows, rows of one key (from several buckets or ranges)
    summed."""
    counts: dict[tuple[str, str | None, str | None, str | None], int] = {}
    spent: dict[tuple[str, str | None, str | None, str | None], float] = {}
    for section, a, b, c, count, seconds in rows:
        key = (section, a, b, c)
        counts[key] = counts.get(key, 0) + count
        if seconds:
            spent[key] = spent.get(key, 0.0) + seconds
    result = IvrAggregates([], [], [], [], [], rolled)
    outcomes: dict[str | None, CallOutcome | None] = {}
    moments: dict[str, datetime] = {}
    for key, count in counts.items():
        section, a, b, c = key
        if section == "start":  # most rows: a month has 2,976 quarter-hours
            outcome = outcomes[b] if b in outcomes else outcomes.setdefault(b, _outcome(b))
            moment = moments.get(str(a)) or moments.setdefault(str(a), _as_minute(str(a)))
            result.starts.append((moment, outcome, count))
        elif section == "node":
            result.nodes.append((str(a), count, spent.get(key, 0.0)))
        elif section == "key":
            result.keys.append((str(a), str(b), count))
        elif section == "call":
            result.calls.append((_outcome(a), b, c not in (None, "0"), count))
        else:
            result.abandons.append((str(a), count))
    return result


async def ivr_aggregates(
    db: Database, start: datetime, end: datetime, *, include_simulated: bool = False
) -> IvrAggregates:
    """The aggregates over calls started in ``[start, end)`` from the events alone."""
    async with db.engine.connect() as conn:
        rows = await aggregate_rows(conn, start, end, include_simulated=include_simulated)
    return aggregates_from(rows)
