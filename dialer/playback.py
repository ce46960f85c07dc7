"""The ``dialer`` FastAGI route: what an answered campaign call hears.  It plays the
scenario rendered for the contact, records as soon as it is known whether the key content
was heard, confirmed or sent to an operator, and writes the call log."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dialer.live import Clock, LiveAttempt, LiveCalls, PreparedStep
from dialer.model import (
    INTRO_PROMPT,
    AttemptStatus,
    CampaignRules,
    ClosedOperator,
    DialMode,
    MachineAction,
    Scenario,
    phrase,
)
from dialer.outcome import is_machine
from dialer.repository import AttemptRecord, DialerStore
from dialer.survey_call import SurveyCall
from hotline.contact_center.hours import OperatorHours
from hotline.core.keys import CONFIRM_KEY
from hotline.dialplan.contact_pop import contact_text
from hotline.dialplan.names import ChannelVar, IvrStatus, OperatorReason
from hotline.protocol.agi import AgiError, AgiHangup
from hotline.settings import DialerSettings, GreetingSettings
from hotline.speech.greeting import greeting_variant
from hotline.speech.library import PromptLibrary, Sound
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.transport.agi_call import AgiCall

log = logging.getLogger(__name__)

# The operator hours in force (``HoursProvider.current``: schedule, overrides, holidays).
HoursSource = Callable[[], Awaitable[OperatorHours]]
# What a progressive campaign's callee hears before the operator takes them.
CONNECTING_PROMPT = "operator.connecting"
# The ``source`` of a callback request left on a campaign call outside operator hours.
CALLBACK_SOURCE = "campaign"


@dataclass(frozen=True)
class ZeroKey:
    """What the operator key does on this call (R-081): ``keys`` is "" when 0 does nothing;
    ``offer`` the prompt that offers it (None: not offered)."""

    keys: str
    offer: str | None
    callback: bool


class ScenarioPlayer:
    def __init__(
        self,
        settings: DialerSettings,
        store: DialerStore,
        prompts: PromptLibrary,
        call_log: CallLog,
        live: LiveCalls,
        clock: Clock,
        *,
        operator_key: str,
        say_zero_kopecks: bool,
        simulated: bool,
        hours: HoursSource | None = None,
        callbacks: CallbackStore | None = None,
        greeting: GreetingSettings | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._prompts = prompts
        self._call_log = call_log
        self._live = live
        self._clock = clock
        self._operator_key = operator_key
        self._say_zero_kopecks = say_zero_kopecks
        self._simulated = simulated
        # None: no operator hours wired (a bare dialer): 0 always reaches the queue.
        self._hours = hours
        self._callbacks = callbacks
        self._greeting = greeting or GreetingSettings()
        self._survey = SurveyCall(
            settings.survey,
            _Answers(store),
            call_log,
            clock,
            self._play_prompt,
            self._survey_completed,
        )

    async def render(
        self, scenario: Scenario, variables: dict[str, str], zone: str
    ) -> list[PreparedStep]:
        """The scenario's audio for one contact (the personal values spoken); the intro
        greets by the time of day in the contact's zone (R-048)."""
        local = self._clock().astimezone(ZoneInfo(zone)).time()
        steps: list[PreparedStep] = []
        for step in scenario.steps:
            if step.prompt is not None:
                prompt = step.prompt
                if prompt == INTRO_PROMPT:
                    prompt = greeting_variant(prompt, local, self._greeting)
                steps.append(PreparedStep(prompt, self._prompts.sound(prompt), step.key))
                continue
            assert step.say is not None and step.var is not None
            value = variables[step.var]
            readout = phrase(step.say, value, say_zero_kopecks=self._say_zero_kopecks)
            sound = (
                await self._prompts.speak(value)
                if readout is None
                else await self._prompts.phrase(readout)
            )
            steps.append(PreparedStep(f"{step.var}={value}", sound, step.key))
        return steps

    async def __call__(self, agi: AgiCall) -> None:
        attempt_id = agi.env.uniqueid
        attempt = await self._store.attempt(attempt_id)
        if attempt is None:
            attempt_id = await agi.get_variable(ChannelVar.ATTEMPT_ID) or ""
            attempt = await self._store.attempt(attempt_id) if attempt_id else None
        if attempt is None:
            log.error("campaign call %s has no attempt; to the fallback", attempt_id)
            await agi.set_variable(ChannelVar.STATUS, IvrStatus.FAILED)
            return
        tracked = self._live.tracked.get(attempt_id)
        if tracked is None:  # answered while we were restarting
            tracked = LiveAttempt(attempt.campaign_id, attempt.target_id, attempt.phone)
            self._live.tracked[attempt_id] = tracked
        tracked.in_agi = True
        tracked.answered = True
        try:
            await self._play(agi, attempt)
        finally:
            tracked.playback_done.set()

    async def zero_key(self, scenario: Scenario, rules: CampaignRules) -> ZeroKey:
        """Inside operator hours 0 transfers; outside it does nothing, or (by the rules)
        takes a callback request (R-081)."""
        offer = scenario.operator_prompt
        if self._hours is None or (await self._hours()).is_open(self._clock()):
            return ZeroKey(self._operator_key, offer, callback=False)
        if rules.operator_closed is ClosedOperator.CALLBACK and self._callbacks is not None:
            return ZeroKey(self._operator_key, scenario.callback_prompt if offer else None, True)
        return ZeroKey("", None, callback=False)

    async def _play(self, agi: AgiCall, attempt: AttemptRecord) -> None:
        attempt_id = attempt.id
        await self._store.mark_attempt(
            attempt_id, status=AttemptStatus.ANSWERED, answered_at=self._clock()
        )
        await self._call_log.open(
            uniqueid=attempt_id,
            direction=CallDirection.OUTBOUND,
            channel=agi.env.channel or None,
            callee=attempt.phone,
            simulated=self._simulated,
        )
        await self._call_log.answered(attempt_id)
        campaign = await self._store.campaign_by_id(attempt.campaign_id)
        scenario = campaign.snapshot
        assert scenario is not None
        steps = self._live.prepared.pop(attempt_id, None)
        if steps is None:
            target = await self._store.target(attempt.target_id)
            steps = await self.render(scenario, target.variables, target.timezone)
        await self._call_log.add_event(attempt_id, EventKind.CAMPAIGN, campaign.name)
        try:
            machine = await self._machine(agi, attempt_id)
            if machine:
                if campaign.rules.answering_machine is MachineAction.HANG_UP:
                    await agi.set_variable(ChannelVar.STATUS, IvrStatus.DONE)
                    return None
                await self._wait_for_beep(agi, attempt_id)
            if campaign.rules.mode is DialMode.PROGRESSIVE and not machine:
                return await self._to_operator(agi, attempt, scenario, steps)
            # Nobody can press a key on a machine: no operator offer, no confirmation.
            zero = (
                ZeroKey("", None, callback=False)
                if machine
                else await self.zero_key(scenario, campaign.rules)
            )
            operator = zero.keys
            last_key = max((i for i, s in enumerate(steps) if s.key), default=-1)
            key_ok = True
            digit: str | None = None
            for index, step in enumerate(steps):
                digit, full = await self._stream(agi, attempt_id, step.label, step.sound, operator)
                if operator and digit == operator:
                    break
                if step.key:
                    key_ok = key_ok and full
                    if index == last_key and key_ok:
                        await self._store.mark_attempt(attempt_id, key_played=True)
            else:
                if zero.offer:
                    digit, _ = await self._play_prompt(agi, attempt_id, zero.offer, operator)
                if scenario.confirm and not machine and not (operator and digit == operator):
                    digit = await self._confirm(agi, attempt_id, scenario, operator)
            if operator and digit == operator:
                if zero.callback:
                    await self._callback(agi, attempt, scenario)
                else:
                    return await self._transfer(agi, attempt_id)
            if scenario.survey and not machine:
                await self._survey.run(agi, attempt, scenario)  # ends with the thank-you
            else:
                await self._play_prompt(agi, attempt_id, scenario.goodbye_prompt, "")
            await agi.set_variable(ChannelVar.STATUS, IvrStatus.DONE)
        except AgiHangup:
            await self._call_log.add_event(attempt_id, EventKind.STATUS, "callee hung up")
        except AgiError:
            log.exception("campaign call %s failed", attempt_id)

    async def _machine(self, agi: AgiCall, attempt_id: str) -> bool:
        """AMD's verdict (R-085): AMDSTATUS and AMDCAUSE, logged on the call; a machine is
        marked on the attempt at once (the verdict is negative whatever follows)."""
        status = await agi.get_variable(ChannelVar.AMD_STATUS)
        if not status:
            return False
        cause = await agi.get_variable(ChannelVar.AMD_CAUSE) or ""
        await self._call_log.add_event(attempt_id, EventKind.AMD, status, {"cause": cause})
        machine = is_machine(status)
        if machine:
            await self._store.mark_attempt(attempt_id, machine=True)
        return machine

    async def _wait_for_beep(self, agi: AgiCall, attempt_id: str) -> None:
        """Leave the message after the machine's greeting: wait for silence (the beep ends
        it), at most ``beep_timeout`` seconds."""
        amd = self._settings.amd
        await agi.exec(
            "WaitForSilence",
            str(amd.beep_silence),
            "1",
            f"{amd.beep_timeout:g}",
            timeout=amd.beep_timeout + 5,
        )
        await self._call_log.add_event(attempt_id, EventKind.AMD, "leave_message")

    async def _confirm(
        self, agi: AgiCall, attempt_id: str, scenario: Scenario, operator: str
    ) -> str | None:
        keys = CONFIRM_KEY + operator
        digit, _ = await self._play_prompt(agi, attempt_id, scenario.confirm_prompt, keys)
        deadline = time.monotonic() + self._settings.confirm_wait_seconds
        while digit != CONFIRM_KEY and not (operator and digit == operator):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            digit = await agi.wait_for_digit(left)
            if digit is None:
                break
        await self._call_log.add_event(
            attempt_id, EventKind.DIGITS, digit or "", {"confirm": True}
        )
        if digit == CONFIRM_KEY:
            await self._store.mark_attempt(attempt_id, confirmed=True)
        return digit

    async def _play_prompt(
        self, agi: AgiCall, attempt_id: str, prompt_id: str, keys: str
    ) -> tuple[str | None, bool]:
        return await self._stream(agi, attempt_id, prompt_id, self._prompts.sound(prompt_id), keys)

    async def _stream(
        self, agi: AgiCall, attempt_id: str, label: str, sound: Sound, keys: str
    ) -> tuple[str | None, bool]:
        """Play ``sound`` interruptible by ``keys``: (the digit pressed, heard to the end)."""
        result = await agi.stream_file(sound.path_without_extension, keys)
        played = result.seconds
        full = not result.digit and (
            played + self._settings.key_content_tolerance_seconds >= sound.duration
        )
        await self._call_log.add_event(
            attempt_id,
            EventKind.PROMPT,
            label,
            {"duration": round(sound.duration, 3), "played": round(played, 3)},
        )
        return result.digit, full

    async def _to_operator(
        self,
        agi: AgiCall,
        attempt: AttemptRecord,
        scenario: Scenario,
        steps: list[PreparedStep],
    ) -> None:
        """Progressive (issue 22 item 2): the greeting, «Соединяю с оператором», and the callee
        goes to the queue with the contact's values for the operator's screen pop."""
        if steps and steps[0].label.startswith(INTRO_PROMPT):
            await self._stream(agi, attempt.id, steps[0].label, steps[0].sound, "")
        await self._play_prompt(agi, attempt.id, CONNECTING_PROMPT, "")
        target = await self._store.target(attempt.target_id)
        contact = contact_text(target.variables, frozenset(scenario.variables()))
        await agi.set_variable(ChannelVar.CONTACT, contact)
        await self._transfer(agi, attempt.id)

    async def _survey_completed(self, attempt_id: str) -> None:
        """Every question on the callee's path answered: the survey's positive verdict."""
        await self._store.mark_attempt(attempt_id, key_played=True)

    async def _callback(self, agi: AgiCall, attempt: AttemptRecord, scenario: Scenario) -> None:
        """Outside operator hours, 0 by the campaign's rules: a callback request to the
        number called, stored before the callee hears it was accepted (R-081)."""
        assert self._callbacks is not None
        record = await self._callbacks.request(
            attempt.phone, source=CALLBACK_SOURCE, uniqueid=attempt.id, account=None
        )
        await self._call_log.add_event(
            attempt.id, EventKind.CALLBACK, attempt.phone, {"id": record.id}
        )
        await self._play_prompt(agi, attempt.id, scenario.callback_accepted_prompt, "")

    async def _transfer(self, agi: AgiCall, attempt_id: str) -> None:
        await self._store.mark_attempt(attempt_id, transferred=True)
        attempt = await self._store.attempt(attempt_id)
        if attempt is not None:
            # The operator's screen shows which campaign the callee comes from.
            campaign = await self._store.campaign_by_id(attempt.campaign_id)
            await agi.set_variable(ChannelVar.PATH, f"campaign>{campaign.name}")
        await self._call_log.add_event(attempt_id, EventKind.NODE, "operator")
        await self._call_log.set_outcome(
            attempt_id, CallOutcome.OPERATOR, operator_reason=OperatorReason.CAMPAIGN
        )
        await agi.set_variable(ChannelVar.OPERATOR_REASON, OperatorReason.CAMPAIGN)
        await agi.set_variable(ChannelVar.STATUS, IvrStatus.OPERATOR)


class _Answers:
    """Where a survey call stores its answers: the dialer's store (``survey_answers``)."""

    def __init__(self, store: DialerStore) -> None:
        self._store = store

    async def add(
        self,
        campaign_id: int,
        attempt_id: str,
        phone: str,
        question: str,
        answer: int,
        answered_at: datetime,
    ) -> None:
        await self._store.add_survey_answer(
            campaign_id, attempt_id, phone, question, answer, answered_at
        )
