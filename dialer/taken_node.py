"""A cluster node this worker took over from a dead owner (issue 20): its own AMI connection
and a dialler of its own on that node, which adopts the node's attempts in flight (followed
if Asterisk still has their channels, settled otherwise) and then dials through the node
while the lease holds.  Stopped when the lease is lost or handed back to the configured
owner."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from dialer.engine import Dialer
from dialer.node_trackers import NodeTracking
from dialer.ownership import NodeDriver, StartDriver
from dialer.workers import DialerWorker
from hotline.store.leases import LeaseHolder
from hotline.transport.ami import AmiClient

log = logging.getLogger(__name__)

# How long a stop waits for each part of a taken node's driving (its tasks, then its AMI):
# the lease keeper awaits the stop, and a keeper held by a part that never ends renews no
# lease and takes no node over (a clean-clone run: a hand-back at start held it for good).
STOP_SECONDS: Final = 5.0


class TakenNode:
    def __init__(
        self,
        ami: AmiClient,
        dialer: Dialer,
        adopt_every: float,
        track: NodeTracking | None = None,
    ) -> None:
        self._ami = ami
        self._dialer = dialer
        self._adopt_every = adopt_every
        self._track = track
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def connected(self) -> bool:
        return self._ami.connected

    async def start(self) -> None:
        node = self._dialer.worker.node
        # Subscribed before AMI logs in: the first FullyBooted reconciles the node's calls.
        tracking = self._track(self._ami, node) if self._track is not None else None
        await self._ami.start(wait=False)
        self._tasks = [
            asyncio.create_task(self._run_dialer(), name=f"dialer-{node}"),
            asyncio.create_task(self._adopt(), name=f"adopt-{node}"),
        ]
        if tracking is not None:  # its inbound calls (issue 20: dialer/node_trackers.py)
            self._tasks.append(asyncio.create_task(_run(tracking), name=f"calls-{node}"))

    async def _run_dialer(self) -> None:
        while True:
            try:
                await self._dialer.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dialer of node %s failed; restarting it", self._dialer.worker.node)
                await asyncio.sleep(1.0)

    async def _adopt(self) -> None:
        """The node's attempts of its former owner, as soon as AMI is up, then every beat
        (attempts begun by the former owner just before its lease ran out included)."""
        while True:
            try:
                # Under the lease the node's attempts are all this worker's to follow.
                await self._dialer.adopt(())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("adoption on node %s failed: %s", self._dialer.worker.node, exc)
            await asyncio.sleep(self._adopt_every)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _done, stuck = await asyncio.wait(self._tasks, timeout=STOP_SECONDS)
            for task in stuck:  # cancelled; left to end on its own, the keeper goes on
                log.error(
                    "taken node: %s did not stop within %.0f s", task.get_name(), STOP_SECONDS
                )
        try:
            async with asyncio.timeout(STOP_SECONDS):
                await self._ami.stop()
        except TimeoutError:
            log.error("taken node: its AMI connection did not stop within %.0f s", STOP_SECONDS)


async def _run(work: Awaitable[None]) -> None:
    await work


def taken_nodes(
    new_ami: Callable[[str], AmiClient],
    new_dialer: Callable[[AmiClient, DialerWorker], Dialer],
    worker: Callable[[str, LeaseHolder], DialerWorker],
    adopt_every: float,
    track: NodeTracking | None = None,
) -> StartDriver:
    """Starts driving a node taken over: ``new_ami(node)``, then a dialler on it, and with
    ``track`` its inbound call tracking."""

    async def start(holder: LeaseHolder) -> NodeDriver:
        ami = new_ami(holder.node)
        dialer = new_dialer(ami, worker(holder.node, holder))
        driver = TakenNode(ami, dialer, adopt_every, track)
        await driver.start()
        return driver

    return start
