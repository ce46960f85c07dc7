"""Which calls a person may see: supervisors every call, an operator the calls they answered
(the queue's AgentConnect records name them).  Every listing is audited: it shows callers'
numbers."""

from __future__ import annotations

from datetime import datetime

from hotline.store.audit import Actor, AuditLog
from hotline.store.calllog import CallLog, CallRecord
from hotline.store.db import Database
from hotline.store.enums import QueueEventKind
from hotline.store.queue_events import QueueEvents

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
    calls = await CallLog(db).between(
        start, end, include_simulated=include_simulated, limit=MAX_CALLS
    )
    if operator is not None:
        answered = {
            event.uniqueid
            for event in await QueueEvents(db).between(start, end)
            if event.kind is QueueEventKind.CONNECT and event.member == operator
        }
        calls = [call for call in calls if call.uniqueid in answered]
    calls = sorted(calls, key=lambda call: call.started_at, reverse=True)
    await AuditLog(db).write(
        by, "calls.view", detail={"from": start.isoformat(), "calls": len(calls)}
    )
    return calls
