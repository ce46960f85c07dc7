"""FastAGI route ``appeal-said`` (R-123): the operator registered an appeal during the call
and pressed «Сообщить номер абоненту»; the console moved the caller's channel out of the
conversation into ``[hotline-appeal-said]`` with the appeal's number in HOTLINE_APPEAL.  The
caller hears the number and the answer deadline as the register has them, then goodbye.

Asterisk has no AMI action that plays a sound to one side of a live bridge (only ChanSpy
whispering, or ARI for channels it owns), so the caller is handed to the engine the way every
other step of the call is: by the dialplan.  The number is read from the store, never from
the channel: the caller hears only an appeal that is committed.
"""

from __future__ import annotations

import logging

from hotline.appeals.register import Appeals
from hotline.appeals.said import deadline_phrase, number_phrase
from hotline.core.clock import Clock, utc_now
from hotline.dialplan.names import ChannelVar
from hotline.protocol.agi import AgiHangup
from hotline.speech.library import PromptLibrary
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.enums import EventKind
from hotline.transport.fastagi import AgiCall
from ivr import prompts
from ivr.call import IvrCall

log = logging.getLogger(__name__)


class AppealSaid:
    def __init__(
        self,
        call_log: CallLog,
        library: PromptLibrary,
        appeals: Appeals,
        callbacks: CallbackStore,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._log = call_log
        self._library = library
        self._appeals = appeals
        self._callbacks = callbacks
        self._clock = clock

    async def __call__(self, agi: AgiCall) -> None:
        call = IvrCall(agi, self._log, self._library, self._callbacks)
        await call.open()  # the same call row as the IVR's (one uniqueid)
        number = (await agi.get_variable(ChannelVar.APPEAL)) or ""
        appeal = await self._appeals.stored(number)
        try:
            await call.enter("appeal_said")
            if appeal is None:
                log.error("appeal-said: no appeal %r in the register", number[:16])
            else:
                await call.event(EventKind.APPEAL, appeal.number, {"said": True})
                await call.play(prompts.APPEAL_REGISTERED)
                await call.say(number_phrase(appeal.number))
                await call.play(prompts.APPEAL_DEADLINE)
                today = self._appeals.local_day(self._clock())
                await call.say(deadline_phrase(appeal.deadline, today))
            await call.enter("goodbye")
            await call.play(prompts.GOODBYE)
            await call.finish()
        except AgiHangup:
            await self._log.record(call.uniqueid, EventKind.STATUS, "caller hung up")
