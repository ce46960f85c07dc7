"""Dial attempts from claim to close: written as dialing before any Originate, marked as the
call goes on, and closed once, moving the target on to a retry or its final result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, Final

from sqlalchemy import and_, bindparam, func, insert, select, update

from dialer.model import AttemptStatus, Reason, Result, TargetState
from dialer.repository.claims import (
    SharedCaps,
    room_within_shared_caps,
    withdraw_unsent,
    within_shared_caps,
)
from dialer.repository.records import INFLIGHT, AttemptRecord, TargetRecord, attempt_record
from dialer.window import Waiting, WaitReason
from hotline.store.db import Database
from hotline.store.models import CampaignTarget, DialAttempt
from hotline.store.webhook_events import outbound_attempt_ended

# A batch's attempt marked sent, if it is still there and not sent yet.
_MARK_SENT: Final = (
    update(DialAttempt)
    .where(
        DialAttempt.id == bindparam("attempt_id"),
        DialAttempt.status == AttemptStatus.DIALING.value,
        DialAttempt.sent.is_(False),
    )
    .values(sent=True)
)


class Attempts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def begin(
        self,
        target: TargetRecord,
        attempt_id: str,
        now: dt.datetime,
        *,
        worker: str | None = None,
        caps: SharedCaps | None = None,
    ) -> AttemptRecord | None:
        """Claim the target and write the attempt as dialing, in one transaction, before any
        Originate; None if someone else claimed it first, or (``caps``, on PostgreSQL) if
        the attempts of every worker leave no room for it now."""
        async with self._db.session() as session:
            if (
                caps is not None
                and not self._db.is_sqlite
                and not await within_shared_caps(
                    session, target.phone, caps, target.campaign_id, now
                )
            ):
                return None
            claimed = await session.execute(
                update(CampaignTarget)
                .where(
                    CampaignTarget.id == target.id,
                    CampaignTarget.state == TargetState.PENDING.value,
                )
                .values(
                    state=TargetState.CALLING.value,
                    attempts=CampaignTarget.attempts + 1,
                    waiting=None,
                    claimed_by=None,
                    claimed_until=None,
                )
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            record = AttemptRecord(
                attempt_id,
                target.campaign_id,
                target.id,
                target.attempts + 1,
                target.phone,
                AttemptStatus.DIALING,
                now,
                False,
                False,
                False,
            )
            # A Core INSERT (no ORM unit of work): this is on every call's path (issue 19).
            await session.execute(
                insert(DialAttempt).values(
                    id=record.id,
                    campaign_id=record.campaign_id,
                    target_id=record.target_id,
                    number=record.number,
                    phone=record.phone,
                    status=record.status.value,
                    created_at=now,
                    key_played=False,
                    confirmed=False,
                    transferred=False,
                    worker=worker,
                    node=caps.node if caps is not None else None,
                    trunk=caps.trunk if caps is not None else None,
                )
            )
            return record

    async def begin_many(
        self,
        batch: Sequence[tuple[TargetRecord, str]],
        now: dt.datetime,
        *,
        worker: str | None = None,
        caps: SharedCaps | None = None,
    ) -> list[AttemptRecord]:
        """:meth:`begin` for a batch of one campaign's targets, (target, attempt id) each, in
        one transaction (issue 19: one commit per batch, not per call): one UPDATE claims
        those still pending, one INSERT writes their attempts as dialing, before any
        Originate.  With ``caps`` on PostgreSQL the batch is cut to the room every worker's
        attempts leave, and numbers the same-number gap bars are left out.  Returns the
        attempts begun, in the batch's order."""
        if not batch:
            return []
        campaign_id = batch[0][0].campaign_id
        assert all(t.campaign_id == campaign_id for t, _a in batch), "one campaign per batch"
        async with self._db.session() as session:
            chosen = list(batch)
            if caps is not None and not self._db.is_sqlite:
                room, barred = await room_within_shared_caps(
                    session, [t.phone for t, _a in batch], caps, campaign_id, now
                )
                chosen = []
                for target, attempt_id in batch:
                    if target.phone in barred or len(chosen) >= room:
                        continue
                    chosen.append((target, attempt_id))
                    if caps.same_number_gap > dt.timedelta(0):
                        barred.add(target.phone)  # one call per number in the gap
                if not chosen:
                    return []
            claimed = set(
                (
                    await session.execute(
                        update(CampaignTarget)
                        .where(
                            CampaignTarget.id.in_([t.id for t, _a in chosen]),
                            CampaignTarget.state == TargetState.PENDING.value,
                        )
                        .values(
                            state=TargetState.CALLING.value,
                            attempts=CampaignTarget.attempts + 1,
                            waiting=None,
                            claimed_by=None,
                            claimed_until=None,
                        )
                        .returning(CampaignTarget.id)
                        .execution_options(synchronize_session=False)
                    )
                ).scalars()
            )
            records = [
                AttemptRecord(
                    attempt_id,
                    target.campaign_id,
                    target.id,
                    target.attempts + 1,
                    target.phone,
                    AttemptStatus.DIALING,
                    now,
                    False,
                    False,
                    False,
                    sent=False,
                )
                for target, attempt_id in chosen
                if target.id in claimed
            ]
            if records:
                await session.execute(
                    insert(DialAttempt),
                    [
                        {
                            "id": r.id,
                            "campaign_id": r.campaign_id,
                            "target_id": r.target_id,
                            "number": r.number,
                            "phone": r.phone,
                            "status": r.status.value,
                            "created_at": now,
                            "key_played": False,
                            "confirmed": False,
                            "transferred": False,
                            "sent": False,  # marked just before its Originate
                            "worker": worker,
                            "node": caps.node if caps is not None else None,
                            "trunk": caps.trunk if caps is not None else None,
                        }
                        for r in records
                    ],
                )
            return records

    async def withdraw(self, attempt_ids: Collection[str]) -> None:
        """Undo :meth:`begin_many` for attempts whose Originate was never sent (pacing had no
        slot for them within the tick, or the pass stopped): the rows go, their targets are
        pending again with the attempt not counted.  Attempts marked sent are left alone."""
        if not attempt_ids:
            return
        async with self._db.session() as session:
            await withdraw_unsent(session, attempt_ids)

    async def withdraw_marked(self, attempt_ids: Collection[str]) -> None:
        """Withdraw attempts marked sent whose Originate never went out: refused before a byte
        was written (AMI dropped during the mark), held back by a worker that may be taken for
        dead, or never seen by Asterisk (dialer/traces.py).  As if never sent: their contacts
        are pending again, the attempt not counted."""
        if not attempt_ids:
            return
        async with self._db.session() as session:
            await session.execute(
                update(DialAttempt)
                .where(
                    DialAttempt.id.in_(list(attempt_ids)),
                    DialAttempt.status == AttemptStatus.DIALING.value,
                )
                .values(sent=False)
            )
            await withdraw_unsent(session, attempt_ids)

    async def mark_sent(self, attempt_id: str) -> bool:
        """Mark a batch's attempt as sent, just before its Originate goes out (one small
        statement on a bare connection, committed).  False: it is no longer there to send
        (withdrawn by a worker that adopted it while this one was taken for dead): the
        Originate must not go out."""
        async with self._db.engine.begin() as conn:
            result = await conn.execute(_MARK_SENT, {"attempt_id": attempt_id})
            return bool(result.rowcount)

    async def get(self, attempt_id: str) -> AttemptRecord | None:
        async with self._db.session() as session:
            row = await session.get(DialAttempt, attempt_id)
            return attempt_record(row) if row is not None else None

    async def inflight(
        self, worker: str | None = None, node: str | None = None
    ) -> list[AttemptRecord]:
        """Attempts in flight: all, or ``worker``'s own (through ``node`` only: a worker
        driving several nodes reconciles each against that node's Asterisk)."""
        query = select(DialAttempt).where(DialAttempt.status.in_(INFLIGHT))
        if worker is not None:
            query = query.where(DialAttempt.worker == worker)
        if node is not None:
            query = query.where(DialAttempt.node == node)
        async with self._db.session() as session:
            rows = (await session.execute(query)).scalars()
            return [attempt_record(r) for r in rows]

    async def inflight_counts(self) -> dict[int, int]:
        """In-flight attempts per campaign id."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(DialAttempt.campaign_id, func.count())
                .where(DialAttempt.status.in_(INFLIGHT))
                .group_by(DialAttempt.campaign_id)
            )
            return {campaign_id: count for campaign_id, count in rows}

    async def last_call_to(self, phone: str) -> dt.datetime | None:
        """The latest attempt to ``phone`` in any campaign (the same-number gap)."""
        async with self._db.session() as session:
            return (
                await session.execute(
                    select(func.max(DialAttempt.created_at)).where(DialAttempt.phone == phone)
                )
            ).scalar_one()

    async def last_calls_to(self, phones: Collection[str]) -> dict[str, dt.datetime]:
        """``last_call_to`` for many numbers in one query (numbers never called are absent)."""
        if not phones:
            return {}
        async with self._db.session() as session:
            rows = await session.execute(
                select(DialAttempt.phone, func.max(DialAttempt.created_at))
                .where(DialAttempt.phone.in_(phones))
                .group_by(DialAttempt.phone)
            )
            return {phone: last for phone, last in rows if last is not None}

    async def since(self, phone: str, since: dt.datetime) -> int:
        async with self._db.session() as session:
            return (
                await session.execute(
                    select(func.count())
                    .select_from(DialAttempt)
                    .where(and_(DialAttempt.phone == phone, DialAttempt.created_at >= since))
                )
            ).scalar_one()

    async def mark(
        self,
        attempt_id: str,
        *,
        status: AttemptStatus | None = None,
        answered_at: dt.datetime | None = None,
        key_played: bool | None = None,
        confirmed: bool | None = None,
        transferred: bool | None = None,
        machine: bool | None = None,
        operator: str | None = None,
        talk_seconds: int | None = None,
    ) -> None:
        """Answered, key content played, confirmed, transferred, the operator who took the
        callee and the talk time: as soon as it is known.  Only what is given changes."""
        values: dict[str, Any] = {
            "operator": operator[:128] if operator is not None else None,
            "talk_seconds": talk_seconds,
            "answered_at": answered_at,
            "key_played": key_played,
            "confirmed": confirmed,
            "transferred": transferred,
            "machine": machine,
        }
        if status is not None:
            values["status"] = AttemptStatus(status).value
        changes = {column: value for column, value in values.items() if value is not None}
        query = update(DialAttempt).where(DialAttempt.id == attempt_id)
        if status is not None:
            # A status moves only an attempt in flight: a late OriginateResponse or FastAGI
            # session for one a reconciliation settled reopened it, with nobody to close it.
            query = query.where(DialAttempt.status.in_(INFLIGHT))
        async with self._db.session() as session:
            await session.execute(query.values(**changes))

    async def end(
        self,
        attempt_id: str,
        *,
        status: AttemptStatus,
        result: Result | None,
        reason: Reason,
        cause: str | None,
        now: dt.datetime,
        retry_at: dt.datetime | None,
        final: bool,
        email_fallback: bool = False,
        sms_fallback: bool = False,
    ) -> bool:
        """Close an in-flight attempt and move its target on (retry at ``retry_at`` or final).
        False if the attempt was already closed (a late duplicate event)."""
        async with self._db.session() as session:
            done = await session.execute(
                update(DialAttempt)
                .where(DialAttempt.id == attempt_id, DialAttempt.status.in_(INFLIGHT))
                .values(
                    status=status.value,
                    result=result.value if result else None,
                    reason=reason.value,
                    hangup_cause=cause,
                    ended_at=now,
                )
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            target_id = (
                await session.execute(
                    select(DialAttempt.target_id).where(DialAttempt.id == attempt_id)
                )
            ).scalar_one()
            values: dict[str, Any] = {"reason": reason.value}
            if final:
                values.update(
                    state=TargetState.DONE.value,
                    result=(result or Result.NEGATIVE).value,
                    waiting=None,
                )
                fallback = (email_fallback or sms_fallback) and result is not Result.POSITIVE
                target = await session.get(CampaignTarget, target_id) if fallback else None
                if target is not None:
                    if email_fallback and target.email and target.email_status is None:
                        values["email_status"] = "pending"
                    if sms_fallback and target.sms_status is None:
                        values["sms_status"] = "pending"
            else:
                values.update(
                    state=TargetState.PENDING.value,
                    next_attempt_at=retry_at,
                    waiting=Waiting.of(WaitReason.RETRY, reason=reason.value).stored,
                )
            await session.execute(
                update(CampaignTarget).where(CampaignTarget.id == target_id).values(**values)
            )
            # Billing and CRM hear of it in the same transaction (issue 22 item 4).
            attempt_row = await session.get(DialAttempt, attempt_id, populate_existing=True)
            target_row = await session.get(CampaignTarget, target_id, populate_existing=True)
            if attempt_row is not None and target_row is not None:
                outbound_attempt_ended(session, attempt_row, target_row, final=final)
            return True
