"""What a dispatcher pass carries while it dials one campaign's claimed contacts."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from dialer.last_calls import LastCalls
from dialer.limits import Limits
from dialer.live import PreparedStep
from dialer.repository import AttemptRecord, SharedCaps, TargetRecord
from hotline.store.leases import Lease, LeaseHolder


class LimitsWatch:
    """The limits a pass began with, compared with the stored ones once they are ``max_age``
    seconds old: ``hotline campaign limits`` and the console promise the running engine
    applies a change within a tick, and a pass can last 20 s (a lowered calls a second or
    trunk cap must not wait for its end)."""

    def __init__(
        self,
        read: Callable[[], Awaitable[Limits]],
        limits: Limits,
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read, self._limits, self._max_age, self._clock = read, limits, max_age, clock
        self._read_at = clock()

    async def changed(self) -> bool:
        """True once the stored limits differ from the pass's (read at most once a tick)."""
        if self._clock() - self._read_at < self._max_age:
            return False
        self._read_at = self._clock()
        return await self._read() != self._limits


def lease_lost(holder: LeaseHolder, lease: Lease | None) -> bool:
    """The node's lease a pass began with is no longer usable (a renew keeps its epoch)."""
    current = holder.usable()
    return current is None or lease is None or current.epoch != lease.epoch


@dataclass(frozen=True)
class Queued:
    """A contact let through for this pass's next batch: its rendered audio and its
    number's latest call before it (restored if it is not called after all)."""

    target: TargetRecord
    steps: list[PreparedStep]
    before: datetime | None


@dataclass(frozen=True)
class Round:
    """What a pass knows while dialling one campaign's claimed contacts."""

    now: datetime
    limits: Limits
    dnc: Callable[[Collection[str]], Awaitable[frozenset[str]]]  # which numbers are listed
    recent: LastCalls
    dial: str
    caps: SharedCaps
    holder: LeaseHolder | None = None  # the node's lease, when the worker drives a node
    watch: LimitsWatch | None = None  # the limits changed since the pass began

    def may_send(self) -> bool:
        """The node's lease, if the worker drives a node, holds as the pass began with it."""
        return self.holder is None or not lease_lost(self.holder, self.caps.lease)


@dataclass
class Written:
    """A round prepared for sending: ``claimed`` contacts claimed, those let through queued by
    attempt id, and the attempts written unsent for them (``None`` until the write returns:
    then every queued id may have been written, and a withdrawal takes them all)."""

    claimed: int
    queued: dict[str, Queued]
    attempts: list[AttemptRecord] | None = None

    @property
    def begun(self) -> list[AttemptRecord]:
        return self.attempts or []


@dataclass
class Pipeline:
    """What one campaign's rounds carry within a pass: the round prepared ahead (at most
    one), the contacts claimed and not yet in a round, the sent Originates' reply tasks."""

    ahead: asyncio.Task[Written | None] | None = None
    claimed: deque[TargetRecord] = field(default_factory=deque)  # not yet in a round
    drained: bool = False  # the last claim found fewer due contacts than it asked for
    originates: list[asyncio.Task[None]] = field(default_factory=list)
