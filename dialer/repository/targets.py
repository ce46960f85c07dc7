"""The dispatch queries over a running campaign's targets: which are due, deferring and
closing them, and the e-mails waiting to be sent."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from dialer.model import Reason, Result, TargetState
from dialer.repository.errors import TargetNotFound
from dialer.repository.records import TargetRecord, target_record
from hotline.store.db import Database
from hotline.store.models import CampaignTarget

# A contact's SMS states in order: an update never moves one back.
SMS_PROGRESS: Final = {"pending": 0, "queued": 1, "sent": 2, "delivered": 3, "failed": 3}


class Targets:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, target_id: int) -> TargetRecord:
        async with self._db.session() as session:
            row = await session.get(CampaignTarget, target_id)
            if row is None:
                raise TargetNotFound(f"no target #{target_id}")
            return target_record(row)

    async def due(self, campaign_id: int, now: dt.datetime, limit: int) -> list[TargetRecord]:
        """Pending targets whose time has come: deliver-by first (closest first), then by
        their next time and their order in the list."""
        rows = await self._select(
            CampaignTarget.campaign_id == campaign_id,
            CampaignTarget.state == TargetState.PENDING.value,
            CampaignTarget.channel == "phone",
            or_(CampaignTarget.next_attempt_at.is_(None), CampaignTarget.next_attempt_at <= now),
            order_by=(
                CampaignTarget.deliver_by.is_(None),
                CampaignTarget.deliver_by,
                CampaignTarget.next_attempt_at.is_(None).desc(),
                CampaignTarget.next_attempt_at,
                CampaignTarget.row,
            ),
            limit=limit,
        )
        return [target_record(r) for r in rows]

    async def defer(self, target_id: int, until: dt.datetime, waiting: str) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.id == target_id)
                .values(next_attempt_at=until, waiting=waiting)
            )

    async def close(self, target_id: int, result: Result, reason: Reason) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.id == target_id)
                .values(
                    state=TargetState.DONE.value,
                    result=result.value,
                    reason=reason.value,
                    waiting=None,
                )
            )

    async def emails_due(self, campaign_id: int, limit: int) -> list[tuple[TargetRecord, str]]:
        """(target, address) of the e-mails waiting to be sent."""
        rows = await self._select(
            CampaignTarget.campaign_id == campaign_id,
            CampaignTarget.email_status == "pending",
            order_by=(CampaignTarget.row,),
            limit=limit,
        )
        return [(target_record(r), r.email or "") for r in rows]

    async def sms_due(self, campaign_id: int, limit: int) -> list[TargetRecord]:
        """Contacts whose SMS waits to be queued (their channel, or a fallback)."""
        rows = await self._select(
            CampaignTarget.campaign_id == campaign_id,
            CampaignTarget.sms_status == "pending",
            order_by=(CampaignTarget.row,),
            limit=limit,
        )
        return [target_record(r) for r in rows]

    async def sms_update(
        self,
        target_id: int,
        status: str,
        now: dt.datetime,
        *,
        sms_id: int | None = None,
        close_as: tuple[Result, Reason] | None = None,
    ) -> None:
        """Record the SMS state of a contact, forward only (a delivery report may come back
        before the sender wrote "queued"); ``close_as`` also gives an SMS-only contact its
        result (updated again when its delivery report comes)."""
        values: dict[str, Any] = {"sms_status": status, "sms_at": now}
        if close_as is not None:
            values.update(
                state=TargetState.DONE.value,
                result=close_as[0].value,
                reason=close_as[1].value,
                waiting=None,
            )
        earlier = [s for s, rank in SMS_PROGRESS.items() if rank < SMS_PROGRESS[status]]
        async with self._db.session() as session:
            if sms_id is not None:
                await session.execute(
                    update(CampaignTarget)
                    .where(CampaignTarget.id == target_id)
                    .values(sms_id=sms_id)
                )
            await session.execute(
                update(CampaignTarget)
                .where(
                    CampaignTarget.id == target_id,
                    or_(
                        CampaignTarget.sms_status.is_(None),
                        CampaignTarget.sms_status.in_(earlier),
                    ),
                )
                .values(**values)
            )

    async def _select(
        self,
        *conditions: ColumnElement[bool],
        order_by: tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...],
        limit: int,
    ) -> list[CampaignTarget]:
        query = select(CampaignTarget).where(*conditions).order_by(*order_by).limit(limit)
        async with self._db.session() as session:
            return list((await session.execute(query)).scalars())

    async def email_done(
        self,
        target_id: int,
        sent: bool,
        now: dt.datetime,
        *,
        close_as: tuple[Result, Reason] | None,
    ) -> None:
        """Record an e-mail; ``close_as`` also gives an e-mail-only contact its result."""
        values: dict[str, Any] = {"email_status": "sent" if sent else "failed", "email_at": now}
        if close_as is not None:
            values.update(
                state=TargetState.DONE.value,
                result=close_as[0].value,
                reason=close_as[1].value,
                waiting=None,
            )
        async with self._db.session() as session:
            await session.execute(
                update(CampaignTarget).where(CampaignTarget.id == target_id).values(**values)
            )
