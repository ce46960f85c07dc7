"""The dialer inside the engine: picks due contacts, paces the calls, originates them over
AMI, plays the scenario over FastAGI, turns AMI events into positive or negative results, and
reconciles in-flight attempts with Asterisk after a restart or an AMI reconnect.

The order that keeps "no number dialled twice by accident": the attempt row is written
(target claimed, status dialing) before the Originate is sent; an Originate whose fate is
unknown is marked unknown, never retried blindly; and every dial first checks the last call
to the same number across all campaigns against the minimum gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from dialer.mailer import Mailer, MailRefused, MailUnavailable
from dialer.model import (
    AttemptStatus,
    CampaignRules,
    CampaignState,
    Reason,
    Result,
    Scenario,
    phrase,
)
from dialer.outcome import Playback, answered_verdict, parse_cause, unanswered_reason
from dialer.repository import Attempt, CampaignInfo, DialerStore, Target
from dialer.window import retry_at, window_for
from hotline.core.clock import utc_now
from hotline.core.phones import mask_phone
from hotline.dialplan.names import (
    CONTEXT_DIALER,
    CONTEXT_SIMULATED_CARRIER,
    ChannelVar,
    IvrStatus,
    OperatorReason,
)
from hotline.protocol.agi import AgiError, AgiHangup
from hotline.protocol.ami import AmiEvent, hangup_cause_text
from hotline.settings import DialerSettings
from hotline.speech.library import PromptLibrary, Sound
from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.transport.agi_call import AgiCall
from hotline.transport.ami import AmiActionFailed, AmiClient, AmiError

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
DIALER_EVENTS: Final = ("OriginateResponse", "Hangup", "FullyBooted")
OPERATOR_KEY: Final = "0"
CONFIRM_KEY: Final = "1"
# How long a finished call waits for its FastAGI session to record what it played.
PLAYBACK_SETTLE_SECONDS: Final = 5.0
# How long an unanswered call's Hangup waits for the OriginateResponse that names the reason.
ORIGINATE_SETTLE_SECONDS: Final = 3.0
# Limit names (`hotline campaign limits`), stored in dialer_limits.
LIMIT_CPS: Final = "calls_per_second"
LIMIT_TRUNK: Final = "trunk_channels"
LIMIT_GAP: Final = "same_number_gap_seconds"
MAIL_RETRY_SECONDS: Final = 60.0


@dataclass(frozen=True)
class PreparedStep:
    label: str
    sound: Sound
    key: bool


@dataclass
class Tracked:
    campaign_id: int
    target_id: int
    phone: str
    answered: bool = False
    cause: str | None = None
    originate_reason: str | None = None
    originate_done: asyncio.Event = field(default_factory=asyncio.Event)
    playback_done: asyncio.Event = field(default_factory=asyncio.Event)
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)
    in_agi: bool = False


@dataclass(frozen=True)
class Limits:
    calls_per_second: float
    trunk_channels: int  # the default trunk's cap
    same_number_gap: timedelta
    # Every trunk's cap by name (the default trunk included).
    trunk_caps: dict[str, int] = field(default_factory=dict)


class Dialer:
    def __init__(
        self,
        settings: DialerSettings,
        store: DialerStore,
        ami: AmiClient,
        prompts: PromptLibrary,
        call_log: CallLog,
        *,
        clock: Clock = utc_now,
        say_zero_kopecks: bool = False,
        company: str = "",
    ) -> None:
        self.settings = settings
        self.store = store
        self.ami = ami
        self.prompts = prompts
        self.call_log = call_log
        self.clock = clock
        self._say_zero_kopecks = say_zero_kopecks
        self._events = ami.subscribe(DIALER_EVENTS)
        self._tracked: dict[str, Tracked] = {}
        self._prepared: dict[str, list[PreparedStep]] = {}
        self._sending: set[str] = set()
        self._reconciled = asyncio.Event()
        self._last_originate = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self.simulated = CONTEXT_SIMULATED_CARRIER in settings.trunk
        self.company = company
        self.mailer = Mailer(settings, company)
        self._mail_paused_until = 0.0

    # --- lifecycle ----------------------------------------------------------------------
    async def run(self) -> None:
        """Until cancelled: the event consumer and the dispatcher, supervised together."""
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._consume_events(), name="dialer-events")
                group.create_task(self._dispatch_loop(), name="dialer-dispatch")
        finally:
            for task in list(self._tasks):
                task.cancel()
            for task in list(self._tasks):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _spawn(self, coro: Any, name: str) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("dialer task %s failed", task.get_name(), exc_info=task.exception())

    @property
    def in_flight(self) -> int:
        return len(self._tracked)

    async def limits(self) -> Limits:
        stored = await self.store.limits()
        default = int(stored.get(LIMIT_TRUNK, self.settings.trunk_channels))
        caps = {
            name: int(stored.get(f"{LIMIT_TRUNK}:{name}", trunk.channels))
            for name, trunk in self.settings.trunks.items()
        }
        caps[self.settings.trunk_name] = default
        return Limits(
            calls_per_second=stored.get(LIMIT_CPS, self.settings.calls_per_second),
            trunk_channels=default,
            same_number_gap=timedelta(
                seconds=stored.get(LIMIT_GAP, self.settings.same_number_gap_seconds)
            ),
            trunk_caps=caps,
        )

    def trunk_of(self, campaign: CampaignInfo) -> tuple[str, str] | None:
        """(name, dial string) of the campaign's trunk; None if it names no known trunk."""
        name = campaign.rules.trunk or self.settings.trunk_name
        if name == self.settings.trunk_name:
            return name, self.settings.trunk
        trunk = self.settings.trunks.get(name)
        return (name, trunk.dial) if trunk is not None else None

    # --- dispatch -----------------------------------------------------------------------
    async def _dispatch_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_seconds)
            if not self.ami.connected:
                continue
            if not self._reconciled.is_set():
                # Normally FullyBooted does it; this covers a login we saw no event for.
                await self.reconcile()
                continue
            try:
                await self.dispatch_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a store hiccup must not end the dialer
                log.exception("dialer dispatch failed; trying again next tick")

    async def dispatch_once(self) -> int:
        """One pass over the running campaigns; returns how many calls were originated."""
        now = self.clock()
        limits = await self.limits()
        counts = await self.store.inflight_counts()
        campaigns = await self.store.campaigns()
        per_trunk: dict[str, int] = {}
        for campaign in campaigns:
            trunk = self.trunk_of(campaign)
            if trunk is not None and counts.get(campaign.id):
                per_trunk[trunk[0]] = per_trunk.get(trunk[0], 0) + counts[campaign.id]
        dnc = await self.store.dnc_numbers()
        dialled = 0
        for campaign in campaigns:
            if campaign.state is not CampaignState.RUNNING:
                continue
            trunk = self.trunk_of(campaign)
            if trunk is None:
                log.error(
                    "campaign %s names an unknown trunk %r", campaign.name, campaign.rules.trunk
                )
                continue
            trunk_name, dial = trunk
            cap = limits.trunk_caps.get(trunk_name, 0)
            if campaign.ends_at is not None and now >= campaign.ends_at:
                await self.store.end_campaign(campaign.id, now)
                continue
            if campaign.starts_at is not None and now < campaign.starts_at:
                continue
            await self._send_emails(campaign, now)
            free = min(
                campaign.rules.max_channels - counts.get(campaign.id, 0),
                cap - per_trunk.get(trunk_name, 0),
            )
            if free <= 0:
                continue
            targets = await self.store.due_targets(campaign.id, now, limit=free * 4 + 8)
            if not targets:
                if not counts.get(campaign.id):
                    await self.store.finish_if_done(campaign.id, now)
                continue
            for target in targets:
                if free <= 0 or not self.ami.connected:
                    break
                if not await self._may_dial(campaign, target, now, limits, dnc):
                    continue
                if not await self._pace(limits.calls_per_second):
                    return dialled
                if await self._dial(campaign, target, dial):
                    free -= 1
                    per_trunk[trunk_name] = per_trunk.get(trunk_name, 0) + 1
                    dialled += 1
        return dialled

    async def _send_emails(self, campaign: CampaignInfo, now: datetime) -> None:
        """E-mail informing: contacts who chose e-mail, and the fallback after a final
        negative call.  Same calling window as the phone (R-086)."""
        if time.monotonic() < self._mail_paused_until:
            return
        scenario = campaign.snapshot
        assert scenario is not None
        due = await self.store.emails_due(campaign.id, limit=20)
        for target, address in due:
            if not window_for(campaign.rules, target.timezone).is_open(now):
                continue
            by_email = target.channel == "email"
            refused = (Result.NEGATIVE, Reason.EMAIL_FAILED) if by_email else None
            content = scenario.email(target.variables, self.company)
            if content is None or not self.mailer.configured:
                await self.store.email_done(target.id, False, now, close_as=refused)
                continue
            try:
                await self.mailer.send(address, *content)
            except MailRefused as exc:
                log.warning("campaign %s: e-mail refused: %s", campaign.name, exc)
                await self.store.email_done(target.id, False, now, close_as=refused)
                continue
            except MailUnavailable as exc:
                log.warning(
                    "campaign %s: e-mail not sent, retrying in a minute: %s", campaign.name, exc
                )
                self._mail_paused_until = time.monotonic() + MAIL_RETRY_SECONDS
                return
            positive = (Result.POSITIVE, Reason.EMAIL_SENT) if by_email else None
            await self.store.email_done(target.id, True, now, close_as=positive)
        if due:
            await self.store.finish_if_done(campaign.id, now)

    async def _may_dial(
        self,
        campaign: CampaignInfo,
        target: Target,
        now: datetime,
        limits: Limits,
        dnc: frozenset[str],
    ) -> bool:
        if target.phone in dnc:
            await self.store.close_target(target.id, Result.NEGATIVE, Reason.DO_NOT_CALL)
            return False
        if target.deliver_by is not None and now >= target.deliver_by:
            await self.store.close_target(target.id, Result.NEGATIVE, Reason.EXPIRED)
            return False
        window = window_for(campaign.rules, target.timezone)
        if not window.is_open(now):
            opens = window.next_open(now)
            deadline = _earliest(campaign.ends_at, target.deliver_by)
            if opens is None or (deadline is not None and opens >= deadline):
                await self.store.close_target(target.id, Result.NEGATIVE, Reason.EXPIRED)
            else:
                await self.store.defer(target.id, opens, window.why_closed(now))
            return False
        last = await self.store.last_call_to(target.phone)
        if last is not None and now < last + limits.same_number_gap:
            await self.store.defer(
                target.id,
                last + limits.same_number_gap,
                f"same number called at {last:%Y-%m-%d %H:%M:%S} UTC (minimum gap)",
            )
            return False
        return True

    async def _pace(self, calls_per_second: float) -> bool:
        """Wait for the next Originate slot; False if it is further than one tick away."""
        if calls_per_second <= 0:
            return False
        wait = self._last_originate + 1.0 / calls_per_second - time.monotonic()
        if wait > self.settings.tick_seconds:
            return False
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_originate = time.monotonic()
        return True

    async def _dial(self, campaign: CampaignInfo, target: Target, dial: str) -> bool:
        scenario = campaign.snapshot
        assert scenario is not None, "a running campaign has its scenario snapshot"
        attempt_id = uuid.uuid4().hex
        # The personal audio is rendered before the number is dialled.
        try:
            steps = await self.render(scenario, target.variables)
        except Exception:
            log.exception("campaign %s: cannot render the message", campaign.name)
            await self.store.close_target(target.id, Result.NEGATIVE, Reason.RENDER_FAILED)
            return False
        # The attempt's own time (not the pass's): the same-number gap counts from it.
        attempt = await self.store.begin_attempt(target, attempt_id, self.clock())
        if attempt is None:
            return False
        self._prepared[attempt_id] = steps
        tracked = Tracked(campaign.id, target.id, target.phone)
        self._tracked[attempt_id] = tracked
        self._sending.add(attempt_id)
        channel = dial.format(number=target.phone.lstrip("+"), e164=target.phone)
        log.info(
            "campaign %s: dialling %s (attempt %s, #%d)",
            campaign.name,
            mask_phone(target.phone),
            attempt_id,
            attempt.number,
        )
        try:
            await self.ami.originate(
                channel,
                context=CONTEXT_DIALER,
                exten="s",
                caller_id=self.settings.caller_id,
                variables={ChannelVar.ATTEMPT_ID.value: attempt_id},
                channel_id=attempt_id,
                action_id=attempt_id,
                timeout_ms=int(self.settings.ring_seconds * 1000),
            )
        except AmiActionFailed as exc:
            log.warning("campaign %s: Originate refused: %s", campaign.name, exc)
            await self._finish_unanswered(attempt_id, tracked, refused=True)
        except AmiError as exc:
            # Sent or not, we cannot tell: unknown, and the same-number gap guards a redial.
            log.warning("campaign %s: Originate fate unknown: %s", campaign.name, exc)
            await self._mark_unknown(attempt, campaign)
        finally:
            self._sending.discard(attempt_id)
        return True

    async def render(self, scenario: Scenario, variables: dict[str, str]) -> list[PreparedStep]:
        steps: list[PreparedStep] = []
        for step in scenario.steps:
            if step.prompt is not None:
                steps.append(PreparedStep(step.prompt, self.prompts.sound(step.prompt), step.key))
                continue
            assert step.say is not None and step.var is not None
            value = variables[step.var]
            readout = phrase(step.say, value, say_zero_kopecks=self._say_zero_kopecks)
            sound = (
                await self.prompts.speak(value)
                if readout is None
                else await self.prompts.phrase(readout)
            )
            steps.append(PreparedStep(f"{step.var}={value}", sound, step.key))
        return steps

    # --- AMI events ---------------------------------------------------------------------
    async def _consume_events(self) -> None:
        async for event in self._events:
            try:
                await self.handle_event(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dialer failed on %s", event.name)

    async def handle_event(self, event: AmiEvent) -> None:
        name = event.name
        if name == "FullyBooted":
            self._spawn(self.reconcile(), "dialer-reconcile")
            return
        if name == "OriginateResponse":
            attempt_id = event.get("actionid")
            tracked = self._tracked.get(attempt_id)
            if tracked is None:
                return
            tracked.originate_reason = event.get("reason") or None
            if event.get("response") == "Success":
                if not tracked.answered:
                    tracked.answered = True
                    await self.store.mark_attempt(
                        attempt_id, status=AttemptStatus.ANSWERED, answered_at=self.clock()
                    )
                tracked.originate_done.set()
            else:
                tracked.originate_done.set()
                self._spawn(self._after_failure(attempt_id, tracked), f"dialer-fail-{attempt_id}")
            return
        if name == "Hangup":
            attempt_id = event.uniqueid
            tracked = self._tracked.get(attempt_id)
            if tracked is None:
                return
            tracked.cause = event.get("cause") or None
            tracked.hung_up.set()
            if tracked.originate_done.is_set() and not tracked.answered:
                return  # the failed Originate's task closes it, now with the cause
            self._spawn(self._after_hangup(attempt_id, tracked), f"dialer-hangup-{attempt_id}")

    async def _after_failure(self, attempt_id: str, tracked: Tracked) -> None:
        # The OriginateResponse comes just before the channel's Hangup, whose cause says more
        # ("unallocated number" rather than "failed").
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tracked.hung_up.wait(), ORIGINATE_SETTLE_SECONDS)
        await self._finish_unanswered(attempt_id, tracked)

    async def _after_hangup(self, attempt_id: str, tracked: Tracked) -> None:
        if not tracked.answered:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tracked.originate_done.wait(), ORIGINATE_SETTLE_SECONDS)
            if tracked.originate_done.is_set() and not tracked.answered:
                return  # _after_failure closes it
            if not tracked.answered:
                await self._finish_unanswered(attempt_id, tracked)
                return
        if tracked.in_agi:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tracked.playback_done.wait(), PLAYBACK_SETTLE_SECONDS)
        await self._finish_answered(attempt_id, tracked)

    # --- results ------------------------------------------------------------------------
    async def _finish_unanswered(
        self, attempt_id: str, tracked: Tracked, *, refused: bool = False
    ) -> None:
        reason = (
            Reason.FAILED
            if refused
            else unanswered_reason(tracked.originate_reason, parse_cause(tracked.cause))
        )
        await self._close(attempt_id, tracked, Result.NEGATIVE, reason, AttemptStatus.ENDED)

    async def _finish_answered(self, attempt_id: str, tracked: Tracked) -> None:
        attempt = await self.store.attempt(attempt_id)
        if attempt is None:
            return
        campaign = await self.store.campaign_by_id(attempt.campaign_id)
        scenario = campaign.snapshot
        assert scenario is not None
        rule = campaign.rules.effective_positive_rule(scenario)
        result, reason = answered_verdict(
            rule, Playback(attempt.key_played, attempt.confirmed, attempt.transferred)
        )
        await self._close(attempt_id, tracked, result, reason, AttemptStatus.ENDED)
        with contextlib.suppress(UnknownCall):
            await self.call_log.ended(
                attempt_id, at=self.clock(), hangup_cause=hangup_cause_text(tracked.cause)
            )
            outcome = (
                CallOutcome.OPERATOR
                if attempt.transferred
                else CallOutcome.COMPLETED
                if result is Result.POSITIVE
                else CallOutcome.ABANDONED
            )
            await self.call_log.set_outcome(attempt_id, outcome)
            await self.call_log.add_event(
                attempt_id, EventKind.CAMPAIGN, f"{result.value}:{reason.value}"
            )

    async def _close(
        self,
        attempt_id: str,
        tracked: Tracked,
        result: Result,
        reason: Reason,
        status: AttemptStatus,
    ) -> None:
        self._tracked.pop(attempt_id, None)
        self._prepared.pop(attempt_id, None)
        attempt = await self.store.attempt(attempt_id)
        if attempt is None:
            return
        campaign = await self.store.campaign_by_id(attempt.campaign_id)
        target = await self.store.target(attempt.target_id)
        when = None
        if result is Result.NEGATIVE:
            when = self._retry_time(campaign, target, attempt, reason, self.clock())
        closed = await self.store.end_attempt(
            attempt_id,
            status=status,
            result=result if status is AttemptStatus.ENDED else None,
            reason=reason,
            cause=hangup_cause_text(tracked.cause),
            now=self.clock(),
            retry_at=when,
            final=when is None,
            email_fallback=campaign.rules.email_fallback and status is AttemptStatus.ENDED,
        )
        if closed:
            log.info(
                "campaign %s: %s attempt %s %s (%s)",
                campaign.name,
                mask_phone(target.phone),
                attempt_id,
                result.value,
                reason.value,
            )
            await self.store.finish_if_done(campaign.id, self.clock())

    def _retry_time(
        self,
        campaign: CampaignInfo,
        target: Target,
        attempt: Attempt,
        reason: Reason,
        now: datetime,
        not_before: datetime | None = None,
    ) -> datetime | None:
        rules: CampaignRules = campaign.rules
        if campaign.state not in (CampaignState.RUNNING, CampaignState.PAUSED):
            return None
        if attempt.number >= rules.max_attempts:
            return None
        delay = rules.retry_delay(reason)
        if delay is None:
            return None
        start = max(now, not_before) if not_before is not None else now
        window = window_for(rules, target.timezone)
        return retry_at(window, start, delay, _earliest(campaign.ends_at, target.deliver_by))

    async def _mark_unknown(self, attempt: Attempt, campaign: CampaignInfo) -> None:
        """We lost the call's fate: not retried before the same-number gap has passed."""
        self._tracked.pop(attempt.id, None)
        self._prepared.pop(attempt.id, None)
        limits = await self.limits()
        target = await self.store.target(attempt.target_id)
        gap_end = attempt.created_at + limits.same_number_gap
        now = self.clock()
        when = self._retry_time(
            campaign, target, attempt, Reason.UNKNOWN, now, not_before=gap_end - timedelta(0)
        )
        if when is not None and when < gap_end:
            when = gap_end
        await self.store.end_attempt(
            attempt.id,
            status=AttemptStatus.UNKNOWN,
            result=None,
            reason=Reason.UNKNOWN,
            cause=None,
            now=now,
            retry_at=when,
            final=when is None,
        )
        await self.store.finish_if_done(campaign.id, now)

    # --- restart safety -----------------------------------------------------------------
    async def reconcile(self) -> None:
        """After (re)connecting to AMI: adopt attempts whose channel still lives, settle the
        rest (answered ones by what they recorded, others as unknown)."""
        try:
            # FullyBooted can arrive while the login reply is still on its way.
            await self.ami.wait_connected(self.settings.ring_seconds)
            live = {channel.uniqueid for channel in await self.ami.core_show_channels()}
        except AmiError as exc:
            log.warning("dialer cannot list live channels to reconcile: %s", exc)
            return
        adopted = settled = 0
        for attempt in await self.store.inflight():
            if attempt.id in self._sending:
                continue
            if attempt.id in live:
                if attempt.id not in self._tracked:
                    self._tracked[attempt.id] = Tracked(
                        attempt.campaign_id,
                        attempt.target_id,
                        attempt.phone,
                        answered=attempt.status is AttemptStatus.ANSWERED,
                    )
                    adopted += 1
                continue
            tracked = self._tracked.get(attempt.id) or Tracked(
                attempt.campaign_id, attempt.target_id, attempt.phone
            )
            if attempt.status is AttemptStatus.ANSWERED:
                await self._finish_answered(attempt.id, tracked)
            else:
                await self._mark_unknown(
                    attempt, await self.store.campaign_by_id(attempt.campaign_id)
                )
            settled += 1
        if adopted or settled:
            log.info("dialer reconciled: %d calls adopted, %d settled", adopted, settled)
        self._reconciled.set()

    # --- playback (the FastAGI route) ---------------------------------------------------
    async def __call__(self, agi: AgiCall) -> None:
        attempt_id = agi.env.uniqueid
        attempt = await self.store.attempt(attempt_id)
        if attempt is None:
            attempt_id = await agi.get_variable(ChannelVar.ATTEMPT_ID) or ""
            attempt = await self.store.attempt(attempt_id) if attempt_id else None
        if attempt is None:
            log.error("campaign call %s has no attempt; to the fallback", attempt_id)
            await agi.set_variable(ChannelVar.STATUS, IvrStatus.FAILED)
            return
        tracked = self._tracked.get(attempt_id)
        if tracked is None:  # answered while we were restarting
            tracked = Tracked(attempt.campaign_id, attempt.target_id, attempt.phone)
            self._tracked[attempt_id] = tracked
        tracked.in_agi = True
        tracked.answered = True
        try:
            await self._play(agi, attempt, tracked)
        finally:
            tracked.playback_done.set()

    async def _play(self, agi: AgiCall, attempt: Attempt, tracked: Tracked) -> None:
        attempt_id = attempt.id
        await self.store.mark_attempt(
            attempt_id, status=AttemptStatus.ANSWERED, answered_at=self.clock()
        )
        await self.call_log.open(
            uniqueid=attempt_id,
            direction=CallDirection.OUTBOUND,
            channel=agi.env.channel or None,
            callee=attempt.phone,
            simulated=self.simulated,
        )
        await self.call_log.answered(attempt_id)
        campaign = await self.store.campaign_by_id(attempt.campaign_id)
        scenario = campaign.snapshot
        assert scenario is not None
        steps = self._prepared.pop(attempt_id, None)
        if steps is None:
            target = await self.store.target(attempt.target_id)
            steps = await self.render(scenario, target.variables)
        await self.call_log.add_event(attempt_id, EventKind.CAMPAIGN, campaign.name)
        try:
            last_key = max((i for i, s in enumerate(steps) if s.key), default=-1)
            key_ok = True
            for index, step in enumerate(steps):
                digit, full = await self._stream(agi, attempt_id, step.label, step.sound, "0")
                if digit == OPERATOR_KEY:
                    return await self._transfer(agi, attempt_id)
                if step.key:
                    key_ok = key_ok and full
                    if index == last_key and key_ok:
                        await self.store.mark_attempt(attempt_id, key_played=True)
            if scenario.operator_prompt:
                digit, _ = await self._play_prompt(agi, attempt_id, scenario.operator_prompt, "0")
                if digit == OPERATOR_KEY:
                    return await self._transfer(agi, attempt_id)
            if scenario.confirm:
                digit = await self._confirm(agi, attempt_id, scenario)
                if digit == OPERATOR_KEY:
                    return await self._transfer(agi, attempt_id)
            await self._play_prompt(agi, attempt_id, scenario.goodbye_prompt, "")
            await agi.set_variable(ChannelVar.STATUS, IvrStatus.DONE)
        except AgiHangup:
            await self.call_log.add_event(attempt_id, EventKind.STATUS, "callee hung up")
        except AgiError:
            log.exception("campaign call %s failed", attempt_id)

    async def _confirm(self, agi: AgiCall, attempt_id: str, scenario: Scenario) -> str | None:
        keys = CONFIRM_KEY + OPERATOR_KEY
        digit, _ = await self._play_prompt(agi, attempt_id, scenario.confirm_prompt, keys)
        deadline = time.monotonic() + self.settings.confirm_wait_seconds
        while digit not in (CONFIRM_KEY, OPERATOR_KEY):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            digit = await agi.wait_for_digit(left)
            if digit is None:
                break
        await self.call_log.add_event(attempt_id, EventKind.DIGITS, digit or "", {"confirm": True})
        if digit == CONFIRM_KEY:
            await self.store.mark_attempt(attempt_id, confirmed=True)
        return digit

    async def _play_prompt(
        self, agi: AgiCall, attempt_id: str, prompt_id: str, keys: str
    ) -> tuple[str | None, bool]:
        return await self._stream(agi, attempt_id, prompt_id, self.prompts.sound(prompt_id), keys)

    async def _stream(
        self, agi: AgiCall, attempt_id: str, label: str, sound: Sound, keys: str
    ) -> tuple[str | None, bool]:
        result = await agi.stream_file(sound.path_without_extension, keys)
        played = result.seconds
        full = not result.digit and (
            played + self.settings.key_content_tolerance_seconds >= sound.duration
        )
        await self.call_log.add_event(
            attempt_id,
            EventKind.PROMPT,
            label,
            {"duration": round(sound.duration, 3), "played": round(played, 3)},
        )
        return result.digit, full

    async def _transfer(self, agi: AgiCall, attempt_id: str) -> None:
        await self.store.mark_attempt(attempt_id, transferred=True)
        attempt = await self.store.attempt(attempt_id)
        if attempt is not None:
            # The operator's screen shows which campaign the callee comes from.
            campaign = await self.store.campaign_by_id(attempt.campaign_id)
            await agi.set_variable(ChannelVar.PATH, f"campaign>{campaign.name}")
        await self.call_log.add_event(attempt_id, EventKind.NODE, "operator")
        await self.call_log.set_outcome(
            attempt_id, CallOutcome.OPERATOR, operator_reason=OperatorReason.CAMPAIGN
        )
        await agi.set_variable(ChannelVar.OPERATOR_REASON, OperatorReason.CAMPAIGN)
        await agi.set_variable(ChannelVar.STATUS, IvrStatus.OPERATOR)


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None
