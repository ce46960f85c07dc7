"""The campaign calendar (issue 22 item 5) for supervisors and admins: a month of campaigns
from start to end, a running one to its expected finish at the current pace, the monthly
schedules' builds, weekends and Russian public holidays marked; a click opens the campaign.
Registered before the campaign pages, whose ``/campaigns/{name}`` would take it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from dialer import scheduled
from dialer.model import CampaignState
from dialer.report import finish_at_pace
from dialer.repository import CampaignRecord, DialerStore
from dialer.repository.schedules import Schedules
from dialer.window import holiday_name
from hotline.access.users import Permission
from hotline.contact_center.hours import russian_calendar
from hotline.core.clock import utc_now
from hotline.store.db import Database
from hotline.web.campaign_calendar import (
    WEEKDAYS,
    Build,
    Span,
    grid_bounds,
    month_grid,
    parse_month,
    span_last,
)
from hotline.web.dates import BadRequest
from hotline.web.pages import page
from hotline.web.security import Viewer, require

router = APIRouter(prefix="/campaigns")

PLANNED = "planned"  # a build still to come (Build.state)
_GOING = (CampaignState.RUNNING, CampaignState.PAUSED)
BAD_MONTH = "Месяц не распознан. Пожалуйста, укажите его как ГГГГ-ММ, например 2026-12."


def _local(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None


async def _span(
    store: DialerStore, campaign: CampaignRecord, zone: ZoneInfo, now: datetime
) -> Span | None:
    first = _local(campaign.started_at or campaign.starts_at, zone)
    if first is None:
        return None  # a draft without a start date: not on the calendar
    today = now.astimezone(zone).date()
    ended = campaign.state in (CampaignState.FINISHED, CampaignState.STOPPED)
    ends = _local(campaign.finished_at if ended else campaign.ends_at, zone)
    expected = None
    if campaign.state is CampaignState.RUNNING:
        expected = _local(await finish_at_pace(store, campaign, now, zone.key), zone)
    last = span_last(first, ends, expected, today, campaign.state in _GOING)
    return Span(campaign.name, campaign.kind, campaign.state.value, first, last, ends, expected)


async def _builds(
    db: Database, request: Request, first: date, last: date, today: date
) -> list[Build]:
    settings = request.app.state.settings
    schedules = Schedules(db)
    runs = await schedules.runs()
    done = [
        Build(r.schedule, r.period, r.day, r.state.value, r.campaign)
        for r in runs
        if first <= r.day <= last
    ]
    built = {(r.schedule, r.period) for r in runs}
    coming = [
        Build(s.name, period, day, PLANNED)
        for s in await schedules.all()
        for period, day in scheduled.upcoming(s, settings, max(first, today), last)
        if (s.name, period) not in built
    ]
    return done + coming


@router.get("/calendar", response_class=HTMLResponse)
async def campaign_calendar(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.CAMPAIGNS))],
    month: Annotated[str | None, Query()] = None,
) -> Response:
    settings = request.app.state.settings
    db: Database = request.app.state.db
    zone = ZoneInfo(settings.hours.timezone)
    now = utc_now()
    today = now.astimezone(zone).date()
    try:
        first = parse_month(month, today)
    except ValueError:
        raise BadRequest(BAD_MONTH) from None
    start, end = grid_bounds(first)
    store = DialerStore(db)
    campaigns = await store.campaigns()
    spans = [s for c in campaigns if (s := await _span(store, c, zone, now)) is not None]
    shown = [s for s in spans if s.first <= end and s.last >= start]
    builds = await _builds(db, request, start, end, today)
    grid = month_grid(first, shown, builds, russian_calendar(), today, holiday_name)
    ahead = today + timedelta(days=31 * settings.dialer.schedules.calendar_months)
    coming = [b for b in await _builds(db, request, today, ahead, today) if b.state == PLANNED]
    return page(
        request,
        "campaign_calendar.html",
        who,
        month=grid,
        weekdays=WEEKDAYS,
        coming=sorted(coming, key=lambda b: (b.day, b.schedule)),
        undated=[c for c in campaigns if c.started_at is None and c.starts_at is None],
        zone=settings.hours.timezone,
    )
