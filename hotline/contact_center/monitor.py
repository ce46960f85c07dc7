"""The supervisor's eyes (issue 17 item 7): listen, whisper or barge into an operator's call
(ChanSpy with q, w, B, originated to the supervisor's own phone), every use audited; the
operators in a call with the length of their conversation against the long-call limits
(R-039: 6 and 20 minutes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from hotline.contact_center.departments import by_queue
from hotline.contact_center.transfer import TransferError, current_call
from hotline.core.errors import NotFound
from hotline.dialplan.names import CONTEXT_SPY, ChannelVar, SpyMode
from hotline.settings import Settings
from hotline.settings.desk import MonitorSettings
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEvents
from hotline.transport.ami import AmiClient

# The caller's channel's peer in the bridge: the operator's channel.
BRIDGE_PEER: Final = "BRIDGEPEER"
# Seconds the supervisor's phone rings before the originate gives up.
RING_MS: Final = 30_000


class MonitorError(Exception):
    """The call cannot be joined (no call, no phone of the supervisor's, Asterisk away)."""


class LongCall(StrEnum):
    """A conversation's length against R-039's limits."""

    WARNING = "warning"  # past the recommended length (6 min)
    LIMIT = "limit"  # past the maximum (20 min)


@dataclass(frozen=True)
class ActiveCall:
    operator: str
    department: str | None
    connected_at: datetime
    seconds: float
    level: LongCall | None


def long_call(
    seconds: float, department: str | None, settings: MonitorSettings
) -> LongCall | None:
    """R-039: past the maximum, past the recommended length, or neither; pure."""
    applies = not settings.long_call_departments or department in settings.long_call_departments
    if not applies:
        return None
    if seconds > settings.long_call_limit:
        return LongCall.LIMIT
    if seconds > settings.long_call_warning:
        return LongCall.WARNING
    return None


async def active_calls(db: Database, settings: Settings, now: datetime) -> list[ActiveCall]:
    """Operators in a conversation now (their latest connect has no complete yet), longest
    first."""
    events = QueueEvents(db)
    departments = by_queue(settings.queue)
    found = []
    for op in await Operators(db).all():
        connect = await events.latest_connect(op.name)
        if connect is None:
            continue
        known = departments.get(connect.queue)
        department = known.id if known is not None else op.department
        seconds = max(0.0, (now - connect.at).total_seconds())
        level = long_call(seconds, department, settings.monitor)
        found.append(ActiveCall(op.name, department, connect.at, seconds, level))
    return sorted(found, key=lambda c: -c.seconds)


async def spy(
    ami: AmiClient | None,
    db: Database,
    operator: str,
    mode: SpyMode,
    supervisor: str,
    by: Actor,
) -> str:
    """Ring ``supervisor``'s own phone (their operator record's device) into ChanSpy on
    ``operator``'s channel; audited as ``monitor.<mode>``.  Returns the call id."""
    if ami is None or not ami.connected:
        raise MonitorError("Asterisk is unreachable")
    try:
        phone = (await Operators(db).get(supervisor)).interface
    except NotFound as exc:
        raise MonitorError(f"{supervisor} has no phone: add them as an operator") from exc
    try:
        call = await current_call(db, operator)
    except TransferError as exc:
        raise MonitorError(f"{operator}: {exc}") from exc
    peer = await ami.getvar(call.channel, BRIDGE_PEER)
    if peer is None:
        raise MonitorError(f"{operator} is not in the call")
    await ami.originate(
        phone,
        context=CONTEXT_SPY,
        exten=mode.value,
        variables={ChannelVar.SPY_CHANNEL.value: peer},
        timeout_ms=RING_MS,
    )
    await AuditLog(db).write(
        by, f"monitor.{mode.value}", operator, {"call_id": call.call_id, "phone": phone}
    )
    return call.call_id
