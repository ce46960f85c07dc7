"""The webhook outbox (issue 22 item 4, R-148): ``webhook_events`` and ``webhook_deliveries``.

``add_event`` is called inside the transaction of what the event reports (a call's end, an
appeal's registration, a stored reading...), so an event exists exactly when its cause was
committed.  The delivery worker (one per database: hotline/messaging/webhooks.py) fans
events out to the endpoints that want them and posts each endpoint's deliveries in order.

Bodies hold personal data (phones, accounts, readings): they are never logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Table, and_, delete, func, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.clock import utc_now
from hotline.protocol.webhooks import WebhookKind, WebhookPayload, encode
from hotline.store import notify
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEventRow

ERROR_MAX: Final = 500
_EVENTS: Final[Table] = WebhookEventRow.__table__  # type: ignore[assignment]
# The audit action of a dead letter put back in line.
AUDIT_RETRY: Final = "webhook.retry"

# Called (in this process) after a transaction that wrote an event commits: the outbox's
# wake-up.  Other processes' events are found by the outbox's poll.
_committed: list[Callable[[], None]] = []


def on_commit(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each commit that wrote an event; returns the unsubscriber."""
    _committed.append(callback)

    def remove() -> None:
        if callback in _committed:
            _committed.remove(callback)

    return remove


def _tell_committed(_session: Any) -> None:
    for callback in _committed:
        callback()


def new_event_id() -> str:
    return uuid.uuid4().hex


_INSERT: Final = insert(_EVENTS)


def add_event(session: AsyncSession, payload: WebhookPayload) -> None:
    """Write ``payload`` into the outbox in ``session``'s transaction (committed with it)."""
    session.add(WebhookEventRow(**_row(payload)))
    _announce(session)


async def insert_event(session: AsyncSession, payload: WebhookPayload) -> None:
    """``add_event`` as one Core INSERT, executed now: no unit of work to flush at commit
    (the call tracker's hang-ups, issue 19 item 1); the statement built once."""
    await session.execute(_INSERT, _row(payload))
    _announce(session)


def _row(payload: WebhookPayload) -> dict[str, Any]:
    return {
        "event_id": payload.id,
        "kind": payload.kind.value,
        "at": payload.at,
        "body": encode(payload),
        "fanned_out": False,
    }


def _announce(session: AsyncSession) -> None:
    """The commit of ``session`` wakes the webhook worker (of this process and others)."""
    notify.announce_at_commit(
        session, notify.NotifyChannel.WEBHOOKS, notify.WakeReason.WEBHOOK_EVENT
    )
    sync = session.sync_session
    if not sa_event.contains(sync, "after_commit", _tell_committed):
        sa_event.listen(sync, "after_commit", _tell_committed, once=True)


@dataclass(frozen=True)
class Delivery:
    id: int
    endpoint: str
    event_row: int
    event_id: str
    kind: str
    at: datetime
    body: str
    status: WebhookDeliveryStatus
    tries: int
    next_try_at: datetime | None
    last_error: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """For listings: never the body (personal data)."""
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "event_id": self.event_id,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "status": self.status.value,
            "tries": self.tries,
            "next_try_at": self.next_try_at.isoformat() if self.next_try_at else None,
            "last_error": self.last_error,
        }


@dataclass(frozen=True)
class Backlog:
    endpoint: str
    pending: int
    dead: int
    delivered: int
    oldest_pending: datetime | None


_SELECT = select(WebhookDelivery, WebhookEventRow).join(
    WebhookEventRow, WebhookEventRow.id == WebhookDelivery.event_id
)


def _delivery(row: WebhookDelivery, event: WebhookEventRow) -> Delivery:
    return Delivery(
        id=row.id,
        endpoint=row.endpoint,
        event_row=event.id,
        event_id=event.event_id,
        kind=event.kind,
        at=event.at,
        body=event.body,
        status=row.status,
        tries=row.tries,
        next_try_at=row.next_try_at,
        last_error=row.last_error,
        created_at=row.created_at,
    )


