"""What a dispatcher pass carries while it dials one campaign's claimed contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dialer.last_calls import LastCalls
from dialer.limits import Limits
from dialer.live import PreparedStep
from dialer.repository import SharedCaps, TargetRecord
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
