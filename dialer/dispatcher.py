"""One dispatcher pass: which contacts of the running campaigns may be dialled now (calling
window, do-not-call, deliver-by, the same-number gap), within the campaign's and the trunk's
channel caps, paced to the calls-per-second limit, and the Originate itself.

The order that keeps "no number dialled twice by accident": the attempt row is written
(target claimed, status dialing) before the Originate is sent; an Originate whose fate is
unknown is marked unknown, never retried blindly; and every dial first checks the last call
to the same number across all campaigns against the minimum gap.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from dialer.attempts import AttemptTracker, earliest
from dialer.email import EmailSender
from dialer.last_calls import LAST_CALLS_BATCH, LastCalls
from dialer.limits import Limits, resolve
from dialer.live import Clock, LiveAttempt, LiveCalls, PreparedStep
from dialer.model import CampaignState, DialMode, Reason, Result
from dialer.originate import Originator
from dialer.playback import ScenarioPlayer
from dialer.progressive import abandon_rate, free_operators, slots
from dialer.repository import (
    AttemptRecord,
    CampaignRecord,
    DialerStore,
    SharedCaps,
    TargetRecord,
)
from dialer.rounds import Queued, Round
from dialer.sms import SmsSender
from dialer.window import Waiting, WaitReason, window_for
from dialer.workers import DialerWorker
from hotline.settings import DialerSettings
from hotline.store.leases import Lease, LeaseHolder
from hotline.store.ratings import months_before
from hotline.store.workers import PACING_CPS
from hotline.transport.ami import AmiClient, AmiError, AmiNotSent

log = logging.getLogger(__name__)

__all__ = ["LAST_CALLS_BATCH", "Dispatcher"]


class Dispatcher:
    def __init__(
        self,
        settings: DialerSettings,
        store: DialerStore,
        ami: AmiClient,
        live: LiveCalls,
        clock: Clock,
        *,
        player: ScenarioPlayer,
        attempts: AttemptTracker,
        email: EmailSender,
        sms: SmsSender,
        survey_cap_months: int,
        operator_queue: str,
        worker: DialerWorker | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._ami = ami
        self._live = live
        self._clock = clock
        self._player = player
        self._attempts = attempts
        self._email = email
        self._sms = sms
        self._last_originate = 0.0
        self._originator = Originator(settings, ami, attempts, live)
        # a customer is surveyed at most once in this many months (0: no cap).
        self._survey_cap_months = survey_cap_months
        # Progressive campaigns without a queue of their own dial for this one's operators.
        self._operator_queue = operator_queue
        # The ratio each progressive campaign dialled at in the last pass (the report's).
        self.progressive_ratio: dict[int, float] = {}
        self._worker = worker or DialerWorker()
        self._claimed = False  # this pass claimed contacts: release what it did not dial
        # The last pass saw a running campaign (an idle dialer may poll less often).
        self.running = True
        # Attempts written and never sent whose withdrawal failed (a store outage).
        self._unsent: set[str] = set()
        # The last pass ended because pacing had no slot left within its tick.
        self.paced_out = False
        self._interval: float | None = None  # between Originates, at the last pass's rate

    async def limits(self) -> Limits:
        return resolve(await self._store.limits(), self._settings)

    def trunk_of(self, campaign: CampaignRecord) -> tuple[str, str] | None:
        """(name, dial string) of the campaign's trunk; None if it names no known trunk."""
        name = campaign.rules.trunk or self._settings.trunk_name
        if name == self._settings.trunk_name:
            return name, self._settings.trunk
        trunk = self._settings.trunks.get(name)
        return (name, trunk.dial) if trunk is not None else None

    async def dispatch_once(self) -> int:
        """One pass over the running campaigns; returns how many calls were originated."""
        self._claimed = self.paced_out = False
        if self._unsent:
            await self._withdraw([])
        try:
            return await self._pass()
        finally:
            # Claimed and not dialled (deferred, refused, out of time): anyone's again.
            if self._claimed:
                await self._store.release_claims(self._worker.claim_name)

    async def _pass(self) -> int:
        # A cluster worker dials through its node only while it owns the node's lease.
        holder = self._worker.lease
        lease = holder.usable() if holder is not None else None
        if holder is not None and lease is None:
            return 0
        now = self._clock()
        limits = await self.limits()
        counts = await self._store.inflight_counts()
        campaigns = await self._store.campaigns()
        self.running = any(c.state is CampaignState.RUNNING for c in campaigns)
        per_trunk: dict[str, int] = {}
        for campaign in campaigns:
            trunk = self.trunk_of(campaign)
            if trunk is not None and counts.get(campaign.id):
                per_trunk[trunk[0]] = per_trunk.get(trunk[0], 0) + counts[campaign.id]
        # The node this worker dials through: no more calls than its free channels.
        node_free: int | None = None
        if self._worker.node and self._worker.node_channels is not None:
            node_free = self._worker.node_channels - await self._store.node_load(self._worker.node)
        dnc = await self._store.dnc_numbers()
        recent = LastCalls(self._store)
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
                await self._store.end_campaign(campaign.id, now)
                continue
            if campaign.starts_at is not None and now < campaign.starts_at:
                continue
            await self._email.send_due(campaign, now)
            await self._sms.send_due(campaign, now)
            free = min(
                campaign.rules.max_channels - counts.get(campaign.id, 0),
                cap - per_trunk.get(trunk_name, 0),
                node_free if node_free is not None else cap,
            )
            if campaign.rules.mode is DialMode.PROGRESSIVE:
                free = min(free, await self._progressive_slots(campaign))
            if free <= 0:
                continue
            # Claimed a free channel's worth at a time (other workers skip what this one
            # holds), looking at no more contacts per pass than before workers (issue 19).
            examined, budget = 0, free * 4 + 8
            while free > 0 and examined < budget and self._ami.connected:
                # No more contacts than pacing lets out within this tick (issue 19 item 6):
                # the rest would be claimed, checked and released again every tick.
                room = await self._room(limits.calls_per_second)
                if room <= 0:
                    self.paced_out = True
                    return dialled
                targets = await self._store.claim_targets(
                    campaign.id,
                    now,
                    min(free, room, budget - examined),
                    worker=self._worker.claim_name,
                    until=now + self._worker.claim_lease,
                )
                if not targets:
                    if not examined and not counts.get(campaign.id):
                        await self._store.finish_if_done(campaign.id, now)
                    break
                examined += len(targets)
                self._claimed = True
                if holder is not None and _lost(holder, lease):
                    return dialled  # taken over meanwhile: dial nothing more
                caps = SharedCaps(
                    trunk_name,
                    cap,
                    campaign.rules.max_channels,
                    limits.same_number_gap,
                    self._worker.node,
                    self._worker.node_channels,
                    lease,
                )
                sent, paced_out = await self._dial_round(
                    campaign, targets, free, Round(now, limits, dnc, recent, dial, caps, holder)
                )
                free, dialled = free - sent, dialled + sent
                per_trunk[trunk_name] = per_trunk.get(trunk_name, 0) + sent
                if node_free is not None:
                    node_free -= sent
                if paced_out:
                    self.paced_out = True
                    return dialled
        return dialled

    async def _dial_round(
        self, campaign: CampaignRecord, targets: Sequence[TargetRecord], free: int, at: Round
    ) -> tuple[int, bool]:
        """Dial up to ``free`` of the claimed ``targets``, begun in batches of what pacing
        lets out within a tick (issue 19: one transaction per batch, each attempt still
        written before its Originate).  Returns how many were begun, and whether pacing
        has no slot left within this tick (the pass ends)."""
        sent = 0
        batch: list[Queued] = []
        room = 0
        for index, target in enumerate(targets):
            if free - sent - len(batch) <= 0 or not self._ami.connected:
                break
            last = await at.recent.of(target.phone, targets[index + 1 :])
            if not await self._may_dial(campaign, target, at.now, at.limits, at.dnc, last):
                continue
            if not batch:
                room = min(await self._room(at.limits.calls_per_second), DIAL_BATCH)
                if room <= 0:
                    return sent, True
            steps = await self._render(campaign, target)
            if steps is None:
                continue
            before = at.recent.called(target.phone, self._clock())
            batch.append(Queued(target, steps, before))
            if len(batch) >= room:
                begun, paced_out = await self._dial(campaign, batch, at)
                sent, batch = sent + begun, []
                if paced_out:
                    return sent, True
        if batch:
            begun, paced_out = await self._dial(campaign, batch, at)
            return sent + begun, paced_out
        return sent, False

    async def _may_dial(
        self,
        campaign: CampaignRecord,
        target: TargetRecord,
        now: datetime,
        limits: Limits,
        dnc: frozenset[str],
        last: datetime | None,
    ) -> bool:
        store = self._store
        if target.phone in dnc:
            await store.close_target(target.id, Result.NEGATIVE, Reason.DO_NOT_CALL)
            return False
        if await self._surveyed_lately(campaign, target, now):
            await store.close_target(target.id, Result.NEGATIVE, Reason.SURVEY_CAP)
            return False
        if target.deliver_by is not None and now >= target.deliver_by:
            await store.close_target(target.id, Result.NEGATIVE, Reason.EXPIRED)
            return False
        window = window_for(campaign.rules, target.timezone)
        if not window.is_open(now):
            opens = window.next_open(now)
            deadline = earliest(campaign.ends_at, target.deliver_by)
            if opens is None or (deadline is not None and opens >= deadline):
                await store.close_target(target.id, Result.NEGATIVE, Reason.EXPIRED)
            else:
                await store.defer(target.id, opens, window.why_closed(now).stored)
            return False
        if last is not None and now < last + limits.same_number_gap:
            await store.defer(
                target.id,
                last + limits.same_number_gap,
                Waiting(WaitReason.SAME_NUMBER).stored,
            )
            return False
        return True

    async def _progressive_slots(self, campaign: CampaignRecord) -> int:
        """Calls a progressive campaign may place now: for the free operators of its queue,
        less its calls in flight (dialling, ringing, or answered and not yet with one)."""
        queue = campaign.rules.queue or self._operator_queue
        try:
            free = free_operators(await self._ami.queue_status(queue), queue)
        except AmiError as exc:
            log.warning("campaign %s: no queue status for %s: %s", campaign.name, queue, exc)
            return 0
        rate = abandon_rate(await self._store.attempt_counts(campaign.id))
        # Calls of this campaign not yet with an operator (dialling, ringing, in the queue).
        waiting = sum(
            1
            for tracked in self._live.tracked.values()
            if tracked.campaign_id == campaign.id and tracked.operator is None
        )
        calls, ratio = slots(free, waiting, campaign.rules.ratio, rate, self._settings.progressive)
        self.progressive_ratio[campaign.id] = ratio
        return calls

    async def _surveyed_lately(
        self, campaign: CampaignRecord, target: TargetRecord, now: datetime
    ) -> bool:
        """A survey's contact who answered a survey (this or another campaign's) or rated an
        operator call since the import, within the frequency cap (R-105)."""
        if campaign.snapshot is None or not campaign.snapshot.survey:
            return False
        if self._survey_cap_months <= 0:
            return False
        since = months_before(now, self._survey_cap_months)
        return bool(await self._store.surveyed_since([target.phone], since))

    async def _room(self, calls_per_second: float) -> int:
        """How many Originate slots pacing has free from now within one tick (an estimate
        with the shared pacer: other workers may book some first)."""
        if calls_per_second <= 0:
            return 0
        interval, tick = 1.0 / calls_per_second, self._settings.tick_seconds
        self._interval = interval
        pacer = self._worker.pacer
        if pacer is not None:  # every worker's Originates count (PostgreSQL)
            return await pacer.free_slots(PACING_CPS, interval, tick)
        wait = self._last_originate + interval - time.monotonic()
        return 0 if wait > tick else int((tick - max(wait, 0.0)) / interval) + 1

    def next_slot_in(self) -> float | None:
        """Seconds until this worker's next pacing slot after a pass that ran out of them
        (None: the pass did not, or the pacer is shared by every worker)."""
        if not self.paced_out or self._interval is None or self._worker.pacer is not None:
            return None
        return max(0.0, self._last_originate + self._interval - time.monotonic())

    async def _book(self, count: int, calls_per_second: float) -> list[float]:
        """Book up to ``count`` Originate slots within one tick: the ``time.monotonic()`` to
        send each at (fewer when the tick has no more)."""
        interval, tick = 1.0 / calls_per_second, self._settings.tick_seconds
        pacer = self._worker.pacer
        if pacer is not None:
            waits = await pacer.take_many(PACING_CPS, interval, tick, count)
            now = time.monotonic()
            return [now + wait for wait in waits]
        now = time.monotonic()
        slots: list[float] = []
        while len(slots) < count:
            slot = max(self._last_originate + interval, now)
            if slot - now > tick:
                break
            self._last_originate = slot
            slots.append(slot)
        return slots

    async def _render(
        self, campaign: CampaignRecord, target: TargetRecord
    ) -> list[PreparedStep] | None:
        """The personal audio, rendered before the number is dialled; None (the target
        closed) if it cannot be."""
        scenario = campaign.snapshot
        assert scenario is not None, "a running campaign has its scenario snapshot"
        try:
            return await self._player.render(scenario, target.variables, target.timezone)
        except Exception:
            log.exception("campaign %s: cannot render the message", campaign.name)
            await self._store.close_target(target.id, Result.NEGATIVE, Reason.RENDER_FAILED)
            return None

    async def _dial(
        self, campaign: CampaignRecord, batch: Sequence[Queued], at: Round
    ) -> tuple[int, bool]:
        """Begin the batch's attempts in one transaction (each written unsent), then book
        their pacing slots (after the write, so no Originate is late for its slot) and send
        each in its slot, marked sent just before its Originate; attempts pacing has no slot
        for within the tick, or the pass does not reach, are withdrawn.  A worker killed
        inside the batch leaves its unsent attempts to go back to their contacts (issue 19).
        Returns how many were sent, and whether pacing ran out of slots."""
        queued = {uuid.uuid4().hex: item for item in batch}
        # Reconciliation leaves the batch alone (it would withdraw its unsent attempts) from
        # before the write until each is sent or withdrawn.
        self._live.sending.update(queued)
        unsent: dict[str, AttemptRecord] = {}
        try:
            # The attempts' own time (not the pass's): the same-number gap counts from it.
            attempts = await self._store.begin_attempts(
                [(item.target, attempt_id) for attempt_id, item in queued.items()],
                self._clock(),
                worker=self._worker.name,
                caps=at.caps,
            )
            unsent = {attempt.id: attempt for attempt in attempts}
            calls_per_second = at.limits.calls_per_second
            slots = await self._book(len(attempts), calls_per_second) if attempts else []
            placed = attempts[: len(slots)]
            for attempt_id, item in queued.items():
                if attempt_id not in unsent:  # claimed elsewhere or no room: not called
                    at.recent.restore(item.target.phone, item.before)
            sent, originates = 0, list[asyncio.Task[None]]()
            try:
                for attempt, slot in zip(placed, slots, strict=False):
                    if at.holder is not None and _lost(at.holder, at.caps.lease):
                        break  # taken over meanwhile: the rest are withdrawn, not sent
                    item = queued[attempt.id]
                    at.recent.called(item.target.phone, attempt.created_at)
                    wait = slot - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if not self._ami.connected:
                        break  # nothing can go out: the rest go back to their contacts
                    marked = await self._store.mark_sent(attempt.id)
                    del unsent[attempt.id]
                    if not marked:
                        # Withdrawn by a worker that took this one for dead: not ours to dial.
                        at.recent.restore(item.target.phone, item.before)
                        continue
                    self._live.prepared[attempt.id] = item.steps
                    tracked = LiveAttempt(campaign.id, item.target.id, item.target.phone)
                    self._live.tracked[attempt.id] = tracked
                    # Written now, with no yield since the mark's commit: a worker stopped or
                    # killed after it has sent every Originate it marked.
                    try:
                        originates.append(
                            self._originator.send(campaign, attempt, tracked, at.dial)
                        )
                    except AmiNotSent as exc:  # AMI down: refused before a byte was written
                        log.warning("campaign %s: Originate not sent: %s", campaign.name, exc)
                        self._live.forget(attempt.id)
                        at.recent.restore(item.target.phone, item.before)
                        await self._store.withdraw_marked(attempt.id)
                        break  # AMI is down: the rest go back to their contacts unsent
                    sent += 1
            except asyncio.CancelledError:
                # Stopped mid-batch: the sent Originates' replies are no longer awaited (as
                # the one awaited was not when they went out one by one); a lost reply would
                # hold the stop.  Their calls are followed by their events or reconciled.
                for task in originates:
                    task.cancel()
                raise
            finally:  # replies awaited beside the next sends, not before them (issue 19 item 6)
                if originates:
                    await asyncio.wait(originates)
            for task in originates:
                task.result()  # a refused call the store could not settle fails the pass
            return sent, len(placed) < len(attempts)
        finally:
            self._live.sending.difference_update(queued)
            if unsent:
                for attempt_id in unsent:
                    item = queued[attempt_id]
                    at.recent.restore(item.target.phone, item.before)
                await self._withdraw(list(unsent))

    async def _withdraw(self, attempt_ids: list[str]) -> None:
        """Withdraw attempts never sent; if the store fails, the next pass tries again (and
        a restart's reconciliation would)."""
        self._unsent.update(attempt_ids)
        try:
            await self._store.withdraw_attempts(sorted(self._unsent))
        except Exception as exc:  # a store outage: kept for the next pass
            log.warning("dialer cannot withdraw %d unsent attempts: %s", len(self._unsent), exc)
            return
        self._unsent.clear()


# At most this many attempts begun in one transaction (issue 19 item 4).
DIAL_BATCH: Final = 100


def _lost(holder: LeaseHolder, lease: Lease | None) -> bool:
    """The node's lease this pass began with is no longer usable (a renew keeps its epoch)."""
    current = holder.usable()
    return current is None or lease is None or current.epoch != lease.epoch
