"""Operator-bound calls across nodes on the two-node test bed (issue 20 item 1): the queue
node is n2 (``cluster.queue.node``, no standby).  A caller entering on n1 and one entering on
n2 press the operator key; both are answered by simulated operators in n2's queue, the n1
caller's context reaches n2 in the leg's SIP headers, and each caller is one call row whose
queue events (and the operator's screen pop) are its own.  Then n2's Asterisk is killed: a
caller on n1 who presses the operator key is queued on n1 (never dead air)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path

import pytest

from bench import rtp_dtmf
from bench.sip_menu_walk import CALLER, FIRST_KEY_INTO_MENU_MS
from hotline.calls.tracker import NODE_LEG
from hotline.contact_center import operators as ops
from hotline.contact_center.operators import screen
from hotline.dialplan.node_legs import CALL_ID_HEADER, NODE_LEG_EVENT, ORIGIN_HEADER
from hotline.protocol.ami import AmiEvent
from hotline.sandbox.cluster_bed import ClusterBed
from hotline.sandbox.cluster_plan import BedNode
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.calllog import CallLog, CallRecord
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind, QueueEventKind
from hotline.store.queue_events import QueueEvents
from hotline.transport.ami import Subscription
from ivr import prompts
from tests.e2e.bed_support import (
    bed_settings,
    running_bed,
    sipp,
    sipp_ports,
    stage_caller,
    watching_nodes,
)
from tests.store.conftest import PG_TEST_URL

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.postgres]

QUEUE_NODE = "n2"
# The caller stays this long after pressing the operator key: the leg, the queue, the
# operator's answer (1 s) and some talk, with room for a loaded machine.
HOLD_MS = 14_000
AMI_EVENTS = ("UserEvent", "QueueCallerJoin", "AgentConnect")
WITHIN = 30.0
# The second caller starts this much after the first.
STAGGER = 6.0
OPERATORS = ("anna", "boris")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return bed_settings(tmp_path, cluster={"queue": {"node": QUEUE_NODE, "qualify_seconds": 1}})


@pytest.fixture
def bed(settings: Settings) -> Iterator[ClusterBed]:
    with running_bed(settings) as bed:
        yield bed


async def later(seconds: float, work: Awaitable[None]) -> None:
    await asyncio.sleep(seconds)
    await work


async def watch_pops(call_log: CallLog, queue_events: QueueEvents, into: set[str]) -> None:
    """The call ids on the operators' screen pops, as `hotline operators screen` reads them."""
    while True:
        for name in OPERATORS:
            pop = await screen(name, call_log, queue_events)
            if pop is not None and pop["call_id"]:
                into.add(pop["call_id"])
        await asyncio.sleep(0.3)


@contextlib.asynccontextmanager
async def node_events(bed: ClusterBed) -> AsyncIterator[dict[str, list[AmiEvent]]]:
    """Each node's queue and leg events, from its own AMI (n2's stops when it is killed)."""
    found: dict[str, list[AmiEvent]] = {node.spec.name: [] for node in bed.plan.nodes}

    async def drain(node: BedNode, sub: Subscription) -> None:
        async for event in sub:
            found[node.spec.name].append(event)

    async with watching_nodes(bed, AMI_EVENTS, drain) as amis:
        for name in OPERATORS:  # two simulated operators in the queue node's queue
            interface = ops.simulated_interface(name, 1, 60)
            await amis[QUEUE_NODE].queue_add(bed.settings.queue.name, interface, member_name=name)
        yield found


def stage(bed: ClusterBed, settings: Settings, work: Path) -> tuple[str, int]:
    """The caller's scenario: silence, the operator key once the menu has started, then
    HOLD_MS on the line; returns its path in the chroot and the call's length."""
    library = PromptLibrary(settings)
    greeting = max(
        library.duration(p)
        for p in (
            prompts.GREETING,
            prompts.GREETING_MORNING,
            prompts.GREETING_DAY,
            prompts.GREETING_EVENING,
        )
    )
    first = int((greeting + library.duration(prompts.RECORDING_NOTICE)) * 1000)
    first += FIRST_KEY_INTO_MENU_MS
    total = first + HOLD_MS
    key = rtp_dtmf.Key(settings.ivr.operator_key, first)
    return stage_caller(bed, [key], total, work), total


