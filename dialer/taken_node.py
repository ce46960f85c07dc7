"""A cluster node this worker took over from a dead owner (issue 20): its own AMI connection
and a dialler of its own on that node, which adopts the node's attempts in flight (followed
if Asterisk still has their channels, settled otherwise) and then dials through the node
while the lease holds.  Stopped when the lease is lost or handed back to the configured
owner.  A worker that may take nodes over watches each of them from its start
(``NodeWatch``): the trace its dialler there needs to give back an attempt its dead owner
marked sent and never dialled (dialer/traces.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from dialer.build import NewDialer
from dialer.engine import Dialer
from dialer.node_trackers import NodeTracking, node_tracking
from dialer.ownership import NodeDriver
from dialer.traces import TRACED_EVENTS, ChannelTraces
from dialer.workers import DialerWorker, takeover_nodes
from hotline.core.clock import Clock, utc_now
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings, WorkerSettings
from hotline.store.calllog import CallLog
from hotline.store.leases import LeaseHolder
from hotline.transport.ami import AmiClient
from hotline.transport.ami_events import consume

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


class NodeWatch:
    """A node this worker may take over, watched from the worker's start by an AMI session
    that only notes the node's channels and Originate answers (``TRACED_EVENTS``): when the
    node's owner dies, the dialler started on it can tell that an attempt the owner marked
    sent just before it died never reached Asterisk, and gives its contact back instead of
    settling it undialled (dialer/traces.py)."""

    def __init__(self, ami: AmiClient, clock: Clock, settings: WorkerSettings) -> None:
        self._ami = ami
        self._events = ami.subscribe(TRACED_EVENTS)
        self.traces = ChannelTraces.of_session(ami, self._events, clock, settings)

    async def run(self) -> None:
        """Until cancelled; the AMI client logs in again by itself after a drop (the watch
        then starts again: nothing before it is vouched for), and an event that cannot be
        noted is logged and skipped."""
        await self._ami.start(wait=False)
        try:
            await consume(self._events, self._take, f"the watch on {self._ami.node}")
        finally:
            try:
                async with asyncio.timeout(STOP_SECONDS):
                    await self._ami.stop()
            except TimeoutError:
                log.error(
                    "node watch: its AMI connection did not stop within %.0f s", STOP_SECONDS
                )

    async def _take(self, event: AmiEvent) -> None:
        self.traces.take(event)


class NodeTakeover:
    """Starts driving a node taken over (``start``, the lease keeper's ``start_driver``):
    ``new_ami(node)``, then a dialler on it, and with ``track`` its inbound call tracking.
    ``watch`` keeps a :class:`NodeWatch` on each of ``nodes`` (those it may take over) while
    the worker runs; a dialler started on one of them vouches with it."""

    def __init__(
        self,
        new_ami: Callable[[str], AmiClient],
        new_dialer: NewDialer,
        worker: Callable[[str, LeaseHolder], DialerWorker],
        adopt_every: float,
        track: NodeTracking | None = None,
        *,
        nodes: Sequence[str] = (),
        clock: Clock = utc_now,
        settings: WorkerSettings | None = None,
    ) -> None:
        self._new_ami = new_ami
        self._new_dialer = new_dialer
        self._worker = worker
        self._adopt_every = adopt_every
        self._track = track
        settings = settings or WorkerSettings()
        self.watches = {node: NodeWatch(new_ami(node), clock, settings) for node in nodes}

    async def start(self, holder: LeaseHolder) -> NodeDriver:
        ami = self._new_ami(holder.node)
        watch = self.watches.get(holder.node)
        traces = watch.traces if watch is not None else None
        dialer = self._new_dialer(ami, self._worker(holder.node, holder), traces)
        driver = TakenNode(ami, dialer, self._adopt_every, self._track)
        await driver.start()
        return driver

    async def watch(self) -> None:
        """Until cancelled: every node's watch."""
        if not self.watches:
            return
        async with asyncio.TaskGroup() as group:
            for node, watch in self.watches.items():
                group.create_task(watch.run(), name=f"node-watch-{node}")


def node_takeover(
    settings: Settings,
    new_ami: Callable[[str], AmiClient],
    new_dialer: NewDialer,
    worker: Callable[[str, LeaseHolder], DialerWorker],
    call_log: CallLog,
    clock: Clock,
) -> NodeTakeover:
    """The takeover as the composition root builds it: adoption every heartbeat, the inbound
    calls of a node taken over tracked, and a watch on every node it may take over."""
    return NodeTakeover(
        new_ami,
        new_dialer,
        worker,
        settings.workers.heartbeat_seconds,
        node_tracking(call_log, settings.resilience.call_log_reconcile_seconds),
        nodes=takeover_nodes(settings),
        clock=clock,
        settings=settings.workers,
    )
