"""The appeal register (``appeals``, ``appeal_events``, ``appeal_links``, ``appeal_counters``).

Numbers are allocated by one atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the
year's counter row, inside the unit of work that inserts the appeal: two registrations at once
(SQLite or PostgreSQL) never share a number, and a failed registration leaves no gap behind
on PostgreSQL (the counter update rolls back with it).

The rules (which status may follow which, the classifier, deadlines, who may see personal
data) are the domain's (:mod:`hotline.appeals`); the store records and reads.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, cast

from sqlalchemy import Select, case, func, select

from hotline.core.clock import utc_now
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database, dialect_insert
from hotline.store.enums import AppealChannel, AppealLinkKind, AppealStatus, ReplyChannel
from hotline.store.models import Appeal, AppealCounter, AppealEvent, AppealLink
from hotline.store.paging import PAGE_SIZE, keyset_pages
from hotline.store.webhook_events import appeal_moved, appeal_registered

NUMBER_DIGITS: Final = 6
LIST_MAX: Final = 10_000


def appeal_number(year: int, seq: int) -> str:
    """``2026-004217``: the year and the year's sequence number, zero-padded."""
    return f"{year:04d}-{seq:0{NUMBER_DIGITS}d}"


@dataclass(frozen=True)
class NewAppeal:
    channel: AppealChannel
    category: str
    topic: str
    subject: str
    text: str
    urgency: str
    unit: str
    reply_channel: ReplyChannel
    deadline: date
    account: str | None = None
    phone: str | None = None
    customer_name: str | None = None
    reply_address: str | None = None
    links: tuple[tuple[AppealLinkKind, str], ...] = ()


@dataclass(frozen=True)
class AppealEventRecord:
    at: datetime
    status: AppealStatus
    by: str
    unit: str | None
    note: str


