"""What a dispatcher pass carries while it dials one campaign's claimed contacts."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from dialer.last_calls import LastCalls
from dialer.limits import Limits
from dialer.live import PreparedStep
from dialer.repository import AttemptRecord, SharedCaps, TargetRecord
from hotline.store.leases import LeaseHolder


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
    dnc: frozenset[str]
    recent: LastCalls
    dial: str
    caps: SharedCaps
    holder: LeaseHolder | None = None  # the node's lease, when the worker drives a node


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
