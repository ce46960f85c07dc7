"""The dialer inside the engine: picks due contacts, paces the calls, originates them over
AMI, plays the scenario over FastAGI, turns AMI events into positive or negative results, and
reconciles in-flight attempts with Asterisk after a restart or an AMI reconnect.

:class:`Dialer` is the facade the engine runs; the work is done by the parts it owns:
``dispatcher`` (who is dialled, when), ``attempts`` (AMI events to results, retries,
restart safety), ``playback`` (the FastAGI route) and ``email`` (e-mail informing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Coroutine
from datetime import datetime
from typing import Any, Final

from dialer.attempts import DIALER_EVENTS, AttemptTracker
from dialer.dispatcher import Dispatcher
from dialer.email import EmailSender, Mailer
from dialer.limits import Limits
from dialer.live import Clock, LiveCalls, PreparedStep
from dialer.model import Scenario
from dialer.playback import HoursSource, ScenarioPlayer
from dialer.repository import CampaignRecord, DialerStore
from dialer.sms import SmsSender
from dialer.traces import ChannelTraces
from dialer.workers import DialerWorker
from hotline.core.clock import utc_now
from hotline.dialplan.names import CONTEXT_SIMULATED_CARRIER
from hotline.protocol.ami import AmiEvent
from hotline.settings import (
    DialerSettings,
    GreetingSettings,
    HeldWritesSettings,
    IvrSettings,
    QueueSettings,
    RatingSettings,
)
from hotline.speech.library import PromptLibrary
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.notify import Waker
from hotline.store.sms import SmsRecord
from hotline.store.sms_notifier import SmsNotifier
from hotline.transport.agi_call import AgiCall
from hotline.transport.ami import AmiClient

log = logging.getLogger(__name__)

# The longest pause between dispatcher passes while they keep failing.
MAX_BACKOFF_SECONDS: Final = 30.0


def backoff(tick: float, failures: int) -> float:
    """The pause before the next pass: a tick, doubled per failure in a row, capped."""
    return min(tick * float(2 ** min(failures, 16)), max(tick, MAX_BACKOFF_SECONDS))


# The IVR's operator key unless the composition root passes the configured one.
_DEFAULT_OPERATOR_KEY: str = IvrSettings.model_fields["operator_key"].default
# one survey per customer in this many months (rating.min_interval_months).
_DEFAULT_SURVEY_CAP: int = RatingSettings.model_fields["min_interval_months"].default
# The operators' queue unless the composition root passes the configured one.
_DEFAULT_QUEUE: str = QueueSettings().name


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
        operator_key: str = _DEFAULT_OPERATOR_KEY,
        hours: HoursSource | None = None,
        callbacks: CallbackStore | None = None,
        greeting: GreetingSettings | None = None,
        sms: SmsNotifier | None = None,
        survey_cap_months: int = _DEFAULT_SURVEY_CAP,
        operator_queue: str = _DEFAULT_QUEUE,
        worker: DialerWorker | None = None,
        wake: Waker | None = None,
        idle_seconds: float | None = None,
        held: HeldWritesSettings | None = None,
        traces: ChannelTraces | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.ami = ami
        self.prompts = prompts
        self.call_log = call_log
        # Replaceable after construction (the bench does): the parts read it through _now.
        self.clock = clock
        self.simulated = CONTEXT_SIMULATED_CARRIER in settings.trunk
        self._events = ami.subscribe(DIALER_EVENTS)
        self._tasks: set[asyncio.Task[None]] = set()
        # Woken by NOTIFY (a campaign started, paused, contacts added) on PostgreSQL; while
        # idle it then polls at ``idle_seconds`` instead of every tick (issue 20).
        self.wake = wake or Waker()
        self.idle_seconds = idle_seconds or settings.tick_seconds
        # Claims under this worker's name left by its previous run (killed mid-pass) are
        # released before the first pass (issue 21).
        self._stale_claims = True
        self._live = LiveCalls()
        self._email = EmailSender(settings, store, company)
        # SMS: None when the engine has no SMS gateway (sms.enabled off).
        self._sms = SmsSender(store, sms, company)
        self._player = ScenarioPlayer(
            settings,
            store,
            prompts,
            call_log,
            self._live,
            self._now,
            operator_key=operator_key,
            say_zero_kopecks=say_zero_kopecks,
            simulated=self.simulated,
            hours=hours,
            callbacks=callbacks,
            greeting=greeting,
        )
        self.worker = worker or DialerWorker()
        self._attempts = AttemptTracker(
            settings,
            store,
            ami,
            call_log,
            self._live,
            self._now,
            self._spawn,
            self.worker.name,
            self.worker.node or None,
            held,
            # A node taken over vouches with the watch kept on it since this worker's start
            # (dialer/taken_node.py); otherwise with what this dialler's own session sees.
            traces or ChannelTraces.of_session(ami, self._events, self._now, self.worker.settings),
        )
        self._dispatcher = Dispatcher(
            settings,
            store,
            ami,
            self._live,
            self._now,
            player=self._player,
            attempts=self._attempts,
            email=self._email,
            sms=self._sms,
            survey_cap_months=survey_cap_months,
            operator_queue=operator_queue,
            worker=self.worker,
        )

    def _now(self) -> datetime:
        return self.clock()

    @property
    def company(self) -> str:
        """The sender's name in e-mails and the ``{company}`` of their text."""
        return self._email.company

    @company.setter
    def company(self, name: str) -> None:
        self._email.company = name
        self._sms.company = name

    async def sms_changed(self, message: SmsRecord) -> None:
        """The SMS outbox's news (accepted, delivery report): stored on the contact."""
        await self._sms.on_message(message)

    @property
    def mailer(self) -> Mailer:
        return self._email.mailer

    # --- lifecycle ------------------------------------------------------------------------
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

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("dialer task %s failed", task.get_name(), exc_info=task.exception())

    async def _consume_events(self) -> None:
        async for event in self._events:
            try:
                await self.handle_event(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dialer failed on %s", event.name)

    async def _dispatch_loop(self) -> None:
        """A pass every tick; while the store (or anything) keeps failing, the passes back off
        (doubling up to ``MAX_BACKOFF_SECONDS``) and the failure is logged once, with its
        recovery (issue 21: a database outage must not flood the log or end the dialer)."""
        failures = 0
        while True:
            delay = self.pause(failures)
            if self.wake.live:  # PostgreSQL's notifications arrive: a wake-up ends the wait
                reason = await self.wake.wait(delay)
                if reason is not None:
                    log.debug("dialer woken: %s", reason)
            else:  # SQLite, or the listener is away: the plain poll
                await asyncio.sleep(delay)
            if not self.ami.connected:
                continue
            try:
                if not self._attempts.reconciled.is_set():
                    # Normally FullyBooted does it; this covers a login we saw no event for.
                    await self.reconcile()
                else:
                    await self.dispatch_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a store outage must not end the dialer
                failures += 1
                if failures == 1:
                    log.exception("dialer pass failed; retrying with back-off")
                else:
                    log.debug("dialer pass failed again (%d): %s", failures, type(exc).__name__)
                continue
            if failures:
                log.warning("dialer passes work again after %d failures", failures)
                failures = 0

    def pause(self, failures: int) -> float:
        """The wait before the next pass: a tick, doubled per failure in a row; the idle
        poll while nothing runs; after a pass that pacing cut short, its next slot (issue 19
        item 6: a whole tick's pause after every such pass cost a quarter of 20 cps)."""
        delay = backoff(self.settings.tick_seconds, failures)
        if failures:
            return delay
        if self.idle:
            return self.wake.interval(delay, self.idle_seconds)
        slot = self._dispatcher.next_slot_in()
        return delay if slot is None else min(delay, slot)

    @property
    def in_flight(self) -> int:
        return len(self._live.tracked)

    @property
    def idle(self) -> bool:
        """No campaign was running at the last pass and nothing is in flight."""
        return not self._dispatcher.running and not self._live.tracked

    # --- the parts ------------------------------------------------------------------------
    async def limits(self) -> Limits:
        return await self._dispatcher.limits()

    def trunk_of(self, campaign: CampaignRecord) -> tuple[str, str] | None:
        """(name, dial string) of the campaign's trunk; None if it names no known trunk."""
        return self._dispatcher.trunk_of(campaign)

    async def dispatch_once(self) -> int:
        """One pass over the running campaigns; returns how many calls were originated."""
        if self._stale_claims:
            # A run killed mid-pass leaves its claimed contacts claimed for the claim lease
            # (workers.claim_lease_seconds): every pass of the restarted worker, which
            # claims under the same name, would skip them until it lapsed.
            await self.store.release_claims(self.worker.claim_name)
            self._stale_claims = False
        return await self._dispatcher.dispatch_once()

    async def render(
        self, scenario: Scenario, variables: dict[str, str], zone: str
    ) -> list[PreparedStep]:
        return await self._player.render(scenario, variables, zone)

    async def handle_event(self, event: AmiEvent) -> None:
        await self._attempts.handle_event(event)

    async def reconcile(self) -> None:
        """After (re)connecting to AMI: adopt attempts whose channel still lives, settle the
        rest."""
        await self._attempts.reconcile()

    async def adopt(self, alive: Collection[str]) -> int:
        """Take over the attempts in flight of workers not in ``alive`` (dead): each is
        followed if Asterisk still has its channel, settled otherwise (issue 20); those whose
        Originate was never sent go back to their contacts (issue 19).  A worker
        without a name owns every attempt already."""
        name = self.worker.name
        if name is None or not self.ami.connected:
            return 0
        holder = self.worker.lease
        lease = holder.usable() if holder is not None else None
        if holder is not None and lease is None:
            return 0  # another worker owns the node: its attempts are that worker's to adopt
        node = self.worker.node or None
        # Under a node's lease every attempt on the node is the owner's to follow.
        keep = {name} if lease is not None else {*alive, name}
        taken = await self.store.adopt_attempts(name, keep, node=node, lease=lease)
        if taken.withdrawn:
            log.warning(
                "dialer returned %d never-sent attempts of a stopped worker to their contacts",
                taken.withdrawn,
            )
        if taken.adopted:
            log.warning("dialer adopted %d attempts of a stopped worker", len(taken.adopted))
            await self.reconcile()
        return len(taken.adopted)

    async def __call__(self, agi: AgiCall) -> None:
        """The ``dialer`` FastAGI route."""
        await self._player(agi)
