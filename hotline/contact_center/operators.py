"""Operators in the queue (AMI QueueAdd/QueueRemove/QueuePause), the live queue state
(QueueStatus) and the screen pop: the IVR context of the call an operator has just answered."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from hotline.contact_center.departments import department
from hotline.core.clock import utc_now
from hotline.dialplan.contact_pop import parse_contact
from hotline.dialplan.names import CONTEXT_SIMULATED_OPERATOR, ChannelVar
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.desk import DeskStore
from hotline.store.enums import EventKind
from hotline.store.operators import OperatorRecord, Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.transport.ami import AmiActionFailed, AmiClient, AmiError

QUEUE_ACTIONS: Final = ("login", "logout", "pause", "unpause")
# The console hears an operator's AgentConnect when the engine does, and the engine's queue
# tracker stores it a moment later (longer on a loaded machine): the screen waits this long
# for it, looking this often, rather than showing no call until its next redraw.
CONNECT_STORED_WITHIN: Final = 5.0
CONNECT_LOOK_SECONDS: Final = 0.2
NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9_.]{0,31}$")
NEVER: Final = "never"
# Asterisk's device states (QueueMember Status).
DEVICE_STATES: Final = {
    "0": "unknown",
    "1": "idle",
    "2": "in call",
    "3": "busy",
    "4": "invalid",
    "5": "unavailable",
    "6": "ringing",
    "7": "ringing, in call",
    "8": "on hold",
}
SCREEN_VARS: Final = (
    ChannelVar.CALL_ID,
    ChannelVar.PATH,
    ChannelVar.OPERATOR_REASON,
    ChannelVar.ACCOUNT,
    ChannelVar.READING,
    ChannelVar.ANSWER_TARGET,
    ChannelVar.RECORDING,
    ChannelVar.CONTACT,
)


class OperatorError(ValueError):
    pass


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise OperatorError(
            f"invalid operator name {name!r}: lower-case letters, digits, '_' and '.', "
            "up to 32 characters"
        )
    return name


def simulated_interface(name: str, answer_after: int | None, handling: int) -> str:
    """The Local channel of a sandbox operator (asterisk_conf/extensions.conf.j2)."""
    answer = NEVER if answer_after is None or answer_after < 0 else str(answer_after)
    return f"Local/{answer}-{handling}-{check_name(name)}@{CONTEXT_SIMULATED_OPERATOR}/n"


def queue_of_department(settings: Settings, key: str | None) -> str:
    """The Asterisk queue of a department (None: the operators'); R-097."""
    return department(settings.queue, key).queue


def queue_of(settings: Settings, op: OperatorRecord) -> str:
    """The Asterisk queue of the operator's department."""
    return queue_of_department(settings, op.department)


async def login(ami: AmiClient, operators: Operators, settings: Settings, name: str) -> None:
    op = await operators.get(name)
    try:
        await ami.queue_add(queue_of(settings, op), op.interface, member_name=op.name)
    except AmiActionFailed as exc:
        if "already" not in str(exc).lower():
            raise
    await operators.set_state(name, logged_in=True, paused=False)


async def logout(ami: AmiClient, operators: Operators, settings: Settings, name: str) -> None:
    op = await operators.get(name)
    try:
        await ami.queue_remove(queue_of(settings, op), op.interface)
    except AmiActionFailed as exc:
        if "not there" not in str(exc).lower():
            raise
    await operators.set_state(name, logged_in=False, paused=False)


async def pause(
    ami: AmiClient,
    operators: Operators,
    settings: Settings,
    name: str,
    paused: bool,
    reason: str | None = None,
) -> None:
    op = await operators.get(name)
    if not op.logged_in:
        raise OperatorError(f"operator {name} is not logged in")
    await ami.queue_pause(queue_of(settings, op), op.interface, paused, reason)
    await operators.set_state(name, paused=paused)


async def queue_action(
    ami: AmiClient,
    db: Database,
    settings: Settings,
    name: str,
    action: str,
    by: Actor,
    reason: str | None = None,
) -> None:
    """One of QUEUE_ACTIONS for an operator, as a person does it from the CLI or the console,
    audited as ``operator.<action>`` with the pause reason."""
    operators = Operators(db)
    if action == "login":
        await login(ami, operators, settings, name)
    elif action == "logout":
        await logout(ami, operators, settings, name)
    elif action in ("pause", "unpause"):
        await pause(ami, operators, settings, name, action == "pause", reason)
    else:
        raise OperatorError(f"unknown action {action!r}: one of {', '.join(QUEUE_ACTIONS)}")
    # Every pause with its reason, for the time in each (R-037; after-call work is one).
    if action == "pause":
        await DeskStore(db).pause_started(name, reason or "", utc_now())
    elif action in ("unpause", "logout"):
        await DeskStore(db).pause_ended(name, utc_now())
    await AuditLog(db).write(by, f"operator.{action}", name, {"reason": reason})


async def restore(ami: AmiClient, operators: Operators, settings: Settings) -> int:
    """Put logged-in operators back into the queue (Asterisk keeps no members over a
    restart: persistentmembers = no); returns how many."""
    count = 0
    for op in await operators.all():
        if op.logged_in:
            try:
                await ami.queue_add(
                    queue_of(settings, op), op.interface, member_name=op.name, paused=op.paused
                )
            except AmiActionFailed as exc:
                if "already" not in str(exc).lower():
                    raise
            count += 1
    return count


# --- live state --------------------------------------------------------------------------------
@dataclass
class LiveQueue:
    queue: str
    callers: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)

    @property
    def longest_wait(self) -> int:
        return max((int(c["wait"]) for c in self.callers), default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "callers_waiting": len(self.callers),
            "longest_wait": self.longest_wait,
            "callers": self.callers,
            "operators": self.members,
            "completed": int(self.params.get("completed") or 0),
            "abandoned": int(self.params.get("abandoned") or 0),
            "service_level_target": int(self.params.get("servicelevel") or 0),
            "service_level_perf": float(self.params.get("servicelevelperf") or 0.0),
        }