@dataclass(frozen=True)
class AppealRecord:
    id: int
    number: str
    channel: AppealChannel
    status: AppealStatus
    category: str
    topic: str
    subject: str
    text: str
    urgency: str
    unit: str
    account: str | None
    phone: str | None
    customer_name: str | None
    reply_channel: ReplyChannel
    reply_address: str | None
    registered_at: datetime
    registered_by: str
    deadline: date
    answered_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    history: tuple[AppealEventRecord, ...] = ()
    links: tuple[tuple[AppealLinkKind, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "channel": self.channel.value,
            "status": self.status.value,
            "category": self.category,
            "topic": self.topic,
            "subject": self.subject,
            "text": self.text,
            "urgency": self.urgency,
            "unit": self.unit,
            "account": self.account,
            "phone": self.phone,
            "customer_name": self.customer_name,
            "reply_channel": self.reply_channel.value,
            "reply_address": self.reply_address,
            "registered_at": self.registered_at.isoformat(),
            "registered_by": self.registered_by,
            "deadline": self.deadline.isoformat(),
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "close_reason": self.close_reason,
            "history": [
                {
                    "at": e.at.isoformat(),
                    "status": e.status.value,
                    "by": e.by,
                    "unit": e.unit,
                    "note": e.note,
                }
                for e in self.history
            ],
            "links": [{"kind": kind.value, "ref": ref} for kind, ref in self.links],
        }


@dataclass(frozen=True)
class AppealFilter:
    """What a list or a report selects; None: any."""

    since: datetime | None = None
    until: datetime | None = None
    status: AppealStatus | None = None
    category: str | None = None
    channel: AppealChannel | None = None
    unit: str | None = None
    # Units left out (the trust-service unit for roles not allowed to see it, R-121).
    exclude_units: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Move:
    """A status change: ``check`` raises when the move is illegal from the stored status."""

    to: AppealStatus
    check: Callable[[AppealStatus], None]
    note: str = ""
    unit: str | None = None
    close_reason: str | None = None


class AppealStore:
    """Every method is its own unit of work; the audit entry commits with the rows."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, new: NewAppeal, actor: Actor, at: datetime | None = None) -> AppealRecord:
        at = at or utc_now()
        year = at.year
        upsert = (
            dialect_insert(self._db)(AppealCounter)
            .values(year=year, last=1)
            .on_conflict_do_update(
                index_elements=[AppealCounter.year], set_={"last": AppealCounter.last + 1}
            )
            .returning(AppealCounter.last)
        )
        async with self._db.session() as session:
            seq = int((await session.execute(upsert)).scalar_one())
            row = Appeal(
                number=appeal_number(year, seq),
                year=year,
                seq=seq,
                channel=new.channel,
                status=AppealStatus.REGISTERED,
                category=new.category,
                topic=new.topic,
                subject=new.subject,
                text=new.text,
                urgency=new.urgency,
                unit=new.unit,
                account=new.account,
                phone=new.phone,
                customer_name=new.customer_name,
                reply_channel=new.reply_channel,
                reply_address=new.reply_address,
                registered_at=at,
                registered_by=actor.name[:64],
                deadline=new.deadline,
            )
            session.add(row)
            await session.flush()
            session.add(
                AppealEvent(
                    appeal_id=row.id,
                    at=at,
                    status=AppealStatus.REGISTERED,
                    by=actor.name[:64],
                    unit=new.unit,
                    note="",
                )
            )
            for kind, ref in new.links:
                session.add(AppealLink(appeal_id=row.id, kind=kind, ref=ref))
            AuditLog.add(
                session,
                actor,
                "appeal.register",
                row.number,
                {"channel": new.channel.value, "category": new.category, "unit": new.unit},
                at,
            )
            await session.flush()
            appeal_registered(session, row)
            return await _full(session, row)

    async def move(self, number: str, move: Move, actor: Actor) -> AppealRecord | None:
        """Apply ``move`` (None: no such appeal); the row is locked on PostgreSQL, so two
        people moving one appeal at once are serialised and the second sees the first's
        status."""
        at = utc_now()
        async with self._db.session() as session:
            query = select(Appeal).where(Appeal.number == number).with_for_update()
            row = (await session.scalars(query)).first()
            if row is None:
                return None
            move.check(row.status)
            row.status = move.to
            if move.unit is not None:
                row.unit = move.unit
            if move.to is AppealStatus.ANSWERED:
                row.answered_at = at
            if move.to in (AppealStatus.CLOSED, AppealStatus.NOT_CONSIDERED):
                row.closed_at = at
                row.close_reason = move.close_reason
            if move.to is AppealStatus.REOPENED:
                row.closed_at = None
                row.close_reason = None
            session.add(
                AppealEvent(
                    appeal_id=row.id,
                    at=at,
                    status=move.to,
                    by=actor.name[:64],
                    unit=move.unit,
                    note=move.note,
                )
            )
            detail: dict[str, Any] = {"status": move.to.value}
            if move.unit is not None:
                detail["unit"] = move.unit
            if move.close_reason is not None:
                detail["reason"] = move.close_reason
            AuditLog.add(session, actor, "appeal.status", number, detail, at)
            await session.flush()
            appeal_moved(session, row, at)
            return await _full(session, row)

    async def link(self, number: str, kind: AppealLinkKind, ref: str) -> bool:
        async with self._db.session() as session:
            appeal_id = await session.scalar(select(Appeal.id).where(Appeal.number == number))
            if appeal_id is None:
                return False
            session.add(AppealLink(appeal_id=appeal_id, kind=kind, ref=ref))
            return True

    async def get(self, number: str, actor: Actor | None = None) -> AppealRecord | None:
        """The appeal with its history and links; with ``actor`` the view is audited."""
        async with self._db.session() as session:
            row = (await session.scalars(select(Appeal).where(Appeal.number == number))).first()
            if row is None:
                return None
            if actor is not None:
                AuditLog.add(session, actor, "appeal.view", number)
            return await _full(session, row)

    async def list(
        self, where: AppealFilter, actor: Actor | None = None, limit: int = 200
    ) -> list[AppealRecord]:
        """The newest first, without history; with ``actor`` the listing is audited."""
        query = _filtered(select(Appeal), where).order_by(Appeal.id.desc())
        async with self._db.session() as session:
            rows = list(await session.scalars(query.limit(min(limit, LIST_MAX))))
            if actor is not None:
                AuditLog.add(session, actor, "appeal.list", None, {"count": len(rows)})
            return [_record(row) for row in rows]

    async def pages(
        self, where: AppealFilter, actor: Actor, size: int = PAGE_SIZE
    ) -> AsyncIterator[builtins.list[AppealRecord]]:
        """Every appeal ``where`` selects, newest first, a keyset page at a time (an export:
        no cap).  The listing is audited up front with the count it starts from."""
        async with self._db.session() as session:
            total = await session.scalar(_filtered(select(func.count(Appeal.id)), where))
            AuditLog.add(session, actor, "appeal.list", None, {"count": int(total or 0)})
        # Plain rows, not ORM objects: an export reads each once, and entities cost ~3x.
        query = _filtered(select(*Appeal.__table__.columns), where)
        async for page in keyset_pages(self._db, query, (Appeal.id,), size, descending=True):
            yield [_record(cast("Appeal", row)) for row in page]

    async def counts(
        self, where: AppealFilter, by: str, today: date
    ) -> builtins.list[tuple[str, int, int, int, int]]:
        """Per value of ``by`` (category, channel, unit, status): received, answered in time,
        answered late, open and overdue on ``today`` (R-142, R-144)."""
        column = {
            "category": Appeal.category,
            "channel": Appeal.channel,
            "unit": Appeal.unit,
            "status": Appeal.status,
        }[by]
        answered_day = func.date(Appeal.answered_at)
        in_time = func.sum(
            _case((Appeal.answered_at.is_not(None)) & (answered_day <= Appeal.deadline))
        )
        late = func.sum(
            _case((Appeal.answered_at.is_not(None)) & (answered_day > Appeal.deadline))
        )
        open_overdue = func.sum(
            _case(
                Appeal.answered_at.is_(None)
                & Appeal.closed_at.is_(None)
                & (Appeal.deadline < today)
            )
        )
        query = _filtered(
            select(column, func.count(), in_time, late, open_overdue), where
        ).group_by(column)
        async with self._db.session() as session:
            rows = (await session.execute(query.order_by(column))).all()
        return [
            (str(getattr(key, "value", key)), int(n), int(a or 0), int(b or 0), int(c or 0))
            for key, n, a, b, c in rows
        ]

    async def timeline(
        self, where: AppealFilter, limit: int = 100_000
    ) -> builtins.list[tuple[datetime, datetime | None]]:
        """(registered, answered) of the appeals ``where`` selects, for the register's chart;
        at most ``limit`` of them, newest first."""
        columns = cast("Select[Any]", select(Appeal.registered_at, Appeal.answered_at))
        query = _filtered(columns, where).order_by(Appeal.registered_at.desc()).limit(limit)
        async with self._db.session() as session:
            rows = (await session.execute(query)).all()
        return [(at, answered) for at, answered in rows]


def _case(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _filtered(query: Select[Any], where: AppealFilter) -> Select[Any]:
    if where.since is not None:
        query = query.where(Appeal.registered_at >= where.since)
    if where.until is not None:
        query = query.where(Appeal.registered_at < where.until)
    if where.status is not None:
        query = query.where(Appeal.status == where.status)
    if where.category is not None:
        query = query.where(Appeal.category == where.category)
    if where.channel is not None:
        query = query.where(Appeal.channel == where.channel)
    if where.unit is not None:
        query = query.where(Appeal.unit == where.unit)
    if where.exclude_units:
        query = query.where(Appeal.unit.not_in(where.exclude_units))
    return query


async def _full(session: Any, row: Appeal) -> AppealRecord:
    events = await session.scalars(
        select(AppealEvent).where(AppealEvent.appeal_id == row.id).order_by(AppealEvent.id)
    )
    links = await session.scalars(
        select(AppealLink).where(AppealLink.appeal_id == row.id).order_by(AppealLink.id)
    )
    return _record(
        row,
        tuple(AppealEventRecord(e.at, e.status, e.by, e.unit, e.note) for e in events),
        tuple((link.kind, link.ref) for link in links),
    )


def _record(
    row: Appeal,
    history: Sequence[AppealEventRecord] = (),
    links: Sequence[tuple[AppealLinkKind, str]] = (),
) -> AppealRecord:
    return AppealRecord(
        id=row.id,
        number=row.number,
        channel=row.channel,
        status=row.status,
        category=row.category,
        topic=row.topic,
        subject=row.subject,
        text=row.text,
        urgency=row.urgency,
        unit=row.unit,
        account=row.account,
        phone=row.phone,
        customer_name=row.customer_name,
        reply_channel=row.reply_channel,
        reply_address=row.reply_address,
        registered_at=row.registered_at,
        registered_by=row.registered_by,
        deadline=row.deadline,
        answered_at=row.answered_at,
        closed_at=row.closed_at,
        close_reason=row.close_reason,
        history=tuple(history),
        links=tuple(links),
    )
