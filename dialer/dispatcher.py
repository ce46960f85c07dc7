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
from dataclasses import replace
from typing import Final

from dialer.admission import Admission
from dialer.attempts import AttemptTracker
from dialer.email import EmailSender
from dialer.last_calls import LAST_CALLS_BATCH, LastCalls
from dialer.limits import Limits, resolve
from dialer.live import Clock, LiveAttempt, LiveCalls
from dialer.model import CampaignState, DialMode
from dialer.originate import Originator
from dialer.playback import ScenarioPlayer
from dialer.progressive import abandon_rate, free_operators, slots
from dialer.repository import CampaignRecord, DialerStore, SharedCaps
from dialer.rounds import LimitsWatch, Pipeline, Queued, Round, Written
from dialer.sms import SmsSender
from dialer.workers import DialerWorker
from hotline.settings import DialerSettings
from hotline.store.workers import PACING_CPS
from hotline.store.write_gate import urgent_writes
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
        self._attempts = attempts
        self._email = email
        self._sms = sms
        self._last_originate = 0.0
        self._originator = Originator(settings, ami, attempts, live)
        self._admit = Admission(store, player, survey_cap_months)
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
        # The last pass ended because pacing had no slot left within its tick, or because a
        # campaign sent every call its free channels (counted at the pass's start) allowed.
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
        # It dials only while it owns its node's lease (cluster) and cannot be taken for dead.
        holder = self._worker.lease
        lease = holder.usable() if holder is not None else None
        if (holder is not None and lease is None) or not self._worker.may_send():
            return 0
        now = self._clock()
        campaigns = await self._store.campaigns()
        self.running = any(c.state is CampaignState.RUNNING for c in campaigns)
        if not self.running:  # an idle dialer reads one table a tick, nothing more
            return 0
        limits = await self.limits()
        watch = LimitsWatch(self.limits, limits, self._settings.tick_seconds)
        counts = await self._store.inflight_counts()
        per_trunk: dict[str, int] = {}
        for campaign in campaigns:
            trunk = self.trunk_of(campaign)
            if trunk is not None and counts.get(campaign.id):
                per_trunk[trunk[0]] = per_trunk.get(trunk[0], 0) + counts[campaign.id]
        # The node this worker dials through: no more calls than its free channels.
        node_free: int | None = None
        if self._worker.node and self._worker.node_channels is not None:
            node_free = self._worker.node_channels - await self._store.node_load(self._worker.node)
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
            caps = SharedCaps(
                trunk_name,
                cap,
                campaign.rules.max_channels,
                limits.same_number_gap,
                self._worker.node,
                self._worker.node_channels,
                lease,
            )
            at = Round(now, limits, self._store.dnc_listed, recent, dial, caps, holder, watch)
            sent, stop = await self._dial_campaign(campaign, at, free, counts.get(campaign.id, 0))
            dialled += sent
            per_trunk[trunk_name] = per_trunk.get(trunk_name, 0) + sent
            if node_free is not None:
                node_free -= sent
            if stop:
                return dialled
        return dialled

    async def _dial_campaign(
        self, campaign: CampaignRecord, at: Round, free: int, in_flight: int
    ) -> tuple[int, bool]:
        """Dial up to ``free`` of the campaign's due contacts a round at a time, each sent in
        its pacing slots while the next is prepared (issue 19 item 6: nothing went out while
        it was): one round ahead at most, withdrawn like any unsent attempt when the dialling
        ends here (stop, lost lease, pacing ran out).  Returns how many were sent, and whether
        the pass ends."""
        line = Pipeline()
        try:
            result = await self._rounds(campaign, at, free, in_flight, line)
        except asyncio.CancelledError:
            # Stopped mid-round: the sent Originates' replies are no longer awaited (a lost
            # reply would hold the stop); their calls are followed or reconciled.
            for task in line.originates:
                task.cancel()
            raise
        finally:
            if line.ahead is not None:
                await self._cancel_ahead(line.ahead, at)
            if line.originates:  # replies awaited beside the next sends (issue 19 item 6)
                await asyncio.wait(line.originates)
        for task in line.originates:
            task.result()  # a refused call the store could not settle fails the pass
        return result

    async def _rounds(
        self, campaign: CampaignRecord, at: Round, free: int, in_flight: int, line: Pipeline
    ) -> tuple[int, bool]:
        cps = at.limits.calls_per_second
        # Claimed a free channel's worth at a time (other workers skip what this one holds),
        # looking at no more contacts per pass than before workers (issue 19).
        examined, budget, sent = 0, free * 4 + 8, 0
        while True:
            if at.watch is not None and await at.watch.changed():
                return sent, True  # the next pass, within a tick, dials at the new limits
            if line.ahead is not None:
                written = await line.ahead  # kept in ``line`` meanwhile: a stop cancels it
                line.ahead = None
            else:
                if free <= 0 < sent:  # the channels freed meanwhile: counted at the next slot
                    self.paced_out = True
                if free <= 0 or examined >= budget or not self._ami.connected:
                    return sent, False
                # No more contacts than pacing lets out within this tick (issue 19 item 6):
                # the rest would be claimed, checked and released again every tick.
                room = await self._room(cps)
                if room <= 0:
                    self.paced_out = True
                    return sent, True
                count = min(free, room, budget - examined)
                written = await self._prepare(campaign, at, line, count)
            if written is None:
                if not examined and not in_flight:
                    await self._store.finish_if_done(campaign.id, at.now)
                return sent, False
            examined += written.claimed
            if not at.may_send():
                await self._drop(written, at)
                return sent, True  # taken over meanwhile: dial nothing more
            begun = written.begun
            slots = await self._book(len(begun), cps) if begun else []
            left = free - len(begun)
            # None ahead once a claim found fewer due contacts than it asked for, all in rounds.
            due = bool(line.claimed) or not line.drained
            more = due and left > 0 and examined < budget and self._ami.connected
            if more and slots and len(slots) == len(begun):
                # The next round, as many as pacing lets out within a tick of this one's last
                # slot, prepared while this one is sent.
                room = await self._room(cps, after=slots[-1] - time.monotonic())
                if room > 0:
                    count = min(left, room, budget - examined)
                    line.ahead = asyncio.create_task(
                        self._prepare(campaign, at, line, count, ahead=True)
                    )
            begin, paced_out = await self._send(campaign, written, slots, at, line.originates)
            free, sent = free - begin, sent + begin
            if paced_out:
                self.paced_out = True
                return sent, True

    async def _prepare(
        self,
        campaign: CampaignRecord,
        at: Round,
        line: Pipeline,
        count: int,
        *,
        ahead: bool = False,
    ) -> Written | None:
        """A round of up to ``count`` (at most DIAL_BATCH) of the contacts claimed (``count``
        claimed when none are left): those that may be dialled now rendered and their attempts
        written unsent in one transaction (issue 19 item 4).  None: none left to claim, or the
        campaign no longer runs (``ahead``).  Cancelled or failed, it withdraws its writes."""
        # A pause or stop since the pass began takes effect at the round prepared ahead.
        running = CampaignState.RUNNING
        if ahead and await self._store.campaign_state(campaign.id) is not running:
            return None
        at = replace(at, now=self._clock())  # a pass's rounds span ticks: hours at its own time
        claimed = 0
        if not line.claimed:
            self._claimed = True  # before the claim: a cancel may come while it commits
            targets = await self._store.claim_targets(
                campaign.id,
                at.now,
                count,
                worker=self._worker.claim_name,
                until=at.now + self._worker.claim_lease,
            )
            if not targets:
                return None
            line.claimed.extend(targets)
            line.drained = len(targets) < count
            claimed = len(targets)
        written = Written(claimed, {})
        dnc = await at.dnc([target.phone for target in line.claimed])  # as fresh as the round
        try:
            while line.claimed and len(written.queued) < min(count, DIAL_BATCH):
                if not self._ami.connected:
                    break
                target = line.claimed.popleft()
                last = await at.recent.of(target.phone, line.claimed)
                admit = self._admit
                if not await admit.may_dial(campaign, target, at.now, at.limits, dnc, last):
                    continue
                steps = await admit.render(campaign, target)
                if steps is None:
                    continue
                before = at.recent.called(target.phone, self._clock())
                written.queued[uuid.uuid4().hex] = Queued(target, steps, before)
            if not written.queued:
                return written
            # Reconciliation leaves the round alone (it would withdraw its unsent attempts)
            # from before the write until each is sent or withdrawn.
            self._live.sending.update(written.queued)
            # The attempts' own time (not the pass's): the same-number gap counts from it.
            written.attempts = await self._store.begin_attempts(
                [(item.target, attempt_id) for attempt_id, item in written.queued.items()],
                self._clock(),
                worker=self._worker.name,
                caps=at.caps,
            )
        except BaseException:
            await self._drop(written, at)
            raise
        begun = {attempt.id for attempt in written.attempts}
        for attempt_id, item in written.queued.items():
            if attempt_id not in begun:  # claimed elsewhere or no room: not called
                at.recent.restore(item.target.phone, item.before)
                self._live.sending.discard(attempt_id)
        return written

    async def _cancel_ahead(self, ahead: asyncio.Task[Written | None], at: Round) -> None:
        """End the round ahead: cancelled while preparing (it withdraws itself), or withdrawn."""
        ahead.cancel()
        try:
            written = await ahead
        except asyncio.CancelledError:
            if ahead.cancelled():
                return
            raise  # this pass is cancelled meanwhile: the round ahead still ends itself
        except Exception as exc:  # the pass ends anyway (with its own failure, if any)
            log.warning("dialer: the round prepared ahead failed: %s", exc)
            return
        if written is not None:
            await self._drop(written, at)

    async def _drop(self, written: Written, at: Round) -> None:
        """Withdraw a round's unsent attempts (all it queued while its write's fate is unknown)."""
        begun = written.queued if written.attempts is None else {a.id for a in written.attempts}
        for attempt_id in begun:
            item = written.queued[attempt_id]
            at.recent.restore(item.target.phone, item.before)
        self._live.sending.difference_update(written.queued)
        await self._withdraw(list(begun))

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

    async def _room(self, calls_per_second: float, after: float = 0.0) -> int:
        """How many Originate slots pacing has free from now within one tick, or within a
        tick of ``after`` seconds from now (an estimate with the shared pacer: other workers
        may book some first)."""
        if calls_per_second <= 0:
            return 0
        interval, tick = 1.0 / calls_per_second, self._settings.tick_seconds
        self._interval = interval
        horizon = tick + max(after, 0.0)
        pacer = self._worker.pacer
        if pacer is not None:  # every worker's Originates count (PostgreSQL)
            return await pacer.free_slots(PACING_CPS, interval, horizon)
        wait = self._last_originate + interval - time.monotonic()
        return 0 if wait > horizon else int((horizon - max(wait, 0.0)) / interval) + 1

    def next_slot_in(self) -> float | None:
        """Seconds until this worker's next pacing slot after a pass that ran out of them or
        of the free channels it counted (None: it did not, or the pacer is shared by every
        worker)."""
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
            if slot - now > tick + _EDGE:  # float sums: _room counted a slot at the tick
                break
            self._last_originate = slot
            slots.append(slot)
        return slots

    async def _send(
        self,
        campaign: CampaignRecord,
        written: Written,
        slots: Sequence[float],
        at: Round,
        originates: list[asyncio.Task[None]],
    ) -> tuple[int, bool]:
        """Send the round's attempts in their booked ``slots`` (booked after the write, so no
        Originate is late for its slot), each marked sent just before its Originate; those
        pacing has no slot for within the tick, or the round does not reach, are withdrawn.
        A worker killed inside the round leaves its unsent attempts to go back to their
        contacts (issue 19).  Each Originate's reply task joins ``originates``.  Returns how
        many were sent, and whether pacing ran out of slots."""
        begun = written.begun
        unsent = {attempt.id: attempt for attempt in begun}
        try:
            sent, placed = 0, begun[: len(slots)]
            for attempt, slot in zip(placed, slots, strict=False):
                if not (self._worker.may_send() and at.may_send()):
                    break  # taken over meanwhile: the rest are withdrawn, not sent
                item = written.queued[attempt.id]
                at.recent.called(item.target.phone, attempt.created_at)
                wait = slot - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not self._ami.connected:
                    break  # nothing can go out: the rest go back to their contacts
                # On SQLite the mark's write goes before the others waiting for their turn
                # (hotline/store/write_gate.py): the slot is passing meanwhile.
                with urgent_writes():
                    marked = await self._store.mark_sent(attempt.id)
                if marked and not (self._worker.may_send() and at.may_send()):
                    # The mark took long: another worker may be adopting this one's attempts
                    # by what Asterisk saw of them (dialer/traces.py), so it is not sent.
                    await self._store.withdraw_marked([attempt.id])
                    break  # it and the rest go back to their contacts unsent
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
                    originates.append(self._originator.send(campaign, attempt, tracked, at.dial))
                except AmiNotSent as exc:  # AMI down: refused before a byte was written
                    log.warning("campaign %s: Originate not sent: %s", campaign.name, exc)
                    self._live.forget(attempt.id)
                    at.recent.restore(item.target.phone, item.before)
                    await self._store.withdraw_marked([attempt.id])
                    break  # AMI is down: the rest go back to their contacts unsent
                sent += 1
            return sent, len(placed) < len(begun)
        finally:
            self._live.sending.difference_update(written.queued)
            if unsent:
                for attempt_id in unsent:
                    item = written.queued[attempt_id]
                    at.recent.restore(item.target.phone, item.before)
                await self._withdraw(list(unsent))

    async def _withdraw(self, attempt_ids: list[str]) -> None:
        """Withdraw attempts never sent; a store failure leaves them to the next pass."""
        self._unsent.update(attempt_ids)
        # Only what this call withdrew is forgotten (the round ahead may withdraw beside it).
        withdrawing = sorted(self._unsent)
        try:
            await self._store.withdraw_attempts(withdrawing)
        except Exception as exc:  # a store outage: kept for the next pass
            log.warning("dialer cannot withdraw %d unsent attempts: %s", len(withdrawing), exc)
            return
        self._unsent.difference_update(withdrawing)


# At most this many attempts begun in one transaction (issue 19 item 4).
DIAL_BATCH: Final = 100
_EDGE: Final = 1e-6  # s: above a tick's float error in sums of intervals, below an interval