def live_queue(
    events: list[AmiEvent], queue: str, known: list[OperatorRecord] | None = None
) -> LiveQueue:
    """QueueStatus events -> callers waiting and operators with their states (pure)."""
    by_interface = {op.interface: op.name for op in known or []}
    live = LiveQueue(queue)
    for event in events:
        if event.get("queue") != queue:
            continue
        if event.name == "QueueParams":
            live.params = {
                k: event.get(k)
                for k in (
                    "completed",
                    "abandoned",
                    "servicelevel",
                    "servicelevelperf",
                    "calls",
                    "holdtime",
                )
            }
        elif event.name == "QueueEntry":
            live.callers.append(
                {
                    "position": int(event.get("position") or 0),
                    "caller": event.get("calleridnum") or None,
                    "wait": int(event.get("wait") or 0),
                    "uniqueid": event.get("uniqueid"),
                }
            )
        elif event.name == "QueueMember":
            interface = event.get("stateinterface") or event.get("location")
            paused = event.get("paused") == "1"
            state = DEVICE_STATES.get(event.get("status"), event.get("status"))
            live.members.append(
                {
                    "name": by_interface.get(event.get("location"), event.get("name")),
                    "interface": interface,
                    "state": "paused" if paused else state,
                    "in_call": event.get("incall") == "1",
                    "calls_taken": int(event.get("callstaken") or 0),
                    "pause_reason": event.get("pausedreason") or None,
                }
            )
    live.callers.sort(key=lambda c: c["position"])
    return live


# --- screen pop ------------------------------------------------------------------------------
async def screen(
    name: str,
    call_log: CallLog,
    queue_events: QueueEvents,
    channel_vars: dict[str, str | None] | None = None,
) -> dict[str, Any] | None:
    """What the operator needs the moment the call is put through: who calls, which account,
    what they did in the IVR and why they want a person.  None when no call is connected."""
    connect = await queue_events.latest_connect(name)
    if connect is None:
        return None
    call = await call_log.get(uniqueid=connect.uniqueid)
    events = call.events if call is not None else ()
    accounts = [e.value for e in events if e.kind == EventKind.ACCOUNT]
    readings = [e.value for e in events if e.kind == EventKind.READING]
    callbacks = [e.value for e in events if e.kind == EventKind.CALLBACK]
    variables = {k: v for k, v in (channel_vars or {}).items() if v}
    path = list(call.path) if call is not None else []
    if not path and variables.get(ChannelVar.PATH):
        path = str(variables[ChannelVar.PATH]).split(">")
    return {
        "operator": name,
        "connected_at": connect.at.isoformat(),
        "waited": connect.wait,
        "call_id": call.id if call is not None else variables.get(ChannelVar.CALL_ID),
        "uniqueid": connect.uniqueid,
        # An outbound campaign call has the customer as the callee.
        "caller": (call.caller or call.callee) if call is not None else None,
        "account": accounts[-1] if accounts else variables.get(ChannelVar.ACCOUNT),
        "reading": readings[-1] if readings else variables.get(ChannelVar.READING),
        "readings": readings,
        "path": path,
        "operator_reason": (call.operator_reason if call is not None else None)
        or variables.get(ChannelVar.OPERATOR_REASON),
        "callbacks_requested": callbacks,
        # A progressive campaign's contact values (issue 22 item 2).
        "contact": parse_contact(variables.get(ChannelVar.CONTACT)),
        "channel_variables": variables,
        "generated_at": utc_now().isoformat(),
    }


