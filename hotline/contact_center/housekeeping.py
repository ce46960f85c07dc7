"""Daily housekeeping jobs on APScheduler (3.11, ecosystem.md), owned by the Engine: the
recordings purge after the retention period, and the old delivered webhook events.  A
failing job is logged and runs again the next day; it never takes the engine down."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from hotline.contact_center import recordings as recording
from hotline.core.clock import utc_now
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.recordings import Recordings
from hotline.store.webhooks import WebhookStore

log = logging.getLogger(__name__)

PURGE_JOB: Final = "recordings-purge"
WEBHOOKS_JOB: Final = "webhooks-purge"
SYSTEM_USER: Final = "hotline-engine"
# A job missed while the engine was down runs at start-up if it is at most this late.
MISFIRE_GRACE_SECONDS: Final = 6 * 3600


def parse_hhmm(value: str) -> tuple[int, int]:
    hour, _, minute = value.partition(":")
    h, m = int(hour), int(minute or 0)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"not a time of day: {value!r}")
    return h, m


class Housekeeping:
    def __init__(
        self, settings: Settings, recordings: Recordings, webhooks: WebhookStore | None = None
    ) -> None:
        self._settings = settings
        self._recordings = recordings
        self._webhooks = webhooks
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        """Schedule the jobs on the running event loop."""
        hour, minute = parse_hhmm(self._settings.recording.purge_at)
        scheduler = AsyncIOScheduler(timezone=self._settings.hours.timezone)
        scheduler.add_job(
            self.purge_recordings,
            CronTrigger(hour=hour, minute=minute, timezone=self._settings.hours.timezone),
            id=PURGE_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
        if self._webhooks is not None:
            scheduler.add_job(
                self.purge_webhooks,
                CronTrigger(hour=hour, minute=minute, timezone=self._settings.hours.timezone),
                id=WEBHOOKS_JOB,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
            )
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None

    def next_purge(self) -> str | None:
        job = self._scheduler.get_job(PURGE_JOB) if self._scheduler is not None else None
        return job.next_run_time.isoformat() if job is not None and job.next_run_time else None

    async def purge_recordings(self) -> list[int]:
        try:
            return await recording.purge(
                self._recordings,
                self._settings.recording.retention_days,
                by=Actor(SYSTEM_USER, "engine"),
                root=recording.recordings_root(self._settings),
            )
        except Exception:
            log.exception("the recordings purge failed; it runs again tomorrow")
            return []

    async def purge_webhooks(self) -> int:
        """Webhook events older than ``webhooks.keep_days`` whose deliveries all succeeded
        (and, with no endpoint configured, every old one)."""
        if self._webhooks is None:
            return 0
        config = self._settings.webhooks
        before = utc_now() - timedelta(days=config.keep_days)
        try:
            return await self._webhooks.purge(before, unfanned=not config.endpoints)
        except Exception:
            log.exception("the webhook events purge failed; it runs again tomorrow")
            return 0
