"""Monthly campaign schedules and their builds (issue 22 item 5).  A build is claimed by
inserting its (schedule, period) row: the unique key lets exactly one of several workers (or
a person's ``run-now``) build a month's campaign; the others' inserts fail and they build
nothing."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Select, and_, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from dialer.model import CampaignRules, dump, load_rules
from dialer.repository.errors import CampaignError
from dialer.schedule import AccountFilter, ScheduleError, ScheduleRunState
from hotline.core.errors import NotFound
from hotline.store.account_rows import to_kopecks
from hotline.store.db import Database
from hotline.store.models import Account, AccountPhone, CampaignSchedule, CampaignScheduleRun
from hotline.store.ratings import months_before
from hotline.store.surveys import surveyed_events

# A build left ``building`` this long died midway (a build takes seconds): it may be retried.
STALE_BUILD: Final = dt.timedelta(minutes=10)


class ScheduleNotFound(NotFound):
    """No schedule with this name."""


@dataclass(frozen=True)
class ScheduleRecord:
    id: int
    name: str
    scenario: str
    scenario_version: int | None
    day_of_month: int
    account_filter: AccountFilter
    rules: CampaignRules
    run_days: int | None
    author: str
    created_at: dt.datetime


@dataclass(frozen=True)
class RunRecord:
    schedule: str
    period: str
    day: dt.date
    state: ScheduleRunState
    campaign: str | None
    detail: dict[str, Any]
    created_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class AccountRow:
    """What a monthly campaign takes from a matching account."""

    number: str
    name: str
    phone: str | None  # digits only; None: no registered phone
    due_date: dt.date | None


class Schedules:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, schedule: ScheduleRecord) -> ScheduleRecord:
        row = CampaignSchedule(
            name=schedule.name,
            scenario=schedule.scenario,
            scenario_version=schedule.scenario_version,
            day_of_month=schedule.day_of_month,
            account_filter=schedule.account_filter.model_dump(mode="json"),
            rules=dump(schedule.rules),
            run_days=schedule.run_days,
            author=schedule.author,
            created_at=schedule.created_at,
        )
        try:
            async with self._db.session() as session:
                session.add(row)
                await session.flush()
                return _schedule(row)
        except IntegrityError as exc:
            raise ScheduleError(f"schedule {schedule.name!r} exists") from exc

    async def all(self) -> builtins.list[ScheduleRecord]:
        async with self._db.session() as session:
            rows = await session.scalars(select(CampaignSchedule).order_by(CampaignSchedule.name))
            return [_schedule(row) for row in rows]

    async def get(self, name: str) -> ScheduleRecord:
        async with self._db.session() as session:
            row = await session.scalar(
                select(CampaignSchedule).where(CampaignSchedule.name == name)
            )
            if row is None:
                raise ScheduleNotFound(f"no schedule {name!r}")
            return _schedule(row)

    async def remove(self, name: str) -> None:
        """Drop the schedule and its build history (campaigns already built stay)."""
        async with self._db.session() as session:
            gone = await session.execute(
                delete(CampaignSchedule)
                .where(CampaignSchedule.name == name)
                .returning(CampaignSchedule.id)
            )
            if gone.first() is None:
                raise ScheduleNotFound(f"no schedule {name!r}")

    async def claim(
        self,
        schedule: ScheduleRecord,
        period: str,
        day: dt.date,
        now: dt.datetime,
        *,
        retry: bool = False,
    ) -> bool:
        """Claim the month's build; False when it was claimed before (by anyone).  With
        ``retry``, a build that failed, or was left ``building`` for ``STALE_BUILD``, is
        claimed again (one UPDATE: one claimer wins)."""
        try:
            async with self._db.session() as session:
                session.add(
                    CampaignScheduleRun(
                        schedule_id=schedule.id,
                        period=period,
                        day=day,
                        state=ScheduleRunState.BUILDING.value,
                        detail={},
                        created_at=now,
                    )
                )
        except IntegrityError:
            if not retry:
                return False
            return await self._reclaim(schedule, period, now)
        return True

    async def _reclaim(self, schedule: ScheduleRecord, period: str, now: dt.datetime) -> bool:
        building = ScheduleRunState.BUILDING.value
        stale = and_(
            CampaignScheduleRun.state == building,
            CampaignScheduleRun.created_at <= now - STALE_BUILD,
        )
        async with self._db.session() as session:
            taken = await session.execute(
                update(CampaignScheduleRun)
                .where(
                    CampaignScheduleRun.schedule_id == schedule.id,
                    CampaignScheduleRun.period == period,
                    or_(CampaignScheduleRun.state == ScheduleRunState.FAILED.value, stale),
                )
                .values(state=building, created_at=now, finished_at=None)
                .returning(CampaignScheduleRun.id)
            )
            return taken.first() is not None

    async def finish(
        self,
        schedule: ScheduleRecord,
        period: str,
        state: ScheduleRunState,
        campaign: str | None,
        detail: dict[str, Any],
        now: dt.datetime,
    ) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(CampaignScheduleRun)
                .where(
                    CampaignScheduleRun.schedule_id == schedule.id,
                    CampaignScheduleRun.period == period,
                )
                .values(state=state.value, campaign=campaign, detail=detail, finished_at=now)
            )

    async def run(self, schedule: ScheduleRecord, period: str) -> RunRecord | None:
        async with self._db.session() as session:
            row = await session.scalar(
                select(CampaignScheduleRun).where(
                    CampaignScheduleRun.schedule_id == schedule.id,
                    CampaignScheduleRun.period == period,
                )
            )
            return _run(row, schedule.name) if row is not None else None

    async def runs(self, name: str | None = None) -> builtins.list[RunRecord]:
        query = (
            select(CampaignScheduleRun, CampaignSchedule.name)
            .join(CampaignSchedule, CampaignSchedule.id == CampaignScheduleRun.schedule_id)
            .order_by(CampaignScheduleRun.day, CampaignSchedule.name)
        )
        if name is not None:
            query = query.where(CampaignSchedule.name == name)
        async with self._db.session() as session:
            return [_run(run, schedule) for run, schedule in await session.execute(query)]

    async def matching_accounts(
        self, where: AccountFilter, on: dt.date, now: dt.datetime | None = None
    ) -> builtins.list[AccountRow]:
        """The accounts ``where`` picks on local date ``on`` (the survey window counted back
        from ``now``, default: the start of ``on`` in UTC), in number order, each with its
        first registered phone."""
        moment = now or dt.datetime.combine(on, dt.time(0), tzinfo=dt.UTC)
        query = select(Account.number, Account.name, Account.due_date).order_by(Account.number)
        query = query.where(Account.number.in_(accounts_where(where, on, moment)))
        async with self._db.session() as session:
            accounts = [(number, name, due) for number, name, due in await session.execute(query)]
            phones = await _first_phones(session, [number for number, _n, _d in accounts])
        return [
            AccountRow(number, name, phones.get(number), due) for number, name, due in accounts
        ]


def accounts_where(where: AccountFilter, on: dt.date, now: dt.datetime) -> Select[Any]:
    """The numbers of the accounts ``where`` picks on local date ``on`` at ``now`` (SQL)."""
    query = select(Account.number)
    if where.min_debt is not None:
        query = query.where(Account.balance_kopecks > to_kopecks(Decimal(where.min_debt)))
    if where.due_passed:
        query = query.where(Account.due_date.is_not(None), Account.due_date < on)
    if where.timezones:
        query = query.where(Account.timezone.in_(where.timezones))
    if where.number_prefixes:
        starts = (Account.number.startswith(p, autoescape=True) for p in where.number_prefixes)
        query = query.where(or_(*starts))
    if where.has_phone:
        query = query.where(exists().where(AccountPhone.account_number == Account.number))
    if where.not_surveyed_months is not None:
        events = surveyed_events(since=months_before(now, where.not_surveyed_months))
        surveyed = select(AccountPhone.account_number).join(
            events, events.c.digits == AccountPhone.phone
        )
        query = query.where(Account.number.not_in(surveyed))
    return query


async def _first_phones(session: Any, numbers: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        rows = await session.execute(
            select(AccountPhone.account_number, AccountPhone.phone)
            .where(AccountPhone.account_number.in_(chunk))
            .order_by(AccountPhone.account_number, AccountPhone.phone)
        )
        for number, phone in rows:
            found.setdefault(number, phone)
    return found


def _schedule(row: CampaignSchedule) -> ScheduleRecord:
    try:
        where = AccountFilter.model_validate(row.account_filter)
    except ValueError as exc:
        raise CampaignError(f"schedule {row.name!r}: stored filter unreadable: {exc}") from exc
    return ScheduleRecord(
        row.id,
        row.name,
        row.scenario,
        row.scenario_version,
        row.day_of_month,
        where,
        load_rules(row.rules),
        row.run_days,
        row.author,
        row.created_at,
    )


def _run(row: CampaignScheduleRun, schedule: str) -> RunRecord:
    return RunRecord(
        schedule,
        row.period,
        row.day,
        ScheduleRunState(row.state),
        row.campaign,
        dict(row.detail),
        row.created_at,
        row.finished_at,
    )
