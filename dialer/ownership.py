"""Which worker drives each cluster node (issue 20): the lease keeper of one worker.

Every ``leases.renew_seconds`` the keeper renews the leases this worker holds and asks for
those it may take: its configured node (``workers.node``) whenever that node's lease is free
or expired, and, with ``leases.takeover``, any other node whose lease expired
``takeover_grace_seconds`` ago (its owner died: killed, paused, cut off).  A node taken over
is driven (its AMI connection and its dialler, which adopts the dead owner's attempts on that
node) until its configured owner lives again: then the keeper hands it back.  A lease that
cannot be renewed is dropped at once; what acts on the node reads :class:`LeaseHolder` and
stops before the lease could expire (the fence in the store refuses its writes after).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from hotline.settings import NodeLeaseSettings
from hotline.store.leases import Lease, LeaseHolder, NodeLeases
from hotline.store.workers import WorkerRecord

log = logging.getLogger(__name__)


class NodeDriver(Protocol):
    """What drives a node taken over: started when its lease is won, stopped when lost."""

    @property
    def connected(self) -> bool:
        """Its AMI connection to the node is up."""
        ...

    async def stop(self) -> None: ...


# Starts driving a node taken over (its AMI, its dialler) under the given lease holder.
StartDriver = Callable[[LeaseHolder], Awaitable[NodeDriver]]
# The registry's workers (the keeper learns which configured owners are alive).
ListWorkers = Callable[[], Awaitable[list[WorkerRecord]]]


class NodeKeeper:
    def __init__(
        self,
        leases: NodeLeases,
        workers: ListWorkers,
        name: str,
        home: str,
        nodes: Sequence[str],
        settings: NodeLeaseSettings,
        dead_after: timedelta,
        clock: Callable[[], datetime],
        start_driver: StartDriver | None = None,
        home_ami: Callable[[], bool] | None = None,
    ) -> None:
        self._leases = leases
        self._workers = workers
        self.name = name
        self.home = home
        self._settings = settings
        self._dead_after = dead_after
        self._clock = clock
        # Set by the composition root: how a node taken over is driven (None: leases only).
        self.start_driver = start_driver
        # The engine's own AMI connection (to the configured node) is up.
        self.home_ami = home_ami
        self.holders = {node: LeaseHolder(node, settings.margin_seconds) for node in nodes}
        self._drivers: dict[str, NodeDriver] = {}

    def holder(self, node: str) -> LeaseHolder:
        return self.holders[node]

    def owned(self) -> list[str]:
        """The nodes this worker may act on now."""
        return [node for node, holder in self.holders.items() if holder.usable() is not None]

    async def _owners_alive(self) -> set[str]:
        """Nodes whose configured owner (another worker) has a fresh heartbeat."""
        now = self._clock()
        return {
            w.node
            for w in await self._workers()
            if w.name != self.name and w.node and w.alive(now, self._dead_after)
        }

    async def tick(self) -> None:
        settings = self._settings
        owners_alive = await self._owners_alive()
        for node, holder in self.holders.items():
            foreign = node != self.home
            lease = holder.current
            if lease is not None:
                if foreign and node in owners_alive:
                    await self._drop(holder, "handed back to its configured owner")
                    await self._leases.release(lease)
                    continue
                renewed = await self._leases.renew(
                    lease, settings.ttl_seconds, ami_up=self._ami_up(node)
                )
                if renewed is None:
                    await self._drop(holder, "lease lost")
                else:
                    holder.current = renewed
                continue
            if not foreign:
                won = await self._leases.acquire(node, self.name, settings.ttl_seconds)
            elif settings.takeover and node not in owners_alive:
                won = await self._leases.acquire(
                    node, self.name, settings.ttl_seconds, settings.takeover_grace_seconds
                )
            else:
                won = None
            if won is not None:
                await self._won(holder, won, foreign)

    def _ami_up(self, node: str) -> bool:
        if node == self.home:
            return self.home_ami() if self.home_ami is not None else False
        driver = self._drivers.get(node)
        return driver is not None and driver.connected

    async def _won(self, holder: LeaseHolder, lease: Lease, foreign: bool) -> None:
        holder.current = lease
        log.warning("worker %s owns node %s (epoch %d)", self.name, lease.node, lease.epoch)
        if foreign and self.start_driver is not None:
            try:
                self._drivers[lease.node] = await self.start_driver(holder)
            except Exception:
                holder.current = None
                await self._leases.release(lease)
                raise

    async def _drop(self, holder: LeaseHolder, why: str) -> None:
        holder.current = None  # first: nothing acts on the node any more
        log.warning("worker %s gives up node %s: %s", self.name, holder.node, why)
        driver = self._drivers.pop(holder.node, None)
        if driver is not None:
            await driver.stop()

    async def run(self) -> None:
        """Until cancelled; then the leases are released for the others to take at once."""
        try:
            while True:
                try:
                    await self.tick()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a store outage: the holders run out on their own
                    log.warning("node leases: %s", type(exc).__name__)
                await asyncio.sleep(self._settings.renew_seconds)
        finally:
            for holder in self.holders.values():
                lease = holder.current
                await self._drop(holder, "worker stopping")
                if lease is not None:
                    with contextlib.suppress(Exception):
                        await self._leases.release(lease)
