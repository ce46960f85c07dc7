"""The SIP menu bench's load generator: SIPp in the sandbox's chroot, every caller walking the
same keys (the walk's RTP events in a pcap), all of a step's callers started within
``START_SPREAD_MS``.

A caller's phone keeps time whatever the PBX's load.  SIPp shares this machine's cores with
Asterisk and the engine, and plays each caller's stream from a thread of its own: at 384
callers on 2 cores those threads fell 2 to 4 s behind, so the last keys reached Asterisk
after the caller's BYE, and most failed calls of *both* systems were the load generator's
(runs 57 to 59).  So SIPp runs at ``SIPP_NICE``, in a session of its own whose autogroup
has that nice too: the kernel runs its threads as soon as they wake, as a separate machine
would.  The autogroup's nice is what counts where the kernel schedules by session; the
process's own nice is what counts where it does not (autogroups off, or every process of the
run in one cgroup, as in a container).  It needs CAP_SYS_NICE (root); ``--sipp-nice 0`` runs
SIPp as before.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench import rtp_dtmf
from bench.sip_menu_walk import CALLER, SCENARIO, START_SPREAD_MS, Walk
from hotline.sandbox import Sandbox
from hotline.sandbox.commands import in_chroot, run

# The autogroup nice of SIPp's session: weight 9548 against 1024 for a nice-0 session.  SIPp
# uses about 0.15 of a core at 384 callers; the weight only lets it run when it wakes.
SIPP_NICE: Final = -10
# Runs argv at the nice value given as $0, in a new session whose autogroup has it too (Linux
# sched_autogroup(7)).  A kernel without autogroups has no /proc/self/autogroup; one that has
# it but refuses the value makes SIPp not run, and the step fails saying so.
_FAVOURED: Final = (
    'if [ -e /proc/self/autogroup ]; then echo "$0" > /proc/self/autogroup || exit 126; fi; '
    'exec nice -n "$0" "$@"'
)


@dataclass(frozen=True)
class Sipp:
    sandbox: Sandbox
    scenario: str  # inside the chroot
    walk: Walk
    nice: int = SIPP_NICE  # of SIPp and its own autogroup; 0: SIPp runs in the bench's session

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

    def command(self, number: str, callers: int) -> list[str]:
        """SIPp's whole command line: in the chroot, favoured by the kernel."""
        return favoured(in_chroot(self.sandbox.layout.root, self.argv(number, callers)), self.nice)

    def call(self, number: str, callers: int) -> subprocess.CompletedProcess[str]:
        timeout = self.walk.total_ms / 1000 + 60
        return run(self.command(number, callers), timeout=timeout, check=False)


def favoured(argv: list[str], nice: int) -> list[str]:
    """``argv`` run at ``nice`` in a new session whose autogroup has it too (0: as it is)."""
    if nice == 0:
        return argv
    return ["setsid", "--wait", "sh", "-c", _FAVOURED, str(nice), *argv]


def stage(sandbox: Sandbox, walk: Walk, work: Path, nice: int = SIPP_NICE) -> Sipp:
    """The walk's pcap and the scenario naming it, copied into the chroot."""
    pcap = rtp_dtmf.write_pcap(work / "menu_walk.pcap", walk.keys, walk.total_ms)
    pcap_inside = sandbox.stage_file(pcap)
    scenario = work / "menu_walk.xml"
    scenario.write_text(SCENARIO.read_text().replace("@PCAP@", pcap_inside))
    return Sipp(sandbox, sandbox.stage_file(scenario), walk, nice)
