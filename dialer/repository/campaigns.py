"""Campaigns and their state machine.  Every change of state goes through :data:`TRANSITIONS`
under a row lock; anything not in the table is refused with :class:`CampaignError`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.model import (
    CampaignRules,
    CampaignState,
    Reason,
    Result,
    TargetState,
    dump,
    load_rules,
)
from dialer.repository.errors import CampaignError, CampaignNotFound
from dialer.repository.records import CampaignRecord, campaign_record
from dialer.repository.scenarios import ScenarioVersions
from hotline.store import notify
from hotline.store.db import Database, batches
from hotline.store.models import Campaign, CampaignTarget, Contact, ContactList, DncNumber
from hotline.store.models import Scenario as ScenarioRow

Draft, Approved, Running = CampaignState.DRAFT, CampaignState.APPROVED, CampaignState.RUNNING
Paused, Stopped, Finished = CampaignState.PAUSED, CampaignState.STOPPED, CampaignState.FINISHED


class Action(StrEnum):
    """What people (and the dialer) do to a campaign; the value reads in refusals."""

    APPROVE = "approve"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    CHANGE_RULES = "change"
    ATTACH_LIST = "attach a list to"
    FINISH = "finish"


TRANSITIONS: Final[Mapping[tuple[CampaignState, Action], CampaignState]] = {
    (Draft, Action.APPROVE): Approved,
    (Approved, Action.START): Running,
    (Running, Action.PAUSE): Paused,
    (Paused, Action.RESUME): Running,
    (Approved, Action.STOP): Stopped,
    (Running, Action.STOP): Stopped,
    (Paused, Action.STOP): Stopped,
    # Pacing and retry rules change in place, also while running (the dispatcher re-reads).
    (Draft, Action.CHANGE_RULES): Draft,
    (Approved, Action.CHANGE_RULES): Approved,
    (Running, Action.CHANGE_RULES): Running,
    (Paused, Action.CHANGE_RULES): Paused,
    # A new list needs a fresh approval.
    (Draft, Action.ATTACH_LIST): Draft,
    (Approved, Action.ATTACH_LIST): Draft,
    # Only the dialer finishes a campaign, when every contact is done.
    (Running, Action.FINISH): Finished,
}

# Refusals worded for the operation; the others read "cannot <action> campaign 'x': it is y".
_REFUSALS: Final[Mapping[Action, str]] = {
    Action.START: "campaign {name!r} is {state}: only an approved campaign starts",
    Action.ATTACH_LIST: "campaign {name!r} is {state}: its list is fixed",
}
_REFUSED: Final = "cannot {action} campaign {name!r}: it is {state}"


def allowed_from(action: Action) -> frozenset[CampaignState]:
    """The states in which ``action`` is allowed."""
    return frozenset(state for state, done in TRANSITIONS if done is action)


def after(state: CampaignState, action: Action, name: str) -> CampaignState:
    """The state ``action`` leads to from ``state``; CampaignError if it is not allowed."""
    new = TRANSITIONS.get((state, action))
    if new is None:
        refusal = _REFUSALS.get(action, _REFUSED)
        raise CampaignError(refusal.format(name=name, state=state.value, action=action.value))
    return new


async def locked(session: AsyncSession, name: str) -> Campaign:
    """The campaign row, locked for this transaction (SELECT ... FOR UPDATE)."""
    row = (
        await session.execute(select(Campaign).where(Campaign.name == name).with_for_update())
    ).scalar_one_or_none()
    if row is None:
        raise CampaignNotFound(f"no campaign {name!r}")
    return row


def move(row: Campaign, action: Action) -> None:
    """Apply ``action`` to a locked row's state, or refuse."""
    row.state = after(CampaignState(row.state), action, row.name).value


