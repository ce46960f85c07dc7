"""Callback requests as operators work them, from the CLI or the console: the same rules and
the same audit entries (the numbers are personal data) whichever front end lists them or
marks one done."""

from __future__ import annotations

from hotline.store.audit import Actor, AuditLog
from hotline.store.callbacks import CallbackRecord, CallbackStore
from hotline.store.db import Database
from hotline.store.enums import CallbackStatus


async def done(
    db: Database, callback_id: int, by: Actor, note: str | None = None
) -> CallbackRecord:
    """Mark a request done by ``by``; raises NotFound (UnknownCallback) for an unknown id."""
    record = await CallbackStore(db).done(callback_id, by.name, note)
    await AuditLog(db).write(by, "callback.done", str(callback_id), {"note": note})
    return record


async def requests(db: Database, by: Actor, *, open_only: bool = True) -> list[CallbackRecord]:
    """The requests to work (the open ones, oldest first, or all); every listing is audited."""
    found = await CallbackStore(db).find(status=CallbackStatus.OPEN if open_only else None)
    detail = {"open": len(found)} if open_only else {"all": len(found)}
    await AuditLog(db).write(by, "callbacks.view", detail=detail)
    return found