def call(bed: ClusterBed, node: BedNode, scenario: str, total_ms: int, slot: int) -> None:
    """One SIPp caller straight to ``node`` (the nodes take SIP from 127.0.0.1, Kamailio's
    address); ``slot`` keeps concurrent callers' ports apart."""
    spec = node.spec
    ports = sipp_ports(spec.sip_port, slot)
    code, out = sipp(bed, (spec.sip_host, spec.sip_port), scenario, total_ms, [*ports, "-m", "1"])
    assert code == 0, out


async def callers(call_log: CallLog) -> dict[str, CallRecord]:
    """Our SIPp callers' inbound rows, by node."""
    rows = [
        c
        for c in await call_log.recent(50)
        if c.caller == CALLER and c.direction is CallDirection.INBOUND
    ]
    by_node = {c.node or "": c for c in rows}
    assert len(by_node) == len(rows), rows  # one row per call (a leg opens none)
    return by_node


async def connected(
    queue_events: QueueEvents, uniqueid: str, seen: dict[str, list[AmiEvent]]
) -> list[QueueEventKind]:
    kinds: list[QueueEventKind] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(WITHIN):
            while QueueEventKind.CONNECT not in kinds:
                kinds = [e.kind for e in await queue_events.for_uniqueid(uniqueid)]
                await asyncio.sleep(0.2)
    assert QueueEventKind.CONNECT in kinds, (uniqueid, kinds, seen)
    return kinds


async def test_operator_bound_callers_reach_the_queue_node_and_fall_back_when_it_dies(
    bed: ClusterBed, settings: Settings, tmp_path: Path
) -> None:
    scenario, total = await asyncio.to_thread(stage, bed, settings, tmp_path)
    n1, n2 = bed.node("n1"), bed.node(QUEUE_NODE)
    db = Database(PG_TEST_URL)
    call_log, queue_events = CallLog(db), QueueEvents(db)
    try:
        async with node_events(bed) as events:
            # A caller on n1 presses the operator key, then (while the first talks) one on
            # n2: the second finds a free operator (with both ringing for the first caller at
            # once, Asterisk's ringall queue left the other caller unrung on this bed).
            popped: set[str] = set()
            watcher = asyncio.create_task(watch_pops(call_log, queue_events, popped))
            await asyncio.gather(
                asyncio.to_thread(call, bed, n1, scenario, total, 0),
                later(STAGGER, asyncio.to_thread(call, bed, n2, scenario, total, 1)),
            )
            watcher.cancel()
            rows = await callers(call_log)
            assert set(rows) == {"n1", "n2"}, rows
            for row in rows.values():
                kinds = await connected(queue_events, row.uniqueid, events)
                assert QueueEventKind.JOIN in kinds, (row.node, kinds)
            # n1's caller went over the leg: n2's queue took it, its context came along.
            legs = [e for e in events[QUEUE_NODE] if e.get("userevent") == NODE_LEG_EVENT]
            away = rows["n1"]
            assert [e.get(ORIGIN_HEADER) for e in legs] == [away.uniqueid], legs
            assert legs[0].get(CALL_ID_HEADER) == away.id
            away = await call_log.get(uniqueid=away.uniqueid)
            assert away is not None
            assert NODE_LEG in [e.value for e in away.events if e.kind == EventKind.STATUS]
            joined_n1 = [e for e in events["n1"] if e.name == "QueueCallerJoin"]
            assert joined_n1 == [], joined_n1  # n1 queued nobody: n2 did
            # The operators' screen pops (read while they talked) were the callers' calls.
            assert popped == {r.id for r in rows.values()}, popped

            # n2's Asterisk dies: n1's next operator-bound caller is queued on n1.
            pid = bed.sandbox(n2).control.pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            await asyncio.to_thread(call, bed, n1, scenario, total, 2)
            joined = [e for e in events["n1"] if e.name == "QueueCallerJoin"]
            assert len(joined) == 1 and joined[0].get("calleridnum") == CALLER, joined
            local = [
                c
                for c in await call_log.recent(50)
                if c.caller == CALLER and c.uniqueid not in {r.uniqueid for r in rows.values()}
            ]
            assert len(local) == 1 and local[0].node == "n1", local
            kinds = [e.kind for e in await queue_events.for_uniqueid(local[0].uniqueid)]
            assert QueueEventKind.JOIN in kinds, kinds
    finally:
        await db.dispose()
