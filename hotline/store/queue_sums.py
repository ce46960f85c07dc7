"""The queue report's KPIs as sums in SQL over the roll-ups (issue 19 item 3): the report
over a million queue events reads a few grouped rows instead of one object per queued call.

The definitions are those of ``hotline.contact_center.kpi`` over what a rolled row holds:

- answered: a connect; the wait runs from the first join to the connect, or to the last
  queue event (leaving), in whole microseconds, computed by the roll-up job (``wait_us``,
  migration 0037): SQLite's date functions keep only milliseconds, and parsing two dates
  per row cost seconds at 250,000 rows;
- within the target: answered and waited at most ``COALESCE(NULLIF(answer_target, 0),
  :default)`` seconds (the Python ``answer_target or default``), the department's default
  for its report; within the limit: the same against the 40-second limit;
- a callback counts only unanswered; lost: unanswered with no callback request;
- the call type: the operator's latest disposition (read live: written at any time after
  the roll-up), else readings, personal or general from the IVR path.  The sums take the
  IVR path's type; the few rolled calls with a disposition (read anyway, for the report)
  then move their talk time to the disposition's type in Python: a disposition looked up
  per rolled row cost a correlated subquery for each of 250,000 rows.

The rest of the period (partial, stale and recent buckets) is read from the events as rows
(``queue_rollups.read_parts``), few by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
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
    """The sums over the rolled queued calls."""

    offered: int
    answered: int
    within_target: int
    within_limit: int
    lost: int
    from_queue: int
    wait_answered_us: int
    wait_all_us: int
    max_wait_us: int | None
    talk: dict[str, tuple[int, int]]  # call type → talk time sum, answered calls with one


@dataclass(frozen=True)
class Rolled:
    sums: SumRow | None
    count: int = 0  # every row (a department's: also those that never joined its queue)
    completed: int = 0
    hung_up_unjoined: int = 0  # ended, not completed, no join in scope
    hung_up_joined: int = 0
    dispositions: tuple[DispositionRecord, ...] = ()  # of the queued calls, oldest first
    probed: frozenset[str] = frozenset()  # of the probe: the rolled queued calls
    call_ids: tuple[str, ...] = ()  # a department's calls (its callbacks)


# FILTER (SQLite 3.30+, PostgreSQL) rather than sum(CASE ...): a row the condition rejects
# costs no aggregate step; the row of sums took 16 % less CPU at 250,000 rolled rows.
def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count().filter(condition)


def _sum(value: Any, condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(value).filter(condition), 0)


def sums_query(
    where: Sequence[ColumnElement[bool]],
    default_target: int,
    limit: int,
    types: tuple[str, str, str],
) -> Any:
    """One row of sums over the rolled rows ``where`` selects: the totals of every row, the
    KPI sums of the queued calls, and the talk time per call type of the IVR path
    (``types``: the names of readings, personal, general; ``retyped`` moves the calls with
    a disposition)."""
    r = QueueRollup
    queued = r.joined_at.is_not(None)
    answered = and_(queued, r.connect_at.is_not(None))
    unanswered = and_(queued, r.connect_at.is_(None))
    target = func.coalesce(func.nullif(r.answer_target, 0), literal(default_target))
    readings, personal, general = types
    call_type = case(
        (r.readings.is_(True), readings), (r.personal.is_(True), personal), else_=general
    )
    talked = and_(answered, r.talk.is_not(None))
    completed = r.outcome == CallOutcome.COMPLETED.value
    hung_up = and_(r.ended.is_(True), or_(r.outcome.is_(None), not_(completed)))
    talk = []
    for name in types:
        mine = and_(talked, call_type == name)
        talk += [_sum(r.talk, mine), _count(mine)]
    return (
        select(
            func.count(),
            _count(completed),
            _count(and_(hung_up, not_(queued))),
            _count(and_(hung_up, queued)),
            _count(queued),
            _count(answered),
            _count(and_(answered, r.wait_us <= target * _MICRO)),
            _count(and_(answered, r.wait_us <= limit * _MICRO)),
            _count(and_(unanswered, r.callback.is_(False))),
            _count(and_(unanswered, r.callback.is_(True))),
            _sum(r.wait_us, answered),
            _sum(r.wait_us, queued),
            func.max(r.wait_us).filter(queued),
            *talk,
        )
        .select_from(r)
        .where(*where)
    )


def retyped(sums: SumRow, kept: Sequence[Any], types: tuple[str, str, str]) -> SumRow:
    """``sums`` with the talk time of each call with a disposition moved from its IVR path's
    type to the latest disposition's (R-038: the latest pick wins; ``kept`` oldest first:
    disposition columns, then talked, talk, readings, personal of its rolled row)."""
    latest = {row[0]: row for row in kept}
    if not latest:
        return sums
    readings, personal, general = types
    talk = {name: list(pair) for name, pair in sums.talk.items()}
    for row in latest.values():
        call_type: str = row[2]
        talked, seconds, is_readings, is_personal = row[6], row[7], row[8], row[9]
        path = readings if is_readings else personal if is_personal else general
        if not talked or call_type == path:
            continue
        talk[path][0] -= int(seconds)
        talk[path][1] -= 1
        if call_type in talk:  # a type outside ``types`` is summed under none, as in SQL
            talk[call_type][0] += int(seconds)
            talk[call_type][1] += 1
    return sums._replace(talk={name: (pair[0], pair[1]) for name, pair in talk.items()})


async def report_sums(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    include_simulated: bool = False,
    queue: str | None = None,
    default_target: int,
    limit: int,
    types: tuple[str, str, str],
    probe: Sequence[str] = (),
) -> Parts[Rolled]:
    """The report's parts with the rolled calls as sums (``Rolled``) and the rest as rows;
    ``probe``: uniqueids (card views, transfers) to tell whether they are rolled queued
    calls of the report."""
    wanted = sorted(set(probe))

    async def reader(conn: AsyncConnection, where: tuple[ColumnElement[bool], ...]) -> Rolled:
        row = (await conn.execute(sums_query(where, default_target, limit, types))).one()
        count, completed, unjoined, joined, *kpis = row
        *counts, longest = kpis[:9]
        talk = {
            name: (int(kpis[9 + 2 * i]), int(kpis[10 + 2 * i])) for i, name in enumerate(types)
        }
        sums = SumRow._make(
            (*(int(n) for n in counts), None if longest is None else int(longest), talk)
        )
        r, d = QueueRollup, CallDisposition
        queued = select(r.uniqueid).where(*where, r.joined_at.is_not(None))
        # From the rolled rows to their dispositions (the index on uniqueid): an IN over
        # 250,000 uniqueids would build them into a temporary index first.  With each, what
        # its talk time was summed under (answered with a talk time, the IVR path's type).
        kept = (
            await conn.execute(
                select(
                    d.uniqueid,
                    d.operator,
                    d.call_type,
                    d.result,
                    d.note,
                    d.at,
                    and_(r.connect_at.is_not(None), r.talk.is_not(None)),
                    r.talk,
                    r.readings,
                    r.personal,
                )
                .select_from(r)
                .join(d, d.uniqueid == r.uniqueid)
                .where(*where, r.joined_at.is_not(None))
                .order_by(d.at, d.id)
            )
        ).all()
        sums = retyped(sums, kept, types)
        probed: set[str] = set()
        for first in range(0, len(wanted), _CHUNK):
            chunk = wanted[first : first + _CHUNK]
            probed.update((await conn.execute(queued.where(r.uniqueid.in_(chunk)))).scalars())
        call_ids: tuple[str, ...] = ()
        if queue is not None:
            call_ids = tuple((await conn.execute(select(r.call_id).where(*where))).scalars())
        return Rolled(
            sums,
            int(count),
            int(completed),
            int(unjoined),
            int(joined),
            dispositions=tuple(DispositionRecord(*row[:6]) for row in kept),
            probed=frozenset(probed),
            call_ids=call_ids,
        )

    return await read_parts(db, start, end, include_simulated, queue, reader, Rolled(None))
