"""Callback requests as operators work them, from the CLI or the console: the same rule and
the same audit entry (the number is personal data) whichever front end marks one done."""

from __future__ import annotations

from hotline.store.audit import Actor, AuditLog
from hotline.store.callbacks import CallbackRecord, CallbackStore
from hotline.store.db import Database


async def done(
    db: Database, callback_id: int, by: Actor, note: str | None = None
) -> CallbackRecord:
    """Mark a request done by ``by``; raises NotFound (UnknownCallback) for an unknown id."""
    record = await CallbackStore(db).done(callback_id, by.name, note)
    await AuditLog(db).write(by, "callback.done", str(callback_id), {"note": note})
    return record
