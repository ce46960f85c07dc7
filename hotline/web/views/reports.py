"""Reports for supervisors: the page with its chart, and the same report as CSV or XLSX."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from hotline.access.users import Permission
from hotline.calls import ivr_report
from hotline.calls.ivr_figures import IvrFigures, ivr_figures
from hotline.calls.ivr_stats import IvrExit
from hotline.contact_center.departments import departments
from hotline.contact_center.kpi import QueueReport
from hotline.contact_center.queue_buckets import Bucket, BucketKpi, bucket_sheet, by_bucket
from hotline.contact_center.queue_report import build_report, report_sheets
from hotline.contact_center.satisfaction import Satisfaction, satisfaction_sheet
from hotline.store.ratings import RatingStore
from hotline.store.rollup_buckets import Slots
from hotline.web.charts import CALLS, PERCENT, Line, Step, chart_json, floor
from hotline.web.dates import BadRequest, web_period
from hotline.web.pages import page, table_download
from hotline.web.security import Viewer, require
from hotline.web.simulated import included, simulated_calls

router = APIRouter(prefix="/reports")

DEFAULT_DAYS = 7


def period(request: Request, start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """``[first, last)`` from the form's dates; the last week by default."""
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    today = datetime.now(zone).date()
    return web_period(
        start or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        end or today.isoformat(),
        zone,
    )


@dataclass(frozen=True)
class Window:
    """A report's ``[first, last)``."""

    first: datetime
    last: datetime

    @property
    def start(self) -> str:
        return self.first.date().isoformat()

    @property
    def end(self) -> str:
        """The last day shown (``last`` is the midnight after it)."""
        return (self.last - timedelta(seconds=1)).date().isoformat()

    @property
    def one_day(self) -> bool:
        return self.start == self.end

    def stem(self, name: str) -> str:
        return f"{name}-{self.start.replace('-', '')}-{self.end.replace('-', '')}"


def window(request: Request, start: str | None = None, end: str | None = None) -> Window:
    """The report's period from the query (dates; the last week when not given)."""
    return Window(*period(request, start, end))


Supervisor = Annotated[Viewer, Depends(require(Permission.ALL_CALLS))]
ReportWindow = Annotated[Window, Depends(window)]


async def _ivr(request: Request, span: Window, include: bool, step: Step) -> IvrFigures:
    """The IVR report over the period, computed in SQL (issue 19), its series summed per
    local ``step`` (hours also make the days)."""
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    seconds = 3600 if step is Step.HOUR else 86400
    return await ivr_figures(
        request.app.state.db,
        span.first,
        span.last,
        include_simulated=include,
        slots=Slots(zone, seconds),
    )


@router.get("/ivr", response_class=HTMLResponse)
async def ivr_page(
    request: Request,
    who: Supervisor,
    span: ReportWindow,
    test: bool | None = None,
) -> Response:
    simulated = await simulated_calls(request, test, span.first, span.last)
    step = Step.HOUR if span.one_day else Step.DAY
    figures = await _ivr(request, span, simulated.included, step)
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    stats, days = figures.stats, figures.by_day(zone)
    tallies = figures.tallies(lambda at: floor(at, zone, step))
    lines = [
        Line("Звонков", {at: c.total() for at, c in tallies.items()}),
        Line("Без оператора", {at: c[IvrExit.SELF_SERVED] for at, c in tallies.items()}),
        Line("К оператору", {at: c[IvrExit.OPERATOR] for at, c in tallies.items()}),
    ]
    chart = chart_json(span.first, span.last, zone, step, lines, CALLS)
    return page(
        request,
        "report_ivr.html",
        who,
        stats=stats,
        days=days,
        start=span.start,
        end=span.end,
        chart=chart,
        simulated=simulated,
    )


@router.get("/ivr.{fmt}")
async def ivr_download(
    request: Request,
    fmt: str,
    who: Supervisor,
    span: ReportWindow,
    test: bool | None = None,
) -> Response:
    figures = await _ivr(request, span, included(request, test), Step.DAY)
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    sheets = ivr_report.sheets(figures.stats, figures.by_day(zone))
    return await table_download(sheets, span.stem("ivr"), fmt)


def _department(request: Request, queue: str | None) -> str | None:
    """The department a report is for (R-097); None: the whole hotline; 422 if unknown."""
    if queue in (None, ""):
        return None
    if queue not in departments(request.app.state.settings.queue):
        raise BadRequest(f"Неизвестная очередь: {queue}")
    return queue


async def _queue(
    request: Request, span: Window, by: Bucket, queue: str | None, include: bool
) -> tuple[QueueReport, list[BucketKpi], Satisfaction]:
    first, last = span.first, span.last
    state = request.app.state
    zone = ZoneInfo(state.settings.hours.timezone)
    report = await build_report(
        state.db,
        state.settings,
        first,
        last,
        include_simulated=include,
        department=_department(request, queue),
    )
    # Ratings after operator calls: by operator, every queue.
    ratings = await RatingStore(state.db).by_operator(first, last, include_simulated=include)
    return report, by_bucket(report.calls, zone, by), Satisfaction(tuple(ratings))


@router.get("/queue", response_class=HTMLResponse)
async def queue_page(
    request: Request,
    who: Supervisor,
    span: ReportWindow,
    by: Bucket | None = None,
    queue: str | None = None,
    test: bool | None = None,
) -> Response:
    by = by or (Bucket.HOUR if span.one_day else Bucket.DAY)
    simulated = await simulated_calls(request, test, span.first, span.last)
    report, buckets, satisfaction = await _queue(request, span, by, queue, simulated.included)
    settings = request.app.state.settings.queue
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    lines = [
        Line("Уровень сервиса, %", {b.start: _pct(b.service_level) for b in buckets}, None),
        Line("Потерянные, %", {b.start: _pct(b.lost_ratio) for b in buckets}, None),
        Line(
            f"Цель: уровень сервиса {_pct(settings.service_level_target)} %",
            {},
            target=_pct(settings.service_level_target),
        ),
        Line(
            f"Предел: потерянные {_pct(settings.max_lost_ratio)} %",
            {},
            target=_pct(settings.max_lost_ratio),
        ),
    ]
    chart = chart_json(span.first, span.last, zone, Step(by.value), lines, PERCENT)
    return page(
        request,
        "report_queue.html",
        who,
        report=report,
        buckets=buckets,
        by=by,
        zone=ZoneInfo(request.app.state.settings.hours.timezone),
        queues=list(departments(settings).values()),
        queue=queue or "",
        start=span.start,
        end=span.end,
        chart=chart,
        simulated=simulated,
        satisfaction=satisfaction,
    )


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


@router.get("/queue.{fmt}")
async def queue_download(
    request: Request,
    fmt: str,
    who: Supervisor,
    span: ReportWindow,
    by: Bucket = Bucket.DAY,
    queue: str | None = None,
    test: bool | None = None,
) -> Response:
    report, buckets, satisfaction = await _queue(request, span, by, queue, included(request, test))
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    tables = [
        *report_sheets(report, zone),
        satisfaction_sheet(satisfaction),
        bucket_sheet(buckets, by),
    ]
    return await table_download(tables, span.stem("queue"), fmt)
