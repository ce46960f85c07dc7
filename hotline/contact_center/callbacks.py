"""Callback requests as operators work them, from the CLI or the console: the same rules and
the same audit entries (the numbers are personal data) whichever front end lists them or
marks one done."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Final

from hotline.contact_center.hours import OperatorHours
from hotline.contact_center.slots import SlotError, check_window
from hotline.core.clock import Clock, utc_now
from hotline.settings import CallbackSettings
from hotline.store.audit import Actor, AuditLog
from hotline.store.callbacks import CallbackRecord, CallbackStore, NotYourCallback
from hotline.store.db import STORE_ERRORS, Database
from hotline.store.enums import CallbackStatus
from hotline.store.operators import Operators

__all__ = [
    "NotYourCallback",
    "SlotError",
    "assign",
    "assign_due",
    "done",
    "overdue",
    "requests",
    "run_auto_assign",
    "set_slot",
]

log = logging.getLogger(__name__)
# The engine looks for callbacks whose window opened this often (seconds).
ASSIGN_EVERY: Final = 30.0
ENGINE: Final = Actor("engine", "engine")


async def done(
    db: Database,
    callback_id: int,
    by: Actor,
    note: str | None = None,
    *,
    any_assignee: bool = True,
) -> CallbackRecord:
    """Mark a request done by ``by``; raises NotFound (UnknownCallback) for an unknown id.
    With ``any_assignee`` False (an operator, not a supervisor) only a request that is
    unassigned or assigned to ``by`` is closed; NotYourCallback otherwise (audited)."""
    try:
        record = await CallbackStore(db).done(
            callback_id, by.name, note, any_assignee=any_assignee
        )
    except NotYourCallback:
        await AuditLog(db).write(by, "callback.done.refused", str(callback_id))
        raise
    await AuditLog(db).write(by, "callback.done", str(callback_id), {"note": note})
    return record


async def assign(db: Database, callback_id: int, to: str | None, by: Actor) -> CallbackRecord:
    """Give a request to one operator (None: to everyone again); audited."""
    record = await CallbackStore(db).assign(callback_id, to)
    await AuditLog(db).write(by, "callback.assign", str(callback_id), {"to": to})
    return record


async def requests(db: Database, by: Actor, *, open_only: bool = True) -> list[CallbackRecord]:
    """The requests to work (the open ones or all), the newest due first (those without an
    agreed window after them, oldest first); every listing is audited."""
    found = await CallbackStore(db).find(status=CallbackStatus.OPEN if open_only else None)
    found.sort(key=lambda r: r.requested_at)
    found.sort(key=lambda r: r.due_at.timestamp() if r.due_at else float("-inf"), reverse=True)
    detail = {"open": len(found)} if open_only else {"all": len(found)}
    await AuditLog(db).write(by, "callbacks.view", detail=detail)
    return found


async def set_slot(
    db: Database,
    callback_id: int,
    start: datetime,
    end: datetime | None,
    by: Actor,
    *,
    hours: OperatorHours,
    settings: CallbackSettings,
    any_assignee: bool = True,
    now: datetime | None = None,
) -> CallbackRecord:
    """Set or move the agreed window (R-109): inside operator hours, not in the past, at most
    ``callbacks.days_ahead`` ahead (SlotError otherwise, audited as refused); an operator
    (``any_assignee`` False) only on their own or unassigned requests.  Audited with the window
    it replaces."""
    try:
        due_at, due_until = check_window(
            hours,
            now or utc_now(),
            start,
            end,
            slot_minutes=settings.slot_minutes,
            days_ahead=settings.days_ahead,
        )
        before, after = await CallbackStore(db).set_slot(
            callback_id, due_at, due_until, by=None if any_assignee else by.name
        )
    except SlotError as exc:
        await AuditLog(db).write(
            by, "callback.slot.refused", str(callback_id), {"error": str(exc)}
        )
        raise
    except NotYourCallback:
        detail = {"error": "назначена другому оператору"}
        await AuditLog(db).write(by, "callback.slot.refused", str(callback_id), detail)
        raise
    await AuditLog(db).write(
        by,
        "callback.slot",
        str(callback_id),
        {
            "due_at": due_at.isoformat(),
            "due_until": due_until.isoformat(),
            "was_due_at": before.due_at.isoformat() if before.due_at else None,
        },
    )
    return after


def is_overdue(record: CallbackRecord, now: datetime) -> bool:
    """Open and its agreed window has passed (R-109: flagged to operators and supervisors)."""
    return (
        record.status is CallbackStatus.OPEN
        and record.due_until is not None
        and record.due_until <= now
    )


async def overdue(db: Database, now: datetime | None = None) -> list[CallbackRecord]:
    """Open requests whose window has passed, the newest due first (the wallboard's list)."""
    return await CallbackStore(db).overdue(now or utc_now())


async def assign_due(db: Database, now: datetime | None = None) -> list[CallbackRecord]:
    """Give the requests whose window has opened to the least-loaded operators logged in to the
    queue (not paused); each assignment audited as the engine's."""
    operators = [o.name for o in await Operators(db).all() if o.logged_in and not o.paused]
    assigned = await CallbackStore(db).assign_due(now or utc_now(), operators)
    for record in assigned:
        await AuditLog(db).write(
            ENGINE, "callback.auto_assign", str(record.id), {"to": record.assigned_to}
        )
    return assigned


async def run_auto_assign(
    db: Database, *, every: float = ASSIGN_EVERY, clock: Clock = utc_now
) -> None:
    """:func:`assign_due` every ``every`` seconds until cancelled (callbacks.auto_assign; one
    worker of a cluster runs it); a store fault is logged and tried again next round."""
    while True:
        try:
            await assign_due(db, clock())
        except STORE_ERRORS as exc:
            log.warning("callbacks: auto-assignment failed: %s", type(exc).__name__)
        await asyncio.sleep(every)
