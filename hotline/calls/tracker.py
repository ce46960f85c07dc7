"""Keeps the call log in step with what Asterisk reports over AMI.

The FastAGI session writes what the IVR did (nodes, prompts, digits); this tracker writes what
only Asterisk knows: that a call exists from its first moment (even if Python never gets it),
when it was answered, whether the dialplan fallback or the operator queue took it, and how and
when it ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Final

from hotline.calls.held_calls import END, OUTCOME, ROW, Unwritten, load_held
from hotline.core.clock import utc_now
from hotline.core.masking import mask_phone
from hotline.core.metrics import CALLS_INBOUND, CALLS_STARTED
from hotline.dialplan.names import (
    CONTEXT_FALLBACK,
    CONTEXT_INBOUND,
    CONTEXT_OPERATOR,
    CONTEXT_SIMULATED_CALLER,
)
from hotline.dialplan.node_legs import CONTEXT_NODE_LEGS
from hotline.protocol.ami import AmiEvent, hangup_cause_text
from hotline.settings import HeldWritesSettings, Settings
from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.db import STORE_ERRORS
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.store.held_spool import CALL_TRACKER, HeldSpool
from hotline.transport.ami import AmiError, Subscription, consume

# The channels Asterisk has now (CoreShowChannel events: uniqueid, channel, context, state).
LiveChannels = Callable[[], Awaitable[list[AmiEvent]]]

log = logging.getLogger(__name__)

# FullyBooted arrives on every (re)login: the moment to find calls whose hang-up we missed.
TRACKED_EVENTS = ("Newchannel", "Newstate", "Newexten", "Hangup", "FullyBooted")
_ENTRY_CONTEXTS = (CONTEXT_INBOUND, CONTEXT_SIMULATED_CALLER)
_STATE_UP = "6"
# Where an inbound caller's channel may be when a starting engine first lists the channels:
# still in an entry context, in the IVR's context, or past it (the fallback, the queue).
_INBOUND_PATH = (*_ENTRY_CONTEXTS, CONTEXT_FALLBACK, CONTEXT_OPERATOR, CONTEXT_NODE_LEGS)
# The status event of a call closed by reconciliation (its hang-up was never seen).
ENDED_UNSEEN = "ended while AMI was disconnected"
# The status event of a call dialled to the queue node (issue 20).
NODE_LEG = "operator leg to the queue node"
# The status event of a campaign call row closed by reconciliation after its attempt.
ENDED_AFTER_ATTEMPT: Final = "closed after its dial attempt"


def _duration(text: str) -> timedelta:
    """CoreShowChannel's Duration, HH:MM:SS (zero when absent or unreadable)."""
    try:
        hours, minutes, seconds = (int(part) for part in text.split(":"))
    except ValueError:
        return timedelta()
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _inbound_now(channel: AmiEvent) -> bool:
    """A live channel on an inbound caller's path (not a Local channel's ``;1`` half)."""
    return channel.get("context") in _INBOUND_PATH and not channel.get("channel").endswith(";1")


def is_inbound_leg(event: AmiEvent) -> bool:
    """A channel entering the hotline from outside (not the simulator's own phone leg)."""
    return event.get("context") in _ENTRY_CONTEXTS and not event.get("channel").endswith(";1")


# The store is away: what it raises then (the server down or restarting, the connection
# lost, the pool exhausted, a lock held past the wait).  The store's one list: a failure
# that surfaced as an error outside the tracker's own older list (the driver's OSError, a
# TimeoutError) dropped the call's row instead of holding it (issue 21).
UNAVAILABLE: Final = STORE_ERRORS


