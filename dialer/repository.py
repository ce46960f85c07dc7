"""The dialer's tables: do-not-call numbers, scenario versions, contact lists, campaigns,
their targets and every dial attempt.  Each method is one unit of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from dialer.contacts import ImportReport
from dialer.model import (
    AttemptStatus,
    CampaignRules,
    CampaignState,
    Reason,
    Result,
    Scenario,
    TargetState,
    dump,
    load_rules,
)
from hotline.store.db import Database
from hotline.store.models import (
    Campaign,
    CampaignTarget,
    Contact,
    ContactList,
    DialAttempt,
    DialerLimit,
    DncNumber,
)
from hotline.store.models import Scenario as ScenarioRow

INFLIGHT = (AttemptStatus.DIALING.value, AttemptStatus.ANSWERED.value)
BULK_ROWS = 5_000


class CampaignError(ValueError):
    """A campaign operation refused (unknown name, wrong state, self-approval...)."""


@dataclass(frozen=True)
class ScenarioVersion:
    id: int
    name: str
    version: int
    kind: str
    scenario: Scenario
    author: str
    created_at: dt.datetime


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    kind: str
    state: CampaignState
    scenario_id: int
    list_id: int | None
    rules: CampaignRules
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    author: str
    approved_by: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    snapshot: Scenario | None


@dataclass(frozen=True)
class Target:
    id: int
    campaign_id: int
    phone: str
    timezone: str
    variables: dict[str, str]
    attempts: int
    deliver_by: dt.datetime | None
    next_attempt_at: dt.datetime | None
    channel: str = "phone"


@dataclass(frozen=True)
class Attempt:
    id: str
    campaign_id: int
    target_id: int
    number: int
    phone: str
    status: AttemptStatus
    created_at: dt.datetime
    key_played: bool
    confirmed: bool
    transferred: bool


def _campaign(row: Campaign) -> CampaignInfo:
    return CampaignInfo(
        id=row.id,
        name=row.name,
        kind=row.kind,
        state=CampaignState(row.state),
        scenario_id=row.scenario_id,
        list_id=row.list_id,
        rules=load_rules(row.rules),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        author=row.author,
        approved_by=row.approved_by,
        started_at=row.started_at,
        finished_at=row.finished_at,
        snapshot=(
            Scenario.model_validate(row.scenario_snapshot) if row.scenario_snapshot else None
        ),
    )


def _target(row: CampaignTarget) -> Target:
    return Target(
        row.id,
        row.campaign_id,
        row.phone,
        row.timezone,
        dict(row.variables),
        row.attempts,
        row.deliver_by,
        row.next_attempt_at,
        row.channel,
    )


def _attempt(row: DialAttempt) -> Attempt:
    return Attempt(
        row.id,
        row.campaign_id,
        row.target_id,
        row.number,
        row.phone,
        AttemptStatus(row.status),
        row.created_at,
        row.key_played,
        row.confirmed,
        row.transferred,
    )


class DialerStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- do-not-call ----------------------------------------------------------------------
    async def dnc_add(self, phones: Iterable[str], by: str, reason: str, now: dt.datetime) -> int:
        added = 0
        async with self.db.session() as session:
            existing = set((await session.execute(select(DncNumber.phone))).scalars().all())
            for phone in dict.fromkeys(phones):
                if phone not in existing:
                    session.add(DncNumber(phone=phone, added_at=now, added_by=by, reason=reason))
                    added += 1
        return added

    async def dnc_numbers(self) -> frozenset[str]:
        async with self.db.session() as session:
            return frozenset((await session.execute(select(DncNumber.phone))).scalars().all())

    # --- scenarios ------------------------------------------------------------------------
    async def add_scenario(
        self, name: str, scenario: Scenario, author: str, now: dt.datetime
    ) -> ScenarioVersion:
        """A new version of ``name`` (1 for a new name); earlier versions never change."""
        async with self.db.session() as session:
            latest = (
                await session.execute(
                    select(func.max(ScenarioRow.version)).where(ScenarioRow.name == name)
                )
            ).scalar_one()
            row = ScenarioRow(
                name=name,
                version=(latest or 0) + 1,
                kind=scenario.kind.value,
                content=dump(scenario),
                author=author,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            return self._scenario(row)

    @staticmethod
    def _scenario(row: ScenarioRow) -> ScenarioVersion:
        return ScenarioVersion(
            row.id,
            row.name,
            row.version,
            row.kind,
            Scenario.model_validate(row.content),
            row.author,
            row.created_at,
        )

    async def scenario(self, name: str, version: int | None = None) -> ScenarioVersion:
        async with self.db.session() as session:
            query = select(ScenarioRow).where(ScenarioRow.name == name)
            if version is not None:
                query = query.where(ScenarioRow.version == version)
            row = (
                await session.execute(query.order_by(ScenarioRow.version.desc()).limit(1))
            ).scalar_one_or_none()
        if row is None:
            raise CampaignError(
                f"no scenario {name!r}" + (f" version {version}" if version else "")
            )
        return self._scenario(row)

    async def scenario_by_id(self, scenario_id: int) -> ScenarioVersion:
        async with self.db.session() as session:
            row = await session.get(ScenarioRow, scenario_id)
        if row is None:
            raise CampaignError(f"no scenario #{scenario_id}")
        return self._scenario(row)

    async def scenarios(self) -> list[ScenarioVersion]:
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(ScenarioRow).order_by(ScenarioRow.name, ScenarioRow.version)
                )
            ).scalars()
            return [self._scenario(r) for r in rows]

    # --- campaigns ------------------------------------------------------------------------
    async def create_campaign(
        self,
        name: str,
        scenario_id: int,
        rules: CampaignRules,
        author: str,
        now: dt.datetime,
        *,
        starts_at: dt.datetime | None = None,
        ends_at: dt.datetime | None = None,
    ) -> CampaignInfo:
        scenario = await self.scenario_by_id(scenario_id)
        try:
            async with self.db.session() as session:
                row = Campaign(
                    name=name,
                    kind=scenario.kind,
                    state=CampaignState.DRAFT.value,
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
                return _campaign(row)
        except IntegrityError as exc:
            raise CampaignError(f"a campaign named {name!r} exists") from exc

    async def campaign(self, name: str) -> CampaignInfo:
        async with self.db.session() as session:
            row = (
                await session.execute(select(Campaign).where(Campaign.name == name))
            ).scalar_one_or_none()
        if row is None:
            raise CampaignError(f"no campaign {name!r}")
        return _campaign(row)

    async def campaigns(self, states: Sequence[CampaignState] | None = None) -> list[CampaignInfo]:
        async with self.db.session() as session:
            query = select(Campaign).order_by(Campaign.id)
            if states is not None:
                query = query.where(Campaign.state.in_([s.value for s in states]))
            return [_campaign(r) for r in (await session.execute(query)).scalars()]

    async def _change(
        self,
        name: str,
        allowed: Sequence[CampaignState],
        values: dict[str, Any],
        action: str,
    ) -> CampaignInfo:
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(Campaign).where(Campaign.name == name).with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                raise CampaignError(f"no campaign {name!r}")
            if CampaignState(row.state) not in allowed:
                raise CampaignError(f"cannot {action} campaign {name!r}: it is {row.state}")
            for key, value in values.items():
                setattr(row, key, value)
            await session.flush()
            return _campaign(row)

    async def attach_list(
        self,
        name: str,
        list_name: str,
        source: str,
        report: ImportReport,
        author: str,
        now: dt.datetime,
    ) -> int:
        """Store an import (all rows or, with errors, none) as a new list version and give it
        to the campaign; a changed list needs a fresh approval."""
        if not report.ok:
            raise CampaignError("the import has errors; nothing was stored")
        async with self.db.session() as session:
            campaign = (
                await session.execute(
                    select(Campaign).where(Campaign.name == name).with_for_update()
                )
            ).scalar_one_or_none()
            if campaign is None:
                raise CampaignError(f"no campaign {name!r}")
            if campaign.state not in (CampaignState.DRAFT, CampaignState.APPROVED):
                raise CampaignError(f"campaign {name!r} is {campaign.state}: its list is fixed")
            latest = (
                await session.execute(
                    select(func.max(ContactList.version)).where(ContactList.name == list_name)
                )
            ).scalar_one()
            contact_list = ContactList(
                name=list_name,
                version=(latest or 0) + 1,
                source=source,
                author=author,
                created_at=now,
                report=report.summary(),
            )
            session.add(contact_list)
            await session.flush()
            # Core bulk inserts: a 100,000-row list in seconds, not an ORM unit of work.
            rows = [
                {
                    "list_id": contact_list.id,
                    "row": c.row,
                    "phone": c.phone,
                    "name": c.name,
                    "email": c.email,
                    "timezone": c.timezone,
                    "account_number": c.account_number,
                    "channel": c.channel,
                    "variables": _with_deliver_by(c.variables, c.deliver_by),
                }
                for c in report.contacts
            ]
            for first in range(0, len(rows), BULK_ROWS):
                await session.execute(insert(Contact), rows[first : first + BULK_ROWS])
            campaign.list_id = contact_list.id
            campaign.state = CampaignState.DRAFT.value
            campaign.approved_by = None
            campaign.approved_at = None
            return contact_list.id

    async def contact_list(self, list_id: int) -> dict[str, Any]:
        async with self.db.session() as session:
            row = await session.get(ContactList, list_id)
            if row is None:
                raise CampaignError(f"no contact list #{list_id}")
            return {
                "name": row.name,
                "version": row.version,
                "source": row.source,
                "author": row.author,
                "created_at": row.created_at.isoformat(),
                "report": dict(row.report),
            }

    async def approve(self, name: str, by: str, now: dt.datetime) -> CampaignInfo:
        campaign = await self.campaign(name)
        if campaign.author == by:
            raise CampaignError(
                f"{by} wrote campaign {name!r}: another user (a manager) must approve it"
            )
        if campaign.list_id is None:
            raise CampaignError(f"campaign {name!r} has no contacts yet")
        return await self._change(
            name,
            [CampaignState.DRAFT],
            {"state": CampaignState.APPROVED.value, "approved_by": by, "approved_at": now},
            "approve",
        )

    async def start(self, name: str, now: dt.datetime) -> CampaignInfo:
        """Freeze the scenario and the contacts as they are now, and let the dialer at them."""
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(Campaign).where(Campaign.name == name).with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                raise CampaignError(f"no campaign {name!r}")
            if row.state != CampaignState.APPROVED:
                raise CampaignError(
                    f"campaign {name!r} is {row.state}: only an approved campaign starts"
                )
            scenario = await session.get(ScenarioRow, row.scenario_id)
            assert scenario is not None
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
                deliver = variables.pop("deliver_by", None)
                blocked = phone in dnc
                targets.append(
                    {
                        "campaign_id": row.id,
                        "contact_id": cid,
                        "row": number,
                        "phone": phone,
                        "timezone": zone or rules.timezone,
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
                    }
                )
            for first in range(0, len(targets), BULK_ROWS):
                await session.execute(insert(CampaignTarget), targets[first : first + BULK_ROWS])
            row.scenario_snapshot = dict(scenario.content)
            row.state = CampaignState.RUNNING.value
            row.started_at = now
            await session.flush()
            return _campaign(row)

    async def pause(self, name: str) -> CampaignInfo:
        return await self._change(
            name, [CampaignState.RUNNING], {"state": CampaignState.PAUSED.value}, "pause"
        )

    async def resume(self, name: str) -> CampaignInfo:
        return await self._change(
            name, [CampaignState.PAUSED], {"state": CampaignState.RUNNING.value}, "resume"
        )

    async def stop(self, name: str, now: dt.datetime) -> CampaignInfo:
        info = await self._change(
            name,
            [CampaignState.RUNNING, CampaignState.PAUSED, CampaignState.APPROVED],
            {"state": CampaignState.STOPPED.value, "finished_at": now},
            "stop",
        )
        await self._expire_pending(info.id)
        return info

    async def set_rules(self, name: str, rules: CampaignRules) -> CampaignInfo:
        """Pacing and retry rules; allowed while running (the dispatcher re-reads them)."""
        return await self._change(
            name,
            [
                CampaignState.DRAFT,
                CampaignState.APPROVED,
                CampaignState.RUNNING,
                CampaignState.PAUSED,
            ],
            {"rules": dump(rules)},
            "change",
        )

    async def _expire_pending(self, campaign_id: int) -> None:
        async with self.db.session() as session:
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
        async with self.db.session() as session:
            open_targets = (
                await session.execute(
                    select(func.count())
                    .select_from(CampaignTarget)
                    .where(
                        CampaignTarget.campaign_id == campaign_id,
                        or_(
                            CampaignTarget.state != TargetState.DONE.value,
                            CampaignTarget.email_status == "pending",
                        ),
                    )
                )
            ).scalar_one()
            if open_targets:
                return False
            await session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.state == CampaignState.RUNNING.value)
                .values(state=CampaignState.FINISHED.value, finished_at=now)
            )
            return True

    async def end_campaign(self, campaign_id: int, now: dt.datetime) -> None:
        """The campaign's end time passed: what is still pending expires."""
        await self._expire_pending(campaign_id)
        await self.finish_if_done(campaign_id, now)

    # --- dispatch -------------------------------------------------------------------------
    async def due_targets(self, campaign_id: int, now: dt.datetime, limit: int) -> list[Target]:
        """Pending targets whose time has come: deliver-by first (closest first), then by
        their next time and their order in the list."""
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(CampaignTarget)
                    .where(
                        CampaignTarget.campaign_id == campaign_id,
                        CampaignTarget.state == TargetState.PENDING.value,
                        CampaignTarget.channel == "phone",
                        or_(
                            CampaignTarget.next_attempt_at.is_(None),
                            CampaignTarget.next_attempt_at <= now,
                        ),
                    )
                    .order_by(
                        CampaignTarget.deliver_by.is_(None),
                        CampaignTarget.deliver_by,
                        CampaignTarget.next_attempt_at.is_(None).desc(),
                        CampaignTarget.next_attempt_at,
                        CampaignTarget.row,
                    )
                    .limit(limit)
                )
            ).scalars()
            return [_target(r) for r in rows]

    async def defer(self, target_id: int, until: dt.datetime, waiting: str) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.id == target_id)
                .values(next_attempt_at=until, waiting=waiting)
            )

    async def close_target(self, target_id: int, result: Result, reason: Reason) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.id == target_id)
                .values(
                    state=TargetState.DONE.value,
                    result=result.value,
                    reason=reason.value,
                    waiting=None,
                )
            )

    async def last_call_to(self, phone: str) -> dt.datetime | None:
        async with self.db.session() as session:
            return (
                await session.execute(
                    select(func.max(DialAttempt.created_at)).where(DialAttempt.phone == phone)
                )
            ).scalar_one()

    async def begin_attempt(
        self, target: Target, attempt_id: str, now: dt.datetime
    ) -> Attempt | None:
        """Claim the target and write the attempt as dialing, in one transaction, before any
        Originate; None if someone else claimed it first."""
        async with self.db.session() as session:
            claimed = await session.execute(
                update(CampaignTarget)
                .where(
                    CampaignTarget.id == target.id,
                    CampaignTarget.state == TargetState.PENDING.value,
                )
                .values(
                    state=TargetState.CALLING.value,
                    attempts=CampaignTarget.attempts + 1,
                    waiting=None,
                )
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = DialAttempt(
                id=attempt_id,
                campaign_id=target.campaign_id,
                target_id=target.id,
                number=target.attempts + 1,
                phone=target.phone,
                status=AttemptStatus.DIALING.value,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            return _attempt(row)

    async def inflight(self) -> list[Attempt]:
        async with self.db.session() as session:
            rows = (
                await session.execute(select(DialAttempt).where(DialAttempt.status.in_(INFLIGHT)))
            ).scalars()
            return [_attempt(r) for r in rows]

    async def inflight_counts(self) -> dict[int, int]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(DialAttempt.campaign_id, func.count())
                .where(DialAttempt.status.in_(INFLIGHT))
                .group_by(DialAttempt.campaign_id)
            )
            return {campaign_id: count for campaign_id, count in rows}

    async def attempt(self, attempt_id: str) -> Attempt | None:
        async with self.db.session() as session:
            row = await session.get(DialAttempt, attempt_id)
            return _attempt(row) if row is not None else None

    async def target(self, target_id: int) -> Target:
        async with self.db.session() as session:
            row = await session.get(CampaignTarget, target_id)
            if row is None:
                raise CampaignError(f"no target #{target_id}")
            return _target(row)

    async def campaign_by_id(self, campaign_id: int) -> CampaignInfo:
        async with self.db.session() as session:
            row = await session.get(Campaign, campaign_id)
            if row is None:
                raise CampaignError(f"no campaign #{campaign_id}")
            return _campaign(row)

    async def mark_attempt(self, attempt_id: str, **values: Any) -> None:
        """Answered, key content played, confirmed, transferred: as soon as it is known."""
        async with self.db.session() as session:
            await session.execute(
                update(DialAttempt).where(DialAttempt.id == attempt_id).values(**values)
            )

    async def end_attempt(
        self,
        attempt_id: str,
        *,
        status: AttemptStatus,
        result: Result | None,
        reason: Reason,
        cause: str | None,
        now: dt.datetime,
        retry_at: dt.datetime | None,
        final: bool,
        email_fallback: bool = False,
    ) -> bool:
        """Close an in-flight attempt and move its target on (retry at ``retry_at`` or final).
        False if the attempt was already closed (a late duplicate event)."""
        async with self.db.session() as session:
            done = await session.execute(
                update(DialAttempt)
                .where(DialAttempt.id == attempt_id, DialAttempt.status.in_(INFLIGHT))
                .values(
                    status=status.value,
                    result=result.value if result else None,
                    reason=reason.value,
                    hangup_cause=cause,
                    ended_at=now,
                )
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            target_id = (
                await session.execute(
                    select(DialAttempt.target_id).where(DialAttempt.id == attempt_id)
                )
            ).scalar_one()
            values: dict[str, Any] = {"reason": reason.value}
            if final:
                values.update(
                    state=TargetState.DONE.value,
                    result=(result or Result.NEGATIVE).value,
                    waiting=None,
                )
                if email_fallback and result is not Result.POSITIVE:
                    target = await session.get(CampaignTarget, target_id)
                    if target is not None and target.email and target.email_status is None:
                        values["email_status"] = "pending"
            else:
                values.update(
                    state=TargetState.PENDING.value,
                    next_attempt_at=retry_at,
                    waiting=f"retry after {reason.value}",
                )
            await session.execute(
                update(CampaignTarget).where(CampaignTarget.id == target_id).values(**values)
            )
            return True

    # --- e-mail ---------------------------------------------------------------------------
    async def emails_due(self, campaign_id: int, limit: int) -> list[tuple[Target, str]]:
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(CampaignTarget)
                    .where(
                        CampaignTarget.campaign_id == campaign_id,
                        CampaignTarget.email_status == "pending",
                    )
                    .order_by(CampaignTarget.row)
                    .limit(limit)
                )
            ).scalars()
            return [(_target(r), r.email or "") for r in rows]

    async def email_done(
        self,
        target_id: int,
        sent: bool,
        now: dt.datetime,
        *,
        close_as: tuple[Result, Reason] | None,
    ) -> None:
        """Record an e-mail; ``close_as`` also gives an e-mail-only contact its result."""
        values: dict[str, Any] = {"email_status": "sent" if sent else "failed", "email_at": now}
        if close_as is not None:
            values.update(
                state=TargetState.DONE.value,
                result=close_as[0].value,
                reason=close_as[1].value,
                waiting=None,
            )
        async with self.db.session() as session:
            await session.execute(
                update(CampaignTarget).where(CampaignTarget.id == target_id).values(**values)
            )

    # --- limits ---------------------------------------------------------------------------
    async def limits(self) -> dict[str, float]:
        async with self.db.session() as session:
            rows = await session.execute(select(DialerLimit.name, DialerLimit.value))
            return {name: value for name, value in rows}

    async def set_limit(self, name: str, value: float, by: str, now: dt.datetime) -> None:
        async with self.db.session() as session:
            await session.execute(delete(DialerLimit).where(DialerLimit.name == name))
            session.add(DialerLimit(name=name, value=value, updated_at=now, updated_by=by))

    # --- reports --------------------------------------------------------------------------
    async def target_counts(
        self, campaign_id: int
    ) -> list[tuple[str, str | None, str | None, int]]:
        """(state, result, reason, count) rows."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(
                    CampaignTarget.state,
                    CampaignTarget.result,
                    CampaignTarget.reason,
                    func.count(),
                )
                .where(CampaignTarget.campaign_id == campaign_id)
                .group_by(CampaignTarget.state, CampaignTarget.result, CampaignTarget.reason)
            )
            return [(s, r, why, n) for s, r, why, n in rows]

    async def attempt_counts(self, campaign_id: int) -> list[tuple[int, str, str | None, int]]:
        """(attempt number, status, reason, count) rows."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(DialAttempt.number, DialAttempt.status, DialAttempt.reason, func.count())
                .where(DialAttempt.campaign_id == campaign_id)
                .group_by(DialAttempt.number, DialAttempt.status, DialAttempt.reason)
            )
            return [(n, s, r, c) for n, s, r, c in rows]

    async def targets_detail(self, campaign_id: int) -> list[dict[str, Any]]:
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(CampaignTarget)
                    .where(CampaignTarget.campaign_id == campaign_id)
                    .order_by(CampaignTarget.row)
                )
            ).scalars()
            return [
                {
                    "row": r.row,
                    "phone": r.phone,
                    "state": r.state,
                    "result": r.result or "",
                    "reason": r.reason or "",
                    "attempts": r.attempts,
                    "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else "",
                    "waiting": r.waiting or "",
                    "timezone": r.timezone,
                    "channel": r.channel,
                    "email_status": r.email_status or "",
                }
                for r in rows
            ]

    async def attempts_detail(self, campaign_id: int) -> list[dict[str, Any]]:
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(DialAttempt)
                    .where(DialAttempt.campaign_id == campaign_id)
                    .order_by(DialAttempt.created_at, DialAttempt.id)
                )
            ).scalars()
            return [
                {
                    "attempt": r.id,
                    "phone": r.phone,
                    "number": r.number,
                    "status": r.status,
                    "result": r.result or "",
                    "reason": r.reason or "",
                    "hangup_cause": r.hangup_cause or "",
                    "created_at": r.created_at.isoformat(),
                    "answered_at": r.answered_at.isoformat() if r.answered_at else "",
                    "ended_at": r.ended_at.isoformat() if r.ended_at else "",
                    "key_played": r.key_played,
                    "confirmed": r.confirmed,
                    "transferred": r.transferred,
                }
                for r in rows
            ]

    async def attempts_since(self, phone: str, since: dt.datetime) -> int:
        async with self.db.session() as session:
            return (
                await session.execute(
                    select(func.count())
                    .select_from(DialAttempt)
                    .where(and_(DialAttempt.phone == phone, DialAttempt.created_at >= since))
                )
            ).scalar_one()


def _with_deliver_by(variables: dict[str, str], deliver_by: str | None) -> dict[str, str]:
    return {**variables, "deliver_by": deliver_by} if deliver_by else dict(variables)
