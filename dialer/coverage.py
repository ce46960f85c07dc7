"""Survey coverage of the target group (issue 22; R-105: every customer surveyed at least once
in 12 months): the report, its download, and what closes the gap: a survey campaign built from
the customers not surveyed within the window (a draft, approved and started as any campaign:
R-087; the 3-month cap and the calling hours apply as to any campaign), and a monthly
schedule that builds one automatically (the campaign calendar's schedules, with the target
group's filter and ``not_surveyed_months``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialer import operations, scheduled
from dialer.model import CampaignRules
from dialer.repository import CampaignError, DialerStore
from dialer.repository.coverage import Coverage, coverage
from dialer.repository.schedules import ScheduleRecord, Schedules
from dialer.schedule import AccountFilter, parse_filter
from hotline.core import spreadsheets as tabular
from hotline.core.clock import utc_now
from hotline.settings import Settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database


def target_of(settings: Settings) -> AccountFilter:
    """The target group (``coverage.target``), ScheduleError when the setting is bad."""
    return parse_filter(settings.coverage.target)


def uncovered_filter(settings: Settings) -> AccountFilter:
    """The target group's accounts not surveyed within the window."""
    months = settings.coverage.window_months
    return target_of(settings).model_copy(update={"not_surveyed_months": months})


async def report(db: Database, settings: Settings, now: datetime | None = None) -> Coverage:
    zone = ZoneInfo(settings.hours.timezone)
    window = settings.coverage.window_months
    return await coverage(db, target_of(settings), window, now or utc_now(), zone)


def sheets(result: Coverage) -> list[tabular.Sheet]:
    """The report as a download (Russian headers)."""
    summary = (
        ("в целевой группе", result.group),
        (f"опрошены за {result.window_months} мес.", result.covered),
        ("охват, %", result.percent),
        ("не опрошены ни разу", result.never),
        ("просрочены (опрошены раньше)", result.overdue),
        ("просрочатся в течение месяца", result.due_soon),
    )
    months = tuple((m.month, m.count) for m in result.months)
    return [
        tabular.Sheet("охват", ("показатель", "абонентов"), summary),
        tabular.Sheet("по месяцам", ("месяц", "выходят из окна охвата"), months),
    ]


async def create_campaign(
    db: Database,
    settings: Settings,
    name: str,
    scenario: str,
    by: Actor,
    *,
    rules: CampaignRules | None = None,
    scenario_version: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A survey campaign (a draft to approve and start) calling the target group's customers
    not surveyed within the window; its detail (accounts, contacts, bad rows).  CampaignError
    when the scenario is not a survey or nobody is left to call."""
    now = now or utc_now()
    operations.check_campaign_name(name)
    rules = rules or CampaignRules()
    version = await DialerStore(db).scenario(scenario, scenario_version)
    if not version.scenario.survey:
        raise CampaignError(f"scenario {scenario!r} is not a survey")
    today = now.astimezone(ZoneInfo(settings.hours.timezone)).date()
    accounts = await Schedules(db).matching_accounts(uncovered_filter(settings), today, now)
    checked, detail = await scheduled.check_accounts(
        db, settings, version.scenario, rules, accounts, now
    )
    if not checked.contacts:
        raise CampaignError(
            f"nobody to call: every customer of the target group was surveyed within "
            f"{settings.coverage.window_months} months or is refused ({detail['bad']} rows)"
        )
    await operations.create(
        db, name, scenario, rules, by, scenario_version=version.version, sms=settings.sms, now=now
    )
    source = f"coverage:{today:%Y-%m-%d}"
    await operations.attach_contacts(db, name, name, source, checked, by, now=now)
    audit = {key: value for key, value in detail.items() if key != "bad_rows"}
    await AuditLog(db).write(by, "survey.coverage.campaign", name, audit)
    return detail


async def add_schedule(
    db: Database,
    settings: Settings,
    name: str,
    scenario: str,
    day: int,
    by: Actor,
    *,
    rules: CampaignRules | None = None,
    run_days: int | None = None,
) -> ScheduleRecord:
    """A monthly schedule building a survey campaign from the customers not surveyed within
    the window on ``day`` (started at once, approved in ``by``'s name as every schedule)."""
    version = await DialerStore(db).scenario(scenario)
    if not version.scenario.survey:
        raise CampaignError(f"scenario {scenario!r} is not a survey")
    return await scheduled.add(
        db,
        name,
        scenario,
        day,
        uncovered_filter(settings),
        rules or CampaignRules(),
        by,
        run_days=run_days,
    )
