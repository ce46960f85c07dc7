"""A callback dialled from the console (issue 16 item 3; R-109): Asterisk rings the operator's
own phone first (AMI Originate into ``hotline-callback``); when the operator answers it dials
the customer through the trunk, who hears «Разговор записывается» before anything else and is
recorded only then (R-061).  Each attempt (time, operator, result) is stored before the
Originate and completed from Asterisk's report: the UserEvent the hang-up sends (Dial's
status and the recording), or the OriginateResponse when the operator's phone never answered.
The recording is indexed like every other call's and linked to the attempt."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Final

from hotline.core.errors import NotFound
from hotline.core.phones import mask_phone
from hotline.dialplan.names import (
    CALLBACK_EVENT,
    CALLBACK_EVENT_ATTEMPT,
    CALLBACK_EVENT_RECORDING,
    CALLBACK_EVENT_STATUS,
    CONTEXT_CALLBACK,
    ChannelVar,
)
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.callback_attempts import AttemptRecord, CallbackAttempts, ClosedCallback
from hotline.store.callbacks import NotYourCallback
from hotline.store.db import Database
from hotline.store.enums import CallbackResult
from hotline.store.operators import Operators
from hotline.store.recordings import Recordings
from hotline.transport.ami import AmiClient, Subscription, consume, user_event

log = logging.getLogger(__name__)

USER_EVENT: Final = "UserEvent"
ORIGINATE_RESPONSE: Final = "OriginateResponse"
EVENTS: Final = (user_event(CALLBACK_EVENT), ORIGINATE_RESPONSE)
# Our uniqueids for callback attempts (also the Originate's ActionID).
UNIQUEID_PREFIX: Final = "callback-"
# Dial's DIALSTATUS → the attempt's result; anything else (CONGESTION, CHANUNAVAIL...) failed.
DIAL_RESULTS: Final = {
    "ANSWER": CallbackResult.ANSWERED,
    "NOANSWER": CallbackResult.NO_ANSWER,
    "CANCEL": CallbackResult.NO_ANSWER,  # the operator hung up while the customer's rang
    "BUSY": CallbackResult.BUSY,
}
# A number the trunk may dial: digits, an optional leading +.
_NUMBER: Final = re.compile(r"\+?[0-9]{3,20}")


class DialError(Exception):
    """The callback cannot be dialled now; the message is for people (Russian)."""


async def dial(
    ami: AmiClient | None,
    db: Database,
    settings: Settings,
    callback_id: int,
    operator: str,
    by: Actor,
    *,
    any_assignee: bool = True,
) -> AttemptRecord:
    """Ring ``operator``'s phone, then the customer of request ``callback_id``; the attempt is
    stored before the Originate and the dial audited.  An operator (``any_assignee`` False)
    only dials requests that are theirs or unassigned."""
    if ami is None or not ami.connected:
        raise DialError("АТС недоступна, попробуйте позже.")
    try:
        phone = (await Operators(db).get(operator)).interface
    except NotFound as exc:
        raise DialError("У вас нет телефона оператора: вы не заведены как оператор.") from exc
    uniqueid = f"{UNIQUEID_PREFIX}{uuid.uuid4().hex[:20]}"
    attempts = CallbackAttempts(db)
    try:
        request, attempt = await attempts.start(callback_id, operator, uniqueid)
    except ClosedCallback as exc:
        raise DialError(f"Заявка {callback_id} уже выполнена.") from exc
    if not any_assignee and request.assigned_to not in (None, operator):
        await attempts.finish(uniqueid, CallbackResult.FAILED)
        raise NotYourCallback(
            f"callback request {callback_id} is assigned to {request.assigned_to}"
        )
    number = request.number
    if _NUMBER.fullmatch(number) is None:
        await attempts.finish(uniqueid, CallbackResult.FAILED)
        raise DialError(f"Номер заявки {callback_id} набрать нельзя.")
    target = settings.dialer.trunk.format(number=number.lstrip("+"), e164="+" + number.lstrip("+"))
    try:
        await ami.originate(
            phone,
            context=CONTEXT_CALLBACK,
            exten="s",
            variables={
                ChannelVar.CALLBACK_ATTEMPT.value: str(attempt.id),
                ChannelVar.CALLBACK_DIAL.value: target,
            },
            caller_id=f'"callback {callback_id}" <{number}>',
            channel_id=uniqueid,
            timeout_ms=settings.callbacks.ring_seconds * 1000,
        )
    except Exception:
        await attempts.finish(uniqueid, CallbackResult.FAILED)
        raise
    await AuditLog(db).write(
        by, "callback.dial", str(callback_id), {"attempt": attempt.id, "operator": operator}
    )
    log.info("callback %s: dialling %s for %s", callback_id, mask_phone(number), operator)
    return attempt


class CallbackDialTracker:
    """Completes the attempts from Asterisk's reports (the engine runs one)."""

    def __init__(self, events: Subscription, db: Database) -> None:
        self._events = events
        self._attempts = CallbackAttempts(db)
        self._recordings = Recordings(db)

    async def run(self) -> None:
        await consume(self._events, self.handle, "callback dial tracker")

    async def handle(self, event: AmiEvent) -> None:
        if event.name == ORIGINATE_RESPONSE:
            action = event.get("actionid")
            if action.startswith(UNIQUEID_PREFIX) and event.get("response") != "Success":
                await self._attempts.finish(action, CallbackResult.FAILED)
            return
        if event.name != USER_EVENT or event.get("userevent") != CALLBACK_EVENT:
            return
        attempt_id = event.get(CALLBACK_EVENT_ATTEMPT)
        if not attempt_id.isdigit():
            return
        attempt = await self._attempts.get(int(attempt_id))
        if attempt is None:
            return
        result = DIAL_RESULTS.get(event.get(CALLBACK_EVENT_STATUS), CallbackResult.FAILED)
        path = event.get(CALLBACK_EVENT_RECORDING)
        recording_id = None
        if result is CallbackResult.ANSWERED and path:
            recording_id = await self._recordings.started(attempt.uniqueid, path, caller=None)
            await self._recordings.update(recording_id, operator=attempt.operator)
        await self._attempts.finish(attempt.uniqueid, result, recording_id=recording_id)
