"""The operator's desk (issue 17): dispositions, card views, pauses, and the earlier contacts
of a caller (calls, appeals, callbacks) for the customer card.  Each method is one unit of
work."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select

from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind, QueueEventKind
from hotline.store.models import (
    Appeal,
    Call,
    Callback,
    CallDisposition,
    CallEvent,
    CardView,
    OperatorPause,
    QueueEvent,
)
from hotline.store.queue_events import QueueEventRecord
from hotline.store.types import as_utc


@dataclass(frozen=True)
class DispositionRecord:
    uniqueid: str
    operator: str
    call_type: str
    result: str
    note: str | None
    at: datetime


@dataclass(frozen=True)
class Audited:
    """Who made a change and the audit log's name for it."""

    actor: Actor
    action: str


@dataclass(frozen=True)
class CardViewRecord:
    uniqueid: str
    operator: str
    connected_at: datetime
    shown_at: datetime
    seconds: float


@dataclass(frozen=True)
class PauseRecord:
    id: int
    operator: str
    reason: str
    started_at: datetime
    ended_at: datetime | None
    until: datetime | None


class ContactKind(StrEnum):
    CALL = "call"
    CAMPAIGN_CALL = "campaign_call"
    APPEAL = "appeal"
    CALLBACK = "callback"


@dataclass(frozen=True)
class Contact:
    """One earlier contact of the customer: a call (inbound or a campaign's), an appeal or a
    callback request."""

    kind: ContactKind
    at: datetime
    ref: str  # the call's uniqueid, the appeal's number, the callback's id
    status: str  # the call's outcome, the appeal's status, the callback's status
    detail: str  # the disposition, the appeal's subject, the callback's note


def _disposition(row: CallDisposition) -> DispositionRecord:
    return DispositionRecord(
        row.uniqueid, row.operator, row.call_type, row.result, row.note, row.at
    )


def _pause(row: OperatorPause) -> PauseRecord:
    return PauseRecord(row.id, row.operator, row.reason, row.started_at, row.ended_at, row.until)


class DeskStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- dispositions (R-033, R-038, R-040) ------------------------------------------------
    async def dispose(
        self,
        uniqueid: str,
        operator: str,
        call_type: str,
        result: str,
        note: str | None,
        at: datetime,
        by: Audited | None = None,
        again: bool = False,
    ) -> DispositionRecord | None:
        """Store the operator's pick; a second pick for the same call replaces the first.
        ``by``: audited in the same unit of work (both or neither).  ``again``: a pick held
        through an outage, replayed: None, nothing written, when it or a newer pick is there
        (a kill can come between the commit and the spool's delete)."""
        async with self._db.session() as session:
            row = await session.scalar(
                select(CallDisposition).where(
                    CallDisposition.uniqueid == uniqueid, CallDisposition.operator == operator
                )
            )
            if again and row is not None and as_utc(row.at) >= as_utc(at):
                return None
            if row is None:
                row = CallDisposition(uniqueid=uniqueid, operator=operator)
                session.add(row)
            row.call_type, row.result, row.note, row.at = call_type, result, note, as_utc(at)
            if by is not None:
                detail = {"type": call_type, "result": result, "operator": operator}
                AuditLog.add(session, by.actor, by.action, uniqueid, detail, at=as_utc(at))
            await session.flush()
            return _disposition(row)

    async def dispositions(self, uniqueids: Iterable[str]) -> dict[str, DispositionRecord]:
        """The latest disposition of each call that has one."""
        wanted = list(set(uniqueids))
        found: dict[str, DispositionRecord] = {}
        async with self._db.session() as session:
            for start in range(0, len(wanted), 500):
                query = (
                    select(CallDisposition)
                    .where(CallDisposition.uniqueid.in_(wanted[start : start + 500]))
                    .order_by(CallDisposition.at)
                )
                for row in await session.scalars(query):
                    found[row.uniqueid] = _disposition(row)
        return found

    async def last_connect(self, member: str) -> QueueEventRecord | None:
        """The operator's latest answered call, ended or not (after-call work is about it)."""
        query = (
            select(QueueEvent)
            .where(QueueEvent.member == member, QueueEvent.kind == QueueEventKind.CONNECT)
            .order_by(QueueEvent.at.desc(), QueueEvent.id.desc())
            .limit(1)
        )
        async with self._db.session() as session:
            r = await session.scalar(query)
        if r is None:
            return None
        return QueueEventRecord(r.at, r.kind, r.uniqueid, r.queue, r.member, wait=r.wait)

    # --- card views (R-035) ----------------------------------------------------------------
    async def card_shown(
        self, uniqueid: str, operator: str, connected_at: datetime, shown_at: datetime
    ) -> CardViewRecord:
        """The first time the card of the call reached the operator's browser; later redraws
        keep the first."""
        async with self._db.session() as session:
            row = await session.scalar(
                select(CardView).where(
                    CardView.uniqueid == uniqueid, CardView.operator == operator
                )
            )
            if row is None:
                seconds = max(0.0, (as_utc(shown_at) - as_utc(connected_at)).total_seconds())
                row = CardView(
                    uniqueid=uniqueid,
                    operator=operator,
                    connected_at=as_utc(connected_at),
                    shown_at=as_utc(shown_at),
                    seconds=round(seconds, 2),
                )
                session.add(row)
                await session.flush()
            return CardViewRecord(
                row.uniqueid, row.operator, row.connected_at, row.shown_at, row.seconds
            )

    async def card_views(self, start: datetime, end: datetime) -> list[CardViewRecord]:
        query = (
            select(CardView)
            .where(CardView.connected_at >= as_utc(start), CardView.connected_at < as_utc(end))
            .order_by(CardView.connected_at)
        )
        async with self._db.session() as session:
            return [
                CardViewRecord(r.uniqueid, r.operator, r.connected_at, r.shown_at, r.seconds)
                for r in await session.scalars(query)
            ]

    # --- pauses (R-037) --------------------------------------------------------------------
    async def pause_started(
        self, operator: str, reason: str, at: datetime, until: datetime | None = None
    ) -> PauseRecord:
        """Open a pause, closing one still open (a new reason replaces the old)."""
        async with self._db.session() as session:
            for row in await session.scalars(
                select(OperatorPause).where(
                    OperatorPause.operator == operator, OperatorPause.ended_at.is_(None)
                )
            ):
                row.ended_at = as_utc(at)
            row = OperatorPause(
                operator=operator,
                reason=reason,
                started_at=as_utc(at),
                until=as_utc(until) if until is not None else None,
            )
            session.add(row)
            await session.flush()
            return _pause(row)

    async def pause_ended(self, operator: str, at: datetime) -> PauseRecord | None:
        """Close the operator's open pause; None when none was open."""
        async with self._db.session() as session:
            row = await session.scalar(
                select(OperatorPause)
                .where(OperatorPause.operator == operator, OperatorPause.ended_at.is_(None))
                .order_by(OperatorPause.started_at.desc())
            )
            if row is None:
                return None
            row.ended_at = max(as_utc(at), row.started_at)
            await session.flush()
            return _pause(row)

    async def has_pause(self, operator: str, reason: str, started_at: datetime) -> bool:
        """A pause of ``operator`` for ``reason`` begun at ``started_at`` is stored."""
        query = select(OperatorPause.id).where(
            OperatorPause.operator == operator,
            OperatorPause.reason == reason,
            OperatorPause.started_at == as_utc(started_at),
        )
        async with self._db.session() as session:
            return await session.scalar(query.limit(1)) is not None

    async def open_pause(self, operator: str) -> PauseRecord | None:
        query = select(OperatorPause).where(
            OperatorPause.operator == operator, OperatorPause.ended_at.is_(None)
        )
        async with self._db.session() as session:
            row = await session.scalar(query.order_by(OperatorPause.started_at.desc()))
            return _pause(row) if row is not None else None

    async def due_pauses(self, now: datetime) -> list[PauseRecord]:
        """Open pauses whose end time has come (after-call work over, R-037)."""
        query = select(OperatorPause).where(
            OperatorPause.ended_at.is_(None),
            OperatorPause.until.is_not(None),
            OperatorPause.until <= as_utc(now),
        )
        async with self._db.session() as session:
            return [_pause(r) for r in await session.scalars(query)]

    async def pauses(self, start: datetime, end: datetime) -> list[PauseRecord]:
        """Pauses that overlap [start, end), open ones included."""
        query = (
            select(OperatorPause)
            .where(
                OperatorPause.started_at < as_utc(end),
                or_(OperatorPause.ended_at.is_(None), OperatorPause.ended_at > as_utc(start)),
            )
            .order_by(OperatorPause.started_at)
        )
        async with self._db.session() as session:
            return [_pause(r) for r in await session.scalars(query)]

    # --- earlier contacts (R-034) ----------------------------------------------------------
    async def contacts(
        self, phone: str | None, account: str | None, *, excluding: str | None, limit: int
    ) -> list[Contact]:
        """The customer's earlier calls, appeals and callback requests, newest first: found by
        the caller's number and by the account (a call that identified it in the IVR)."""
        found: list[Contact] = []
        async with self._db.session() as session:
            call_where = []
            if phone:
                call_where += [Call.caller == phone, Call.callee == phone]
            if account:
                call_where.append(
                    Call.id.in_(
                        select(CallEvent.call_id).where(
                            CallEvent.kind == EventKind.ACCOUNT, CallEvent.value == account
                        )
                    )
                )
            if call_where:
                query = select(Call).where(or_(*call_where)).order_by(Call.started_at.desc())
                if excluding is not None:
                    query = query.where(Call.uniqueid != excluding)
                calls = list(await session.scalars(query.limit(limit)))
                dispositions = {
                    d.uniqueid: d.result
                    for d in await session.scalars(
                        select(CallDisposition)
                        .where(CallDisposition.uniqueid.in_([c.uniqueid for c in calls]))
                        .order_by(CallDisposition.at)
                    )
                }
                for call in calls:
                    outbound = call.direction is CallDirection.OUTBOUND
                    found.append(
                        Contact(
                            ContactKind.CAMPAIGN_CALL if outbound else ContactKind.CALL,
                            call.started_at,
                            call.uniqueid,
                            call.outcome.value if call.outcome is not None else "",
                            dispositions.get(call.uniqueid, ""),
                        )
                    )
            appeal_where = []
            if account:
                appeal_where.append(Appeal.account == account)
            if phone:
                appeal_where.append(Appeal.phone == phone)
            if appeal_where:
                query_a = (
                    select(Appeal)
                    .where(or_(*appeal_where))
                    .order_by(Appeal.registered_at.desc())
                    .limit(limit)
                )
                found.extend(
                    Contact(
                        ContactKind.APPEAL,
                        appeal.registered_at,
                        appeal.number,
                        appeal.status.value,
                        appeal.subject,
                    )
                    for appeal in await session.scalars(query_a)
                )
            callback_where = []
            if phone:
                callback_where.append(Callback.number == phone)
            if account:
                callback_where.append(Callback.account == account)
            if callback_where:
                query_c = (
                    select(Callback)
                    .where(or_(*callback_where))
                    .order_by(Callback.requested_at.desc())
                    .limit(limit)
                )
                found.extend(
                    Contact(
                        ContactKind.CALLBACK,
                        callback.requested_at,
                        str(callback.id),
                        callback.status.value,
                        callback.note or "",
                    )
                    for callback in await session.scalars(query_c)
                )
        found.sort(key=lambda c: c.at, reverse=True)
        return found[:limit]
