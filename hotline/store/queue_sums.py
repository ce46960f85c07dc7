"""The queue report's KPIs as sums in SQL over the roll-ups (issue 19 item 3): the report
over a million queue events reads a few grouped rows instead of one object per queued call.

The definitions are those of ``hotline.contact_center.kpi`` over what a rolled row holds:

- answered: a connect; the wait runs from the first join to the connect, or to the last
  queue event (leaving), in whole microseconds (exact on both databases: SQLite's own date
  functions keep milliseconds, so seconds and the six fraction digits are taken apart);
- within the target: answered and waited at most ``COALESCE(NULLIF(answer_target, 0),
  :default)`` seconds (the Python ``answer_target or default``), the department's default
  for its report; within the limit: the same against the 40-second limit;
- a callback counts only unanswered; lost: unanswered with no callback request;
- the call type: the operator's latest disposition (joined here, read live: written at any
  time after the roll-up), else readings, personal or general from the IVR path; the rows
  are grouped by those facts and the domain names the type.

The rest of the period (partial, stale and recent buckets) is read from the events as rows
(``queue_rollups.read_parts``), few by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.store.db import Database
from hotline.store.desk import DispositionRecord
from hotline.store.enums import CallOutcome
from hotline.store.models import CallDisposition, QueueRollup
from hotline.store.queue_rollups import Parts, read_parts

# Probed uniqueids per statement (bound parameters stay well under every driver's limit).
_CHUNK: Final = 500
_MICRO: Final = 1_000_000


class SumRow(NamedTuple):
    """The sums over the rolled queued calls sharing their type's facts."""

    kept_type: str | None  # the latest disposition's call type
    readings: bool
    personal: bool
    offered: int
    answered: int
    within_target: int
    within_limit: int
    lost: int
    from_queue: int
    wait_answered_us: int
    wait_all_us: int
    max_wait_us: int | None
    talk_sum: int  # of answered calls with a talk time
    talk_n: int


@dataclass(frozen=True)
class Rolled:
    groups: list[SumRow]
    count: int = 0  # every row (a department's: also those that never joined its queue)
    completed: int = 0
    hung_up_unjoined: int = 0  # ended, not completed, no join in scope
    hung_up_joined: int = 0
    dispositions: tuple[DispositionRecord, ...] = ()  # of the queued calls, oldest first
    probed: frozenset[str] = frozenset()  # of the probe: the rolled queued calls
    call_ids: tuple[str, ...] = ()  # a department's calls (its callbacks)


def _micros(dialect: str, later: Any, earlier: Any) -> ColumnElement[int]:
    """``later - earlier`` in whole microseconds."""
    if dialect == "sqlite":  # the stored text "YYYY-MM-DD HH:MM:SS.ffffff"

        def seconds(at: Any) -> ColumnElement[int]:
            return cast(func.strftime("%s", func.substr(at, 1, 19)), Integer)

        def fraction(at: Any) -> ColumnElement[int]:
            return cast(func.substr(at, 21, 6), Integer)

        diff: ColumnElement[int] = (seconds(later) - seconds(earlier)) * _MICRO + (
            fraction(later) - fraction(earlier)
        )
        return diff
    return cast(extract("epoch", later - earlier) * _MICRO, BigInteger)


