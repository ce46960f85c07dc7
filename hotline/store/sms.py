"""The SMS outbox (``sms_messages``, ``sms_events``): a message is stored before it is sent,
so a Kannel outage or an engine restart loses nothing (R-091, R-092).

Statuses move forward only: queued -> sent -> delivered, or -> failed.  A delivery report
may arrive before the sender has written Kannel's answer (Kannel calls back at once), so
``mark_sent`` never moves a message back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.clock import utc_now
from hotline.core.phones import mask_phone
from hotline.protocol.sms import DeliveryReport, DlrType, SmsLength
from hotline.store.db import Database
from hotline.store.models import SmsEvent, SmsEventKind, SmsMessage, SmsStatus

DETAIL_MAX: Final = 500
SOURCE_MAX: Final = 32
REFERENCE_MAX: Final = 64
_OPEN: Final = (SmsStatus.QUEUED, SmsStatus.SENT)


@dataclass(frozen=True)
class SmsEventRecord:
    at: datetime
    kind: SmsEventKind
    dlr_type: int | None
    detail: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind.value,
            "dlr_type": self.dlr_type,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class SmsRecord:
    id: int
    phone: str
    text: str
    encoding: str
    parts: int
    status: SmsStatus
    source: str
    reference: str | None
    token: str
    tries: int
    next_try_at: datetime | None
    last_error: str | None
    queued_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None

    def to_dict(self, *, mask: bool = True) -> dict[str, Any]:
        """For listings: the phone masked unless ``mask`` is off; never the token."""
        return {
            "id": self.id,
            "phone": mask_phone(self.phone) if mask else self.phone,
            "text": self.text,
            "encoding": self.encoding,
            "parts": self.parts,
            "status": self.status.value,
            "source": self.source,
            "reference": self.reference,
            "tries": self.tries,
            "last_error": self.last_error,
            "queued_at": self.queued_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
        }


class SmsStore:
    """Every method is its own unit of work."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(
        self,
        *,
        phone: str,
        text: str,
        length: SmsLength,
        source: str,
        reference: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Store a message to send (phone in E.164, text checked); its id."""
        if not source or len(source) > SOURCE_MAX:
            raise ValueError(f"an SMS source is 1-{SOURCE_MAX} characters")
        if reference is not None and len(reference) > REFERENCE_MAX:
            raise ValueError(f"an SMS reference is at most {REFERENCE_MAX} characters")
        at = now or utc_now()
        row = SmsMessage(
            phone=phone,
            text=text,
            encoding=length.encoding.value,
            parts=length.parts,
            status=SmsStatus.QUEUED,
            source=source,
            reference=reference,
            token=secrets.token_urlsafe(18),
            tries=0,
            next_try_at=None,
            queued_at=at,
        )
        async with self._db.session() as session:
            session.add(row)
            await session.flush()
            session.add(SmsEvent(message_id=row.id, at=at, kind=SmsEventKind.QUEUED))
            return row.id

    async def due(self, now: datetime, limit: int) -> list[SmsRecord]:
        """Queued messages whose time has come, oldest first."""
        query = (
            select(SmsMessage)
            .where(SmsMessage.status == SmsStatus.QUEUED)
            .where(or_(SmsMessage.next_try_at.is_(None), SmsMessage.next_try_at <= now))
            .order_by(SmsMessage.id)
            .limit(limit)
        )
        async with self._db.session() as session:
            return [_record(row) for row in await session.scalars(query)]

    # Every status change is one conditional UPDATE (never read, change, write): Kannel calls
    # back with two reports at once (accepted by the SMSC, delivered), on two connections,
    # while the sender may still be writing Kannel's answer; none may undo another.

    async def mark_sent(self, message_id: int, reply: str, now: datetime) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(SmsMessage)
                .where(SmsMessage.id == message_id)
                .values(tries=SmsMessage.tries + 1, next_try_at=None, last_error=None)
            )
            await _first_sent(session, message_id, now)
            await _move(session, message_id, SmsStatus.SENT, (SmsStatus.QUEUED,))
            session.add(_event(message_id, now, SmsEventKind.SENT, detail=reply))

    async def mark_retry(
        self, message_id: int, error: str, next_try_at: datetime, now: datetime
    ) -> None:
        async with self._db.session() as session:
            done = await session.execute(
                update(SmsMessage)
                .where(SmsMessage.id == message_id, SmsMessage.status == SmsStatus.QUEUED)
                .values(
                    tries=SmsMessage.tries + 1,
                    next_try_at=next_try_at,
                    last_error=error[:DETAIL_MAX],
                )
            )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                detail = f"{error}; next try {next_try_at.isoformat()}"
                session.add(_event(message_id, now, SmsEventKind.RETRY, detail=detail))

    async def mark_failed(self, message_id: int, error: str, now: datetime) -> None:
        async with self._db.session() as session:
            values = {"failed_at": now, "last_error": error[:DETAIL_MAX]}
            if await _move(session, message_id, SmsStatus.FAILED, _OPEN, **values):
                session.add(_event(message_id, now, SmsEventKind.FAILED, detail=error))

    async def record_dlr(self, report: DeliveryReport, now: datetime) -> SmsRecord | None:
        """Store a delivery report and move the status on; None (nothing stored) when no
        message has that id and token."""
        async with self._db.session() as session:
            token = await session.scalar(
                select(SmsMessage.token).where(SmsMessage.id == report.message_id)
            )
            if token is None or not secrets.compare_digest(token, report.token):
                return None
            message_id = report.message_id
            dlr_type = int(report.type)
            session.add(
                _event(message_id, now, SmsEventKind.DLR, dlr_type=dlr_type, detail=report.reply)
            )
            await _first_sent(session, message_id, now)
            if report.type is DlrType.DELIVERED:
                await _move(session, message_id, SmsStatus.DELIVERED, _OPEN, delivered_at=now)
            elif report.type.failed:
                why = f"delivery report {dlr_type}: {report.reply}"[:DETAIL_MAX]
                await _move(
                    session, message_id, SmsStatus.FAILED, _OPEN, failed_at=now, last_error=why
                )
            else:
                await _move(session, message_id, SmsStatus.SENT, (SmsStatus.QUEUED,))
            await session.flush()
            row = await session.get(SmsMessage, message_id, populate_existing=True)
            return _record(row) if row is not None else None

    async def get(self, message_id: int) -> SmsRecord | None:
        async with self._db.session() as session:
            row = await session.get(SmsMessage, message_id)
            return _record(row) if row is not None else None

    async def events(self, message_id: int) -> list[SmsEventRecord]:
        query = select(SmsEvent).where(SmsEvent.message_id == message_id).order_by(SmsEvent.id)
        async with self._db.session() as session:
            return [
                SmsEventRecord(at=e.at, kind=e.kind, dlr_type=e.dlr_type, detail=e.detail)
                for e in await session.scalars(query)
            ]

    async def recent(self, *, limit: int = 50, status: SmsStatus | None = None) -> list[SmsRecord]:
        """The newest first."""
        query = select(SmsMessage).order_by(SmsMessage.id.desc()).limit(limit)
        if status is not None:
            query = query.where(SmsMessage.status == status)
        async with self._db.session() as session:
            return [_record(row) for row in await session.scalars(query)]

    async def by_reference(self, source: str, reference: str) -> list[SmsRecord]:
        query = (
            select(SmsMessage)
            .where(SmsMessage.source == source, SmsMessage.reference == reference)
            .order_by(SmsMessage.id)
        )
        async with self._db.session() as session:
            return [_record(row) for row in await session.scalars(query)]


async def _first_sent(session: AsyncSession, message_id: int, now: datetime) -> None:
    await session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.sent_at.is_(None))
        .values(sent_at=now)
    )


async def _move(
    session: AsyncSession,
    message_id: int,
    status: SmsStatus,
    from_: tuple[SmsStatus, ...],
    **values: Any,
) -> bool:
    """Set ``status`` (and ``values``) if the message is in one of ``from_``; whether it was."""
    done = await session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.status.in_(from_))
        .values(status=status, next_try_at=None, **values)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def _event(
    message_id: int,
    at: datetime,
    kind: SmsEventKind,
    *,
    dlr_type: int | None = None,
    detail: str | None = None,
) -> SmsEvent:
    return SmsEvent(
        message_id=message_id,
        at=at,
        kind=kind,
        dlr_type=dlr_type,
        detail=detail[:DETAIL_MAX] if detail is not None else None,
    )


def _record(row: SmsMessage) -> SmsRecord:
    return SmsRecord(
        id=row.id,
        phone=row.phone,
        text=row.text,
        encoding=row.encoding,
        parts=row.parts,
        status=row.status,
        source=row.source,
        reference=row.reference,
        token=row.token,
        tries=row.tries,
        next_try_at=row.next_try_at,
        last_error=row.last_error,
        queued_at=row.queued_at,
        sent_at=row.sent_at,
        delivered_at=row.delivered_at,
        failed_at=row.failed_at,
    )
