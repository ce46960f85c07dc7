"""Who drives each cluster node's AMI (issue 20): a lease row per node in PostgreSQL.

One worker owns a node at a time.  The owner renews its lease every heartbeat; the lease
runs on the database server's clock, so the workers' clocks do not matter.  When the owner
stops renewing (killed, paused, cut off from the database) the lease expires and another
worker may take the node; every change of owner raises the node's ``epoch``.

Fencing: a write that depends on owning a node (an attempt dialled through it, the adoption
of its attempts) runs :func:`fence` in its own transaction.  It reads the lease row FOR
SHARE, so a takeover (an UPDATE of that row) waits until the write has committed, and it
refuses the write when the row names another owner or epoch, or has expired.  A worker also
stops acting on its own clock before the lease can expire (:attr:`Lease.held`), measured
from the moment it asked for the lease, so it gives up no later than the database does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.store.db import Database

_NOW: Final = "EXTRACT(EPOCH FROM clock_timestamp())"

# A free or expired lease is taken (``grace`` seconds after it expired: a standby worker
# waits longer than the node's configured owner, so the owner is preferred); the same worker
# name taking it again (a restarted process) gets a new epoch, fencing its predecessor.
_ACQUIRE: Final = text(
    f"""
    INSERT INTO node_leases AS l (node, owner, epoch, expires_at, acquired_at)
    VALUES (:node, :owner, 1, {_NOW} + :ttl, {_NOW})
    ON CONFLICT (node) DO UPDATE
       SET owner = EXCLUDED.owner,
           ami_up = false,
           epoch = l.epoch + 1,
           expires_at = EXCLUDED.expires_at,
           acquired_at = EXCLUDED.acquired_at
     WHERE l.expires_at + :grace <= {_NOW} OR l.owner = EXCLUDED.owner
    RETURNING l.epoch, l.expires_at - {_NOW}
    """
)
# Only the owner of this epoch renews, and only before its lease expired: a lapsed lease is
# gone even if nobody took it yet (its holder must acquire it again, with a new epoch).
_RENEW: Final = text(
    f"""
    UPDATE node_leases SET expires_at = {_NOW} + :ttl, ami_up = :ami_up
     WHERE node = :node AND owner = :owner AND epoch = :epoch AND expires_at > {_NOW}
    RETURNING expires_at - {_NOW}
    """
)
_RELEASE: Final = text(
    f"UPDATE node_leases SET expires_at = LEAST(expires_at, {_NOW}) "
    "WHERE node = :node AND owner = :owner AND epoch = :epoch"
)
_FENCE: Final = text(
    f"""
    SELECT 1 FROM node_leases
     WHERE node = :node AND owner = :owner AND epoch = :epoch AND expires_at > {_NOW}
       FOR SHARE
    """
)
_ALL: Final = text(
    f"SELECT node, owner, epoch, expires_at - {_NOW}, ami_up FROM node_leases ORDER BY node"
)


class LeaseLost(RuntimeError):
    """A write that needs a node's lease was refused: this worker no longer owns it."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(
            f"worker {lease.owner} no longer owns node {lease.node} (epoch {lease.epoch})"
        )
        self.lease = lease


@dataclass(frozen=True)
class Lease:
    node: str
    owner: str
    epoch: int
    # time.monotonic() after which this worker must not act on the node any more: the
    # moment it asked for the lease plus what was left of it (no later than the database).
    deadline: float

    def held(self, margin: float = 0.0) -> bool:
        return time.monotonic() + margin < self.deadline


@dataclass(frozen=True)
class LeaseRow:
    node: str
    owner: str
    epoch: int
    # Seconds until it expires (negative: expired), on the database server's clock.
    remaining: float
    # The owner's AMI connection to the node was up at its last renew.
    ami_up: bool = False


class NodeLeases:
    """The lease rows (PostgreSQL; SQLite holds one worker, which needs none)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(self, node: str, owner: str, ttl: float, grace: float = 0.0) -> Lease | None:
        """Take ``node`` if its lease is free, expired for ``grace`` seconds, or ``owner``'s
        own (a new epoch in every case); None when another worker holds it."""
        asked = time.monotonic()
        async with self._db.session() as session:
            row = (
                await session.execute(
                    _ACQUIRE, {"node": node, "owner": owner, "ttl": ttl, "grace": grace}
                )
            ).one_or_none()
        if row is None:
            return None
        return Lease(node, owner, int(row[0]), asked + float(row[1]))

    async def renew(self, lease: Lease, ttl: float, *, ami_up: bool = False) -> Lease | None:
        """The lease for ``ttl`` more seconds (with the owner's AMI to the node up or not);
        None when it was lost (expired or taken)."""
        asked = time.monotonic()
        params = {
            "node": lease.node,
            "owner": lease.owner,
            "epoch": lease.epoch,
            "ttl": ttl,
            "ami_up": ami_up,
        }
        async with self._db.session() as session:
            left = (await session.execute(_RENEW, params)).scalar_one_or_none()
        if left is None:
            return None
        return Lease(lease.node, lease.owner, lease.epoch, asked + float(left))

    async def release(self, lease: Lease) -> None:
        """Give the node up now (a clean stop, a hand-back to its configured owner)."""
        params = {"node": lease.node, "owner": lease.owner, "epoch": lease.epoch}
        async with self._db.session() as session:
            await session.execute(_RELEASE, params)

    async def all(self) -> list[LeaseRow]:
        async with self._db.session() as session:
            rows = (await session.execute(_ALL)).all()
        return [LeaseRow(str(r[0]), str(r[1]), int(r[2]), float(r[3]), bool(r[4])) for r in rows]


class LeaseHolder:
    """A worker's current lease of one node, kept by its lease keeper and read by whatever
    acts on the node (the dialer): None while it does not own the node."""

    def __init__(self, node: str, margin: float = 0.0) -> None:
        self.node = node
        self.current: Lease | None = None
        # Stop acting this long before the lease could expire (a renew in flight, a pause).
        self.margin = margin

    def usable(self) -> Lease | None:
        """The lease if it may still be acted on now (on this worker's own clock)."""
        lease = self.current
        return lease if lease is not None and lease.held(self.margin) else None


async def holds(session: AsyncSession, lease: Lease) -> bool:
    """In a write's transaction: ``lease`` is still the node's current, unexpired lease;
    holds the row (FOR SHARE) until the write commits, so no takeover slips in between."""
    params = {"node": lease.node, "owner": lease.owner, "epoch": lease.epoch}
    return (await session.execute(_FENCE, params)).scalar_one_or_none() is not None


async def fence(session: AsyncSession, lease: Lease) -> None:
    """In a write's transaction: raise :class:`LeaseLost` unless ``lease`` is still the
    node's current, unexpired lease; holds the row (FOR SHARE) until the write commits."""
    if not await holds(session, lease):
        raise LeaseLost(lease)