def _latest_type() -> Any:
    d = CallDisposition
    return (
        select(d.call_type)
        .where(d.uniqueid == QueueRollup.uniqueid)
        .order_by(d.at.desc(), d.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sums_query(
    dialect: str, where: Sequence[ColumnElement[bool]], default_target: int, limit: int
) -> Any:
    """The KPI sums of the rolled queued calls ``where`` selects, per type facts."""
    r = QueueRollup
    answered = r.connect_at.is_not(None)
    wait = _micros(dialect, func.coalesce(r.connect_at, r.last_at), r.joined_at)
    target = func.coalesce(func.nullif(r.answer_target, 0), literal(default_target))
    kept = _latest_type().label("kept_type")
    talked = and_(answered, r.talk.is_not(None))
    inner = (
        select(
            kept,
            r.readings,
            r.personal,
            answered.label("answered"),
            r.callback,
            wait.label("wait"),
            target.label("target"),
            r.talk,
            talked.label("talked"),
        )
        .where(*where, r.joined_at.is_not(None))
        .subquery("rolled_calls")
    )
    c = inner.c
    yes = c.answered.is_(True)
    return select(
        c.kept_type,
        c.readings,
        c.personal,
        func.count(),
        _count(yes),
        _count(and_(yes, c.wait <= c.target * _MICRO)),
        _count(and_(yes, c.wait <= limit * _MICRO)),
        _count(and_(not_(yes), c.callback.is_(False))),
        _count(and_(not_(yes), c.callback.is_(True))),
        func.coalesce(func.sum(case((yes, c.wait), else_=0)), 0),
        func.coalesce(func.sum(c.wait), 0),
        func.max(c.wait),
        func.coalesce(func.sum(case((c.talked.is_(True), c.talk), else_=0)), 0),
        _count(c.talked.is_(True)),
    ).group_by(c.kept_type, c.readings, c.personal)


def _totals_query(where: Sequence[ColumnElement[bool]]) -> Any:
    r = QueueRollup
    completed = r.outcome == CallOutcome.COMPLETED.value
    hung_up = and_(r.ended.is_(True), or_(r.outcome.is_(None), not_(completed)))
    return select(
        func.count(),
        _count(completed),
        _count(and_(hung_up, r.joined_at.is_(None))),
        _count(and_(hung_up, r.joined_at.is_not(None))),
    ).where(*where)


async def report_sums(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    include_simulated: bool = False,
    queue: str | None = None,
    default_target: int,
    limit: int,
    probe: Sequence[str] = (),
) -> Parts[Rolled]:
    """The report's parts with the rolled calls as sums (``Rolled``) and the rest as rows;
    ``probe``: uniqueids (card views, transfers) to tell whether they are rolled queued
    calls of the report."""
    wanted = sorted(set(probe))

    async def reader(conn: AsyncConnection, where: tuple[ColumnElement[bool], ...]) -> Rolled:
        dialect = conn.dialect.name
        groups = [
            SumRow._make(
                (
                    kept,
                    bool(readings),
                    bool(personal),
                    *(int(n) for n in counts[:8]),
                    None if counts[8] is None else int(counts[8]),
                    int(counts[9]),
                    int(counts[10]),
                )
            )
            for kept, readings, personal, *counts in await conn.execute(
                sums_query(dialect, where, default_target, limit)
            )
        ]
        count, completed, unjoined, joined = (await conn.execute(_totals_query(where))).one()
        r, d = QueueRollup, CallDisposition
        queued = select(r.uniqueid).where(*where, r.joined_at.is_not(None))
        kept = await conn.execute(
            select(d.uniqueid, d.operator, d.call_type, d.result, d.note, d.at)
            .where(d.uniqueid.in_(queued))
            .order_by(d.at, d.id)
        )
        probed: set[str] = set()
        for first in range(0, len(wanted), _CHUNK):
            chunk = wanted[first : first + _CHUNK]
            probed.update((await conn.execute(queued.where(r.uniqueid.in_(chunk)))).scalars())
        call_ids: tuple[str, ...] = ()
        if queue is not None:
            call_ids = tuple((await conn.execute(select(r.call_id).where(*where))).scalars())
        return Rolled(
            groups,
            int(count),
            int(completed),
            int(unjoined),
            int(joined),
            dispositions=tuple(DispositionRecord(*row) for row in kept),
            probed=frozenset(probed),
            call_ids=call_ids,
        )

    return await read_parts(db, start, end, include_simulated, queue, reader, Rolled([]))
