"""The call log's per-call statements, built once and run with their parameters.

Built per call with its values, each of these made SQLAlchemy generate a new cache key and
look up the compiled form: about 0.25 ms of CPU per statement on the engine's loop (a call's
answer written 0.76 ms a call as built per call, 0.50 ms prebuilt; SQLite, one process), and a
call's answer, end and outcome make six of them (issue 19 item 1).  A statement object reused
keeps its cache key.  Bind names carry a ``p_`` prefix: SQLAlchemy reserves a column's own
name for the SET and VALUES clauses of an UPDATE or INSERT of its table.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Table, bindparam, case, func, select, update

from hotline.store.call_rows import CALL_EVENTS, CALLS, ENDED_COLUMNS, UnknownCall
from hotline.store.enums import CallOutcome
from hotline.store.models import QueueEvent, str_enum
from hotline.store.types import UtcDateTime

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

_QUEUE_EVENTS: Final[Table] = QueueEvent.__table__  # type: ignore[assignment]
_OUTCOME: Final = str_enum(CallOutcome)

# The first answer time reported is kept (``p_uniqueid``, ``p_at``).
ANSWERED: Final = (
    update(CALLS)
    .where(CALLS.c.uniqueid == bindparam("p_uniqueid"))
    .values(answered_at=func.coalesce(CALLS.c.answered_at, bindparam("p_at", type_=UtcDateTime())))
    .returning(CALLS.c.id)
)

# The first end of a call (``p_uniqueid``, ``p_at``, ``p_cause``, ``p_outcome``): its end
# time, its cause unless one was kept, its outcome unless one was recorded; no row when the
# call ended before.
FIRST_END: Final = (
    update(CALLS)
    .where(CALLS.c.uniqueid == bindparam("p_uniqueid"), CALLS.c.ended_at.is_(None))
    .values(
        ended_at=bindparam("p_at", type_=UtcDateTime()),
        hangup_cause=func.coalesce(
            CALLS.c.hangup_cause, bindparam("p_cause", type_=CALLS.c.hangup_cause.type)
        ),
        outcome=func.coalesce(CALLS.c.outcome, bindparam("p_outcome", type_=_OUTCOME)),
    )
    .returning(*ENDED_COLUMNS)
)

# What an inbound call's webhook event reports of its events and queue events.
EVENTS_OF_CALL: Final = (
    select(CALL_EVENTS.c.kind, CALL_EVENTS.c.value)
    .where(CALL_EVENTS.c.call_id == bindparam("p_call_id"))
    .order_by(CALL_EVENTS.c.at, CALL_EVENTS.c.id)
)
QUEUE_EVENTS_OF_CALL: Final = (
    select(_QUEUE_EVENTS.c.kind, _QUEUE_EVENTS.c.queue, _QUEUE_EVENTS.c.member)
    .where(_QUEUE_EVENTS.c.uniqueid == bindparam("p_uniqueid"))
    .order_by(_QUEUE_EVENTS.c.at, _QUEUE_EVENTS.c.id)
)


@functools.cache
def set_outcome(overwrite: bool) -> Any:
    """A call's outcome (``p_uniqueid``, ``p_outcome``, ``p_reason``), returning its id: the
    first one and its reason win, unless ``overwrite`` (then the old reason stays if none is
    given)."""
    old = CALLS.c
    new_outcome = bindparam("p_outcome", type_=_OUTCOME)
    new_reason = bindparam("p_reason", type_=old.operator_reason.type)
    if overwrite:
        values: dict[str, Any] = {
            "outcome": new_outcome,
            "operator_reason": func.coalesce(new_reason, old.operator_reason),
        }
    else:
        # SET expressions all see the old row, so both test the old outcome.
        values = {
            "outcome": func.coalesce(old.outcome, new_outcome),
            "operator_reason": case(
                (old.outcome.is_(None), new_reason), else_=old.operator_reason
            ),
        }
    return (
        update(CALLS)
        .where(CALLS.c.uniqueid == bindparam("p_uniqueid"))
        .values(**values)
        .returning(CALLS.c.id)
    )


async def returning_id(session: AsyncSession, statement: Any, params: Mapping[str, Any]) -> str:
    """Run an UPDATE .. RETURNING id of the call ``p_uniqueid``: its id (UnknownCall when
    there is no such call; "nothing to change" and "no such call" told apart in one trip)."""
    call_id = (await session.execute(statement, params)).scalar()
    if call_id is None:
        raise UnknownCall(params["p_uniqueid"])
    return str(call_id)
