"""The webhook payloads built from the store's rows, inside the transaction that changed them
(issue 22 item 4): the writers of calls, appeals and readings call these."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Protocol

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.protocol import webhooks as wh
from hotline.store.call_statements import EVENTS_OF_CALL, QUEUE_EVENTS_OF_CALL
from hotline.store.enums import AppealStatus, CallOutcome, EventKind
from hotline.store.models import (
    Appeal,
    CallEvent,
    CampaignTarget,
    DialAttempt,
    QueueEvent,
    Reading,
)
from hotline.store.webhooks import add_event, insert_event, new_event_id

_CALL_EVENTS: Final[Table] = CallEvent.__table__  # type: ignore[assignment]
_QUEUE_EVENTS: Final[Table] = QueueEvent.__table__  # type: ignore[assignment]

# The appeal statuses an event reports, and its kind.
APPEAL_KINDS: dict[AppealStatus, type[wh.AppealAnswered | wh.AppealClosed]] = {
    AppealStatus.ANSWERED: wh.AppealAnswered,
    AppealStatus.CLOSED: wh.AppealClosed,
    AppealStatus.NOT_CONSIDERED: wh.AppealClosed,
}


def reading_stored(session: AsyncSession, row: Reading, supersedes: int | None) -> None:
    data = wh.Reading(
        reading_id=row.id,
        call_id=row.call_id,
        account=row.account_number,
        meter_id=row.meter_id,
        zone=row.zone,
        period=row.period,
        value=row.value,
        previous=row.previous,
        consumption=row.consumption,
        flags=[f for f in row.flags.split(",") if f],
        needs_review=row.needs_review,
        taken_at=row.taken_at,
        supersedes=supersedes,
    )
    add_event(session, wh.ReadingStored(id=new_event_id(), at=row.taken_at, data=data))


def _appeal(row: Appeal) -> wh.Appeal:
    return wh.Appeal(
        number=row.number,
        status=row.status.value,
        channel=row.channel.value,
        category=row.category,
        topic=row.topic,
        subject=row.subject,
        account=row.account,
        phone=row.phone,
        customer_name=row.customer_name,
        unit=row.unit,
        registered_at=row.registered_at,
        deadline=row.deadline.isoformat(),
        answered_at=row.answered_at,
        closed_at=row.closed_at,
        close_reason=row.close_reason,
    )


def appeal_registered(session: AsyncSession, row: Appeal) -> None:
    event = wh.AppealRegistered(id=new_event_id(), at=row.registered_at, data=_appeal(row))
    add_event(session, event)


def appeal_moved(session: AsyncSession, row: Appeal, at: datetime) -> None:
    """An event when the appeal was answered or closed; nothing for other moves."""
    kind = APPEAL_KINDS.get(row.status)
    if kind is not None:
        add_event(session, kind(id=new_event_id(), at=at, data=_appeal(row)))


class EndedCall(Protocol):
    """What the end of an inbound call reports of its row: a ``Call`` or the row the
    ending UPDATE returned (``call_rows.ENDED_COLUMNS``)."""

    @property
    def id(self) -> str: ...
    @property
    def uniqueid(self) -> str: ...
    @property
    def caller(self) -> str | None: ...
    @property
    def simulated(self) -> bool: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def answered_at(self) -> datetime | None: ...
    @property
    def ended_at(self) -> datetime | None: ...
    @property
    def outcome(self) -> CallOutcome | None: ...
    @property
    def hangup_cause(self) -> str | None: ...
    @property
    def operator_reason(self) -> str | None: ...


# The call events an inbound call's end reports (its path, accounts and queue): what the end
# waits for when they are not committed yet (CallLog.ended).
PATH_KINDS: Final = frozenset({EventKind.NODE, EventKind.ACCOUNT, EventKind.QUEUE})


async def inbound_call_ended(session: AsyncSession, call: EndedCall) -> None:
    """The call's end with its menu path, identified accounts and queue result (as the log
    has them when the hang-up is written)."""
    # Core columns, not the entities': no ORM execution state per hang-up; the statements
    # prebuilt (issue 19 item 1).
    events = (await session.execute(EVENTS_OF_CALL, {"p_call_id": call.id})).all()
    path = [value for kind, value in events if kind == EventKind.NODE]
    accounts = list(dict.fromkeys(v for k, v in events if k == EventKind.ACCOUNT))
    queue_rows = (await session.execute(QUEUE_EVENTS_OF_CALL, {"p_uniqueid": call.uniqueid})).all()
    queue = queue_rows[-1][1] if queue_rows else None
    if queue is None:
        queue = next((v for k, v in events if k == EventKind.QUEUE), None)
    members = [member for _k, _q, member in queue_rows if member]
    ended_at = call.ended_at or call.started_at
    data = wh.InboundCall(
        call_id=call.id,
        uniqueid=call.uniqueid,
        phone=call.caller,
        simulated=call.simulated,
        started_at=call.started_at,
        answered_at=call.answered_at,
        ended_at=ended_at,
        outcome=call.outcome.value if call.outcome else None,
        hangup_cause=call.hangup_cause,
        operator_reason=call.operator_reason,
        ivr_path=path,
        accounts=accounts,
        queue=queue,
        queue_result=queue_rows[-1][0].value if queue_rows else None,
        operator=members[-1] if members else None,
    )
    event = wh.InboundCallEnded(id=new_event_id(), at=ended_at, data=data)
    await insert_event(session, event)


def outbound_attempt_ended(
    session: AsyncSession, attempt: DialAttempt, target: CampaignTarget, *, final: bool
) -> None:
    """``attempt``: the closed DialAttempt row; ``target``: its CampaignTarget row."""
    variables = {str(k): str(v) for k, v in (target.variables or {}).items()}
    data = wh.OutboundAttempt(
        attempt_id=attempt.id,
        campaign_id=attempt.campaign_id,
        target_id=attempt.target_id,
        number=attempt.number,
        phone=attempt.phone,
        account=target.account_number,
        variables=variables,
        status=attempt.status,
        result=attempt.result,
        reason=attempt.reason or "",
        hangup_cause=attempt.hangup_cause,
        created_at=attempt.created_at,
        answered_at=attempt.answered_at,
        ended_at=attempt.ended_at or attempt.created_at,
        final=final,
    )
    at = data.ended_at
    add_event(session, wh.OutboundCallEnded(id=new_event_id(), at=at, data=data))
