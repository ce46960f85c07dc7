"""FastAGI route ``rating`` (issue 16 item 5; R-101, R-105, R-108): the operator hung up and
Queue() (option ``c``) handed the caller back to ``[hotline-operator]``, which runs this.

The caller hears «Пожалуйста, оцените разговор с оператором…», presses 1-5, the answer is
stored with the call and the operator (MEMBERNAME), then a thank-you and goodbye.  Nothing is
asked when the rating is off (``rating.enabled``), when no operator talked to the caller, when
the caller ID is unknown, or when this caller rated within ``rating.min_interval_months``
(R-105).  If the caller hung up first, the dialplan never gets here; if this route fails, the
dialplan hangs up.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final, Protocol

from hotline.core.clock import Clock, utc_now
from hotline.dialplan.names import ChannelVar
from hotline.protocol.agi import AgiHangup
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.enums import EventKind
from hotline.store.ratings import SCORE_MAX, SCORE_MIN, months_before
from hotline.transport.fastagi import AgiCall
from ivr import prompts
from ivr.call import IvrCall

log = logging.getLogger(__name__)

SCORE_KEYS: Final = "".join(str(n) for n in range(SCORE_MIN, SCORE_MAX + 1))


class Ratings(Protocol):
    async def add(
        self, call_id: str, caller: str, operator: str, score: int, rated_at: datetime
    ) -> None: ...

    async def rated_since(self, caller: str, since: datetime) -> bool: ...


class Rating:
    def __init__(
        self,
        settings: Settings,
        call_log: CallLog,
        library: PromptLibrary,
        ratings: Ratings,
        callbacks: CallbackStore,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._settings = settings
        self._log = call_log
        self._library = library
        self._ratings = ratings
        self._callbacks = callbacks
        self._clock = clock

    async def __call__(self, agi: AgiCall) -> None:
        rating = self._settings.rating
        if not rating.enabled:
            return
        operator = (await agi.get_variable(ChannelVar.MEMBER_NAME)) or ""
        caller = agi.env.callerid or ""
        if not operator or not caller:
            return
        since = months_before(self._clock(), rating.min_interval_months)
        if await self._ratings.rated_since(caller, since):
            return  # asked once in the interval at most
        call = IvrCall(agi, self._log, self._library, self._callbacks)
        await call.follow_leg()  # a leg from another node: the caller's call (issue 20)
        await call.open()  # the same call row as the IVR's (one uniqueid)
        try:
            await call.enter("rating")
            digit = await call.play(prompts.RATING_ASK, escape_digits=SCORE_KEYS)
            if digit is None:
                digit = await call.wait_digit(self._settings.ivr.input_timeout)
            if digit and digit in SCORE_KEYS:
                await self._ratings.add(call.uniqueid, caller, operator, int(digit), self._clock())
                await call.event(EventKind.RATING, digit, {"operator": operator})
                await call.play(prompts.RATING_THANKS)
            await call.enter("goodbye")
            await call.play(prompts.GOODBYE)
        except AgiHangup:
            await self._log.record(call.uniqueid, EventKind.STATUS, "caller hung up in rating")
