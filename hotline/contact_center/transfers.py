"""An operator transfers the caller (issue 17 item 4; R-030, R-041): to another department's
queue, a named specialist or an outside number, blind (AMI Redirect of the caller's channel)
or attended (AMI Atxfer on the operator's channel: the operator talks to the specialist first
and hangs up to complete it).  The caller's channel keeps its uniqueid and its IVR context
(call id, path, account, reading: channel variables), so the receiving operator's screen pop
shows the same call.  Each transfer is stored with its reason and audited; the receiving
side's answer is filled in by :class:`TransferTracker` and timed against
``transfer.answer_target`` (40 s, R-030) in the queue report."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from hotline.contact_center.departments import departments
from hotline.contact_center.transfer import TRANSFER_ACTION, TransferError, current_call
from hotline.core.clock import utc_now
from hotline.core.errors import NotFound
from hotline.core.phones import mask_phone, normalise_phone
from hotline.dialplan.names import (
    CONTEXT_TRANSFER,
    TRANSFER_LEG_EVENT,
    TRANSFER_OF_HEADER,
    TRANSFER_TO_PHONE,
    TRANSFER_TO_QUEUE,
    ChannelVar,
    QualityLeg,
)
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import QueueEventKind
from hotline.store.held_audit import AuditNote, write_note
from hotline.store.held_rows import HeldRows
from hotline.store.held_spool import HeldSpool
from hotline.store.models.transfers import TransferKind, TransferTarget
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.store.transfers import TransferRecord, Transfers
from hotline.transport.ami import AmiClient, Subscription, consume, user_event

REASON_MAX: Final = 200
# The caller's channel's peer in the bridge: the operator's channel (attended transfers).
BRIDGE_PEER: Final = "BRIDGEPEER"
# AMI events that mean the receiving side answered the caller's channel.
ANSWER_EVENTS: Final = ("AgentConnect", "DialEnd")
DIAL_ANSWERED: Final = "ANSWER"
USER_EVENT: Final = "UserEvent"
# What the tracker listens to: the answers and the consultation legs' UserEvent.
TRANSFER_EVENTS: Final = (*ANSWER_EVENTS, user_event(TRANSFER_LEG_EVENT))
# Consultation legs waiting for their answer; the oldest are forgotten past this many.
LEGS_KEPT: Final = 1000
# The tracker's spool of answers the store refused (issue 21).
SPOOL: Final = "transfer-answers"


@dataclass(frozen=True)
class Destination:
    """Where [hotline-transfer] sends the call: its exten and the variables it reads."""

    exten: str
    variables: dict[str, str]


def check_reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise TransferError("a transfer needs its reason (R-041)")
    if len(text) > REASON_MAX:
        raise TransferError(f"the reason is longer than {REASON_MAX} characters")
    return text


async def destination(
    db: Database, settings: Settings, operator: str, target_kind: TransferTarget, target: str
) -> tuple[str, Destination]:
    """The checked target (a department id, an operator's name, an E.164 number) and where
    the dialplan takes the call; TransferError when the target is not one we know."""
    if target_kind is TransferTarget.QUEUE:
        if target not in departments(settings.queue):
            raise TransferError(f"no department {target!r}")
        return target, Destination(TRANSFER_TO_QUEUE, {ChannelVar.DEPARTMENT.value: target})
    if target_kind is TransferTarget.OPERATOR:
        if target == operator:
            raise TransferError("an operator cannot transfer a call to themselves")
        try:
            specialist = await Operators(db).get(target)
        except NotFound as exc:
            raise TransferError(f"no operator {target!r}") from exc
        return target, Destination(
            TRANSFER_TO_PHONE,
            {
                ChannelVar.TRANSFER_DIAL.value: specialist.interface,
                ChannelVar.TRANSFER_LEG.value: QualityLeg.OPERATOR.value,
            },
        )
    try:
        number = normalise_phone(target, settings.dialer.default_region)
    except ValueError as exc:
        raise TransferError(f"not a phone number: {exc}") from exc
    dial = settings.dialer.trunk.format(number=number.lstrip("+"))
    return number, Destination(
        TRANSFER_TO_PHONE,
        {
            ChannelVar.TRANSFER_DIAL.value: dial,
            ChannelVar.TRANSFER_LEG.value: QualityLeg.TRUNK.value,
        },
    )


async def transfer_call(
    ami: AmiClient | None,
    db: Database,
    settings: Settings,
    operator: str,
    kind: TransferKind,
    target_kind: TransferTarget,
    target: str,
    reason: str,
    by: Actor,
    audit: HeldRows[AuditNote] | None = None,
) -> TransferRecord:
    """Transfer ``operator``'s caller; returns the stored transfer.  Every value reaches
    Asterisk through the AMI adapter's line checks.  With ``audit`` (the console's), the
    audit entry, written once Asterisk has done it, is held if the store refuses it then:
    the transfer happened, and is not answered with an error (issue 21)."""
    why = check_reason(reason)
    if ami is None or not ami.connected:
        raise TransferError("Asterisk is unreachable")
    call = await current_call(db, operator)
    checked, where = await destination(db, settings, operator, target_kind, target)
    # Stored first: the receiving side may answer before this function returns.
    record = await Transfers(db).add(
        utc_now(), call.call_id, call.uniqueid, operator, kind, target_kind, checked, why
    )
    try:
        await _send(ami, kind, call.channel, call.uniqueid, where)
    except BaseException:
        await Transfers(db).remove(record.id)
        raise
    shown = mask_phone(checked) if target_kind is TransferTarget.NUMBER else checked
    detail = {"kind": kind.value, "target_kind": target_kind.value, "target": shown, "reason": why}
    note = AuditNote(by, TRANSFER_ACTION, call.call_id, detail, utc_now())
    if audit is None:
        await write_note(db, note)
    else:
        await audit.add(note)
    return record


async def _send(
    ami: AmiClient, kind: TransferKind, channel: str, uniqueid: str, where: Destination
) -> None:
    """The AMI actions of a transfer of the caller on ``channel``."""
    call_channel = channel
    if kind is TransferKind.BLIND:
        for name, value in where.variables.items():
            await ami.action(
                {"Action": "Setvar", "Channel": call_channel, "Variable": name, "Value": value}
            )
        await ami.action(
            {
                "Action": "Redirect",
                "Channel": call_channel,
                "Context": CONTEXT_TRANSFER,
                "Exten": where.exten,
                "Priority": 1,
            }
        )
    else:
        peer = await ami.getvar(call_channel, BRIDGE_PEER)
        if peer is None:
            raise TransferError("the operator's channel is not in the call")
        # Inherited by the consultation call Atxfer places from the operator's channel; its
        # own uniqueid differs from the caller's, so it carries the caller's.
        variables = {**where.variables, ChannelVar.TRANSFER_OF.value: uniqueid}
        for name, value in variables.items():
            await ami.action(
                {"Action": "Setvar", "Channel": peer, "Variable": f"__{name}", "Value": value}
            )
        await ami.action(
            {
                "Action": "Atxfer",
                "Channel": peer,
                "Exten": where.exten,
                "Context": CONTEXT_TRANSFER,
            }
        )


def consultation_leg(event: AmiEvent) -> tuple[str, str] | None:
    """(the leg's uniqueid, the caller's uniqueid) when ``event`` is an attended transfer's
    consultation leg naming the call it belongs to ([hotline-transfer]'s UserEvent); pure."""
    if event.name != USER_EVENT or event.get("userevent") != TRANSFER_LEG_EVENT:
        return None
    caller = event.get(TRANSFER_OF_HEADER)
    if not event.uniqueid or not caller or caller == event.uniqueid:
        return None
    return event.uniqueid, caller


def answered_by(event: AmiEvent) -> tuple[str, str | None] | None:
    """(caller's uniqueid, who answered) when ``event`` is an answer of a caller's channel:
    a queue member's (AgentConnect) or the phone [hotline-transfer] dialled (DialEnd ANSWER;
    app_queue's own dials are answered as AgentConnect); pure."""
    if event.name == "AgentConnect":
        return event.uniqueid, event.get("membername") or event.get("interface") or None
    if (
        event.name == "DialEnd"
        and event.get("dialstatus") == DIAL_ANSWERED
        and event.get("context") == CONTEXT_TRANSFER
    ):
        return event.uniqueid, None  # the store names the transfer's target
    return None


@dataclass(frozen=True)
class TransferAnswer:
    """A caller's channel answered (``by``: who, when the event names them): the answer of
    the caller's pending transfer, if any, as the tracker holds it while the store is away."""

    uniqueid: str  # the caller's
    at: datetime
    by: str | None

    def to_json(self) -> dict[str, Any]:
        return {"uniqueid": self.uniqueid, "at": self.at.isoformat(), "by": self.by}

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> TransferAnswer:
        return cls(row["uniqueid"], datetime.fromisoformat(row["at"]), row["by"])


class TransferTracker:
    """Fills in the receiving side's answer of a transferred call (R-030).  A named
    specialist answers outside any queue: their answer is logged as a connect of the call
    (queue ``hotline-transfer``, which no department's report counts), so their screen pop
    shows the call and its IVR context like a queue call's (R-034)."""

    def __init__(
        self,
        events: Subscription,
        transfers: Transfers,
        queue_events: QueueEvents,
        spool: HeldSpool | None = None,
    ) -> None:
        """With a ``spool``, an answer the store refuses is held (spooled) and written once
        it is back (issue 21: it was logged and lost, the transfer left unanswered)."""
        self._events = events
        self._transfers = transfers
        self._queue_events = queue_events
        # An attended transfer's consultation leg -> the caller's uniqueid.
        self._legs: dict[str, str] = {}
        self._held = HeldRows(
            "transfer answer", spool, self._write, TransferAnswer.to_json, TransferAnswer.from_json
        )

    @classmethod
    def from_settings(
        cls, events: Subscription, db: Database, settings: Settings
    ) -> TransferTracker:
        """The engine's: refused answers held and spooled (``held_writes``)."""
        spool = HeldSpool.from_settings(settings, SPOOL)
        return cls(events, Transfers(db), QueueEvents(db), spool)

    @property
    def held(self) -> int:
        """Answers held for the store (0 without a spool)."""
        return self._held.held

    async def write_held_rows(self) -> None:
        """Write held answers, and at start what an earlier run spooled; until cancelled."""
        await self._held.run()

    async def run(self) -> None:
        held = asyncio.create_task(self.write_held_rows(), name="transfer-answers-held")
        try:
            await consume(self._events, self.handle, "transfer tracker")
        finally:
            held.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await held

    async def handle(self, event: AmiEvent) -> None:
        leg = consultation_leg(event)
        if leg is not None:
            self._legs[leg[0]] = leg[1]
            while len(self._legs) > LEGS_KEPT:
                del self._legs[next(iter(self._legs))]
            return
        answer = answered_by(event)
        if answer is None or not answer[0]:
            return
        # An attended transfer's specialist answers its consultation leg: the caller's call.
        uniqueid = self._legs.pop(answer[0], answer[0])
        await self._held.add(TransferAnswer(uniqueid, utc_now(), answer[1]))

    async def _write(self, answer: TransferAnswer, again: bool) -> None:
        """The transfer's answer, and a specialist's connect; ``again`` (replayed): once.  The
        connect is looked for every time: a first try may commit the answer, not it."""
        record = await self._transfers.answered(answer.uniqueid, answer.at, answer.by, again)
        if record is not None and record.target_kind is TransferTarget.OPERATOR:
            await self._queue_events.add_once(
                QueueEventRecord(
                    answer.at,
                    QueueEventKind.CONNECT,
                    record.uniqueid,
                    CONTEXT_TRANSFER,
                    record.target,
                )
            )
