"""Audit entries the store refused once what they account for was done (issue 21).

Most entries are written in the unit of work of the change they account for (both or neither).
Some follow an action outside the store: a transfer is audited after Asterisk carried it out,
and an entry the store refused then was lost (the console answered 503 for a transfer that had
happened).  Such an entry is held and spooled (``hotline.store.held_rows``) by the console and
written once the store is back; a replay looks for the entry first (its time, actor, action
and target), since a kill can come between the commit and the spool's delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.held_rows import HeldRows
from hotline.store.held_spool import HeldSpool
from hotline.store.models import AuditEntry
from hotline.store.types import as_utc

if TYPE_CHECKING:
    from hotline.settings import Settings

# The console's spool of audit entries the store refused (issue 21).
SPOOL: Final = "audit-entries"


@dataclass(frozen=True)
class AuditNote:
    """One audit entry to write, with its time (when the action was done)."""

    actor: Actor
    action: str
    target: str | None
    detail: dict[str, Any] | None
    at: datetime

    def to_json(self) -> dict[str, Any]:
        by = self.actor
        return {
            "actor": {"name": by.name, "channel": by.channel, "source": by.source},
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> AuditNote:
        at = datetime.fromisoformat(row["at"])
        return cls(Actor(**row["actor"]), row["action"], row["target"], row["detail"], at)


async def write_note(db: Database, note: AuditNote, again: bool = False) -> None:
    """``again`` (replayed from the spool): not when the entry is there."""
    async with db.session() as session:
        if again:
            found = await session.scalar(
                select(AuditEntry.id).where(
                    AuditEntry.at == as_utc(note.at),
                    AuditEntry.actor == note.actor.name,
                    AuditEntry.action == note.action,
                    AuditEntry.target == note.target,
                )
            )
            if found is not None:
                return
        AuditLog.add(session, note.actor, note.action, note.target, note.detail, as_utc(note.at))


def held_audit(db: Database, settings: Settings) -> HeldRows[AuditNote]:
    """The console's: entries refused after their action, held, spooled, written later."""

    async def write(note: AuditNote, again: bool) -> None:
        await write_note(db, note, again)

    spool = HeldSpool.from_settings(settings, SPOOL)
    return HeldRows("audit entry", spool, write, AuditNote.to_json, AuditNote.from_json)
