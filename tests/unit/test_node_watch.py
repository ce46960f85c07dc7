"""The watch a worker keeps on the nodes it may take over (dialer/taken_node.py): it notes
what each node's AMI session reports, and the dialler started on a node taken over vouches
with that node's watch, so an attempt its dead owner marked sent and never dialled goes back
to its contact (tests/e2e/test_lease_node_killed_after_mark.py runs it through Asterisk)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from dialer.build import NewDialer
from dialer.engine import Dialer
from dialer.taken_node import NodeTakeover
from dialer.traces import TRACED_EVENTS, ChannelTraces
from dialer.workers import DialerWorker, takeover_nodes
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings
from hotline.store.leases import LeaseHolder
from hotline.transport.ami import AmiClient
from hotline.transport.ami_events import Subscription


class Ami:
    """An AMI client that is logged in at once and hands its subscriptions events by hand."""

    def __init__(self, node: str) -> None:
        self.node = node
        self.connection_count = 0
        self.connected = False
        self.subscriptions: list[Subscription] = []

    def subscribe(self, names: Any) -> Subscription:
        sub = Subscription(frozenset(n.lower() for n in names), 100)
        self.subscriptions.append(sub)
        return sub

    async def start(self, wait: bool = True) -> None:
        self.connected = True
        self.connection_count += 1

    async def stop(self) -> None:
        self.connected = False

    def report(self, event: AmiEvent) -> None:
        for sub in self.subscriptions:
            sub.offer(event)


class Dialers:
    """The dialler factory: records the traces each dialler was given."""

    def __init__(self) -> None:
        self.given: dict[str, ChannelTraces | None] = {}

    def __call__(
        self, ami: AmiClient, worker: DialerWorker, traces: ChannelTraces | None = None
    ) -> Dialer:
        self.given[cast(Ami, ami).node] = traces
        return cast(Dialer, Stub(cast(Ami, ami).node))


class Stub:
    def __init__(self, node: str) -> None:
        self.worker = SimpleNamespace(node=node)

    async def run(self) -> None:
        await asyncio.Event().wait()

    async def adopt(self, _alive: Any) -> int:
        return 0


def takeover(nodes: list[str]) -> tuple[NodeTakeover, list[Ami], Dialers]:
    made: list[Ami] = []

    def new_ami(node: str) -> AmiClient:
        made.append(Ami(node))
        return cast(AmiClient, made[-1])

    dialers = Dialers()
    worker = cast(DialerWorker, object())
    return (
        NodeTakeover(
            new_ami,
            cast(NewDialer, dialers),
            lambda _node, _lease: worker,
            adopt_every=60.0,
            nodes=nodes,
            clock=lambda: datetime.now(UTC),
        ),
        made,
        dialers,
    )


async def test_the_watch_notes_the_node_and_its_dialler_vouches_with_it() -> None:
    node_takeover, made, dialers = takeover(["n2"])
    watch_ami = made[0]
    assert {n.lower() for n in TRACED_EVENTS} <= set(watch_ami.subscriptions[0].names or ())
    watching = asyncio.create_task(node_takeover.watch())
    try:
        async with asyncio.timeout(5):
            while not watch_ami.connected:
                await asyncio.sleep(0.01)
        assert (
            watch_ami.connection_count == 1
        )  # logged in at the worker's start, not at a takeover
        watch_ami.report(AmiEvent("FullyBooted", {}, time.monotonic()))
        watch_ami.report(AmiEvent("Newchannel", {"uniqueid": "dialled"}))
        traces = node_takeover.watches["n2"].traces
        async with asyncio.timeout(5):
            while not traces.seen("dialled"):
                await asyncio.sleep(0.01)
        driver = await node_takeover.start(LeaseHolder("n2", 0.5))
        driver_n3 = await node_takeover.start(LeaseHolder("n3", 0.5))
        assert dialers.given == {"n2": traces, "n3": None}  # n3 was not watched
        await driver.stop()
        await driver_n3.stop()
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
    assert not watch_ami.connected  # the watch logs out when the worker stops


def test_a_worker_watches_the_nodes_it_may_take_over() -> None:
    nodes = [{"name": n, "sip_host": "127.0.0.1", "ami_host": "127.0.0.1"} for n in "abc"]
    settings = Settings.model_validate({"cluster": {"nodes": nodes}, "workers": {"node": "b"}})
    assert takeover_nodes(settings) == ["a", "c"]
    no_takeover = settings.model_copy(
        update={"leases": settings.leases.model_copy(update={"takeover": False})}
    )
    assert takeover_nodes(no_takeover) == []


async def test_an_event_that_cannot_be_noted_does_not_end_the_watch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node_takeover, made, _dialers = takeover(["n2"])
    traces = node_takeover.watches["n2"].traces
    take = traces.take

    def fussy(event: AmiEvent) -> None:
        if event.uniqueid == "garbled":
            raise ValueError("garbled event")
        take(event)

    monkeypatch.setattr(traces, "take", fussy)
    watching = asyncio.create_task(node_takeover.watch())
    try:
        made[0].report(AmiEvent("Newchannel", {"uniqueid": "garbled"}))
        made[0].report(AmiEvent("Newchannel", {"uniqueid": "after"}))
        async with asyncio.timeout(5):
            while not traces.seen("after"):
                await asyncio.sleep(0.01)
        assert made[0].connected
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
