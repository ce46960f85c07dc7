"""FastAGI route ``queue-overflow``: no operator answered within the answer target.

The dialplan's Queue() returns after the target (40 s; 180 s in emergency mode) and hands
the caller here: they may keep waiting (up to the maximum wait, 600 s) or leave a callback
request, the number (caller ID confirmed by keypad, or typed) and the window they choose
(R-109) stored before they hear it was accepted and when to expect the call.  With the
argument ``final`` the maximum wait is over: only the callback is offered.
If this route fails, the dialplan puts the caller back in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from hotline.contact_center.departments import department
from hotline.contact_center.hours import OperatorHours
from hotline.core.clock import Clock, utc_now
from hotline.core.keys import CALLBACK_KEY
from hotline.dialplan.names import ChannelVar, IvrStatus
from hotline.protocol.agi import AgiHangup
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.enums import EventKind, QueueEventKind
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.transport.fastagi import AgiCall
from ivr import dialog, prompts
from ivr.call import IvrCall
from ivr.hours_said import slot_offer

log = logging.getLogger(__name__)

FINAL_ARGUMENT = "final"


class QueueOverflow:
    def __init__(
        self,
        settings: Settings,
        call_log: CallLog,
        library: PromptLibrary,
        *,
        queue_events: QueueEvents,
        callbacks: CallbackStore,
        hours: Callable[[], Awaitable[OperatorHours]] | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._settings = settings
        self._log = call_log
        self._library = library
        self._events = queue_events
        self._callbacks = callbacks
        self._hours = hours
        self._clock = clock

    async def __call__(self, agi: AgiCall) -> None:
        call = IvrCall(agi, self._log, self._library, self._callbacks)
        await call.follow_leg()  # a leg from another node: the caller's call (issue 20)
        await call.open()  # the same call row as the IVR's (one uniqueid)
        final = FINAL_ARGUMENT in agi.env.arguments
        joined = await agi.get_variable(ChannelVar.QUEUE_JOINED)
        queue = department(self._settings.queue, await agi.get_variable(ChannelVar.DEPARTMENT))
        now = self._clock()
        waited = int(now.timestamp()) - int(joined) if joined else None
        await self._events.add(
            QueueEventRecord(
                now,
                QueueEventKind.TIMEOUT,
                call.uniqueid,
                queue.queue,
                wait=waited,
                detail={"final": final},
            )
        )
        try:
            await call.enter("queue_overflow")
            await call.play(prompts.QUEUE_STILL_BUSY if final else prompts.QUEUE_WAIT)
            offer = prompts.CALLBACK_OFFER if final else prompts.CALLBACK_OFFER_OR_WAIT
            digit = await call.play(offer, escape_digits=dialog.ALL_KEYS)
            if digit is None:
                digit = await call.wait_digit(self._settings.ivr.input_timeout)
            if digit == CALLBACK_KEY and await self._callback(call, queue.queue):
                await agi.set_variable(ChannelVar.CALLBACK, "1")
                await call.enter("goodbye")
                await call.play(prompts.GOODBYE)
                await agi.set_variable(ChannelVar.STATUS, IvrStatus.DONE)
                return
            if final:
                await call.play(prompts.GOODBYE)
                await agi.set_variable(ChannelVar.STATUS, IvrStatus.DONE)
                return
            await call.enter("queue_wait")
            await agi.set_variable(ChannelVar.STATUS, IvrStatus.OPERATOR)
        except AgiHangup:
            await self._log.record(call.uniqueid, EventKind.STATUS, "caller hung up in overflow")

    async def _callback(self, call: IvrCall, queue: str) -> bool:
        """Caller ID confirmed by keypad, or a typed number; True once stored."""

        async def stored() -> None:
            await self._events.add(
                QueueEventRecord(
                    self._clock(),
                    QueueEventKind.CALLBACK,
                    call.uniqueid,
                    queue,
                )
            )

        ivr = self._settings.ivr
        # the caller chooses when, from the operator hours (none known: no windows).
        offer = None
        if self._hours is not None:
            offer = slot_offer(await self._hours(), self._clock(), self._settings)
        return await dialog.take_callback(
            call, ivr.input_timeout, ivr.max_rounds, source="queue", on_stored=stored, offer=offer
        )
