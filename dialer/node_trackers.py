"""The inbound call tracking of a node this worker took over (issue 20): a call tracker on
the taken node's own AMI, for that node's calls only (its rows carry the node, and its
reconciliation judges only them), from the takeover until the node is handed back or its
lease lost.  The home node's tracker is the engine's own (hotline/app.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hotline.calls.tracker import TRACKED_EVENTS, CallTracker
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.transport.ami import AmiClient

# What a taken node runs beside its dialler: given its AMI and its name, a coroutine to run
# until the node is let go.
NodeTracking = Callable[[AmiClient, str], Awaitable[None]]
# How long a listing waits for a taken node's AMI still logging in (as the engine's own).
LIVE_CHANNELS_WAIT = 10.0


def node_tracking(call_log: CallLog, reconcile_seconds: float) -> NodeTracking:
    def track(ami: AmiClient, node: str) -> Awaitable[None]:
        async def live() -> list[AmiEvent]:
            await ami.wait_connected(LIVE_CHANNELS_WAIT)
            return await ami.core_show_channels()

        events = ami.subscribe(TRACKED_EVENTS)
        return CallTracker(events, call_log, live, reconcile_seconds, node).run()

    return track