class WebhookStore:
    """Every method is its own unit of work."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, payload: WebhookPayload) -> None:
        """An event on its own (``hotline webhooks test``, the bench)."""
        async with self._db.session() as session:
            add_event(session, payload)

    async def fan_out(
        self, endpoints: Mapping[str, Collection[WebhookKind]], now: datetime, limit: int = 500
    ) -> int:
        """Make the delivery rows of events not fanned out yet (oldest first): one per endpoint
        that wants the kind (no kinds: every kind).  How many events were fanned out."""
        async with self._db.session() as session:
            rows = (
                await session.execute(
                    select(WebhookEventRow.id, WebhookEventRow.kind)
                    .where(WebhookEventRow.fanned_out.is_(False))
                    .order_by(WebhookEventRow.id)
                    .limit(limit)
                )
            ).all()
            for event_row, kind in rows:
                for name, kinds in endpoints.items():
                    if kinds and kind not in {k.value for k in kinds}:
                        continue
                    session.add(
                        WebhookDelivery(
                            endpoint=name,
                            event_id=event_row,
                            status=WebhookDeliveryStatus.PENDING,
                            tries=0,
                            created_at=now,
                        )
                    )
            if rows:
                await session.execute(
                    update(WebhookEventRow)
                    .where(WebhookEventRow.id.in_([r[0] for r in rows]))
                    .values(fanned_out=True)
                )
            return len(rows)

    async def heads(self, endpoint: str, limit: int) -> list[Delivery]:
        """The endpoint's pending deliveries in order (the first is the head of its line)."""
        query = (
            _SELECT.where(
                WebhookDelivery.endpoint == endpoint,
                WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
            )
            .order_by(WebhookDelivery.event_id)
            .limit(limit)
        )
        async with self._db.session() as session:
            return [_delivery(d, e) for d, e in (await session.execute(query)).all()]

    async def mark_delivered(self, delivery_id: int, now: datetime) -> None:
        await self._set(
            delivery_id,
            status=WebhookDeliveryStatus.DELIVERED,
            tries=WebhookDelivery.tries + 1,
            next_try_at=None,
            delivered_at=now,
        )

    async def mark_retry(self, delivery_id: int, error: str, next_try_at: datetime) -> None:
        await self._set(
            delivery_id,
            tries=WebhookDelivery.tries + 1,
            next_try_at=next_try_at,
            last_error=error[:ERROR_MAX],
        )

    async def mark_dead(self, delivery_id: int, error: str, now: datetime) -> None:
        await self._set(
            delivery_id,
            status=WebhookDeliveryStatus.DEAD,
            tries=WebhookDelivery.tries + 1,
            next_try_at=None,
            last_error=error[:ERROR_MAX],
            dead_at=now,
        )

    async def _set(self, delivery_id: int, **values: Any) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                )
                .values(**values)
            )

    async def retry(self, delivery_id: int, actor: Actor, now: datetime | None = None) -> bool:
        """Put a dead letter back in its endpoint's line (audited); False: no such dead
        letter."""
        at = now or utc_now()
        async with self._db.session() as session:
            row = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if row is None or row.status is not WebhookDeliveryStatus.DEAD:
                return False
            row.status = WebhookDeliveryStatus.PENDING
            row.tries = 0
            row.next_try_at = None
            row.dead_at = None
            AuditLog.add(
                session, actor, AUDIT_RETRY, str(delivery_id), {"endpoint": row.endpoint}, at
            )
            return True

    async def dead_letters(self, endpoint: str | None = None, limit: int = 100) -> list[Delivery]:
        """The newest first."""
        query = _SELECT.where(WebhookDelivery.status == WebhookDeliveryStatus.DEAD)
        if endpoint is not None:
            query = query.where(WebhookDelivery.endpoint == endpoint)
        query = query.order_by(WebhookDelivery.id.desc()).limit(limit)
        async with self._db.session() as session:
            return [_delivery(d, e) for d, e in (await session.execute(query)).all()]

    async def deliveries(self, endpoint: str) -> list[Delivery]:
        """Every delivery of the endpoint, in order (tests, the bench)."""
        query = _SELECT.where(WebhookDelivery.endpoint == endpoint).order_by(
            WebhookDelivery.event_id
        )
        async with self._db.session() as session:
            return [_delivery(d, e) for d, e in (await session.execute(query)).all()]

    async def backlog(self, endpoints: Collection[str]) -> list[Backlog]:
        """Per endpoint: pending, dead and delivered counts, the oldest pending event's time;
        events not fanned out yet count as pending for every endpoint."""
        async with self._db.session() as session:
            counts = (
                await session.execute(
                    select(
                        WebhookDelivery.endpoint,
                        WebhookDelivery.status,
                        func.count(),
                        func.min(WebhookEventRow.at),
                    )
                    .join(WebhookEventRow, WebhookEventRow.id == WebhookDelivery.event_id)
                    .group_by(WebhookDelivery.endpoint, WebhookDelivery.status)
                )
            ).all()
            unfanned = int(
                await session.scalar(
                    select(func.count())
                    .select_from(WebhookEventRow)
                    .where(and_(WebhookEventRow.fanned_out.is_(False)))
                )
                or 0
            )
        by: dict[tuple[str, WebhookDeliveryStatus], tuple[int, datetime | None]] = {
            (name, status): (int(n), oldest) for name, status, n, oldest in counts
        }
        out = []
        for name in endpoints:
            pending, oldest = by.get((name, WebhookDeliveryStatus.PENDING), (0, None))
            out.append(
                Backlog(
                    endpoint=name,
                    pending=pending + unfanned,
                    dead=by.get((name, WebhookDeliveryStatus.DEAD), (0, None))[0],
                    delivered=by.get((name, WebhookDeliveryStatus.DELIVERED), (0, None))[0],
                    oldest_pending=oldest,
                )
            )
        return out

    async def purge(self, before: datetime, *, unfanned: bool) -> int:
        """Delete events from before ``before`` whose every delivery was delivered (dead
        letters and pending ones stay); ``unfanned``: also events never fanned out (no
        endpoint is configured to want them).  How many events went."""
        unsettled = select(WebhookDelivery.event_id).where(
            WebhookDelivery.status != WebhookDeliveryStatus.DELIVERED
        )
        where = and_(WebhookEventRow.at < before, WebhookEventRow.id.not_in(unsettled))
        if not unfanned:
            where = and_(where, WebhookEventRow.fanned_out.is_(True))
        async with self._db.session() as session:
            doomed = select(WebhookEventRow.id).where(where).scalar_subquery()
            await session.execute(
                delete(WebhookDelivery)
                .where(WebhookDelivery.event_id.in_(doomed))
                .execution_options(synchronize_session=False)
            )
            gone = await session.execute(
                delete(WebhookEventRow).where(where).execution_options(synchronize_session=False)
            )
            return int(gone.rowcount)  # type: ignore[attr-defined]

    async def events(self, limit: int = 1000) -> list[tuple[str, str]]:
        """(event id, kind) of the stored events, oldest first (tests)."""
        query = (
            select(WebhookEventRow.event_id, WebhookEventRow.kind)
            .order_by(WebhookEventRow.id)
            .limit(limit)
        )
        async with self._db.session() as session:
            return [(e, k) for e, k in (await session.execute(query)).all()]
