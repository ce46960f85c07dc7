"""Asterisk's AMI event classes, and the event mask a session asks for (no I/O here).

Asterisk writes a session every event of every class its user may read (manager.conf's
``read=``) unless the session narrows them by class: ``Events: <classes>`` on Login or in an
``Events`` action.  An IVR call makes dozens of events the engine never reads (AGIExecStart
and AGIExecEnd around every AGI command, DTMFBegin/DTMFEnd per key, RTCP reports); asking
only for the classes of the events its subscriptions take spares Asterisk writing them and
the engine reading them (issue 19 item 1).  The mask is derived from the subscriptions'
names: a name missing from ``EVENT_CLASSES`` asks for every class, so no event a consumer
takes is ever filtered out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

# "Events: on": every class the user may read.
ALL_CLASSES: Final = "on"
SYSTEM: Final = "system"

# The class Asterisk 22 files each event under (manager_channels.c, manager_bridges.c,
# app_queue.c, manager.c ...): the events hotline's consumers subscribe to, and the busy
# ones they do not.
EVENT_CLASSES: Final[Mapping[str, str]] = {
    name.lower(): cls
    for cls, names in {
        SYSTEM: ("FullyBooted", "Reload", "Shutdown"),
        "call": (
            "Newchannel",
            "Newstate",
            "Hangup",
            "HangupRequest",
            "SoftHangupRequest",
            "OriginateResponse",
            "DialBegin",
            "DialState",
            "DialEnd",
            "BridgeCreate",
            "BridgeDestroy",
            "BridgeEnter",
            "BridgeLeave",
            "NewCallerid",
            "NewConnectedLine",
            "Hold",
            "Unhold",
            "MusicOnHoldStart",
            "MusicOnHoldStop",
            "BlindTransfer",
            "AttendedTransfer",
            "MixMonitorStart",
            "MixMonitorStop",
        ),
        "dialplan": ("Newexten", "VarSet"),
        "agent": (
            "QueueCallerJoin",
            "QueueCallerLeave",
            "QueueCallerAbandon",
            "QueueMemberAdded",
            "QueueMemberRemoved",
            "QueueMemberPause",
            "QueueMemberStatus",
            "QueueMemberPenalty",
            "QueueMemberRinginuse",
            "AgentCalled",
            "AgentConnect",
            "AgentComplete",
            "AgentRingNoAnswer",
            "AgentDump",
        ),
        "user": ("UserEvent",),
        "agi": ("AGIExecStart", "AGIExecEnd", "AsyncAGIStart", "AsyncAGIExec", "AsyncAGIEnd"),
        "dtmf": ("DTMFBegin", "DTMFEnd"),
        "reporting": ("RTCPSent", "RTCPReceived"),
    }.items()
    for name in names
}


def event_mask(names: Iterable[str] | None) -> str:
    """The ``Events`` value asking for the classes of ``names`` (any case; None: every event):
    comma-separated class names, always with ``system`` (FullyBooted, and the Shutdown the
    AMI reader acts on itself), or ``ALL_CLASSES`` if a name's class is not known here."""
    if names is None:
        return ALL_CLASSES
    classes = {SYSTEM}
    for name in names:
        # "UserEvent:<kind>" (a subscription to one kind of UserEvent) is a UserEvent's.
        cls = EVENT_CLASSES.get(name.lower().split(":", 1)[0])
        if cls is None:
            return ALL_CLASSES
        classes.add(cls)
    return ",".join(sorted(classes))


def mask_covers(mask: str, wanted: str) -> bool:
    """Whether a session asking for ``mask`` already gets every class ``wanted`` asks for."""
    if mask == ALL_CLASSES:
        return True
    return wanted != ALL_CLASSES and set(wanted.split(",")) <= set(mask.split(","))


def widened(mask: str, wanted: str) -> str | None:
    """The mask a session asking for ``mask`` must ask for to also get ``wanted`` (None: it
    already does)."""
    if mask_covers(mask, wanted):
        return None
    if wanted == ALL_CLASSES:
        return ALL_CLASSES
    return ",".join(sorted(set(mask.split(",")) | set(wanted.split(","))))
