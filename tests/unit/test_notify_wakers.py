"""The wake-up plumbing without a database (issue 20): a live page's wait ends on a
notification as on an AMI event; the webhook worker's poll is long while notifications
arrive, short without them, and never later than a retry that falls due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import cast

from hotline.messaging.webhooks import WebhookOutbox
from hotline.settings import WebhookSettings
from hotline.store.notify import Waker, WakeReason
from hotline.store.webhooks import WebhookStore
from hotline.transport.webhook_http import WebhookPoster
from hotline.web.live import changed

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class LiveWaker(Waker):
    """A waker whose listener is connected."""

    @property
    def live(self) -> bool:
        return True


async def test_a_live_page_wakes_on_a_notification() -> None:
    waker = Waker()
    waiting = asyncio.create_task(changed(None, waker, 30.0))
    await asyncio.sleep(0)
    assert not waiting.done()
    waker.wake(WakeReason.QUEUE_CHANGED)
    async with asyncio.timeout(5):
        await waiting
    assert waker.reasons == {WakeReason.QUEUE_CHANGED: 1}


async def test_a_live_page_without_wakers_waits_its_interval() -> None:
    async with asyncio.timeout(5):
        await changed(None, None, 0.01)


def outbox(waker: Waker, now: datetime) -> WebhookOutbox:
    settings = WebhookSettings(poll_interval=1.0)
    store, poster = cast(WebhookStore, None), cast(WebhookPoster, None)  # never reached here
    return WebhookOutbox(
        settings, store, poster, {}, clock=lambda: now, wake=waker, fallback_poll=15.0
    )


def test_the_webhook_poll_is_long_only_while_notifications_arrive() -> None:
    assert outbox(Waker(), NOW)._interval() == 1.0
    live = outbox(LiveWaker(), NOW)
    assert live._interval() == 15.0
    live._retry_at(NOW + timedelta(seconds=4))
    live._retry_at(NOW + timedelta(seconds=9))
    assert live._interval() == 4.0  # the earliest retry
    live._next_due = NOW - timedelta(seconds=3)
    assert live._interval() == 1.0  # overdue: the short poll, not a busy loop
