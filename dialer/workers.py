"""Which engine worker this dialer is (issue 20): several ``hotline run`` processes on one
PostgreSQL database share the campaigns.  Each claims its contacts, writes its name on the
attempts it dials, reconciles only its own (and those it adopted from a dead worker), and
takes calls-per-second slots from the row every worker shares."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from dialer.ownership import NodeKeeper
from hotline.settings import Settings, WorkerSettings
from hotline.store.db import Database
from hotline.store.leases import LeaseHolder, NodeLeases
from hotline.store.workers import SharedPacer, WorkerRegistry
from hotline.transport.ami import AmiClient

if TYPE_CHECKING:
    from dialer.engine import Dialer

log = logging.getLogger(__name__)

# The claim name of a dialer given no worker name (one engine, tests).
LOCAL_WORKER: Final = "local"


class Heartbeat:
    """When this worker last told the registry it lives, on its own monotonic clock.

    Once that is older than half of ``dead_after`` another worker may be about to take it for
    dead, adopt its attempts and give back to their contacts those whose Originate Asterisk
    never saw (dialer/traces.py): the dispatcher then sends no more, so an Originate it
    marked never goes out after an adopter decided it never would."""

    def __init__(
        self, dead_after_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = dead_after_seconds / 2
        self._clock = clock
        self._beaten: float | None = None
        self._held = False  # said in the log: sending held for a stale heartbeat

    async def beating(self, write: Awaitable[None]) -> None:
        """``write`` a heartbeat to the registry: once committed, this worker is known alive
        from the moment before it."""
        at = self._clock()
        await write
        self._beaten = at if self._beaten is None else max(self._beaten, at)

    def fresh(self) -> bool:
        if self._beaten is None:
            return False
        age = self._clock() - self._beaten
        fresh = age < self._limit
        if fresh == self._held:  # the state changed: said once each way
            self._held = not fresh
            if fresh:
                log.info("dialer sends again: its heartbeat is committed")
            else:
                log.warning(
                    "dialer holds its calls: no heartbeat committed for %.1f s (another "
                    "worker may take this one for dead after %.0f s)",
                    age,
                    self._limit * 2,
                )
        return fresh


@dataclass(frozen=True)
class DialerWorker:
    # None: the only worker, every attempt in flight is its own (tests, a bare dialer).
    name: str | None = None
    # The cluster node whose AMI this worker dials through, and that node's channels.
    node: str = ""
    node_channels: int | None = None
    claim_lease: timedelta = timedelta(seconds=30)
    # PostgreSQL: the calls-per-second slots shared by every worker (None: paced in-process).
    pacer: SharedPacer | None = None
    # A cluster worker's lease of ``node`` (PostgreSQL): it dials through the node and
    # adopts the node's attempts only while it owns it (None: the only worker, no lease).
    lease: LeaseHolder | None = None
    # The claim name of a dialler on a node taken over ("": the worker's name): each of a
    # worker's diallers holds and releases its own claims.
    claim_as: str = ""
    # PostgreSQL: this worker's heartbeat, which other workers judge it alive by (None: the
    # only worker, nobody adopts its attempts).
    heartbeat: Heartbeat | None = None
    # How it tells an adopted attempt's Originate that never reached Asterisk (traces.py).
    settings: WorkerSettings = field(default_factory=WorkerSettings)

    def may_send(self) -> bool:
        """No other worker can have taken this one for dead yet (see :class:`Heartbeat`)."""
        return self.heartbeat is None or self.heartbeat.fresh()

    @property
    def claim_name(self) -> str:
        if self.claim_as:
            return self.claim_as
        return self.name if self.name is not None else LOCAL_WORKER


def dialer_worker(
    settings: Settings,
    name: str,
    db: Database,
    node: str | None = None,
    lease: LeaseHolder | None = None,
    heartbeat: Heartbeat | None = None,
) -> DialerWorker:
    """The engine's dialer as worker ``name`` on ``node`` (default ``settings.workers.node``),
    dialling through it while ``lease`` holds (None: no lease, the only worker) and while
    ``heartbeat`` is fresh."""
    home = settings.workers.node
    node = home if node is None else node
    return DialerWorker(
        name=name,
        node=node,
        node_channels=settings.cluster.node(node).channels if node else None,
        claim_lease=timedelta(seconds=settings.workers.claim_lease_seconds),
        # SQLite holds one worker: it paces its own Originates in memory.
        pacer=None if db.is_sqlite else SharedPacer(db),
        lease=lease,
        claim_as="" if node == home else f"{name[:31]}@{node}",
        heartbeat=None if db.is_sqlite else heartbeat,
        settings=settings.workers,
    )


def node_keeper(
    settings: Settings,
    name: str,
    db: Database,
    registry: WorkerRegistry,
    clock: Callable[[], datetime],
) -> NodeKeeper | None:
    """This worker's lease keeper: on PostgreSQL with cluster nodes and a node of its own
    (None otherwise: one worker drives its one Asterisk, no lease)."""
    if db.is_sqlite or not settings.cluster.nodes or not settings.workers.node:
        return None
    return NodeKeeper(
        NodeLeases(db),
        registry.all,
        name,
        settings.workers.node,
        [node.name for node in settings.cluster.nodes],
        settings.leases,
        timedelta(seconds=settings.workers.dead_after_seconds),
        clock,
    )


def takeover_nodes(settings: Settings) -> list[str]:
    """The cluster nodes this worker may take over from a dead owner (``leases.takeover``):
    every node but its own."""
    if not settings.leases.takeover:
        return []
    return [node.name for node in settings.cluster.nodes if node.name != settings.workers.node]


class WorkerPresence:
    """A worker's heartbeat in the registry (with its AMI up or not: the wallboard's node
    state), and the adoption of the dialer attempts of workers whose heartbeat lapsed."""

    def __init__(
        self,
        registry: WorkerRegistry,
        name: str,
        settings: WorkerSettings,
        ami: AmiClient,
        dialer: Dialer | None,
        clock: Callable[[], datetime],
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self._registry = registry
        self._heartbeat = heartbeat or Heartbeat(settings.dead_after_seconds)
        self._name = name
        self._settings = settings
        self._ami = ami
        self._dialer = dialer
        self._clock = clock

    async def alive(self) -> set[str]:
        """The workers whose heartbeat is fresh (this one always)."""
        dead_after = timedelta(seconds=self._settings.dead_after_seconds)
        now = self._clock()
        workers = await self._registry.all()
        return {w.name for w in workers if w.alive(now, dead_after)} | {self._name}

    async def register(self, host: str, pid: int, node: str) -> None:
        """Join the registry: its first heartbeat."""
        now = self._clock()
        await self._heartbeat.beating(self._registry.register(self._name, host, pid, node, now))

    async def beat(self) -> int:
        """One heartbeat; returns how many attempts were adopted."""
        beat = self._registry.heartbeat(self._name, self._clock(), ami_up=self._ami.connected)
        await self._heartbeat.beating(beat)
        if self._dialer is None:
            return 0
        return await self._dialer.adopt(await self.alive())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._settings.heartbeat_seconds)
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a store outage: the next beat tries again
                log.warning("worker heartbeat failed: %s", type(exc).__name__)
