"""Which engine worker this dialer is (issue 20): several ``hotline run`` processes on one
PostgreSQL database share the campaigns.  Each claims its contacts, writes its name on the
attempts it dials, reconciles only its own (and those it adopted from a dead worker), and
takes calls-per-second slots from the row every worker shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from hotline.store.workers import SharedPacer

# The claim name of a dialer given no worker name (one engine, tests).
LOCAL_WORKER: Final = "local"


@dataclass(frozen=True)
class DialerWorker:
    # None: the only worker, every attempt in flight is its own (tests, a bare dialer).
    name: str | None = None
    # The cluster node whose AMI this worker dials through, and that node's channels.
    node: str = ""
    node_channels: int | None = None
    claim_lease: timedelta = timedelta(seconds=30)
    # PostgreSQL: the calls-per-second slots shared by every worker (None: paced in-process).
    pacer: SharedPacer | None = None

    @property
    def claim_name(self) -> str:
        return self.name if self.name is not None else LOCAL_WORKER
