"""LISTEN/NOTIFY wake-ups on PostgreSQL (issue 20 item 2; no seed requirement: the seeds
describe one installation, these values only matter with several processes on one
PostgreSQL).  On SQLite nothing is announced and every owner keeps its short poll."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class NotifySettings(BaseModel):
    model_config = SECTION_CONFIG

    # Listen for notifications on PostgreSQL (one connection per process).
    enabled: bool = True
    # The listener's reconnect back-off: first delay, doubling up to the longest.
    retry_seconds: float = Field(default=1.0, gt=0)
    max_retry_seconds: float = Field(default=30.0, gt=0)
    # While notifications arrive, the fallback polls: an idle dialer (no campaign running,
    # nothing in flight) looks for work this often instead of every ``dialer.tick_seconds``;
    # the webhook worker looks for events this often instead of ``webhooks.poll_interval``.
    dialer_idle_seconds: float = Field(default=15.0, gt=0)
    webhook_poll_seconds: float = Field(default=15.0, gt=0)
