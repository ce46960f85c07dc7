"""What the two-node test-bed modules share (``test_cluster_bed``, ``test_xnode_operator_legs``,
``test_lease_node_takeover``): the bed's settings on the test PostgreSQL database, the bed
itself (up behind the one-bed-at-a-time lock, down after the test), each node's AMI events
watched while a test runs, and a SIPp caller staged and started in the first node's chroot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from pathlib import Path
from typing import Any, Final

import bench
from bench import rtp_dtmf
from bench.sip_menu_walk import CALLER, ENGINE_NUMBER
from hotline.app import resolve_ami_secret
from hotline.sandbox.cluster_bed import ClusterBed
from hotline.sandbox.cluster_plan import BedNode, plan_bed
from hotline.settings import Settings
from hotline.transport.ami import AmiClient, Subscription
from tests.e2e.bed_lock import one_bed_at_a_time
from tests.e2e.engine_support import cli_overrides, engine_settings
from tests.log_audit import session_log_dir
from tests.store.conftest import PG_TEST_URL, clean_postgres

# A caller through Kamailio or straight to a node: the menu-walk scenario, its RTP from a pcap.
SCENARIO: Final = Path(bench.__file__).parent / "sipp" / "menu_walk_via_proxy.xml"


def bed_settings(tmp_path: Path, **sections: dict[str, Any]) -> Settings:
    """The bed's settings (its nodes, Kamailio, workers) on the test PostgreSQL database."""
    base = engine_settings(tmp_path / "unused.db", store={"url": PG_TEST_URL}, **sections)
    return plan_bed(base).settings


@contextlib.contextmanager
def running_bed(
    settings: Settings,
    sets: Mapping[str, object] | None = None,
    runners: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[ClusterBed]:
    """The bed up on an emptied test database, its workers with ``sets`` as ``--set`` flags
    besides the engine tests' own (and ``runners``: see ``ClusterBed``); one bed at a time
    on this machine (``bed_lock``)."""
    asyncio.run(clean_postgres(PG_TEST_URL))
    extra = [a for key, value in (sets or {}).items() for a in ("--set", f"{key}={value}")]
    bed = ClusterBed(
        settings,
        progress=lambda line: print(f"cluster: {line}"),
        log_dir=session_log_dir(),
        worker_args=[*cli_overrides(settings), *extra],
        runners=runners,
    )
    with one_bed_at_a_time():
        try:
            bed.up()
            yield bed
        finally:
            bed.down()


@contextlib.asynccontextmanager
async def watching_nodes(
    bed: ClusterBed,
    events: Iterable[str],
    consume: Callable[[BedNode, Subscription], Coroutine[Any, Any, None]],
) -> AsyncIterator[dict[str, AmiClient]]:
    """Each node's AMI, connected, with ``consume(node, its events)`` running until the block
    ends (a killed node's stream simply stops); the clients by node name."""
    names = list(events)
    clients: dict[str, AmiClient] = {}
    async with contextlib.AsyncExitStack() as stack:
        tasks = []
        for node in bed.plan.nodes:
            ami = AmiClient(node.settings.ami, resolve_ami_secret(node.settings))
            await stack.enter_async_context(ami)
            clients[node.spec.name] = ami
            sub = ami.subscribe(names, maxsize=10_000)
            tasks.append(asyncio.create_task(consume(node, sub)))
        await asyncio.sleep(0)  # each consumer has started (and set up what it fills)
        try:
            yield clients
        finally:
            for task in tasks:
                task.cancel()


def stage_caller(bed: ClusterBed, keys: list[rtp_dtmf.Key], total_ms: int, work: Path) -> str:
    """The caller's scenario with its RTP (``keys`` over ``total_ms``) in the first node's
    chroot, where SIPp runs; its path there."""
    box = bed.sandbox(bed.plan.nodes[0])
    pcap = rtp_dtmf.write_pcap(work / "caller.pcap", keys, total_ms)
    scenario = work / SCENARIO.name
    scenario.write_text(SCENARIO.read_text().replace("@PCAP@", box.stage_file(pcap)))
    return box.stage_file(scenario)


def sipp(
    bed: ClusterBed, target: tuple[str, int], scenario: str, total_ms: int, calls: list[str]
) -> tuple[int, str]:
    """SIPp callers to ``target`` (host, port), run in the first node's chroot; ``calls`` are
    the options that say how many and how fast.  Its own SIP and media ports derive from the
    target's port, away from other sandboxes' SIPp and Asterisk's RTP range (by default it
    takes 5060 and up, where a worker's sandbox starting later found its port taken and ran
    with no SIP transport).  Its exit code and the tail of its output."""
    host, port = target
    argv = [
        "/usr/bin/sipp",
        f"{host}:{port}",
        "-sf", scenario,
        "-key", "caller", CALLER,
        "-s", ENGINE_NUMBER,
        "-d", str(total_ms),
        "-i", "127.0.0.1",
        *calls,
        "-timeout", str(total_ms // 1000 + 30),
        "-timeout_error",
        "-nostdin",
    ]  # fmt: skip
    done = bed.sandbox(bed.plan.nodes[0]).run_in_chroot(argv, total_ms / 1000 + 60)
    return done.returncode, done.stdout[-1500:]


def sipp_ports(port: int, slot: int = 0) -> list[str]:
    """SIPp's own SIP and media ports for a caller to ``port``; ``slot`` keeps concurrent
    callers' ports apart."""
    base = (port % 1000) * 10
    return ["-p", str(40000 + base + slot), "-mp", str(20000 + base + slot * 4)]
