"""The transfers of callers by operators (issue 17 item 4; R-030, R-041).  Every method is
its own unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from hotline.store.db import Database
from hotline.store.models.transfers import CallTransfer, TransferKind, TransferTarget
from hotline.store.types import as_utc


@dataclass(frozen=True)
class TransferRecord:
    id: int
    at: datetime
    call_id: str | None
    uniqueid: str
    operator: str
    kind: TransferKind
    target_kind: TransferTarget
    target: str
    reason: str
    answered_at: datetime | None = None
    answered_by: str | None = None

    @property
    def answer_seconds(self) -> float | None:
        """Seconds from the transfer to the receiving side's answer (R-030)."""
        if self.answered_at is None:
            return None
        return max(0.0, (self.answered_at - self.at).total_seconds())


def _record(r: CallTransfer) -> TransferRecord:
    return TransferRecord(
        r.id,
        r.at,
        r.call_id,
        r.uniqueid,
        r.operator,
        r.kind,
        r.target_kind,
        r.target,
        r.reason,
        r.answered_at,
        r.answered_by,
    )


class Transfers:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        at: datetime,
        call_id: str | None,
        uniqueid: str,
        operator: str,
        kind: TransferKind,
        target_kind: TransferTarget,
        target: str,
        reason: str,
    ) -> TransferRecord:
        row = CallTransfer(
            at=as_utc(at),
            call_id=call_id,
            uniqueid=uniqueid,
            operator=operator,
            kind=kind,
            target_kind=target_kind,
            target=target,
            reason=reason,
        )
        async with self._db.session() as session:
            session.add(row)
            await session.flush()
            return _record(row)

    async def remove(self, transfer_id: int) -> None:
        """Forget a transfer Asterisk never carried out (its AMI actions failed)."""
        async with self._db.session() as session:
            await session.execute(delete(CallTransfer).where(CallTransfer.id == transfer_id))

    async def answered(
        self, uniqueid: str, at: datetime, by: str | None, again: bool = False
    ) -> TransferRecord | None:
        """The receiving side of the caller's latest unanswered transfer (made before ``at``)
        picked up; None when the caller has no such transfer (an ordinary answer).
        ``again``: an answer written before, maybe (replayed from the held-writes spool): the
        transfer it answered is returned as it is, not a second one marked answered."""
        if again:
            done = (
                select(CallTransfer)
                .where(CallTransfer.uniqueid == uniqueid, CallTransfer.answered_at == as_utc(at))
                .limit(1)
            )
            async with self._db.session() as session:
                row = await session.scalar(done)
                if row is not None:
                    return _record(row)
        query = (
            select(CallTransfer)
            .where(
                CallTransfer.uniqueid == uniqueid,
                CallTransfer.answered_at.is_(None),
                CallTransfer.at <= as_utc(at),
            )
            .order_by(CallTransfer.at.desc(), CallTransfer.id.desc())
            .limit(1)
        )
        async with self._db.session() as session:
            row = await session.scalar(query)
            if row is None:
                return None
            row.answered_at = as_utc(at)
            row.answered_by = by or row.target
            await session.flush()
            return _record(row)

    async def between(self, start: datetime, end: datetime) -> list[TransferRecord]:
        query = (
            select(CallTransfer)
            .where(CallTransfer.at >= as_utc(start), CallTransfer.at < as_utc(end))
            .order_by(CallTransfer.at, CallTransfer.id)
        )
        async with self._db.session() as session:
            return [_record(r) for r in await session.scalars(query)]

    async def for_uniqueid(self, uniqueid: str) -> list[TransferRecord]:
        query = (
            select(CallTransfer)
            .where(CallTransfer.uniqueid == uniqueid)
            .order_by(CallTransfer.at, CallTransfer.id)
        )
        async with self._db.session() as session:
            return [_record(r) for r in await session.scalars(query)]