class CallTracker:
    def __init__(
        self,
        events: Subscription,
        call_log: CallLog,
        live_channels: LiveChannels | None = None,
        reconcile_seconds: float | None = None,
        node: str | None = None,
        held: HeldWritesSettings | None = None,
        spool: HeldSpool | None = None,
    ) -> None:
        """``node``: the cluster node whose AMI ``events`` come from (issue 20): its calls'
        rows carry it, and reconciliation judges only that node's open rows (None: one
        Asterisk, every row)."""
        self._events = events
        self._node = node
        self._log = call_log
        self._live_channels = live_channels
        self._reconcile_seconds = reconcile_seconds
        # How long a stopping tracker tries its held rows once more (held_writes).
        self._stop_seconds = (held or HeldWritesSettings()).tracker_stop_seconds
        self._active: set[str] = set()
        # Calls whose row the database refused (it was away): written on reconciliation.
        self._unwritten: dict[str, Unwritten] = {}
        # Calls with a row whose end the database refused: uniqueid -> (end, hang-up cause),
        # written on reconciliation with the real end (not the moment it was found gone).
        self._unended: dict[str, tuple[datetime, str | None]] = {}
        # Ends a Hang-up is writing right now: reconciliation leaves them to it (else under a
        # burst it wrote each in-flight end a second time, and one of the two raised).
        self._ending: set[str] = set()
        # Outcomes (fallback, operator) the database refused: written before the call's end.
        self._outcomes: dict[str, CallOutcome] = {}
        # What is held is spooled to local disk too, read back on start (issue 21).
        self._spool = spool
        self._spooled: set[str] = set()  # its keys there, so a normal hang-up costs no I/O

    @classmethod
    def from_settings(
        cls,
        events: Subscription,
        call_log: CallLog,
        live_channels: LiveChannels,
        settings: Settings,
    ) -> CallTracker:
        """The engine's tracker of its own Asterisk: ``workers.node``'s calls (issue 20)."""
        return cls(
            events,
            call_log,
            live_channels,
            settings.resilience.call_log_reconcile_seconds,
            settings.workers.node or None,
            settings.held_writes,
            HeldSpool.from_settings(settings, CALL_TRACKER),
        )

    @property
    def active_calls(self) -> frozenset[str]:
        return frozenset(self._active)

    async def restore(self) -> None:
        """Take back what an earlier run spooled and did not write (killed during an
        outage): written, in order, at the next reconciliation (the AMI log-in's).  A row
        without an end is judged like a call seen begin: ended if Asterisk no longer has it."""
        if self._spool is None:
            return
        self._unwritten, self._unended, self._outcomes = await load_held(self._spool)
        self._active.update(u for u, row in self._unwritten.items() if row.ended_at is None)
        self._spooled = {ROW + u for u in self._unwritten} | {END + u for u in self._unended}
        self._spooled |= {OUTCOME + u for u in self._outcomes}
        if self._unwritten or self._unended or self._outcomes:
            log.warning(
                "call tracker: %d rows, %d ends, %d outcomes taken back from the spool",
                len(self._unwritten),
                len(self._unended),
                len(self._outcomes),
            )

    async def _hold_row(self, row: Unwritten) -> None:
        """Keep (or update) a call's row to write once the store is back, on disk first."""
        self._unwritten[row.uniqueid] = row
        what = f"call {row.uniqueid} from {mask_phone(row.caller)}"
        await self._to_spool(ROW + row.uniqueid, row.to_json(), what)

    async def _hold_end(self, uniqueid: str) -> None:
        at, cause = self._unended[uniqueid]
        payload = {"at": at.isoformat(), "cause": cause}
        await self._to_spool(END + uniqueid, payload, f"the end of call {uniqueid}")

    async def _hold_outcome(self, uniqueid: str) -> None:
        payload = {"outcome": self._outcomes[uniqueid].value}
        await self._to_spool(OUTCOME + uniqueid, payload, f"call {uniqueid}'s outcome")

    async def _to_spool(self, key: str, payload: dict[str, Any], what: str) -> None:
        if self._spool is not None and await self._spool.put([(key, payload)], what):
            self._spooled.add(key)

    async def _unspool(self, *keys: str) -> None:
        if self._spool is not None and (spooled := self._spooled.intersection(keys)):
            await self._spool.delete(spooled)
            self._spooled -= spooled

    async def run(self) -> None:
        await self.restore()
        try:
            if self._reconcile_seconds is None:
                await consume(self._events, self.handle, "call tracker")
                return
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(consume(self._events, self.handle, "call tracker"))
                tasks.create_task(self._reconcile_every(self._reconcile_seconds))
        except asyncio.CancelledError:  # the engine stops: the held rows get a last try
            await self.write_held()
            raise

    async def write_held(self, seconds: float | None = None) -> None:
        """Write the rows held for a database outage once more, for at most ``seconds``
        (default ``held_writes.tracker_stop_seconds``); the ones still refused are logged
        (masked): written at the next start from the spool, or lost if not spooled."""
        if not self._unwritten and not self._unended:
            return
        try:
            async with asyncio.timeout(self._stop_seconds if seconds is None else seconds):
                await self._write_unwritten()
        except (TimeoutError, *UNAVAILABLE) as exc:
            for uniqueid, row in self._unwritten.items():
                log.error(
                    "call %s from %s at %s not registered: the database was away at stop (%s); %s",
                    uniqueid,
                    mask_phone(row.caller),
                    row.started_at.isoformat(timespec="seconds"),
                    type(exc).__name__,
                    self._fate(ROW + uniqueid),
                )
            for uniqueid, (at, _cause) in self._unended.items():
                log.error(
                    "call %s: its end at %s not written: the database was away at stop (%s); %s",
                    uniqueid,
                    at.isoformat(timespec="seconds"),
                    type(exc).__name__,
                    self._fate(END + uniqueid),
                )

    def _fate(self, key: str) -> str:
        return "spooled for the next start" if key in self._spooled else "lost"

    async def _reconcile_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self._reconcile()
            except Exception:  # the database is down: the next round tries again
                log.exception("call log reconciliation failed")

    async def handle(self, event: AmiEvent) -> None:
        uniqueid = event.uniqueid
        name = event.name
        if name == "FullyBooted":
            await self._reconcile()
            return
        if name == "Newchannel":
            if is_inbound_leg(event):
                CALLS_STARTED.labels(CALLS_INBOUND).inc()
                self._active.add(uniqueid)
                simulated = event.get("context") == CONTEXT_SIMULATED_CALLER
                exten = event.get("exten") or None
                # The simulator dials the caller's number into its own context.
                caller = (
                    (exten if exten != "anonymous" else None)
                    if simulated
                    else (event.get("calleridnum") or None)
                )
                row = Unwritten(
                    uniqueid=uniqueid,
                    linkedid=event.linkedid or None,
                    channel=event.get("channel") or None,
                    caller=caller,
                    callee=None if simulated else exten,
                    simulated=simulated,
                    started_at=utc_now(),
                    node=self._node,
                )
                try:
                    await row.write(self._log)
                except UNAVAILABLE as exc:  # the database is away: written when it is back
                    await self._hold_row(row)
                    log.warning("call %s kept to register later: %s", uniqueid, type(exc).__name__)
            return
        if uniqueid not in self._active:
            return
        waiting = self._unwritten.get(uniqueid)
        if waiting is not None:  # its row is not written yet: remember what happened
            if name == "Newstate" and event.get("channelstate") == _STATE_UP:
                waiting.answered_at = waiting.answered_at or utc_now()
            elif name == "Hangup":
                self._active.discard(uniqueid)
                waiting.ended_at = utc_now()
                waiting.hangup_cause = hangup_cause_text(event.get("cause"))
            else:
                return
            await self._hold_row(waiting)
            return
        if name == "Newstate" and event.get("channelstate") == _STATE_UP:
            await self._log.answered(uniqueid)
        elif name == "Newexten":
            await self._on_dialplan_step(uniqueid, event)
        elif name == "Hangup":
            self._active.discard(uniqueid)
            self._unended[uniqueid] = (utc_now(), hangup_cause_text(event.get("cause")))
            self._ending.add(uniqueid)
            try:
                await self._write_end(uniqueid)
            except UNAVAILABLE as exc:  # kept: written with its own time once it is back
                await self._hold_end(uniqueid)
                log.warning(
                    "call %s: its end kept to write later: %s", uniqueid, type(exc).__name__
                )
            finally:
                self._ending.discard(uniqueid)

    async def _reconcile(self) -> None:
        """Close calls whose hang-up was never written: they ended while AMI was down
        (Asterisk restarted, the link dropped), while no engine ran (this one starts with no
        calls in memory, so the store's open rows count too), or while the database refused
        the write.  They must not stay "in progress" forever (R-033).  Open rows are read
        before the channels are listed: a row opened meanwhile is not judged."""
        away: Exception | None = None
        try:
            await self._write_unwritten()
        except UNAVAILABLE as exc:  # the rest still runs: calls are found while it is away
            away = exc
        if self._live_channels is None:
            if away is not None:
                raise away
            return
        candidates = set(self._active)
        if away is None:
            try:
                nodes = None if self._node is None else (self._node,)
                candidates |= await self._log.open_inbound(utc_now(), nodes)
            except Exception:
                log.exception("could not read the open calls to reconcile the call log")
        try:
            channels = await self._live_channels()
        except AmiError as exc:
            log.warning("could not list live channels to reconcile the call log: %s", exc)
            if away is not None:
                raise away from exc
            return
        live = {channel.uniqueid for channel in channels}
        # Calls in progress first: one that began before this AMI log-in and ends while the
        # database is away must be known by then (kept to register later), or it is lost.
        for channel in channels:
            if channel.uniqueid not in self._active and _inbound_now(channel):
                await self._adopt(channel)
        if away is None:
            await self._close_settled_outbound(live)
        for uniqueid in candidates - live - self._unended.keys():
            self._active.discard(uniqueid)
            waiting = self._unwritten.get(uniqueid)
            if waiting is not None:  # its row is still to be written: with its end
                waiting.ended_at = waiting.ended_at or utc_now()
                await self._hold_row(waiting)
                continue
            with contextlib.suppress(UnknownCall):
                await self._log.add_event(uniqueid, EventKind.STATUS, ENDED_UNSEEN)
                await self._log.ended(uniqueid, at=utc_now(), outcome=CallOutcome.ABANDONED)
            log.info("call %s ended unseen: closed in the call log", uniqueid)
        if away is not None:
            raise away

    async def _close_settled_outbound(self, live: set[str]) -> None:
        """Close campaign call rows left open after their attempt was closed (the dialer's
        closing writes ran out of tries during a long outage: issue 21), once Asterisk no
        longer has the channel; with the attempt's end and the dialer's outcome."""
        try:
            settled = await self._log.open_settled_outbound()
        except UNAVAILABLE:
            log.exception("could not read the open campaign calls to reconcile the call log")
            return
        for call in settled:
            if call.uniqueid in live:
                continue
            with contextlib.suppress(UnknownCall):
                await self._log.add_event(call.uniqueid, EventKind.STATUS, ENDED_AFTER_ATTEMPT)
                await self._log.ended(call.uniqueid, at=call.ended_at, outcome=call.outcome)
            log.info("campaign call %s closed in the call log after its attempt", call.uniqueid)

    async def _write_unwritten(self) -> None:
        for uniqueid, row in list(self._unwritten.items()):
            await row.write(self._log)  # raises while the database is still away
            del self._unwritten[uniqueid]
            await self._unspool(ROW + uniqueid)
            log.info("call %s registered once the database was back", uniqueid)
        for uniqueid in [u for u in self._outcomes if u not in self._unended]:
            await self._log.set_outcome(uniqueid, self._outcomes[uniqueid])
            del self._outcomes[uniqueid]
            await self._unspool(OUTCOME + uniqueid)
        for uniqueid in [u for u in self._unended if u not in self._ending]:
            await self._write_end(uniqueid)
            log.info("call %s: its end written once the database was back", uniqueid)

    async def _write_end(self, uniqueid: str) -> None:
        """Write a held end (raises while the database is away; then it stays held)."""
        at, cause = self._unended[uniqueid]
        with contextlib.suppress(UnknownCall):
            if uniqueid in self._outcomes:  # the first outcome wins: the one seen first
                await self._log.set_outcome(uniqueid, self._outcomes[uniqueid])
                del self._outcomes[uniqueid]
            # The outcome in the end's own transaction (issue 19: a hang-up was two).
            await self._log.ended(
                uniqueid, at=at, hangup_cause=cause, outcome=CallOutcome.ABANDONED
            )
        del self._unended[uniqueid]
        await self._unspool(END + uniqueid, OUTCOME + uniqueid)

    async def _adopt(self, channel: AmiEvent) -> None:
        """A live inbound call this engine never saw begin (it came while no engine ran, or
        while the database refused the row): its row is opened now, or found again, and its
        hang-up is tracked from here on (R-033: every call registered).  Whatever step the
        store refuses (the look-up, the row, its answer), the call is kept to register
        later, like a call whose Newchannel was refused (issue 21: a refused registration at
        log-in ended the round and the call was lost)."""
        uniqueid = channel.uniqueid
        row = Unwritten(
            uniqueid=uniqueid,
            linkedid=channel.linkedid or None,
            channel=channel.get("channel") or None,
            caller=channel.get("calleridnum") or None,
            callee=None,
            simulated="@" + CONTEXT_SIMULATED_CALLER + "-" in channel.get("channel"),
            started_at=utc_now() - _duration(channel.get("duration")),
            answered_at=utc_now() if channel.get("channelstate") == _STATE_UP else None,
            adopted=True,
            node=self._node,
        )
        try:
            found = await self._log.get(uniqueid=uniqueid)
            if found is not None:
                if found.direction is CallDirection.INBOUND and found.ended_at is None:
                    self._active.add(uniqueid)
                    if found.node is None and self._node is not None:
                        # The IVR opened the row before this tracker was listening (issue
                        # 20): the node it runs on, for reconciliation by node.
                        await self._log.open(
                            uniqueid=uniqueid, direction=CallDirection.INBOUND, node=self._node
                        )
                return  # a campaign call the dialer registered, or one already closed
            self._active.add(uniqueid)
            row.adopted = False  # just looked up: not there
            await row.write(self._log)
        except UNAVAILABLE as exc:
            row.adopted = True  # looked up again before it is written
            self._active.add(uniqueid)
            await self._hold_row(row)
            log.warning(
                "call %s found in progress, kept to register later: %s",
                uniqueid,
                type(exc).__name__,
            )
            return
        log.info("call %s found in progress: registered in the call log", uniqueid)

    async def _on_dialplan_step(self, uniqueid: str, event: AmiEvent) -> None:
        context = event.get("context")
        if context == CONTEXT_FALLBACK and event.get("priority") == "1":
            kind, value, detail = EventKind.STATUS, "fallback", {"context": context}
            outcome = CallOutcome.FALLBACK
        elif context == CONTEXT_NODE_LEGS and event.get("application") == "Dial":
            # Issue 20: dialled to the queue node; its queue events come under this call.
            trunk = event.get("appdata").split(",", 1)[0]
            kind, value, detail = EventKind.STATUS, NODE_LEG, {"trunk": trunk}
            outcome = CallOutcome.OPERATOR
        elif context == CONTEXT_OPERATOR and event.get("application") == "Queue":
            kind, value, detail = EventKind.QUEUE, event.get("appdata").split(",", 1)[0], None
            outcome = CallOutcome.OPERATOR
        else:
            return
        # While the store is away the event waits in the batched writer, the outcome here
        # (issue 21: both were lost, and the call's end then recorded it as abandoned).
        await self._log.record(uniqueid, kind, value, detail)
        try:
            await self._log.set_outcome(uniqueid, outcome)
        except UNAVAILABLE as exc:
            if uniqueid not in self._outcomes:
                self._outcomes[uniqueid] = outcome
                await self._hold_outcome(uniqueid)
            log.warning(
                "call %s: its outcome kept to write later: %s", uniqueid, type(exc).__name__
            )