class Campaigns:
    def __init__(self, db: Database, scenarios: ScenarioVersions) -> None:
        self._db = db
        self._scenarios = scenarios

    async def create(
        self,
        name: str,
        scenario_id: int,
        rules: CampaignRules,
        author: str,
        now: dt.datetime,
        *,
        starts_at: dt.datetime | None = None,
        ends_at: dt.datetime | None = None,
    ) -> CampaignRecord:
        scenario = await self._scenarios.by_id(scenario_id)
        try:
            async with self._db.session() as session:
                row = Campaign(
                    name=name,
                    kind=scenario.kind,
                    state=Draft.value,
                    scenario_id=scenario_id,
                    list_id=None,
                    rules=dump(rules),
                    starts_at=starts_at,
                    ends_at=ends_at,
                    author=author,
                    created_at=now,
                )
                session.add(row)
                await session.flush()
                return campaign_record(row)
        except IntegrityError as exc:
            raise CampaignError(f"a campaign named {name!r} exists") from exc

    async def get(self, name: str) -> CampaignRecord:
        async with self._db.session() as session:
            row = (
                await session.execute(select(Campaign).where(Campaign.name == name))
            ).scalar_one_or_none()
        if row is None:
            raise CampaignNotFound(f"no campaign {name!r}")
        return campaign_record(row)

    async def by_id(self, campaign_id: int) -> CampaignRecord:
        async with self._db.session() as session:
            row = await session.get(Campaign, campaign_id)
            if row is None:
                raise CampaignNotFound(f"no campaign #{campaign_id}")
            return campaign_record(row)

    async def state(self, campaign_id: int) -> CampaignState | None:
        """The campaign's state alone (None: no such campaign), for a check between rounds."""
        async with self._db.session() as session:
            value = (
                await session.execute(select(Campaign.state).where(Campaign.id == campaign_id))
            ).scalar_one_or_none()
        return None if value is None else CampaignState(value)

    async def all(self, states: Sequence[CampaignState] | None = None) -> list[CampaignRecord]:
        async with self._db.session() as session:
            query = select(Campaign).order_by(Campaign.id)
            if states is not None:
                query = query.where(Campaign.state.in_([s.value for s in states]))
            return [campaign_record(r) for r in (await session.execute(query)).scalars()]

    async def approve(self, name: str, by: str, now: dt.datetime) -> CampaignRecord:
        campaign = await self.get(name)
        if campaign.author == by:
            raise CampaignError(
                f"{by} wrote campaign {name!r}: another user (a manager) must approve it"
            )
        if campaign.list_id is None:
            raise CampaignError(f"campaign {name!r} has no contacts yet")
        async with self._db.session() as session:
            row = await locked(session, name)
            # Four eyes on the list too: whoever attached it (under this lock, so the list
            # checked is the one approved) cannot approve it.
            uploader = await session.scalar(
                select(ContactList.author).where(ContactList.id == row.list_id)
            )
            if uploader == by:
                raise CampaignError(
                    f"{by} attached the contact list of campaign {name!r}: another user "
                    "(a manager) must approve it"
                )
            move(row, Action.APPROVE)
            row.approved_by = by
            row.approved_at = now
            await session.flush()
            return campaign_record(row)

    async def start(self, name: str, now: dt.datetime, *, default_zone: str) -> CampaignRecord:
        """Freeze the scenario and the contacts as they are now, and let the dialer at them.
        Contacts without a time zone take the campaign's override or ``default_zone`` (the
        installation's, R-086)."""
        async with self._db.session() as session:
            row = await locked(session, name)
            move(row, Action.START)
            scenario = await session.get(ScenarioRow, row.scenario_id)
            assert scenario is not None
            await _freeze_contacts(session, row, default_zone)
            row.scenario_snapshot = dict(scenario.content)
            row.started_at = now
            await notify.announce(
                session, notify.NotifyChannel.DIALER, notify.WakeReason.CAMPAIGN_STARTED
            )
            await session.flush()
            return campaign_record(row)

    async def pause(self, name: str) -> CampaignRecord:
        return await self._apply(name, Action.PAUSE)

    async def resume(self, name: str) -> CampaignRecord:
        return await self._apply(name, Action.RESUME)

    async def stop(self, name: str, now: dt.datetime) -> CampaignRecord:
        """Stop for good: what is still pending expires."""
        async with self._db.session() as session:
            row = await locked(session, name)
            move(row, Action.STOP)
            row.finished_at = now
            await notify.announce(
                session, notify.NotifyChannel.DIALER, notify.WakeReason.CAMPAIGN_CHANGED
            )
            await session.flush()
            info = campaign_record(row)
        await self.expire_pending(info.id)
        return info

    async def set_rules(self, name: str, rules: CampaignRules) -> CampaignRecord:
        """Pacing and retry rules; allowed while running (the dispatcher re-reads them)."""
        async with self._db.session() as session:
            row = await locked(session, name)
            move(row, Action.CHANGE_RULES)
            row.rules = dump(rules)
            await notify.announce(
                session, notify.NotifyChannel.DIALER, notify.WakeReason.CAMPAIGN_CHANGED
            )
            await session.flush()
            return campaign_record(row)

    async def _apply(self, name: str, action: Action) -> CampaignRecord:
        async with self._db.session() as session:
            row = await locked(session, name)
            move(row, action)
            await notify.announce(
                session, notify.NotifyChannel.DIALER, notify.WakeReason.CAMPAIGN_CHANGED
            )
            await session.flush()
            return campaign_record(row)

    async def expire_pending(self, campaign_id: int) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(CampaignTarget)
                .where(
                    CampaignTarget.campaign_id == campaign_id,
                    CampaignTarget.state == TargetState.PENDING.value,
                )
                .values(
                    state=TargetState.DONE.value,
                    result=Result.NEGATIVE.value,
                    reason=Reason.EXPIRED.value,
                    waiting=None,
                )
            )

    async def finish_if_done(self, campaign_id: int, now: dt.datetime) -> bool:
        """Finish the campaign once no contact waits for a call or an e-mail."""
        async with self._db.session() as session:
            open_targets = (
                await session.execute(
                    select(func.count())
                    .select_from(CampaignTarget)
                    .where(
                        CampaignTarget.campaign_id == campaign_id,
                        or_(
                            CampaignTarget.state != TargetState.DONE.value,
                            CampaignTarget.email_status == "pending",
                            CampaignTarget.sms_status == "pending",
                        ),
                    )
                )
            ).scalar_one()
            if open_targets:
                return False
            # A conditional UPDATE rather than a lock: a paused or stopped campaign stays so.
            await session.execute(
                update(Campaign)
                .where(
                    Campaign.id == campaign_id,
                    Campaign.state.in_([s.value for s in allowed_from(Action.FINISH)]),
                )
                .values(state=Finished.value, finished_at=now)
            )
            return True

    async def end(self, campaign_id: int, now: dt.datetime) -> None:
        """The campaign's end time passed: what is still pending expires."""
        await self.expire_pending(campaign_id)
        await self.finish_if_done(campaign_id, now)


