"""The SIP menu bench's load generator: SIPp in the sandbox's chroot, every caller walking the
same keys (the walk's RTP events in a pcap), all of a step's callers started within
``START_SPREAD_MS``."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench import rtp_dtmf
from bench.sip_menu_walk import CALLER, SCENARIO, START_SPREAD_MS, Walk
from hotline.sandbox import Sandbox


@dataclass(frozen=True)
class Sipp:
    sandbox: Sandbox
    scenario: str  # inside the chroot
    walk: Walk

    def argv(self, number: str, callers: int) -> list[str]:
        sandbox = self.sandbox.settings.sandbox
        # SIPp's media port: away from other sandboxes' (derived from our SIP port) and from
        # Asterisk's RTP range (rtp.conf 10000-20000).
        media_port = 20000 + (sandbox.sip_port % 1000) * 10
        return [
            self.sandbox.sipp_path,
            f"{sandbox.sip_host}:{sandbox.sip_port}",
            "-sf", self.scenario,
            "-key", "caller", CALLER,
            "-s", number,
            "-d", str(self.walk.total_ms),
            "-i", "127.0.0.1",
            "-mp", str(media_port),
            "-m", str(callers),
            "-l", str(callers),
            # All callers within START_SPREAD_MS: on the line together for the whole walk.
            "-r", str(callers),
            "-rp", str(START_SPREAD_MS),
            "-timeout", str(self.walk.total_ms // 1000 + 30),
            "-timeout_error",
            "-nostdin",
        ]  # fmt: skip

    def call(self, number: str, callers: int) -> subprocess.CompletedProcess[str]:
        timeout = self.walk.total_ms / 1000 + 60
        return self.sandbox.run_in_chroot(self.argv(number, callers), timeout)


def stage(sandbox: Sandbox, walk: Walk, work: Path) -> Sipp:
    """The walk's pcap and the scenario naming it, copied into the chroot."""
    pcap = rtp_dtmf.write_pcap(work / "menu_walk.pcap", walk.keys, walk.total_ms)
    pcap_inside = sandbox.stage_file(pcap)
    scenario = work / "menu_walk.xml"
    scenario.write_text(SCENARIO.read_text().replace("@PCAP@", pcap_inside))
    return Sipp(sandbox, sandbox.stage_file(scenario), walk)
