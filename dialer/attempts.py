"""What happens to an attempt after the Originate: AMI events (OriginateResponse, Hangup)
drive each call's live state to a verdict; the verdict closes the attempt and schedules the
retry; and after a restart or an AMI reconnect, attempts left in flight are adopted (their
channel still lives) or settled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final

from dialer.limits import resolve
from dialer.live import Clock, LiveAttempt, LiveCalls, Spawn
from dialer.model import AttemptStatus, CampaignState, DialMode, Reason, Result
from dialer.outcome import Playback, answered_verdict, parse_cause, unanswered_reason
from dialer.repository import AttemptRecord, CampaignRecord, DialerStore, TargetRecord
from dialer.traces import TRACED_EVENTS, ChannelTraces
from dialer.window import retry_at, window_for
from hotline.calls.tracker import UNAVAILABLE
from hotline.core.metrics import DIALER_ATTEMPTS
from hotline.core.phones import mask_phone
from hotline.protocol.ami import AmiEvent, hangup_cause_text
from hotline.settings import DialerSettings, HeldWritesSettings
from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.enums import CallOutcome, EventKind
from hotline.transport.ami import AmiClient, AmiError

log = logging.getLogger(__name__)

DIALER_EVENTS: Final = (
    "OriginateResponse",
    "Hangup",
    # Every channel the node makes: the trace that an adopted attempt's Originate went out.
    "Newchannel",
    "FullyBooted",
    # Progressive campaigns: an operator took the callee, and their talk ended.
    "AgentConnect",
    "AgentComplete",
)
# How long a finished call waits for its FastAGI session to record what it played.
PLAYBACK_SETTLE_SECONDS: Final = 5.0
# How long an unanswered call's Hangup waits for the OriginateResponse that names the reason.
ORIGINATE_SETTLE_SECONDS: Final = 3.0


class AttemptTracker:
    def __init__(
        self,
        settings: DialerSettings,
        store: DialerStore,
        ami: AmiClient,
        call_log: CallLog,
        live: LiveCalls,
        clock: Clock,
        spawn: Spawn,
        worker: str | None = None,
        node: str | None = None,
        held: HeldWritesSettings | None = None,
        traces: ChannelTraces | None = None,
    ) -> None:
        self._settings = settings
        # What this AMI session saw of the node's channels (None: nothing vouched for, every
        # sent attempt whose channel is gone is settled).
        self._traces = traces
        # A call's closing writes refused by the store (a PostgreSQL restart) are retried
        # with back-off (held_writes.close_*); then the call log's reconciliation closes the
        # call row once the attempt is closed and the channel gone.
        self._held = held or HeldWritesSettings()
        self._store = store
        self._ami = ami
        self._call_log = call_log
        self._live = live
        self._clock = clock
        self._spawn = spawn
        # This worker's attempts only (None: the only worker, every attempt is its own).
        self._worker = worker
        # The cluster node whose Asterisk this tracker asks (None: every attempt's).
        self._node = node
        # Set once attempts left by an earlier run are settled; the dispatcher waits for it.
        self.reconciled = asyncio.Event()
        # FullyBooted and the dispatcher may both ask for a reconciliation: one at a time.
        self._reconciling = asyncio.Lock()

    # --- AMI events -----------------------------------------------------------------------
    async def handle_event(self, event: AmiEvent) -> None:
        name = event.name
        tracked_calls = self._live.tracked
        # Noted before any await: once the event queue is read empty, every channel received
        # so far is in the traces (ChannelTraces.caught_up).
        if self._traces is not None and name in TRACED_EVENTS:
            self._traces.take(event)
        if name == "Newchannel":
            return
        if name == "FullyBooted":
            self._spawn(self.reconcile(), "dialer-reconcile")
            return
        if name == "OriginateResponse":
            attempt_id = event.get("actionid")
            tracked = tracked_calls.get(attempt_id)
            if tracked is None:
                return
            tracked.originate_reason = event.get("reason") or None
            if event.get("response") == "Success":
                if not tracked.answered:
                    tracked.answered = True
                    await self._store.mark_attempt(
                        attempt_id, status=AttemptStatus.ANSWERED, answered_at=self._clock()
                    )
                tracked.originate_done.set()
            else:
                tracked.originate_done.set()
                self._spawn(self._after_failure(attempt_id, tracked), f"dialer-fail-{attempt_id}")
            return
        if name in ("AgentConnect", "AgentComplete"):
            await self._operator_event(event)
            return
        if name == "Hangup":
            attempt_id = event.uniqueid
            tracked = tracked_calls.get(attempt_id)
            if tracked is None:
                return
            tracked.cause = event.get("cause") or None
            tracked.hung_up.set()
            if tracked.reconciling:
                return  # the reconciliation closes it once it knows the channel is gone
            if tracked.originate_done.is_set() and not tracked.answered:
                return  # the failed Originate's task closes it, now with the cause
            self._spawn(self._after_hangup(attempt_id, tracked), f"dialer-hangup-{attempt_id}")

    async def _operator_event(self, event: AmiEvent) -> None:
        """A campaign callee in the operators' queue: who took them (AgentConnect), and how
        long they talked (AgentComplete), logged with the attempt."""
        attempt_id = event.uniqueid
        tracked = self._live.tracked.get(attempt_id)
        if event.name == "AgentConnect":
            if tracked is None:
                return
            operator = event.get("membername") or event.get("interface") or ""
            tracked.operator = operator
            await self._store.mark_attempt(attempt_id, operator=operator)
            return
        # AgentComplete may come after the callee's Hangup has ended the tracking: the talk
        # time is written by the attempt's id all the same (an inbound call's id matches no
        # attempt, so its update changes nothing).
        talk = event.get("talktime")
        if talk.isdigit():
            await self._store.mark_attempt(attempt_id, talk_seconds=int(talk))

    async def _after_failure(self, attempt_id: str, tracked: LiveAttempt) -> None:
        # The OriginateResponse comes just before the channel's Hangup, whose cause says more
        # ("unallocated number" rather than "failed").
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ORIGINATE_SETTLE_SECONDS):
                await tracked.hung_up.wait()
        await self._retrying(attempt_id, lambda: self.finish_unanswered(attempt_id, tracked))

    async def _after_hangup(self, attempt_id: str, tracked: LiveAttempt) -> None:
        if not tracked.answered:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(ORIGINATE_SETTLE_SECONDS):
                    await tracked.originate_done.wait()
            if tracked.originate_done.is_set() and not tracked.answered:
                return  # _after_failure closes it
            if not tracked.answered:
                await self._retrying(
                    attempt_id, lambda: self.finish_unanswered(attempt_id, tracked)
                )
                return
        if tracked.in_agi:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PLAYBACK_SETTLE_SECONDS):
                    await tracked.playback_done.wait()
        await self._retrying(attempt_id, lambda: self._finish_answered(attempt_id, tracked))

    async def _retrying(self, attempt_id: str, close: Callable[[], Awaitable[None]]) -> None:
        """Run a call's closing writes; while the store is away, again with back-off (issue
        21: a campaign call that hung up during a database outage stayed open for ever).  Each
        try skips what an earlier one wrote (``LiveAttempt.closed``/``logged``)."""
        held = self._held
        delay = held.close_first_delay
        for attempt in range(1, held.close_tries + 1):
            try:
                await close()
                return
            except UNAVAILABLE as exc:
                if attempt == held.close_tries:
                    log.error(
                        "campaign call %s not closed after %d tries (%s): left to the "
                        "reconciliation",
                        attempt_id,
                        attempt,
                        type(exc).__name__,
                    )
                    return
                log.warning(
                    "campaign call %s not closed, the store is away (%s): again in %.1f s",
                    attempt_id,
                    type(exc).__name__,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, held.close_longest_delay)

    # --- results --------------------------------------------------------------------------
    async def finish_unanswered(
        self, attempt_id: str, tracked: LiveAttempt, *, refused: bool = False
    ) -> None:
        reason = (
            Reason.FAILED
            if refused
            else unanswered_reason(tracked.originate_reason, parse_cause(tracked.cause))
        )
        await self._close(attempt_id, tracked, Result.NEGATIVE, reason, AttemptStatus.ENDED)

    async def _finish_answered(self, attempt_id: str, tracked: LiveAttempt) -> None:
        attempt = await self._store.attempt(attempt_id)
        if attempt is None:
            return
        campaign = await self._store.campaign_by_id(attempt.campaign_id)
        scenario = campaign.snapshot
        assert scenario is not None
        rule = campaign.rules.effective_positive_rule(scenario)
        result, reason = answered_verdict(
            rule,
            Playback(
                attempt.key_played,
                attempt.confirmed,
                attempt.transferred,
                attempt.machine,
                survey=scenario.survey,
                progressive=campaign.rules.mode is DialMode.PROGRESSIVE,
                operator=bool(tracked.operator or attempt.operator),
            ),
        )
        ended_at = tracked.ended_at = tracked.ended_at or self._clock()
        if not await self._close(attempt_id, tracked, result, reason, AttemptStatus.ENDED):
            return  # closed already (a late duplicate): its call log is written
        if tracked.logged:
            return
        outcome = (
            CallOutcome.OPERATOR
            if attempt.transferred
            else CallOutcome.COMPLETED
            if result is Result.POSITIVE
            else CallOutcome.ABANDONED
        )
        with contextlib.suppress(UnknownCall):
            # One write for the end and the outcome (the first of each kept): a retry after
            # the store refused the event below writes neither twice.
            await self._call_log.ended(
                attempt_id,
                at=ended_at,
                hangup_cause=hangup_cause_text(tracked.cause),
                outcome=outcome,
            )
            await self._call_log.add_event(
                attempt_id, EventKind.CAMPAIGN, f"{result.value}:{reason.value}"
            )
        tracked.logged = True

    async def _close(
        self,
        attempt_id: str,
        tracked: LiveAttempt,
        result: Result,
        reason: Reason,
        status: AttemptStatus,
    ) -> bool:
        """Close the attempt with this verdict; False if it was closed already (by another
        task: this one's own earlier try, cut short by a store outage, counts as not)."""
        self._live.forget(attempt_id)
        if tracked.closed:  # an earlier try closed it; the campaign's check may not have run
            attempt = await self._store.attempt(attempt_id)
            if attempt is not None:
                await self._store.finish_if_done(attempt.campaign_id, self._clock())
            return True
        attempt = await self._store.attempt(attempt_id)
        if attempt is None:
            return False
        campaign = await self._store.campaign_by_id(attempt.campaign_id)
        target = await self._store.target(attempt.target_id)
        when = None
        if result is Result.NEGATIVE:
            when = self._retry_time(campaign, target, attempt, reason, self._clock())
        closed = await self._store.end_attempt(
            attempt_id,
            status=status,
            result=result if status is AttemptStatus.ENDED else None,
            reason=reason,
            cause=hangup_cause_text(tracked.cause),
            now=self._clock(),
            retry_at=when,
            final=when is None,
            email_fallback=campaign.rules.email_fallback and status is AttemptStatus.ENDED,
            sms_fallback=(
                campaign.rules.sms_fallback
                and status is AttemptStatus.ENDED
                and campaign.snapshot is not None
                and campaign.snapshot.sms_text is not None
            ),
        )
        if closed:
            tracked.closed = True
            outcome = result.value if status is AttemptStatus.ENDED else status.value
            DIALER_ATTEMPTS.labels(outcome, reason.value).inc()
            log.info(
                "campaign %s: %s attempt %s %s (%s)",
                campaign.name,
                mask_phone(target.phone),
                attempt_id,
                result.value,
                reason.value,
            )
            await self._store.finish_if_done(campaign.id, self._clock())
        return closed

    def _retry_time(
        self,
        campaign: CampaignRecord,
        target: TargetRecord,
        attempt: AttemptRecord,
        reason: Reason,
        now: datetime,
        not_before: datetime | None = None,
    ) -> datetime | None:
        rules = campaign.rules
        if campaign.state not in (CampaignState.RUNNING, CampaignState.PAUSED):
            return None
        if attempt.number >= rules.max_attempts:
            return None
        delay = rules.retry_delay(reason)
        if delay is None:
            return None
        start = max(now, not_before) if not_before is not None else now
        window = window_for(rules, target.timezone)
        return retry_at(window, start, delay, earliest(campaign.ends_at, target.deliver_by))

    async def mark_unknown(self, attempt: AttemptRecord, campaign: CampaignRecord) -> None:
        """We lost the call's fate: not retried before the same-number gap has passed."""
        self._live.forget(attempt.id)
        limits = resolve(await self._store.limits(), self._settings)
        target = await self._store.target(attempt.target_id)
        gap_end = attempt.created_at + limits.same_number_gap
        now = self._clock()
        when = self._retry_time(
            campaign, target, attempt, Reason.UNKNOWN, now, not_before=gap_end - timedelta(0)
        )
        if when is not None and when < gap_end:
            when = gap_end
        await self._store.end_attempt(
            attempt.id,
            status=AttemptStatus.UNKNOWN,
            result=None,
            reason=Reason.UNKNOWN,
            cause=None,
            now=now,
            retry_at=when,
            final=when is None,
        )
        await self._store.finish_if_done(campaign.id, now)

    # --- restart safety -------------------------------------------------------------------
    async def reconcile(self) -> None:
        """After (re)connecting to AMI: adopt attempts whose channel still lives, settle the
        rest (answered ones by what they recorded, others as unknown)."""
        async with self._reconciling:
            try:
                await self._reconcile()
            except UNAVAILABLE:
                # Not reconciled after all: the dialer's loop tries again with back-off
                # (issue 21: a FullyBooted during a database outage left calls whose Hangup
                # was missed in flight until the next AMI log-in).
                self.reconciled.clear()
                raise

    async def _reconcile(self) -> None:
        try:
            # FullyBooted can arrive while the login reply is still on its way.
            await self._ami.wait_connected(self._settings.ring_seconds)
        except AmiError as exc:
            log.warning("dialer cannot list live channels to reconcile: %s", exc)
            return
        tracked_calls = self._live.tracked
        inflight = [
            a
            for a in await self._store.inflight(self._worker, self._node)
            if a.id not in self._live.sending
        ]
        # Written by a batch and never sent (the engine stopped before their turn): back to
        # their contacts, dialled later, counted once (issue 19).
        unsent = [a.id for a in inflight if not a.sent]
        if unsent:
            await self._store.withdraw_attempts(unsent)
            log.info("dialer returned %d never-sent attempts to their contacts", len(unsent))
            inflight = [a for a in inflight if a.sent]
        # Follow every attempt left in flight BEFORE asking Asterisk which channels live: a
        # Hangup that comes while we ask, or while we settle the others, is then noted on
        # its attempt instead of dropped (an adopted call whose Hangup was dropped stayed in
        # flight for ever, and its campaign never finished: issue 21).
        for attempt in inflight:
            if attempt.id not in tracked_calls:
                tracked_calls[attempt.id] = LiveAttempt(
                    attempt.campaign_id,
                    attempt.target_id,
                    attempt.phone,
                    answered=attempt.status is AttemptStatus.ANSWERED,
                    reconciling=True,
                )
        try:
            live = {channel.uniqueid for channel in await self._ami.core_show_channels()}
        except AmiError as exc:
            log.warning("dialer cannot list live channels to reconcile: %s", exc)
            return  # the placeholders stay; the next reconciliation decides for them
        never_sent = await self._never_reached([a for a in inflight if a.id not in live])
        if never_sent:
            await self._store.withdraw_marked(never_sent)
            for attempt_id in never_sent:
                self._live.forget(attempt_id)
            log.warning(
                "dialer returned %d attempts marked sent whose Originate never reached "
                "Asterisk to their contacts",
                len(never_sent),
            )
        adopted = settled = 0
        for attempt in inflight:
            tracked = tracked_calls.get(attempt.id)
            if tracked is None or attempt.id in never_sent:
                continue  # closed meanwhile by its own events, or given back
            if attempt.id in live:
                if tracked.reconciling:
                    tracked.reconciling = False
                    adopted += 1
                    if tracked.hung_up.is_set():  # it ended after Asterisk listed it
                        self._spawn(
                            self._after_hangup(attempt.id, tracked), f"dialer-hangup-{attempt.id}"
                        )
                continue
            if attempt.status is AttemptStatus.ANSWERED:
                await self._finish_answered(attempt.id, tracked)
            else:
                await self.mark_unknown(
                    attempt, await self._store.campaign_by_id(attempt.campaign_id)
                )
            settled += 1
        if adopted or settled:
            log.info("dialer reconciled: %d calls adopted, %d settled", adopted, settled)
        self.reconciled.set()

    async def _never_reached(self, gone: list[AttemptRecord]) -> set[str]:
        """Of the attempts whose channel is gone, those this worker did not send itself in
        this run whose Originate never reached Asterisk while this AMI session watched
        (dialer/traces.py).  An attempt it sent itself may still be on its way to a channel:
        never given back."""
        traces = self._traces
        candidates = [
            attempt
            for attempt in gone
            if attempt.status is AttemptStatus.DIALING
            and (tracked := self._live.tracked.get(attempt.id)) is not None
            and tracked.reconciling
            and not tracked.hung_up.is_set()
        ]
        if traces is None or not candidates or not await traces.caught_up():
            return set()
        return {a.id for a in candidates if traces.never_reached(a.id, a.created_at)}


def earliest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None
