"""Contact lists: an import is stored whole (or not at all) as a new version of a named list
and given to a campaign, which then needs a fresh approval."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, insert, select

from dialer.contacts import ImportReport
from dialer.repository.campaigns import Action, locked, move
from dialer.repository.errors import CampaignError, ContactListNotFound
from hotline.store import notify
from hotline.store.db import Database, batches
from hotline.store.models import Contact, ContactList


class ContactLists:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def attach(
        self,
        name: str,
        list_name: str,
        source: str,
        report: ImportReport,
        author: str,
        now: dt.datetime,
    ) -> int:
        """Store an import (all rows or, with errors, none) as a new list version and give it
        to campaign ``name``; the new list's id."""
        if not report.ok:
            raise CampaignError("the import has errors; nothing was stored")
        async with self._db.session() as session:
            campaign = await locked(session, name)
            move(campaign, Action.ATTACH_LIST)
            latest = (
                await session.execute(
                    select(func.max(ContactList.version)).where(ContactList.name == list_name)
                )
            ).scalar_one()
            contact_list = ContactList(
                name=list_name,
                version=(latest or 0) + 1,
                source=source,
                author=author,
                created_at=now,
                report=report.summary(),
            )
            session.add(contact_list)
            await session.flush()
            # Core bulk inserts: a 100,000-row list in seconds, not an ORM unit of work.
            rows = [
                {
                    "list_id": contact_list.id,
                    "row": c.row,
                    "phone": c.phone,
                    "name": c.name,
                    "email": c.email,
                    "timezone": c.timezone,
                    "account_number": c.account_number,
                    "channel": c.channel,
                    "variables": _with_deliver_by(c.variables, c.deliver_by),
                }
                for c in report.contacts
            ]
            for chunk in batches(rows):
                await session.execute(insert(Contact), chunk)
            campaign.list_id = contact_list.id
            campaign.approved_by = None
            campaign.approved_at = None
            await notify.announce(
                session, notify.NotifyChannel.DIALER, notify.WakeReason.CONTACTS_ADDED
            )
            return contact_list.id

    async def get(self, list_id: int) -> dict[str, Any]:
        """The list's version and import report, as ``hotline campaign show`` prints it."""
        async with self._db.session() as session:
            row = await session.get(ContactList, list_id)
            if row is None:
                raise ContactListNotFound(f"no contact list #{list_id}")
            return {
                "name": row.name,
                "version": row.version,
                "source": row.source,
                "author": row.author,
                "created_at": row.created_at.isoformat(),
                "report": dict(row.report),
            }


def _with_deliver_by(variables: dict[str, str], deliver_by: str | None) -> dict[str, str]:
    # The contacts table has no deliver-by column; starting the campaign pops it back out.
    return {**variables, "deliver_by": deliver_by} if deliver_by else dict(variables)
