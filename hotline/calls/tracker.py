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

from hotline.core.clock import utc_now
from hotline.dialplan.names import (
    CONTEXT_FALLBACK,
    CONTEXT_INBOUND,
    CONTEXT_OPERATOR,
    CONTEXT_SIMULATED_CALLER,
)
from hotline.protocol.ami import AmiEvent, hangup_cause_text
from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.transport.ami import AmiError, Subscription, consume

# Returns the uniqueids of the channels Asterisk has now.
LiveChannels = Callable[[], Awaitable[set[str]]]

log = logging.getLogger(__name__)

# FullyBooted arrives on every (re)login: the moment to find calls whose hang-up we missed.
TRACKED_EVENTS = ("Newchannel", "Newstate", "Newexten", "Hangup", "FullyBooted")
_ENTRY_CONTEXTS = (CONTEXT_INBOUND, CONTEXT_SIMULATED_CALLER)
_STATE_UP = "6"
# The status event of a call closed by reconciliation (its hang-up was never seen).
ENDED_UNSEEN = "ended while AMI was disconnected"


def is_inbound_leg(event: AmiEvent) -> bool:
    """A channel entering the hotline from outside (not the simulator's own phone leg)."""
    return event.get("context") in _ENTRY_CONTEXTS and not event.get("channel").endswith(";1")


class CallTracker:
    def __init__(
        self,
        events: Subscription,
        call_log: CallLog,
        live_channels: LiveChannels | None = None,
        reconcile_seconds: float | None = None,
    ) -> None:
        self._events = events
        self._log = call_log
        self._live_channels = live_channels
        self._reconcile_seconds = reconcile_seconds
        self._active: set[str] = set()

    @property
    def active_calls(self) -> frozenset[str]:
        return frozenset(self._active)

    async def run(self) -> None:
        if self._reconcile_seconds is None:
            await consume(self._events, self.handle, "call tracker")
            return
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(consume(self._events, self.handle, "call tracker"))
            tasks.create_task(self._reconcile_every(self._reconcile_seconds))

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
                self._active.add(uniqueid)
                simulated = event.get("context") == CONTEXT_SIMULATED_CALLER
                exten = event.get("exten") or None
                # The simulator dials the caller's number into its own context.
                caller = (
                    (exten if exten != "anonymous" else None)
                    if simulated
                    else (event.get("calleridnum") or None)
                )
                await self._log.open(
                    uniqueid=uniqueid,
                    direction=CallDirection.INBOUND,
                    linkedid=event.linkedid or None,
                    channel=event.get("channel") or None,
                    caller=caller,
                    callee=None if simulated else exten,
                    simulated=simulated,
                )
            return
        if uniqueid not in self._active:
            return
        if name == "Newstate" and event.get("channelstate") == _STATE_UP:
            await self._log.answered(uniqueid)
        elif name == "Newexten":
            await self._on_dialplan_step(uniqueid, event)
        elif name == "Hangup":
            self._active.discard(uniqueid)
            with contextlib.suppress(UnknownCall):
                await self._log.ended(
                    uniqueid,
                    at=utc_now(),
                    hangup_cause=hangup_cause_text(event.get("cause")),
                    outcome=CallOutcome.ABANDONED,
                )
                await self._log.set_outcome(uniqueid, CallOutcome.ABANDONED)

    async def _reconcile(self) -> None:
        """Close calls whose hang-up was never written: they ended while AMI was down
        (Asterisk restarted, the link dropped), while no engine ran (this one starts with no
        calls in memory, so the store's open rows count too), or while the database refused
        the write.  They must not stay "in progress" forever (R-033).  Open rows are read
        before the channels are listed: a row opened meanwhile is not judged."""
        if self._live_channels is None:
            return
        candidates = set(self._active)
        try:
            candidates |= await self._log.open_inbound(started_before=utc_now())
        except Exception:
            log.exception("could not read the open calls to reconcile the call log")
        if not candidates:
            return
        try:
            live = await self._live_channels()
        except AmiError as exc:
            log.warning("could not list live channels to reconcile the call log: %s", exc)
            return
        for uniqueid in candidates - live:
            self._active.discard(uniqueid)
            with contextlib.suppress(UnknownCall):
                await self._log.add_event(uniqueid, EventKind.STATUS, ENDED_UNSEEN)
                await self._log.ended(uniqueid, at=utc_now(), outcome=CallOutcome.ABANDONED)
                await self._log.set_outcome(uniqueid, CallOutcome.ABANDONED)
            log.info("call %s ended unseen: closed in the call log", uniqueid)

    async def _on_dialplan_step(self, uniqueid: str, event: AmiEvent) -> None:
        context = event.get("context")
        if context == CONTEXT_FALLBACK and event.get("priority") == "1":
            await self._log.add_event(uniqueid, EventKind.STATUS, "fallback", {"context": context})
            await self._log.set_outcome(uniqueid, CallOutcome.FALLBACK)
        elif context == CONTEXT_OPERATOR and event.get("application") == "Queue":
            queue = event.get("appdata").split(",", 1)[0]
            await self._log.add_event(uniqueid, EventKind.QUEUE, queue)
            await self._log.set_outcome(uniqueid, CallOutcome.OPERATOR)
