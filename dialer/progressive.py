"""Progressive campaigns (issue 22 item 2): dial only for free operators of the campaign's
queue, one call per free operator or ``rules.ratio`` calls, and fall back to one call per
operator while the measured share of answered callees abandoned in the queue (hung up before
an operator took them) reaches the cap (``dialer.progressive.max_abandon_percent``, 3 %).
Pure: no I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from dialer.model import Reason
from hotline.protocol.ami import AmiEvent
from hotline.settings import ProgressiveSettings

# QueueMember "Status": 1 is AST_DEVICE_NOT_INUSE (free); the rest are busy, ringing,
# unavailable or unknown.
DEVICE_NOT_IN_USE: Final = "1"


def free_operators(events: Iterable[AmiEvent], queue: str) -> int:
    """How many members of ``queue`` can take a call now (QueueStatus events): logged in,
    not paused, not in a call, device free."""
    free = 0
    for event in events:
        if event.name != "QueueMember" or event.get("queue") != queue:
            continue
        if event.get("paused") == "1" or event.get("incall") == "1":
            continue
        if event.get("status") == DEVICE_NOT_IN_USE:
            free += 1
    return free


@dataclass(frozen=True)
class AbandonRate:
    """Answered callees of one campaign that were put through to the queue, and how many of
    them hung up before an operator answered."""

    answered: int
    abandoned: int

    @property
    def percent(self) -> float:
        return 100.0 * self.abandoned / self.answered if self.answered else 0.0


def slots(
    free: int,
    in_flight: int,
    ratio: float,
    rate: AbandonRate,
    settings: ProgressiveSettings,
) -> tuple[int, float]:
    """(calls to place now, the ratio used): ``ratio`` calls per free operator, less the calls
    already in flight; one call per operator until ``min_answered`` calls measured the abandon
    rate, and whenever it reaches the cap."""
    measured = rate.answered >= settings.min_answered
    below_cap = rate.percent < settings.max_abandon_percent
    used = max(1.0, ratio) if measured and below_cap else 1.0
    wanted = math.floor(free * used + 1e-9)
    return max(0, wanted - in_flight), used


def abandon_rate(counts: Iterable[tuple[int, str, str | None, int]]) -> AbandonRate:
    """A campaign's abandon rate from its attempt counts (number, status, reason, count)."""
    talked = abandoned = 0
    for _number, _status, reason, count in counts:
        if reason == Reason.OPERATOR_TALKED:
            talked += count
        elif reason == Reason.ABANDONED:
            abandoned += count
    return AbandonRate(talked + abandoned, abandoned)
