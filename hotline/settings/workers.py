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
