"""The operator hands the caller on to an engine route (R-123: to hear the number of the appeal
just registered): the caller's channel leaves the conversation for a dialplan context, with
channel variables set first.  Checked and audited here; the console only calls it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from hotline.core.clock import utc_now
from hotline.store.audit import Actor
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.held_audit import AuditNote, write_note
from hotline.store.held_rows import HeldRows
from hotline.store.queue_events import QueueEvents
from hotline.transport.ami import AmiClient

# The audit log's name for a caller handed on or transferred by an operator.
TRANSFER_ACTION: Final = "call.transfer"


class TransferError(Exception):
    """The caller cannot be handed on (no call in progress, Asterisk unreachable)."""


@dataclass(frozen=True)
class CurrentCall:
    """``operator``'s conversation in progress: the call id, the caller's channel and its
    uniqueid (both kept when the caller is handed on)."""

    call_id: str
    channel: str
    uniqueid: str


async def current_call(db: Database, operator: str) -> CurrentCall:
    connect = await QueueEvents(db).latest_connect(operator)
    call = await CallLog(db).get(uniqueid=connect.uniqueid) if connect is not None else None
    if call is None or call.channel is None or call.ended_at is not None:
        raise TransferError("no call in progress")
    return CurrentCall(call.id, call.channel, call.uniqueid)


async def current_caller_channel(db: Database, operator: str) -> tuple[str, str]:
    """The call id and the caller's channel of ``operator``'s conversation in progress."""
    call = await current_call(db, operator)
    return call.call_id, call.channel


async def hand_caller_to(
    ami: AmiClient | None,
    db: Database,
    operator: str,
    context: str,
    variables: Mapping[str, str],
    by: Actor,
    audit: HeldRows[AuditNote] | None = None,
) -> str:
    """Send ``operator``'s caller to ``context`` (exten ``s``) with ``variables`` set on the
    channel; returns the call id.  Every value goes through the AMI adapter's line checks.
    With ``audit`` (the console's), an audit entry the store refuses once the caller is
    redirected is held, not lost with the request answered as failed (issue 21)."""
    if ami is None or not ami.connected:
        raise TransferError("Asterisk is unreachable")
    call_id, channel = await current_caller_channel(db, operator)
    for name, value in variables.items():
        await ami.action(
            {"Action": "Setvar", "Channel": channel, "Variable": name, "Value": value}
        )
    await ami.action(
        {"Action": "Redirect", "Channel": channel, "Context": context, "Exten": "s", "Priority": 1}
    )
    note = AuditNote(by, TRANSFER_ACTION, call_id, {"context": context, **variables}, utc_now())
    if audit is None:
        await write_note(db, note)
    else:
        await audit.add(note)
    return call_id
