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

import bench
from bench import rtp_dtmf
from bench.sip_menu_walk import CALLER, ENGINE_NUMBER, EVENTS, Recorder, Walk, plan_walk
from hotline.app import resolve_ami_secret
from hotline.dialplan.kamailio_config import NODE_DOWN_LOG
from hotline.dialplan.names import ROUTE_IVR
from hotline.sandbox.cluster_bed import ClusterBed
from hotline.sandbox.cluster_plan import plan_bed
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.transport.ami import AmiClient
from ivr.menu.loader import load_menu
from tests.e2e.bed_lock import one_bed_at_a_time
from tests.e2e.engine_support import cli_overrides, engine_settings
from tests.e2e.test_metrics_prometheus import _eventually, _query, prometheus
from tests.log_audit import session_log_dir
from tests.store.conftest import PG_TEST_URL, clean_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

__all__ = ["prometheus"]  # the fixture, imported for its use here

SCENARIO = Path(bench.__file__).parent / "sipp" / "menu_walk_via_proxy.xml"
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
    base = engine_settings(
        tmp_path / "unused.db",
        cluster={"kamailio": PROBE},
        metrics={"scrape_interval_seconds": 1, "sample_interval": 0.5},
        store={"url": PG_TEST_URL},
    )
    return plan_bed(base).settings


@pytest.fixture
def bed(settings: Settings) -> Iterator[ClusterBed]:
    asyncio.run(clean_postgres(PG_TEST_URL))
    bed = ClusterBed(
        settings,
        progress=lambda line: print(f"cluster: {line}"),
        log_dir=session_log_dir(),
        worker_args=cli_overrides(settings),
    )
    with one_bed_at_a_time():
        try:
            bed.up()
            yield bed
        finally:
            bed.down()


@contextlib.asynccontextmanager
async def recorders(bed: ClusterBed) -> AsyncIterator[dict[str, Recorder]]:
    """Each node's prompts and keys, from its own AMI."""
    found: dict[str, Recorder] = {}
    async with contextlib.AsyncExitStack() as stack:
        tasks = []
        for node in bed.plan.nodes:
            ami = AmiClient(node.settings.ami, resolve_ami_secret(node.settings))
            await stack.enter_async_context(ami)
            recorder = Recorder(ami.subscribe(EVENTS, maxsize=10_000))
            found[node.spec.name] = recorder
            tasks.append(asyncio.create_task(recorder.run()))
        try:
            yield found
        finally:
            for task in tasks:
                task.cancel()


def stage(bed: ClusterBed, walk: Walk, work: Path) -> str:
    box = bed.sandbox(bed.plan.nodes[0])
    pcap = rtp_dtmf.write_pcap(work / "walk.pcap", walk.keys, walk.total_ms)
    scenario = work / SCENARIO.name
    scenario.write_text(SCENARIO.read_text().replace("@PCAP@", box.stage_file(pcap)))
    return box.stage_file(scenario)


def call(bed: ClusterBed, scenario: str, walk: Walk, callers: int) -> tuple[int, str]:
    """SIPp callers to Kamailio, all within one second; its exit code and output."""
    proxy = bed.settings.cluster.kamailio
    argv = [
        "/usr/bin/sipp",
        f"{proxy.listen_host}:{proxy.listen_port}",
        "-sf", scenario,
        "-key", "caller", CALLER,
        "-s", ENGINE_NUMBER,
        "-d", str(walk.total_ms),
        "-i", "127.0.0.1",
        # SIPp's own SIP port: by default it takes 5060 and up, where a worker's sandbox
        # starting later found its port taken and ran with no SIP transport.
        "-p", str(40000 + (proxy.listen_port % 1000) * 10),
        # Away from other sandboxes' SIPp (derived from our port) and Asterisk's RTP range.
        "-mp", str(20000 + (proxy.listen_port % 1000) * 10),
        "-m", str(callers),
        "-l", str(callers),
        "-r", str(callers),
        "-rp", "1000",
        "-timeout", str(walk.total_ms // 1000 + 30),
        "-timeout_error",
        "-nostdin",
    ]  # fmt: skip
    box = bed.sandbox(bed.plan.nodes[0])
    done = box.run_in_chroot(argv, walk.total_ms / 1000 + 60)
    return done.returncode, done.stdout[-1500:]


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
    scenario = await asyncio.to_thread(stage, bed, walk, tmp_path)
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
        os.kill(pid, signal.SIGKILL)
        spec = dead.spec
        down = NODE_DOWN_LOG.format(uri=f"sip:{spec.sip_host}:{spec.sip_port}")
        async with asyncio.timeout(PROBED_WITHIN):
            while down not in kamailio_log.read_text(errors="replace"):
                await asyncio.sleep(0.1)
        failovers = kamailio_log.read_text(errors="replace").count("failing over")
        code, out = await asyncio.to_thread(call, bed, scenario, walk, AFTER_KILL_CALLERS)
        log = kamailio_log.read_text(errors="replace")
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
