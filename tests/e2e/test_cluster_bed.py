"""The two-node test bed (`hotline cluster up`, issue 20 item 5): SIP callers through Kamailio
are spread over both Asterisk nodes and walk the menu; one node's Asterisk is killed and,
after the probe interval, every caller reaches the other and hears a prompt; a real
Prometheus scrapes both engine workers and a query returns each worker's calls.

The campaign on two workers (each number dialled once, the CPS cap across both, a worker
killed mid-campaign) stays in tests/e2e/test_workers_two_engines.py: it needs the simulated
carrier behind one Asterisk, which the bed's nodes do not share.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bench.sip_menu_walk import EVENTS, Recorder, Walk, plan_walk
from hotline.dialplan.kamailio_config import NODE_DOWN_LOG
from hotline.dialplan.names import ROUTE_IVR
from hotline.sandbox.cluster_bed import ClusterBed
from hotline.sandbox.cluster_plan import BedNode
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.transport.ami import Subscription
from ivr.menu.loader import load_menu
from tests.e2e.bed_support import (
    bed_settings,
    running_bed,
    sipp,
    sipp_ports,
    stage_caller,
    watching_nodes,
)
from tests.e2e.test_metrics_prometheus import _eventually, _query, prometheus

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.postgres]

__all__ = ["prometheus"]  # the fixture, imported for its use here

# Probe every second; one unanswered probe takes a node out (cluster.kamailio.*).
PROBE = {"probe_interval": 1, "probe_threshold": 1, "invite_timeout_ms": 1000}
# Generous for a loaded machine: the first probe after the kill fails within 2 s.
PROBED_WITHIN = 20.0
FIRST_CALLERS = 4
AFTER_KILL_CALLERS = 2
# The key pressed in the main menu: "3" leads to the info menu, whose prompt must start.
KEY = "3"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return bed_settings(
        tmp_path,
        cluster={"kamailio": PROBE},
        metrics={"scrape_interval_seconds": 1, "sample_interval": 0.5},
    )


@pytest.fixture
def bed(settings: Settings) -> Iterator[ClusterBed]:
    with running_bed(settings) as bed:
        yield bed


@contextlib.asynccontextmanager
async def recorders(bed: ClusterBed) -> AsyncIterator[dict[str, Recorder]]:
    """Each node's prompts and keys, from its own AMI."""
    found: dict[str, Recorder] = {}

    async def record(node: BedNode, events: Subscription) -> None:
        await found.setdefault(node.spec.name, Recorder(events)).run()

    async with watching_nodes(bed, EVENTS, record):
        yield found


def call(bed: ClusterBed, scenario: str, walk: Walk, callers: int) -> tuple[int, str]:
    """SIPp callers to Kamailio, all within one second; its exit code and output."""
    proxy = bed.settings.cluster.kamailio
    rate = ["-m", str(callers), "-l", str(callers), "-r", str(callers), "-rp", "1000"]
    target = (proxy.listen_host, proxy.listen_port)
    return sipp(bed, target, scenario, walk.total_ms, [*sipp_ports(proxy.listen_port), *rate])


def walked(recorder: Recorder, info_files: set[str]) -> list[str]:
    """The calls on this node that pressed KEY and then heard the info menu start."""
    ok = []
    for channel, marks in recorder.take().items():
        ordered = sorted(marks, key=lambda m: m.at)
        keys = [m for m in ordered if m.key is not None]
        after = [m for m in ordered if m.key is None and keys and m.at >= keys[0].at]
        assert [m.key for m in keys] == [KEY], (channel, ordered)
        assert after and after[0].file in info_files, (channel, ordered)
        ok.append(channel)
    return ok


async def test_callers_spread_over_two_nodes_and_fail_over_when_one_dies(
    bed: ClusterBed, prometheus: str, settings: Settings, tmp_path: Path
) -> None:
    library = PromptLibrary(settings)
    menu = load_menu(settings.ivr.menu_file)
    walk = plan_walk(menu, settings, library, key_gap_ms=1000, digits=KEY)
    info = menu.node("info").prompts
    assert info is not None
    info_files = {library.sound(p).path_without_extension for _variant, p in info.items()}
    scenario = await asyncio.to_thread(stage_caller, bed, walk.keys, walk.total_ms, tmp_path)
    kamailio_log = bed.kamailio_log

    async with recorders(bed) as by_node:
        # Both nodes up: the callers are spread over them, and each walks the menu.
        code, out = await asyncio.to_thread(call, bed, scenario, walk, FIRST_CALLERS)
        assert code == 0, out + kamailio_log.read_text(errors="replace")[-1500:]
        await asyncio.sleep(0.5)  # the last AMI events of the calls
        spread = {name: walked(rec, info_files) for name, rec in by_node.items()}
        assert sum(len(calls) for calls in spread.values()) == FIRST_CALLERS, spread
        assert all(spread.values()), f"a node took no call: {spread}"

        # n2's Asterisk dies (that instance only); once a probe has gone unanswered Kamailio
        # takes it out, and every caller reaches n1 directly and hears the menu.
        dead = bed.node("n2")
        pid = bed.sandbox(dead).control.pid()
        assert pid is not None
        # The log is appended to by every bed of the session: only what follows the kill
        # counts (an earlier test's "is down" line let the second batch start before the
        # probes had taken n2 out, and one INVITE went to the dead node).
        since = len(kamailio_log.read_text(errors="replace"))
        os.kill(pid, signal.SIGKILL)
        spec = dead.spec
        down = NODE_DOWN_LOG.format(uri=f"sip:{spec.sip_host}:{spec.sip_port}")
        async with asyncio.timeout(PROBED_WITHIN):
            while down not in kamailio_log.read_text(errors="replace")[since:]:
                await asyncio.sleep(0.1)
        failovers = kamailio_log.read_text(errors="replace")[since:].count("failing over")
        code, out = await asyncio.to_thread(call, bed, scenario, walk, AFTER_KILL_CALLERS)
        log = kamailio_log.read_text(errors="replace")[since:]
        assert code == 0, out + log[-1500:]
        await asyncio.sleep(0.5)
        assert len(walked(by_node["n1"], info_files)) == AFTER_KILL_CALLERS
        # Not one INVITE was still sent to the dead node: the probes had taken it out.
        assert log.count("failing over") == failovers, log[-2000:]

    # Prometheus scraped both workers: each one's FastAGI sessions are its node's calls.
    ivr = f'hotline_fastagi_sessions_total{{route="{ROUTE_IVR}"}}'
    for worker, calls in zip(
        bed.plan.workers,
        (len(spread["n1"]) + AFTER_KILL_CALLERS, len(spread["n2"])),
        strict=True,
    ):
        target = f"{settings.metrics.host}:{worker.metrics_port}"
        await _eventually(prometheus, f'sum({ivr[:-1]},instance="{target}"}})', calls)
    total = await asyncio.to_thread(_query, prometheus, f"sum({ivr})")
    assert float(total[0]["value"][1]) >= FIRST_CALLERS + AFTER_KILL_CALLERS  # type: ignore[index]