async def current_screen(db: Database, name: str, ami: AmiClient | None) -> dict[str, Any] | None:
    """The screen pop for ``name``'s latest connected call: the stored IVR context plus, while
    the call is up, its channel variables (the CLI's ``operators screen`` and the console's
    operator panel both call this)."""
    call_log = CallLog(db)
    events = QueueEvents(db)
    variables: dict[str, str | None] = {}
    if ami is not None and ami.connected:
        connect = await events.latest_connect(name)
        call = await call_log.get(uniqueid=connect.uniqueid) if connect else None
        if call is not None and call.channel and call.ended_at is None:
            for var in SCREEN_VARS:
                try:
                    variables[var.value] = await ami.getvar(call.channel, var.value)
                except AmiError:
                    break  # the call just ended: the store has the rest
    return await screen(name, call_log, events, variables)


async def screen_pop(
    db: Database, operator: str, ami: AmiClient | None, by: Actor, *, shown: str | None = None
) -> dict[str, Any] | None:
    """:func:`current_screen`, for a person to read: the caller's data is personal, so each
    call that reaches the screen is audited (``shown``: the call already on it, which a live
    redraw does not audit again)."""
    pop = await current_screen(db, operator, ami)
    call_id = pop.get("call_id") if pop is not None else None
    if call_id is not None and call_id != shown:
        await AuditLog(db).write(by, "screen_pop.view", call_id)
    return pop


def own_connect(events: Iterable[AmiEvent], name: str) -> str | None:
    """The caller's uniqueid of the last AgentConnect to operator ``name`` in ``events``
    (pure; None when none of them put a call through to ``name``)."""
    found = None
    for event in events:
        if event.name == "AgentConnect" and event.get("membername") == name:
            found = event.uniqueid
    return found


def own_end(events: Iterable[AmiEvent], name: str, on_screen: str | None) -> bool:
    """Whether ``events`` end the call on operator ``name``'s screen (its caller's uniqueid
    ``on_screen``; pure): the operator's AgentComplete, or that caller's hang-up."""
    if on_screen is None:
        return False
    return any(
        (event.name == "AgentComplete" and event.get("membername") == name)
        or (event.name == "Hangup" and event.uniqueid == on_screen)
        for event in events
    )


async def end_stored(
    db: Database,
    name: str,
    on_screen: str,
    within: float = CONNECT_STORED_WITHIN,
    look: float = CONNECT_LOOK_SECONDS,
) -> bool:
    """Wait until the store no longer has ``name`` on the call ``on_screen`` (its end written,
    or a later call put through), as :func:`connect_stored` waits for a connect: an ended call
    drawn as live stayed so until the next redraw; False after ``within`` seconds."""
    return await _latest_connect_until(
        db, name, lambda latest: latest is None or latest.uniqueid != on_screen, within, look
    )


async def connect_stored(
    db: Database,
    name: str,
    uniqueid: str,
    shown: str | None,
    within: float = CONNECT_STORED_WITHIN,
    look: float = CONNECT_LOOK_SECONDS,
) -> bool:
    """Wait until the store has ``name``'s connect to ``uniqueid``, or any connect but the call
    ``shown`` (a transfer's leg is stored under its caller's uniqueid); False after ``within``
    seconds."""
    return await _latest_connect_until(
        db,
        name,
        lambda latest: (
            latest is not None and (latest.uniqueid == uniqueid or latest.uniqueid != shown)
        ),
        within,
        look,
    )


async def _latest_connect_until(
    db: Database,
    name: str,
    done: Callable[[QueueEventRecord | None], bool],
    within: float,
    look: float,
) -> bool:
    """Poll ``name``'s latest stored connect (None: none, or that call ended) until ``done``
    says so; False after ``within`` seconds (the engine stores what the console heard)."""
    events = QueueEvents(db)
    deadline = time.monotonic() + within
    while True:
        if done(await events.latest_connect(name)):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(look)
