"""The engine below the PBX: ``hotline run`` lowers its own CPU priority to ``engine.nice``
(issue 19 item 1; default 0, the PBX's own).

Asterisk and the engine share the machine's cores.  With the menu's levels in dialplan a key is
Asterisk's work alone, but on a machine whose cores Asterisk nearly fills every millisecond the
engine runs (call starts, the call log, AMI events) while one of Asterisk's threads waits for a
core can show in that key's latency, and in the media's timing.  The kernel's fair scheduler
shares a busy CPU by weight: at nice 5 the engine weighs 335 against Asterisk's 1024, so when
both want a core Asterisk's threads get three times the engine's share, and when they do not
the engine runs at full speed.  Measured on 2 cores it gained no capacity in the SIP menu
benchmark, and where the engine walks the levels every key waits for it: so it is a setting
for an installation that wants its media protected first, not the default (README, "The engine
below the PBX").

Where the kernel schedules by session (autogroups, sched(7)), a session's nice counts rather
than its processes': an engine that leads a session of its own (as systemd and the benchmarks
start it) sets its session's nice too.  An engine started inside someone else's session (a
terminal, a test) leaves that session as it is.  Under systemd, services are weighed against
each other by cgroup: ``hotline deploy render`` writes the same share as the unit's
``CPUWeight=`` (:func:`cpu_weight`).  Priority is only ever lowered here, never raised (that
needs privileges, and an operator's lower setting stays).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

AUTOGROUP: Final = Path("/proc/self/autogroup")
# "/autogroup-123 nice 0": the session's autogroup and its nice (sched(7)).
_AUTOGROUP_NICE: Final = re.compile(r"\bnice\s+(-?\d+)")
# The kernel's CFS weight of nice 0..19 (kernel/sched/core.c, sched_prio_to_weight).
_WEIGHTS: Final = (
    1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
    110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
)  # fmt: skip
# systemd's CPUWeight= of a unit at nice 0 (its default).
_DEFAULT_CPU_WEIGHT: Final = 100


@dataclass(frozen=True)
class Priority:
    nice: int  # this process's nice now
    autogroup: int | None  # its session's autogroup nice now; None: not ours to set


def cpu_weight(nice: int) -> int:
    """systemd's ``CPUWeight=`` giving a service the share a process at ``nice`` has against
    nice 0 (``nice`` from 0 to 19)."""
    if not 0 <= nice < len(_WEIGHTS):
        raise ValueError(f"nice {nice} is not between 0 and {len(_WEIGHTS) - 1}")
    return max(1, round(_DEFAULT_CPU_WEIGHT * _WEIGHTS[nice] / _WEIGHTS[0]))


def yield_to_pbx(nice: int, *, autogroup: Path = AUTOGROUP) -> Priority:
    """Lower this process to ``nice`` (and, when it leads its session, the session's autogroup
    to it); a priority already lower stays.  What is in effect afterwards."""
    current = os.nice(0)
    if nice > current:
        current = os.nice(nice - current)
    group = _lower_autogroup(autogroup, nice) if os.getsid(0) == os.getpid() else None
    return Priority(current, group)


def _lower_autogroup(path: Path, nice: int) -> int | None:
    """The session's autogroup nice, lowered to ``nice`` if it was above it; None when the
    kernel has no autogroups or refuses."""
    try:
        found = _AUTOGROUP_NICE.search(path.read_text(encoding="ascii"))
    except OSError:
        return None
    if found is None:
        return None
    current = int(found.group(1))
    if nice <= current:
        return current
    try:
        path.write_text(f"{nice}\n", encoding="ascii")
    except OSError:
        return current
    return nice
