"""Callback requests as operators work them, from the CLI or the console: the same rules and
the same audit entries (the numbers are personal data) whichever front end lists them or
marks one done."""

from __future__ import annotations

from hotline.store.audit import Actor, AuditLog
from hotline.store.callbacks import CallbackRecord, CallbackStore, NotYourCallback
from hotline.store.db import Database
from hotline.store.enums import CallbackStatus

__all__ = ["NotYourCallback", "assign", "done", "requests"]


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
    """The requests to work (the open ones, oldest first, or all); every listing is audited."""
    found = await CallbackStore(db).find(status=CallbackStatus.OPEN if open_only else None)
    detail = {"open": len(found)} if open_only else {"all": len(found)}
    await AuditLog(db).write(by, "callbacks.view", detail=detail)
    return found
