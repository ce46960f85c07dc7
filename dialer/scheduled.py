"""Campaigns repeating monthly (issue 22 item 5): adding and removing schedules, building a
month's campaign from the accounts table, and the scheduler that builds each one on its day
(in one engine worker: hotline.app runs it as a singleton job).

A build claims its (schedule, month) row first (the unique key: one build per month whatever
the number of workers or people pressing ``run-now``), picks the accounts with the filter,
checks the rows as an imported list is checked (phones, do-not-call, duplicates, contract
numbers, survey cap, SMS length), and only then creates the campaign, attaches the good rows,
approves it in the name of the supervisor who set up the schedule (R-087) and starts it; the
dialer calls within the calling window.  Bad rows are reported in the build's detail."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from dialer import operations
from dialer.contacts import ImportReport, RowProblem, check_rows
from dialer.model import CampaignRules, CampaignState, Scenario
from dialer.repository import CampaignError, DialerStore
from dialer.repository.schedules import (
    STALE_BUILD,
    AccountRow,
    RunRecord,
    ScheduleRecord,
    Schedules,
)
from dialer.schedule import (
    AccountFilter,
    DayOffRule,
    ScheduleRunState,
    campaign_name,
    check_day,
    check_schedule_name,
    due_at,
    occurrences,
)
from dialer.window import window_for
from hotline.contact_center.hours import ProductionCalendar, russian_calendar
from hotline.core.clock import utc_now
from hotline.core.errors import NotFound
from hotline.settings import Settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import STORE_ERRORS, Database

log = logging.getLogger(__name__)

# Who builds the month's campaign (its author: the schedule's author approves it), through
# the engine (the audit log's channel).
SCHEDULER: Final = "scheduler"
ENGINE: Final = "engine"
# Bad rows kept in a build's detail (the rest are counted).
MAX_REPORTED_ROWS: Final = 50
# A failed build's detail key: the store failed midway, the scheduler builds it again.
RETRY: Final = "retry"


def author_of(schedule: str) -> str:
    return f"schedule:{schedule}"


async def add(
    db: Database,
    name: str,
    scenario: str,
    day: int,
    where: AccountFilter,
    rules: CampaignRules,
    by: Actor,
    *,
    scenario_version: int | None = None,
    run_days: int | None = None,
) -> ScheduleRecord:
    """A new schedule; its author must be allowed to approve campaigns (R-087), since each
    month's campaign is approved in their name."""
    check_schedule_name(name)
    check_day(day)
    if run_days is not None and run_days < 1:
        raise CampaignError(f"run days {run_days}: at least 1")
    await operations.check_approver(db, by.name)
    await DialerStore(db).scenario(scenario, scenario_version)  # NotFound if it is not there
    record = ScheduleRecord(
        0, name, scenario, scenario_version, day, where, rules, run_days, by.name, utc_now()
    )
    added = await Schedules(db).add(record)
    detail = {"day": day, "scenario": scenario, "filter": where.model_dump(mode="json")}
    await AuditLog(db).write(by, "campaign.schedule.add", name, detail)
    return added


async def remove(db: Database, name: str, by: Actor) -> None:
    await Schedules(db).remove(name)
    await AuditLog(db).write(by, "campaign.schedule.remove", name)


def day_off_rule(settings: Settings) -> DayOffRule:
    return DayOffRule(settings.dialer.schedules.day_off)


def upcoming(
    schedule: ScheduleRecord,
    settings: Settings,
    first: date,
    last: date,
    calendar: ProductionCalendar | None = None,
) -> list[tuple[str, date]]:
    """(period, day) of the schedule's builds from ``first`` to ``last``."""
    return occurrences(
        schedule.day_of_month,
        day_off_rule(settings),
        calendar or russian_calendar(),
        first,
        last,
    )


def _rows(accounts: list[AccountRow]) -> list[tuple[int, dict[str, Any]]]:
    """The accounts as contact rows (row 2 on, as a file with a header would number them):
    the account fills in the zone and the debt (the scenario's ``amount``, by the lookup)."""
    return [
        (
            number,
            {
                "phone": f"+{account.phone}" if account.phone else "",
                "account": account.number,
                "name": account.name or None,
                # A debt scenario says when payment was due (its `due_date` value).
                "due_date": account.due_date,
            },
        )
        for number, account in enumerate(accounts, start=2)
    ]


@dataclass(frozen=True)
class BuildResult:
    state: ScheduleRunState
    campaign: str | None
    detail: dict[str, Any]


async def build(
    db: Database,
    settings: Settings,
    schedule: ScheduleRecord,
    period: str,
    day: date,
    by: Actor,
    *,
    now: datetime | None = None,
    retry: bool = False,
) -> BuildResult | None:
    """Build and start the month's campaign; None when that month was built (or is being
    built) already.  With ``retry``, a month whose build failed (or was left ``building``
    for ``STALE_BUILD``) is built again: the campaign a failed build left behind is resumed
    (its list attached, approved, started), never made twice."""
    now = now or utc_now()
    schedules = Schedules(db)
    if not await schedules.claim(schedule, period, day, now, retry=retry):
        return None
    try:
        result = await _build(db, settings, schedule, period, day, now)
    except (CampaignError, NotFound, ValueError) as exc:
        result = BuildResult(ScheduleRunState.FAILED, None, {"error": str(exc)})
    except STORE_ERRORS as exc:
        # The store failed midway (a draft may be left): the scheduler tries again.
        log.warning("campaign schedule %s %s: store failed (%s)", schedule.name, period, exc)
        error = f"the database failed: {type(exc).__name__}"
        result = BuildResult(ScheduleRunState.FAILED, None, {"error": error, RETRY: True})
    await schedules.finish(schedule, period, result.state, result.campaign, result.detail, now)
    audit = {"period": period, "state": result.state.value, **result.detail}
    audit.pop("bad_rows", None)
    await AuditLog(db).write(by, "campaign.schedule.run", schedule.name, audit)
    return result


