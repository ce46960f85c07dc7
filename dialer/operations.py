"""Campaign operations as people perform them, from the CLI or the console: each checks who
may do it, changes the store and writes the audit log.  Neither front end adds rules.

Each takes the database and builds the repositories it needs (the dialer's tables, the audit
log, console users, customer accounts)."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from dialer.accounts import StoredAccounts
from dialer.contacts import (
    ImportFileError,
    ImportReport,
    RowProblem,
    account_numbers,
    read_contacts,
)
from dialer.model import CampaignKind, CampaignRules, Scenario
from dialer.report import CampaignReport, campaign_report
from dialer.repository import CampaignError, CampaignRecord, DialerStore
from dialer.sms import check_template, sms_problems
from hotline.access.users import Permission, allowed
from hotline.core.clock import utc_now
from hotline.protocol.sms import SmsTextError
from hotline.settings import Settings, SmsSettings
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.ratings import months_before
from hotline.store.users import UserStore

ACTIONS: Final = ("start", "pause", "resume", "stop")

# Campaign names appear in URLs, file names and reports: slugs only (no ".", "..", spaces).
CAMPAIGN_NAME: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# Console paths under /campaigns/ that are not campaigns (the calendar and the survey
# coverage, issue 22).
RESERVED_NAMES: Final = frozenset({"calendar", "coverage"})


def check_campaign_name(name: str) -> str:
    """``name`` if it is a slug; CampaignError naming the rule otherwise."""
    if name in RESERVED_NAMES:
        raise CampaignError(f"campaign name {name!r} is taken by a console page")
    if not CAMPAIGN_NAME.fullmatch(name):
        raise CampaignError(
            f"bad campaign name {name!r}: 1-63 characters, lower-case latin letters, digits "
            "and '-', starting with a letter or digit"
        )
    return name


async def _audit(db: Database, by: Actor, action: str, name: str) -> None:
    await AuditLog(db).write(by, f"campaign.{action}", name)


async def create(
    db: Database,
    name: str,
    scenario: str,
    rules: CampaignRules,
    by: Actor,
    *,
    scenario_version: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    sms: SmsSettings | None = None,
    now: datetime | None = None,
) -> None:
    check_campaign_name(name)
    store = DialerStore(db)
    version = await store.scenario(scenario, scenario_version)
    try:
        check_template(version.scenario, sms or SmsSettings())
    except (SmsTextError, ValueError) as exc:
        raise CampaignError(f"the scenario's SMS text cannot be sent: {exc}") from exc
    await store.create_campaign(
        name, version.id, rules, by.name, now or utc_now(), starts_at=starts_at, ends_at=ends_at
    )
    await _audit(db, by, "create", name)


async def check_contacts(
    db: Database, settings: Settings, name: str, file: Path, *, now: datetime | None = None
) -> ImportReport:
    """Every row of a contact file checked for the campaign's scenario; nothing stored.
    Contacts linked to accounts take time zone and debt from them; a survey's customers
    surveyed within the frequency cap before ``now`` are dropped (R-105)."""
    store = DialerStore(db)
    campaign = await store.campaign(name)
    scenario = (await store.scenario_by_id(campaign.scenario_id)).scenario
    try:
        linked = await asyncio.to_thread(account_numbers, file)
        return await check_list(
            db,
            settings,
            scenario,
            campaign.rules,
            linked,
            functools.partial(read_contacts, file),
            now=now,
        )
    except (ImportFileError, OSError, UnicodeDecodeError) as exc:
        raise CampaignError(str(exc)) from exc


async def check_list(
    db: Database,
    settings: Settings,
    scenario: Scenario,
    rules: CampaignRules,
    linked: set[str],
    read: Callable[..., ImportReport],
    *,
    now: datetime | None = None,
) -> ImportReport:
    """The import checks of a list (a file, or rows built from the accounts table): ``read``
    (``read_contacts`` on a file, or ``check_rows`` on rows; run in a thread) with the
    do-not-call list, the ``linked`` accounts, the contract numbers and the outage lead time;
    then the survey cap and the SMS length.  Nothing stored."""
    store = DialerStore(db)
    report = await asyncio.to_thread(
        read,
        scenario.variables(),
        region=settings.dialer.default_region,
        do_not_call=await store.dnc_numbers(),
        accounts=await StoredAccounts(db).lookup(linked),
        contract_numbers=rules.numbers_from_contract(scenario.kind),
        outage_not_before=_outage_not_before(settings, rules, scenario),
    )
    if scenario.survey:
        await drop_surveyed(store, report, settings.rating.min_interval_months, now or utc_now())
    # each contact's SMS, filled in with their values, must fit.
    company = settings.speech.company_name
    report.errors.extend(sms_problems(report, scenario, rules, settings.sms, company))
    return report


async def drop_surveyed(
    store: DialerStore, report: ImportReport, months: int, now: datetime
) -> None:
    """R-105: a customer surveyed (any survey campaign, or the rating of an operator call)
    within the last ``months`` is not surveyed again: the row is dropped, with the reason."""
    if months <= 0 or not report.contacts:
        return
    since = months_before(now, months)
    surveyed = await store.surveyed_since([c.phone for c in report.contacts], since)
    kept = []
    for contact in report.contacts:
        when = surveyed.get(contact.phone)
        if when is None:
            kept.append(contact)
            continue
        why = f"surveyed on {when:%d.%m.%Y}: at most one survey in {months} months (R-105)"
        report.dropped.append(RowProblem(contact.row, "phone", why))
    report.contacts = kept


def _outage_not_before(
    settings: Settings, rules: CampaignRules, scenario: Scenario
) -> tuple[datetime, str] | None:
    """For an outage notice, the earliest outage start it may announce (R-089: at least
    ``dialer.outage_lead_days`` ahead) and the zone of contacts without one."""
    if scenario.kind is not CampaignKind.OUTAGE:
        return None
    earliest = utc_now() + timedelta(days=settings.dialer.outage_lead_days)
    return earliest, rules.contact_zone(settings.hours.timezone)


async def attach_contacts(
    db: Database,
    name: str,
    list_name: str,
    source: str,
    report: ImportReport,
    by: Actor,
    *,
    now: datetime | None = None,
) -> None:
    """Store a checked list (all rows, or none when the report has errors)."""
    when = now or utc_now()
    await DialerStore(db).attach_list(name, list_name, source, report, by.name, when)
    await AuditLog(db).write(
        by, "campaign.contacts", name, {"list": list_name, "contacts": len(report.contacts)}
    )


async def check_approver(db: Database, by: str) -> None:
    """Once console users exist, only a user allowed to run campaigns (a supervisor, the
    seeds' manager) approves; on a fresh install without users the name is taken as given."""
    users = UserStore(db)
    if not await users.all():
        return
    user = await users.get(by)
    if user is None or user.disabled or not allowed(user.role, Permission.CAMPAIGNS):
        raise CampaignError(f"{by} may not approve campaigns (needs a supervisor's role)")


async def approve(
    db: Database, name: str, by: Actor, *, now: datetime | None = None
) -> CampaignRecord:
    """Approval by a supervisor other than the author (the store refuses the author)."""
    await check_approver(db, by.name)
    info = await DialerStore(db).approve(name, by.name, now or utc_now())
    await _audit(db, by, "approve", name)
    return info


async def transition(
    db: Database,
    name: str,
    action: str,
    by: Actor,
    *,
    default_zone: str,
    now: datetime | None = None,
) -> None:
    """``default_zone``: the installation's zone (hours.timezone) for contacts without one
    when the campaign does not override it (R-086)."""
    store = DialerStore(db)
    if action == "start":
        await store.start(name, now or utc_now(), default_zone=default_zone)
    elif action == "pause":
        await store.pause(name)
    elif action == "resume":
        await store.resume(name)
    elif action == "stop":
        await store.stop(name, now or utc_now())
    else:
        raise CampaignError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    await _audit(db, by, action, name)


async def set_limits(db: Database, values: Mapping[str, float], by: Actor) -> dict[str, float]:
    """Change pacing limits (the running engine applies them within a tick); all stored
    limits afterwards."""
    store = DialerStore(db)
    now = utc_now()
    for name, value in values.items():
        await store.set_limit(name, value, by.name, now)
    await AuditLog(db).write(by, "dialer.limits", detail=dict(values))
    return await store.limits()


async def report(db: Database, name: str, by: Actor, form: str) -> CampaignReport:
    """The campaign's results per contact and attempt (personal data: audited with the form
    it is given in); its contacts and attempts are streamed from it (``dialer.report``)."""
    rows = await campaign_report(DialerStore(db), name)
    await AuditLog(db).write(by, "campaign.report", name, {"format": form})
    return rows
