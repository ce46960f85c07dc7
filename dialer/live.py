"""What the engine knows about calls in flight, shared by the dispatcher (which starts
them), the AMI event handling (which ends them) and the FastAGI route (which plays them).
The database is the truth; this is the in-memory part that an AMI event or a FastAGI
session needs at once, and what a restart rebuilds from the database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hotline.speech.library import Sound

Clock = Callable[[], datetime]
# Runs a coroutine as a supervised background task, named for the logs.
Spawn = Callable[[Coroutine[Any, Any, None], str], None]


@dataclass(frozen=True)
class PreparedStep:
    """One step of a scenario rendered for one contact: what to play, and whether it is key
    content (the positive rule counts whether it was heard to the end)."""

    label: str
    sound: Sound
    key: bool


@dataclass
class LiveAttempt:
    """An attempt's live state: what AMI and the FastAGI session told about it so far."""

    campaign_id: int
    target_id: int
    phone: str
    answered: bool = False
    cause: str | None = None
    originate_reason: str | None = None
    originate_done: asyncio.Event = field(default_factory=asyncio.Event)
    playback_done: asyncio.Event = field(default_factory=asyncio.Event)
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)
    in_agi: bool = False
    # Followed by a reconciliation that has not yet asked Asterisk whether the channel
    # lives: a Hangup meanwhile is only noted, and the reconciliation acts on it.
    reconciling: bool = False
    # Progressive: the operator who took the callee (AgentConnect), None until one did.
    operator: str | None = None
    # Its attempt is closed in the store, and its call-log verdict written: a retry after a
    # store outage (issue 21) skips what is done, so nothing is written twice.
    closed: bool = False
    logged: bool = False
    # When its closing began (the call log's end time, kept across retries).
    ended_at: datetime | None = None


@dataclass
class LiveCalls:
    # Attempt id → its live state, for every call the engine follows.
    tracked: dict[str, LiveAttempt] = field(default_factory=dict)
    # Attempt id → the audio rendered before dialling, until the callee answers.
    prepared: dict[str, list[PreparedStep]] = field(default_factory=dict)
    # Attempts whose Originate is on its way: reconciliation leaves them alone.
    sending: set[str] = field(default_factory=set)

    def forget(self, attempt_id: str) -> None:
        self.tracked.pop(attempt_id, None)
        self.prepared.pop(attempt_id, None)
