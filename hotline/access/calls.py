"""Which calls a person may see: supervisors every call, an operator the calls they answered
(the queue's AgentConnect records name them).  Every listing is audited: it shows callers'
numbers."""

from __future__ import annotations

from datetime import datetime

from hotline.store.audit import Actor, AuditLog
from hotline.store.calllog import CallLog, CallRecord
from hotline.store.db import Database

MAX_CALLS = 1000


async def visible_calls(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    by: Actor,
    operator: str | None,
    include_simulated: bool = False,
) -> list[CallRecord]:
    """Calls started in ``[start, end)``, newest first; only ``operator``'s answered calls
    when given.  The listing is audited as ``by``'s."""
    # Filtered in the query, newest first, and only then limited: the newest calls are the
    # ones kept when there are more than MAX_CALLS.
    calls = await CallLog(db).between(
        start,
        end,
        include_simulated=include_simulated,
        limit=MAX_CALLS,
        answered_by=operator,
        newest_first=True,
    )
    await AuditLog(db).write(
        by, "calls.view", detail={"from": start.isoformat(), "calls": len(calls)}
    )
    return calls
