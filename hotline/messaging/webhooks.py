"""The webhook outbox (issue 22 item 4, R-148): posts the events the store's writers put in
``webhook_events`` to every configured endpoint that wants them, signed (HMAC-SHA256).

The same pattern as the SMS outbox (hotline/messaging/outbox.py): durable rows, a run loop
woken at once by this process's commits and polling for other workers', exponential back-off,
and one delivering worker per database (the engine runs ``run`` as a ``Singleton``).  Per
endpoint, deliveries go strictly in event order: while the head of an endpoint's line waits
for its retry, that endpoint waits, and the others go on.  After ``max_attempts`` POSTs or
``max_age_hours`` the head becomes a dead letter (the console's list, «Повторить») and its
line moves on.  Bodies are personal data: the logs name events by id and kind only.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from hotline.core.clock import utc_now
from hotline.protocol.webhooks import Ping, PingData, WebhookKind, encode, headers
from hotline.settings import WebhookEndpoint, WebhookSettings
from hotline.store.notify import Waker, WakeReason
from hotline.store.webhooks import Delivery, WebhookStore, new_event_id, on_commit
from hotline.transport.webhook_http import WebhookPoster, WebhookPostFailed

log = logging.getLogger(__name__)


def retry_delay(settings: WebhookSettings, tries: int, rand: Callable[[], float]) -> float:
    """Seconds before the next POST after ``tries`` failed ones (1, 2, ...): the minimum
    doubling up to the maximum, stretched by up to ``jitter`` at random."""
    base: float = settings.retry_min_delay * 2 ** max(tries - 1, 0)
    return min(base, settings.retry_max_delay) * (1.0 + settings.jitter * rand())


def endpoint_kinds(endpoint: WebhookEndpoint) -> tuple[WebhookKind, ...]:
    """The endpoint's kinds as codes; ValueError naming an unknown one."""
    known = {kind.value for kind in WebhookKind}
    for kind in endpoint.kinds:
        if kind not in known:
            raise ValueError(
                f"webhooks.endpoints {endpoint.name}: unknown kind {kind!r} "
                f"(known: {', '.join(sorted(known))})"
            )
    return tuple(WebhookKind(kind) for kind in endpoint.kinds)


class WebhookOutbox:
    def __init__(
        self,
        settings: WebhookSettings,
        store: WebhookStore,
        poster: WebhookPoster,
        secrets: Mapping[str, bytes],
        *,
        clock: Callable[[], datetime] = utc_now,
        rand: Callable[[], float] = random.random,
        stamp: Callable[[], float] = time.time,
        wake: Waker | None = None,
        fallback_poll: float | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._poster = poster
        self._secrets = dict(secrets)
        self._clock = clock
        self._rand = rand
        self._stamp = stamp
        self._kinds = {e.name: endpoint_kinds(e) for e in settings.endpoints}
        # Woken by this process's commits and, on PostgreSQL, by any worker's (NOTIFY); while
        # notifications arrive it polls every ``fallback_poll`` seconds, or when a retry is due.
        self.waker = wake or Waker()
        self._fallback = fallback_poll or settings.poll_interval
        self._next_due: datetime | None = None
        missing = [e.name for e in settings.endpoints if e.name not in self._secrets]
        if missing:
            raise ValueError(f"webhooks: no secret for {', '.join(missing)}")

    def wake(self) -> None:
        """Look for new events now (one was just committed)."""
        self.waker.wake(WakeReason.WEBHOOK_EVENT)

    def _interval(self) -> float:
        interval = self.waker.interval(self._settings.poll_interval, self._fallback)
        if self._next_due is not None:
            until = (self._next_due - self._clock()).total_seconds()
            interval = min(interval, max(until, self._settings.poll_interval))
        return interval

    async def run(self) -> None:
        """Until cancelled: deliver what is due, then wait for a wake-up or the poll."""
        remove = on_commit(self.wake)
        try:
            while True:
                try:
                    await self.deliver_due()
                except Exception:
                    log.exception("webhooks: delivering failed; trying again shortly")
                await self.waker.wait(self._interval())
        finally:
            remove()

    async def deliver_due(self) -> int:
        """Fan new events out, then post each endpoint's due deliveries in order; how many
        were settled (delivered, or dead-lettered)."""
        self._next_due = None
        while await self._store.fan_out(self._kinds, self._clock()) > 0:
            pass
        taken = await asyncio.gather(*(self._drain(e) for e in self._settings.endpoints))
        return sum(taken)

    async def _drain(self, endpoint: WebhookEndpoint) -> int:
        taken = 0
        while True:
            line = await self._store.heads(endpoint.name, self._settings.batch)
            if not line:
                return taken
            for delivery in line:
                due = delivery.next_try_at
                if due is not None and due > self._clock():
                    self._retry_at(due)
                    return taken  # the head waits for its retry: so does its line
                if not await self._deliver(endpoint, delivery):
                    return taken
                taken += 1
            if len(line) < self._settings.batch:
                return taken

    async def _deliver(self, endpoint: WebhookEndpoint, delivery: Delivery) -> bool:
        """True when the line may move on (delivered, or dead-lettered)."""
        body = delivery.body.encode()
        stamp = int(self._stamp())
        sent = headers(self._secrets[endpoint.name], stamp, body, delivery.event_id, delivery.kind)
        try:
            await self._poster.post(endpoint.url, body, sent, endpoint.timeout)
        except WebhookPostFailed as exc:
            return await self._failed(endpoint, delivery, str(exc))
        await self._store.mark_delivered(delivery.id, self._clock())
        log.info("webhook %s %s -> %s delivered", delivery.kind, delivery.event_id, endpoint.name)
        return True

    async def _failed(self, endpoint: WebhookEndpoint, delivery: Delivery, error: str) -> bool:
        now = self._clock()
        tries = delivery.tries + 1
        next_try = now + timedelta(seconds=retry_delay(self._settings, tries, self._rand))
        too_old = next_try >= delivery.at + timedelta(hours=self._settings.max_age_hours)
        if tries >= self._settings.max_attempts or too_old:
            log.warning(
                "webhook %s %s -> %s: dead letter after %d tries: %s",
                delivery.kind,
                delivery.event_id,
                endpoint.name,
                tries,
                error,
            )
            await self._store.mark_dead(delivery.id, error, now)
            return True
        log.warning(
            "webhook %s %s -> %s not delivered (try %d), next at %s: %s",
            delivery.kind,
            delivery.event_id,
            endpoint.name,
            tries,
            next_try.isoformat(timespec="seconds"),
            error,
        )
        await self._store.mark_retry(delivery.id, error, next_try)
        self._retry_at(next_try)
        return False

    def _retry_at(self, due: datetime) -> None:
        self._next_due = due if self._next_due is None else min(self._next_due, due)


async def ping(
    endpoint: WebhookEndpoint,
    secret: bytes,
    poster: WebhookPoster,
    *,
    clock: Callable[[], datetime] = utc_now,
    stamp: Callable[[], float] = time.time,
) -> str:
    """Post a signed ``ping`` to one endpoint now (``hotline webhooks test``), outside the
    outbox: the receiver's answer, or WebhookPostFailed."""
    event = Ping(id=new_event_id(), at=clock(), data=PingData(message="hotline"))
    body = encode(event).encode()
    sent = headers(secret, int(stamp()), body, event.id, event.kind)
    status = await poster.post(endpoint.url, body, sent, endpoint.timeout)
    return f"HTTP {status}"
