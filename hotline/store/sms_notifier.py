"""``SmsNotifier``: what any part of the engine calls to send a customer an SMS (the
dialer's SMS channel and fallback, appeal registration and answer notices).

It only queues: the phone is normalised to E.164, the text is checked against R-091's
limits, the message is stored in the outbox and its id returned.  The engine's outbox
(:mod:`hotline.messaging.outbox`) sends it through Kannel and records the delivery reports;
``SmsStore.get(id)`` / ``events(id)`` tell what became of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from hotline.core.phones import mask_phone, normalise_phone
from hotline.protocol.sms import SmsLength, check_text
from hotline.settings import SmsSettings
from hotline.store.sms import SmsStore

log = logging.getLogger(__name__)


class SmsNotifier:
    def __init__(
        self,
        store: SmsStore,
        settings: SmsSettings,
        *,
        region: str = "RU",
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self._settings = settings
        self._region = region
        # The running outbox's wake-up, so a queued message goes out at once.
        self._on_queued = on_queued

    def check(self, text: str) -> SmsLength:
        """The text's length, or SmsTextError naming it when it is too long (R-091)."""
        return check_text(
            text, max_chars=self._settings.max_chars, max_parts=self._settings.max_parts
        )

    async def notify(
        self, phone: str, text: str, *, source: str, reference: str | None = None
    ) -> int:
        """Queue ``text`` for ``phone``; the message's id.  ValueError (SmsTextError for the
        text) when the phone is not a valid number or the text cannot be sent."""
        try:
            number = normalise_phone(phone, self._region)
        except ValueError as exc:
            raise ValueError(f"not a phone number for an SMS: {exc}") from exc
        length = self.check(text)
        message_id = await self.store.enqueue(
            phone=number, text=text, length=length, source=source, reference=reference
        )
        log.info(
            "sms %d queued for %s (%s, %s)",
            message_id,
            mask_phone(number),
            source,
            length.describe(),
        )
        if self._on_queued is not None:
            self._on_queued()
        return message_id
