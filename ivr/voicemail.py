"""Voicemail (R-111): outside operator hours, or from the menu action ``voicemail``, the caller
leaves a message that becomes a registered appeal with a number and an answer deadline.

The caller is identified (an account already known to the call, or one registered for the
caller's number, confirmed as :mod:`ivr.identify` does; otherwise the caller's number is the
contact), chooses the topic by keypad, hears what to say and records after the beep until
``#``, ``appeals.voicemail_silence_seconds`` of silence or ``appeals.voicemail_max_seconds``.
The appeal row (with the recording linked) is committed before the caller hears its number
and deadline (R-123): a number heard is a number in the register.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from hotline.appeals.register import AppealRequest, Appeals
from hotline.appeals.said import deadline_phrase, number_phrase
from hotline.contact_center.recordings import prepared_file, wav_seconds
from hotline.core.clock import Clock, utc_now
from hotline.core.logs import mask_account
from hotline.settings import Settings
from hotline.store.accounts import AccountStore
from hotline.store.audit import Actor
from hotline.store.enums import AppealChannel, EventKind, ReplyChannel
from ivr import dialog, prompts
from ivr.call import IvrCall
from ivr.identify import identify

log = logging.getLogger(__name__)

# The engine as the author of the appeals it registers from calls.
IVR_ACTOR: Final = Actor("ivr", "engine")
FINISH_KEY: Final = "#"
# A message shorter than this (the beep and a key) is no message.
MIN_MESSAGE_SECONDS: Final = 0.5
SUBJECT: Final = "Голосовое сообщение"


class Voicemail:
    def __init__(
        self,
        settings: Settings,
        accounts: AccountStore,
        appeals: Appeals,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._settings = settings
        self._accounts = accounts
        self._appeals = appeals
        self._clock = clock

    async def __call__(self, call: IvrCall) -> str | None:
        """Take a message; the appeal number, or None when nothing was recorded."""
        await call.enter("voicemail")
        account = await self._account(call)
        topic = await self._topic(call)
        config = self._settings.appeals
        now = self._clock()
        name = f"{call.call_id or call.uniqueid}-voicemail"
        path = await asyncio.to_thread(prepared_file, self._settings, name, now)
        await call.enter("voicemail.record")
        await call.play(prompts.VOICEMAIL_RECORD)
        result = await call.agi.record_file(
            str(path.with_suffix("")),
            "wav",
            FINISH_KEY,
            timeout=config.voicemail_max_seconds,
            beep=True,
            silence=config.voicemail_silence_seconds,
        )
        seconds = await asyncio.to_thread(wav_seconds, path)
        if seconds is None or seconds < MIN_MESSAGE_SECONDS:
            log.info("voicemail: nothing recorded (%s)", result.reason)
            if result.reason != "hangup":
                await call.play(prompts.VOICEMAIL_EMPTY)
            return None
        caller = call.agi.env.callerid
        appeal = await self._appeals.register(
            AppealRequest(
                channel=AppealChannel.VOICEMAIL,
                category=config.voicemail_category,
                topic=topic,
                subject=SUBJECT,
                account=account,
                phone=caller or None,
                reply_channel=ReplyChannel.PHONE if caller else ReplyChannel.POST,
                call_id=call.call_id or None,
                recording=str(path),
                # 5 working days when a phone was left (the caller's number), 20 when
                # only an address (said in the message) can be answered to.
                deadline=(
                    config.voicemail_phone_deadline
                    if caller
                    else config.voicemail_address_deadline
                ),
            ),
            IVR_ACTOR,
            at=now,
        )
        await call.event(EventKind.APPEAL, appeal.number, {"seconds": seconds})
        log.info(
            "voicemail: appeal %s registered (%.1f s, account %s)",
            appeal.number,
            seconds,
            mask_account(account) if account else "-",
        )
        if result.reason != "hangup":
            await call.enter("voicemail.registered")
            await call.play(prompts.APPEAL_REGISTERED)
            await call.say(number_phrase(appeal.number))
            await call.play(prompts.APPEAL_DEADLINE)
            await call.say(deadline_phrase(appeal.deadline, self._appeals.local_day(now)))
        return appeal.number

    async def _account(self, call: IvrCall) -> str | None:
        """The account known to the call, or the one registered for the caller's number and
        confirmed (ivr.identify); None: the caller's number is the contact."""
        if call.account is not None:
            return call.account
        caller = call.agi.env.callerid
        if not caller or not await self._accounts.numbers_for_phone(caller):
            return None
        found = await identify(call, self._accounts, self._settings)
        return None if isinstance(found, dialog.Outcome) else found.number

    async def _topic(self, call: IvrCall) -> str:
        """The topic by keypad; after ``ivr.max_rounds`` without one, the last topic offered
        (other)."""
        choices = self._settings.appeals.voicemail_topics
        await call.enter("voicemail.topic")
        for _ in range(self._settings.ivr.max_rounds):
            digit = await dialog.question(
                call, self._settings.ivr.input_timeout, prompts.VOICEMAIL_TOPICS
            )
            if digit is not None and digit in choices:
                return choices[digit]
            await call.play(prompts.INVALID)
        return list(choices.values())[-1]
