"""AMI queue events -> the store (queue_events), and recordings completed at hang-up.

A sibling of hotline/calls/tracker.py: that one keeps the call log, this one keeps what the
contact-center KPIs and the recordings index need.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from hotline.contact_center.recording_completion import (
    FILE_CLOSE_SECONDS,
    FILE_SETTLE_SECONDS,
    RecordingCompletion,
)
from hotline.contact_center.transfers import LEGS_KEPT, USER_EVENT, consultation_leg
from hotline.core.clock import utc_now
from hotline.dialplan.names import CONTEXT_OPERATOR, ChannelVar, NoticeBy
from hotline.dialplan.node_legs import NODE_LEG_EVENT, ORIGIN_HEADER, origin_uniqueid
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.enums import EventKind, QueueEventKind
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.store.recordings import Recordings
from hotline.transport.ami import Subscription, consume, user_event

log = logging.getLogger(__name__)

QUEUE_EVENTS = {
    "QueueCallerJoin": QueueEventKind.JOIN,
    "QueueCallerLeave": QueueEventKind.LEAVE,
    "QueueCallerAbandon": QueueEventKind.ABANDON,
    "AgentConnect": QueueEventKind.CONNECT,
    "AgentComplete": QueueEventKind.COMPLETE,
    "AgentRingNoAnswer": QueueEventKind.RING_NO_ANSWER,
}
# UserEvent: an attended transfer's consultation leg names the caller's call.
TRACKED_QUEUE_EVENTS = (*QUEUE_EVENTS, "Hangup", "Newexten", user_event(NODE_LEG_EVENT))
# The operator context marks the channel once it has played the recording notice itself.
NOTICE_MARK = f"__{ChannelVar.RECORDING_NOTICE}="
# How long a stopping tracker waits for recordings still being completed (the settle time,
# the wait for the files and a few writes).
FINISH_ON_STOP_SECONDS = FILE_SETTLE_SECONDS + FILE_CLOSE_SECONDS + 4.0


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def queue_event(event: AmiEvent, at: datetime) -> QueueEventRecord | None:
    """The store row for an AMI queue event (pure; None for other events)."""
    kind = QUEUE_EVENTS.get(event.name)
    if kind is None:
        return None
    return QueueEventRecord(
        at=at,
        kind=kind,
        uniqueid=event.uniqueid,
        queue=event.get("queue"),
        member=event.get("membername") or event.get("interface") or None,
        position=_int(event.get("position")),
        wait=_int(event.get("holdtime")),
        talk=_int(event.get("talktime")),
        detail={"reason": event.get("reason")} if event.get("reason") else None,
    )


def node_leg(event: AmiEvent) -> tuple[str, str] | None:
    """(the leg's uniqueid, the caller's uniqueid on its node) when ``event`` is a queue
    node's note of an operator leg from another node (issue 20, [hotline-node-leg-in]); pure.
    The caller's uniqueid came in a SIP header: anything but a plain Asterisk uniqueid is
    ignored (the leg's events then stay its own)."""
    if event.name != USER_EVENT or event.get("userevent") != NODE_LEG_EVENT:
        return None
    origin = origin_uniqueid(event.get(ORIGIN_HEADER))
    if not event.uniqueid or origin is None or origin == event.uniqueid:
        return None
    return event.uniqueid, origin


class QueueTracker:
    def __init__(
        self,
        events: Subscription,
        queue_events: QueueEvents,
        recordings: Recordings,
        call_log: CallLog,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._events = events
        self._queue = queue_events
        self._recordings = recordings
        self._log = call_log
        self._clock = clock
        # Recorded calls' hang-ups, completed together once their files are closed.
        self._completion = RecordingCompletion(recordings)
        # An attended transfer's consultation leg -> the caller's uniqueid: the leg's queue
        # events are the caller's call in the receiving queue, as a blind transfer's are.
        self._legs: dict[str, str] = {}

    @property
    def pending(self) -> int:
        """Recordings completions waiting for their files to settle."""
        return self._completion.pending

    async def run(self) -> None:
        # Events the store refused (an outage), and those spooled by a run killed in one.
        held = asyncio.create_task(self._queue.write_held_rows(), name="queue-events-held")
        try:
            await consume(self._events, self.handle, "queue tracker")
        finally:
            held.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await held
            # A stop must not lose what a hang-up has asked for: the recordings of calls that
            # already ended get their duration, operator and account first (an engine stopped
            # right after a call left its recording without a duration: issue 18).
            await self._completion.stop(FINISH_ON_STOP_SECONDS)

    async def handle(self, event: AmiEvent) -> None:
        # An attended transfer's consultation leg, or an operator leg from another node
        # (issue 20): its queue events are the caller's call (counted once, one card).
        leg = consultation_leg(event) or node_leg(event)
        if leg is not None:
            self._legs[leg[0]] = leg[1]
            while len(self._legs) > LEGS_KEPT:
                del self._legs[next(iter(self._legs))]
            return
        record = queue_event(event, self._clock())
        if record is not None:
            caller = self._legs.get(record.uniqueid)
            await self._queue.add(record if caller is None else replace(record, uniqueid=caller))
            return
        if event.name == "Newexten":
            if event.get("context") != CONTEXT_OPERATOR:
                return
            if event.get("application") == "Set" and event.get("appdata").startswith(NOTICE_MARK):
                # The operator context played the recording notice itself.
                with contextlib.suppress(UnknownCall):
                    await self._log.add_event(
                        event.uniqueid, EventKind.RECORDING_NOTICE, NoticeBy.DIALPLAN
                    )
            # The dialplan starts MixMonitor itself when the IVR did not (engine absent, or a
            # campaign transfer), after that notice.
            elif event.get("application") == "MixMonitor":
                path = event.get("appdata").split(",", 1)[0]
                if path:
                    await self._recordings.started(
                        event.uniqueid, path, caller=event.get("calleridnum") or None
                    )
            return
        if event.name == "Hangup":
            self._legs.pop(event.uniqueid, None)
        if event.name == "Hangup" and await self._recordings.any_for(event.uniqueid):
            self._completion.hung_up(event.uniqueid)
