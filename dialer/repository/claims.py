"""Several engine workers on one database (issue 20): a dispatcher pass claims the due
contacts it will dial (``SELECT ... FOR UPDATE SKIP LOCKED``: two workers never claim the same
contact, and neither waits for the other's rows), an attempt begins under the caps every
worker shares, and the attempts of a dead worker are adopted by a live one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.model import AttemptStatus, TargetState
from dialer.repository.records import INFLIGHT, TargetRecord, target_record
from hotline.store.db import Database
from hotline.store.leases import Lease, holds
from hotline.store.models import CampaignTarget, DialAttempt

# A transaction-scoped advisory lock per key (released at commit): begins on one trunk, one
# node or one number are serialised across workers.  Always taken in this order: trunk,
# node, number (no deadlock).
_XACT_LOCK: Final = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


@dataclass(frozen=True)
class SharedCaps:
    """What an attempt must respect across every worker, checked when it begins (PostgreSQL;
    with SQLite there is one worker and its dispatcher pass counts alone)."""

    trunk: str
    trunk_cap: int
    campaign_cap: int
    same_number_gap: dt.timedelta
    # The cluster node it goes out through and that node's channels ("" / None: no node cap).
    node: str = ""
    node_cap: int | None = None
    # This worker's lease of the node (fencing): the begin is refused unless it still holds.
    lease: Lease | None = None


def due_conditions(campaign_id: int, now: dt.datetime) -> tuple[object, ...]:
    return (
        CampaignTarget.campaign_id == campaign_id,
        CampaignTarget.state == TargetState.PENDING.value,
        CampaignTarget.channel == "phone",
        or_(CampaignTarget.next_attempt_at.is_(None), CampaignTarget.next_attempt_at <= now),
    )


DUE_ORDER: Final = (
    CampaignTarget.deliver_by.is_(None),
    CampaignTarget.deliver_by,
    CampaignTarget.next_attempt_at.is_(None).desc(),
    CampaignTarget.next_attempt_at,
    CampaignTarget.row,
)


class Claims:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self,
        campaign_id: int,
        now: dt.datetime,
        limit: int,
        *,
        worker: str,
        until: dt.datetime,
    ) -> list[TargetRecord]:
        """Up to ``limit`` due contacts, in dispatch order, claimed for ``worker`` until
        ``until``: rows another worker holds (locked now, or claimed and not lapsed) are
        skipped, never waited for; so are those this worker claimed already in this pass
        (the next round of a pass gets the next contacts)."""
        if self._db.is_sqlite:
            return await self._due(campaign_id, now, limit)
        free = or_(CampaignTarget.claimed_by.is_(None), CampaignTarget.claimed_until < now)
        pick = (
            select(CampaignTarget.id)
            .where(*due_conditions(campaign_id, now), free)  # type: ignore[arg-type]
            .order_by(*DUE_ORDER)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self._db.session() as session:
            ids = list((await session.execute(pick)).scalars())
            if not ids:
                return []
            await session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.id.in_(ids))
                .values(claimed_by=worker, claimed_until=until)
            )
            rows = (
                await session.execute(
                    select(CampaignTarget).where(CampaignTarget.id.in_(ids)).order_by(*DUE_ORDER)
                )
            ).scalars()
            return [target_record(r) for r in rows]

    async def _due(self, campaign_id: int, now: dt.datetime, limit: int) -> list[TargetRecord]:
        """The claim on SQLite: a read.  One engine runs per SQLite file (the engine lock),
        so no other worker dials these contacts and a claim written there could only be
        stale (a killed run's).  Writing claims cost every round two write transactions
        under SQLite's one write lock, the claim and the release (which scans every
        contact), fighting the calls' own writes at 20 calls a second (issue 19 item 6)."""
        async with self._db.session() as session:
            rows = (
                await session.execute(
                    select(CampaignTarget)
                    .where(*due_conditions(campaign_id, now))  # type: ignore[arg-type]
                    .order_by(*DUE_ORDER)
                    .limit(limit)
                )
            ).scalars()
            return [target_record(r) for r in rows]

    async def release(self, worker: str) -> None:
        """The contacts ``worker`` claimed and did not dial, free for anyone again (nothing
        to do on SQLite, where claims are not written)."""
        if self._db.is_sqlite:
            return
        async with self._db.session() as session:
            await session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None)
            )

    async def node_load(self, node: str) -> int:
        """Attempts in flight through ``node`` (every worker's)."""
        async with self._db.session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(DialAttempt)
                .where(DialAttempt.status.in_(INFLIGHT), DialAttempt.node == node)
            )
            return count or 0

    async def adopt(
        self,
        worker: str,
        alive: Collection[str],
        *,
        node: str | None = None,
        lease: Lease | None = None,
    ) -> Adoption:
        """Attempts in flight whose worker is not among ``alive`` (dead, or written before
        workers had names): those whose Originate was sent (or may have been) become
        ``worker``'s, to be followed or settled; those never sent (a batch written by a
        worker killed before their turn) are withdrawn, their contacts pending again.
        ``node``: only those dialled through that node; ``lease``: only while this worker
        still owns the node."""
        orphan = or_(DialAttempt.worker.is_(None), DialAttempt.worker.not_in(list(alive)))
        where = [DialAttempt.status.in_(INFLIGHT), orphan]
        if node is not None:
            where.append(DialAttempt.node == node)
        async with self._db.session() as session:
            if lease is not None and not await holds(session, lease):
                return Adoption([], 0)
            rows = (
                await session.execute(
                    select(DialAttempt.id, DialAttempt.sent)
                    .where(*where)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            sent = [str(row[0]) for row in rows if row[1]]
            unsent = [str(row[0]) for row in rows if not row[1]]
            if sent:
                await session.execute(
                    update(DialAttempt).where(DialAttempt.id.in_(sent)).values(worker=worker)
                )
            withdrawn = await withdraw_unsent(session, unsent) if unsent else 0
            return Adoption(sent, withdrawn)


@dataclass(frozen=True)
class Adoption:
    """What :meth:`Claims.adopt` took over: the ids of the attempts to follow, and how many
    never-sent attempts went back to their contacts."""

    adopted: list[str]
    withdrawn: int


async def withdraw_unsent(session: AsyncSession, attempt_ids: Collection[str]) -> int:
    """In ``session``: delete the attempts among ``attempt_ids`` still dialing whose Originate
    was never sent, and put their contacts back to pending with the attempt not counted (they
    are dialled later, once).  Returns how many were withdrawn."""
    targets = list(
        (
            await session.execute(
                delete(DialAttempt)
                .where(
                    DialAttempt.id.in_(list(attempt_ids)),
                    DialAttempt.status == AttemptStatus.DIALING.value,
                    DialAttempt.sent.is_(False),
                )
                .returning(DialAttempt.target_id)
                .execution_options(synchronize_session=False)
            )
        ).scalars()
    )
    if targets:
        await session.execute(
            update(CampaignTarget)
            .where(
                CampaignTarget.id.in_(targets),
                CampaignTarget.state == TargetState.CALLING.value,
            )
            .values(
                state=TargetState.PENDING.value,
                attempts=CampaignTarget.attempts - 1,
                claimed_by=None,
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )
    return len(targets)


async def within_shared_caps(
    session: AsyncSession, phone: str, caps: SharedCaps, campaign_id: int, now: dt.datetime
) -> bool:
    """In the begin's transaction on PostgreSQL: serialise on the trunk (and node, and number)
    and check the caps against every worker's attempts in flight."""
    if caps.lease is not None and not await holds(session, caps.lease):
        return False  # the node was taken over: dial nothing more through it
    await session.execute(_XACT_LOCK, {"key": f"dialer-trunk:{caps.trunk}"})
    in_flight = DialAttempt.status.in_(INFLIGHT)
    on_trunk = await session.scalar(
        select(func.count())
        .select_from(DialAttempt)
        .where(in_flight, DialAttempt.trunk == caps.trunk)
    )
    if (on_trunk or 0) >= caps.trunk_cap:
        return False
    in_campaign = await session.scalar(
        select(func.count())
        .select_from(DialAttempt)
        .where(in_flight, DialAttempt.campaign_id == campaign_id)
    )
    if (in_campaign or 0) >= caps.campaign_cap:
        return False
    if caps.node and caps.node_cap is not None:
        await session.execute(_XACT_LOCK, {"key": f"dialer-node:{caps.node}"})
        on_node = await session.scalar(
            select(func.count())
            .select_from(DialAttempt)
            .where(in_flight, DialAttempt.node == caps.node)
        )
        if (on_node or 0) >= caps.node_cap:
            return False
    await session.execute(_XACT_LOCK, {"key": f"dialer-number:{phone}"})
    last = await session.scalar(
        select(func.max(DialAttempt.created_at)).where(DialAttempt.phone == phone)
    )
    return last is None or now >= last + caps.same_number_gap


# The advisory locks of many numbers in one statement, taken in the order of the (sorted)
# array: two batches sharing numbers lock them in the same order (no deadlock).
_XACT_LOCKS: Final = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) "
    "FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS t(k, n)"
)


async def room_within_shared_caps(
    session: AsyncSession,
    phones: Collection[str],
    caps: SharedCaps,
    campaign_id: int,
    now: dt.datetime,
) -> tuple[int, set[str]]:
    """:func:`within_shared_caps` for a batch of one campaign's calls, in the batch's
    transaction on PostgreSQL: how many more calls the trunk, campaign and node caps leave
    room for across every worker, and which of ``phones`` the same-number gap bars now.  The
    locks are the same, in the same order (trunk, node, numbers)."""
    if caps.lease is not None and not await holds(session, caps.lease):
        return 0, set()  # the node was taken over: dial nothing more through it
    await session.execute(_XACT_LOCK, {"key": f"dialer-trunk:{caps.trunk}"})
    in_flight = DialAttempt.status.in_(INFLIGHT)
    on_trunk = await session.scalar(
        select(func.count())
        .select_from(DialAttempt)
        .where(in_flight, DialAttempt.trunk == caps.trunk)
    )
    in_campaign = await session.scalar(
        select(func.count())
        .select_from(DialAttempt)
        .where(in_flight, DialAttempt.campaign_id == campaign_id)
    )
    room = min(caps.trunk_cap - (on_trunk or 0), caps.campaign_cap - (in_campaign or 0))
    if caps.node and caps.node_cap is not None and room > 0:
        await session.execute(_XACT_LOCK, {"key": f"dialer-node:{caps.node}"})
        on_node = await session.scalar(
            select(func.count())
            .select_from(DialAttempt)
            .where(in_flight, DialAttempt.node == caps.node)
        )
        room = min(room, caps.node_cap - (on_node or 0))
    if room <= 0:
        return 0, set()
    numbers = sorted(set(phones))
    await session.execute(_XACT_LOCKS, {"keys": [f"dialer-number:{p}" for p in numbers]})
    rows = await session.execute(
        select(DialAttempt.phone, func.max(DialAttempt.created_at))
        .where(DialAttempt.phone.in_(numbers))
        .group_by(DialAttempt.phone)
    )
    barred = {
        phone for phone, last in rows if last is not None and now < last + caps.same_number_gap
    }
    return room, barred