async def _freeze_contacts(session: AsyncSession, row: Campaign, default_zone: str) -> None:
    """The run's own copy of the list: one target per contact, numbers on the do-not-call
    list closed at once, the campaign's time zone and deliver-by as defaults."""
    rules = load_rules(row.rules)
    dnc = set((await session.execute(select(DncNumber.phone))).scalars().all())
    contacts = await session.execute(
        select(
            Contact.id,
            Contact.row,
            Contact.phone,
            Contact.timezone,
            Contact.account_number,
            Contact.variables,
            Contact.channel,
            Contact.email,
        ).where(Contact.list_id == row.list_id)
    )
    targets: list[dict[str, Any]] = []
    for cid, number, phone, zone, account, stored, channel, email in contacts:
        variables = dict(stored)
        # The list keeps a contact's deliver-by among its variables (no column of its own).
        deliver = variables.pop("deliver_by", None)
        blocked = phone in dnc
        targets.append(
            {
                "campaign_id": row.id,
                "contact_id": cid,
                "row": number,
                "phone": phone,
                "timezone": zone or rules.contact_zone(default_zone),
                "account_number": account,
                "variables": variables,
                "deliver_by": (
                    dt.datetime.fromisoformat(deliver) if deliver else rules.deliver_by
                ),
                "state": (TargetState.DONE if blocked else TargetState.PENDING).value,
                "result": Result.NEGATIVE.value if blocked else None,
                "reason": Reason.DO_NOT_CALL.value if blocked else None,
                "attempts": 0,
                "next_attempt_at": row.starts_at,
                "channel": channel,
                "email": email,
                # The customer chose e-mail: no call, the message goes by mail.
                "email_status": "pending" if channel == "email" else None,
                # The customer chose SMS: no call, the message goes by SMS.
                "sms_status": "pending" if channel == "sms" else None,
            }
        )
    for rows in batches(targets):
        await session.execute(insert(CampaignTarget), rows)
