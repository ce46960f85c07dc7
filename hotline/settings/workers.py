"""Several engine workers (``hotline run`` processes) on one PostgreSQL database (issue 20
item 2; no seed requirement: the seeds describe one installation, these values only matter
when it is spread over several machines).  SQLite holds one worker only."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG

WORKER_NAME = r"^$|^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class WorkerSettings(BaseModel):
    model_config = SECTION_CONFIG

    # This worker's name in the store ("": host name and process id).
    name: str = Field(default="", pattern=WORKER_NAME)
    # The cluster node whose AMI this worker drives ("": the engine's own Asterisk, ``ami``).
    node: str = ""
    # How often a worker writes that it lives; a worker unseen for ``dead_after_seconds``
    # is dead and its dialer attempts are adopted by another worker.
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    dead_after_seconds: float = Field(default=20.0, gt=0)
    # How often a worker that does not hold a singleton job (housekeeping, the SMS outbox)
    # tries to take it over (PostgreSQL advisory locks).
    singleton_retry_seconds: float = Field(default=5.0, gt=0)
    # How long a dispatcher pass keeps the contacts it claimed (FOR UPDATE SKIP LOCKED)
    # from other workers; a pass releases them when it ends, the lease covers a crash.
    claim_lease_seconds: float = Field(default=30.0, gt=0)
    # A dead worker's attempt marked sent whose Originate Asterisk never saw goes back to its
    # contact (dialer/traces.py).  The adopter keeps the ids of the channels its AMI session
    # saw this long (far longer than a batch waits for its Originates, or a worker before it
    # adopts), and at most this many (about 150 bytes each; the oldest go first, and it then
    # vouches only from the last one that went).
    trace_keep_seconds: float = Field(default=600.0, gt=0)
    trace_max_channels: int = Field(default=100_000, ge=1)
    # Clocks of workers on different hosts disagree by this much at most (NTP keeps them
    # within milliseconds): an attempt written this close to the start of the watch is
    # settled as unknown, not given back.
    clock_slack_seconds: float = Field(default=1.0, ge=0)
    # How long an adopter waits for its event queue to be read up to the moment it decides.
    trace_catch_up_seconds: float = Field(default=2.0, gt=0)
