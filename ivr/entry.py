"""The hotline's inbound flow (FastAGI route ``ivr``).

A deliberately small flow until the menu engine lands: greeting and the recording notice,
then a main menu where 0 is the operator and # ends the call; invalid keys get a notice and
the menu again; after ``ivr.max_rounds`` invalid or silent rounds the caller goes to an
operator, so callers whose phone cannot send tones still reach a person.
"""

from __future__ import annotations

import logging

from hotline.constants import CallOutcome, OperatorReason
from hotline.protocol.agi import AgiHangup
from hotline.settings import IvrSettings
from hotline.speech.library import PromptLibrary
from hotline.store.calllog import CallLog
from hotline.transport.fastagi import AgiCall
from ivr import prompts
from ivr.call import IvrCall

log = logging.getLogger(__name__)

END_KEY = "#"
# Any key interrupts the greeting and counts as the menu choice: experts never wait.
ALL_KEYS = "0123456789*#"


class HotlineIvr:
    """Route handler: one instance serves every call; per-call state lives in IvrCall."""

    def __init__(self, settings: IvrSettings, call_log: CallLog, prompts: PromptLibrary) -> None:
        self._settings = settings
        self._log = call_log
        self._prompts = prompts

    async def __call__(self, agi: AgiCall) -> None:
        call = IvrCall(agi, self._log, self._prompts)
        await call.open()
        try:
            await self._flow(call)
        except AgiHangup:
            await self._log.add_event(call.uniqueid, "status", "caller hung up")
            await self._log.set_outcome(call.uniqueid, CallOutcome.ABANDONED)

    async def _flow(self, call: IvrCall) -> None:
        settings = self._settings
        operator = settings.operator_key
        await call.enter("greeting")
        digit = await call.play(prompts.GREETING, escape_digits=ALL_KEYS)
        # The recording notice is heard before anything else, even by callers who typed ahead.
        await call.play(prompts.RECORDING_NOTICE)
        await call.enter("main")
        for _round in range(settings.max_rounds):
            digits = digit or await call.ask(prompts.MAIN_MENU, settings.input_timeout, 1)
            digit = None
            if digits == operator:
                await call.play(prompts.CONNECTING)
                await call.to_operator(OperatorReason.MENU)
                return
            if digits == END_KEY:
                await call.enter("goodbye")
                await call.play(prompts.GOODBYE)
                await call.finish()
                return
            if digits:
                # A key pressed during the notice is the caller's next try.
                digit = await call.play(prompts.INVALID, escape_digits=ALL_KEYS)
        await call.play(prompts.CONNECTING)
        await call.to_operator(OperatorReason.NO_INPUT)
