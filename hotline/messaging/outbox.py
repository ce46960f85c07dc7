"""The SMS outbox: sends what :class:`~hotline.store.sms_notifier.SmsNotifier` queued, through
Kannel, and stores the delivery reports Kannel calls back with.

Durable: a message is in the store before it is sent, so an engine restart sends what was
still queued (at least once: a message Kannel accepted just before the engine died, before
its answer was written, is sent again).  While Kannel is unreachable the outbox backs off
(``sms.retry_min_delay`` doubling to ``sms.retry_max_delay``) and gives a message up as
failed ``sms.give_up_after`` hours after it was queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from hotline.core.clock import utc_now
from hotline.core.phones import mask_phone
from hotline.protocol.sms import DeliveryReport
from hotline.settings import SmsSettings
from hotline.store.sms import SmsRecord, SmsStore
from hotline.transport.kannel import KannelClient, KannelRefused, KannelUnavailable

log = logging.getLogger(__name__)

ChangeListener = Callable[[SmsRecord], Awaitable[None]]


def retry_delay(settings: SmsSettings, tries: int) -> float:
    """Seconds before the next try after ``tries`` failed ones (1, 2, ...)."""
    delay: float = settings.retry_min_delay * 2 ** max(tries - 1, 0)
    return min(delay, settings.retry_max_delay)


class SmsOutbox:
    def __init__(
        self,
        settings: SmsSettings,
        store: SmsStore,
        client: KannelClient,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._settings = settings
        self._store = store
        self._client = client
        self._clock = clock
        self._wake = asyncio.Event()
        self._paused_until: datetime | None = None
        self._listeners: list[ChangeListener] = []

    def wake(self) -> None:
        """Look for due messages now (a message was just queued)."""
        self._wake.set()

    def on_change(self, listener: ChangeListener) -> None:
        """Call ``listener`` with the message as it is now after each change the outbox
        makes: Kannel accepted it, it failed, a delivery report was stored."""
        self._listeners.append(listener)

    async def _changed(self, message_id: int) -> None:
        record = await self._store.get(message_id)
        if record is not None:
            await self._tell(record)

    async def _tell(self, record: SmsRecord) -> None:
        for listener in self._listeners:
            try:
                await listener(record)
            except Exception:
                log.exception("sms %d: a listener failed", record.id)

    async def run(self) -> None:
        """Until cancelled: send due messages, then wait for a wake-up or the poll interval."""
        while True:
            try:
                await self.send_due()
            except Exception:
                log.exception("sms outbox: sending failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.poll_interval):
                    await self._wake.wait()
            self._wake.clear()

    async def send_due(self) -> int:
        """Send the messages whose time has come; how many Kannel accepted."""
        now = self._clock()
        if self._paused_until is not None and now < self._paused_until:
            return 0
        self._paused_until = None
        accepted = 0
        for message in await self._store.due(now, self._settings.batch):
            if not await self._send(message):
                break
            accepted += 1
        return accepted

    async def _send(self, message: SmsRecord) -> bool:
        """True when Kannel accepted (or refused for good) the message; False when Kannel is
        unavailable, which pauses the outbox until the message's next try."""
        now = self._clock()
        give_up_at = message.queued_at + timedelta(hours=self._settings.give_up_after)
        try:
            reply = await self._client.send(
                message_id=message.id, token=message.token, to=message.phone, text=message.text
            )
        except KannelRefused as exc:
            log.warning("sms %d to %s refused: %s", message.id, mask_phone(message.phone), exc)
            await self._store.mark_failed(message.id, str(exc), now)
            await self._changed(message.id)
            return True
        except KannelUnavailable as exc:
            next_try = now + timedelta(seconds=retry_delay(self._settings, message.tries + 1))
            if next_try >= give_up_at:
                log.warning("sms %d given up: %s", message.id, exc)
                await self._store.mark_failed(message.id, f"given up: {exc}", now)
                await self._changed(message.id)
                return True
            log.warning(
                "sms %d to %s not sent, next try at %s: %s",
                message.id,
                mask_phone(message.phone),
                next_try.isoformat(timespec="seconds"),
                exc,
            )
            await self._store.mark_retry(message.id, str(exc), next_try, now)
            self._paused_until = next_try
            return False
        await self._store.mark_sent(message.id, reply, now)
        log.info("sms %d to %s: %s", message.id, mask_phone(message.phone), reply)
        await self._changed(message.id)
        return True

    async def receive_report(self, report: DeliveryReport) -> bool:
        """Store a delivery report (the DLR listener's handler); False for an unknown
        message or a wrong token."""
        record = await self._store.record_dlr(report, self._clock())
        if record is None:
            log.warning("sms delivery report for unknown message %d ignored", report.message_id)
            return False
        log.info(
            "sms %d delivery report %d: now %s", record.id, int(report.type), record.status.value
        )
        await self._tell(record)
        return True