async def _build(
    db: Database,
    settings: Settings,
    schedule: ScheduleRecord,
    period: str,
    day: date,
    now: datetime,
) -> BuildResult:
    version = await DialerStore(db).scenario(schedule.scenario, schedule.scenario_version)
    accounts = await Schedules(db).matching_accounts(schedule.account_filter, day, now)
    report, detail = await check_accounts(
        db, settings, version.scenario, schedule.rules, accounts, now
    )
    name = campaign_name(schedule.name, period)
    scheduler = Actor(author_of(schedule.name), ENGINE)
    try:
        left = await DialerStore(db).campaign(name)  # what a failed build left behind
    except NotFound:
        left = None
    if left is not None and left.author != scheduler.name:
        raise CampaignError(f"a campaign named {name!r} exists, not built by this schedule")
    if not report.contacts and (left is None or left.list_id is None):
        return BuildResult(ScheduleRunState.EMPTY, None, detail)
    if left is None:
        ends = now + timedelta(days=schedule.run_days) if schedule.run_days else None
        await operations.create(
            db,
            name,
            schedule.scenario,
            schedule.rules,
            scheduler,
            scenario_version=version.version,
            starts_at=now,
            ends_at=ends,
            sms=settings.sms,
            now=now,
        )
    else:
        log.info("campaign schedule %s: resuming %s (%s)", schedule.name, name, left.state)
    state = left.state if left is not None else CampaignState.DRAFT
    if left is None or left.list_id is None:
        source = f"accounts:{period}"
        await operations.attach_contacts(db, name, name, source, report, scheduler, now=now)
    if state is CampaignState.DRAFT:
        await operations.approve(db, name, Actor(schedule.author, ENGINE), now=now)
        state = CampaignState.APPROVED
    if state is CampaignState.APPROVED:
        zone = settings.hours.timezone
        await operations.transition(db, name, "start", scheduler, default_zone=zone, now=now)
    return BuildResult(ScheduleRunState.STARTED, name, detail)


async def check_accounts(
    db: Database,
    settings: Settings,
    scenario: Scenario,
    rules: CampaignRules,
    accounts: list[AccountRow],
    now: datetime,
) -> tuple[ImportReport, dict[str, Any]]:
    """The accounts checked as an imported list is (phones, do-not-call, duplicates, survey
    cap, SMS length): the good rows as the report's contacts (bad ones moved to its dropped
    rows, so the list holds the good ones only) and a detail reporting the bad ones."""
    rows = _rows(accounts)
    report = await operations.check_list(
        db,
        settings,
        scenario,
        rules,
        {a.number for a in accounts},
        functools.partial(check_rows, rows),
        now=now,
    )
    by_row = {number: row["account"] for number, row in rows}
    bad = [*report.errors, *report.duplicates, *report.do_not_call, *report.dropped]
    detail: dict[str, Any] = {
        "accounts": len(accounts),
        "contacts": len(report.contacts),
        "bad_rows": [_problem(p, by_row) for p in bad[:MAX_REPORTED_ROWS]],
        "bad": len(bad),
    }
    report.dropped.extend(report.errors)
    report.errors = []
    return report, detail


def _problem(problem: RowProblem, accounts: dict[int, str]) -> str:
    account = accounts.get(problem.row, "?")
    return f"account {account}: {problem.column}: {problem.reason}"


def may_retry(run: RunRecord, now: datetime) -> bool:
    """Whether the scheduler builds this month again: its build failed on the store midway,
    or was left ``building`` (a worker died in it) for ``STALE_BUILD``."""
    if run.state is ScheduleRunState.FAILED:
        return bool(run.detail.get(RETRY))
    return run.state is ScheduleRunState.BUILDING and run.created_at <= now - STALE_BUILD


class ScheduleRunner:
    """Builds each schedule's month on its day, once the calling window opens there (the
    installation's zone, the schedule's calling hours); a build missed while no engine ran
    is made when one runs again, within the next month."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
        calendar: ProductionCalendar | None = None,
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._calendar = calendar

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            try:
                await self.tick()
            except STORE_ERRORS as exc:
                log.warning("campaign schedules: store unreachable (%s)", exc)
            await asyncio.sleep(self._settings.dialer.schedules.check_seconds)

    async def tick(self) -> list[RunRecord]:
        """Build what is due now; the builds made."""
        now = self._clock()
        zone = ZoneInfo(self._settings.hours.timezone)
        today = now.astimezone(zone).date()
        schedules = Schedules(self._db)
        built: list[RunRecord] = []
        for schedule in await schedules.all():
            window = window_for(schedule.rules, schedule.rules.contact_zone(zone.key))
            created = schedule.created_at.astimezone(zone).date()
            first = max(created, today - timedelta(days=31))
            due = upcoming(schedule, self._settings, first, today, self._calendar)
            for period, day in due:
                if now < due_at(day, window, zone):
                    continue
                run = await schedules.run(schedule, period)
                retry = run is not None and may_retry(run, now)
                if run is not None and not retry:
                    continue
                log.info("campaign schedule %s: building %s", schedule.name, period)
                by = Actor(SCHEDULER, ENGINE)
                result = await build(
                    self._db, self._settings, schedule, period, day, by, now=now, retry=retry
                )
                if result is not None:
                    runs = await schedules.runs(schedule.name)
                    built.extend(r for r in runs if r.period == period)
        return built
