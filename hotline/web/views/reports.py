"""Reports for supervisors: the page with its chart, and the same report as CSV or XLSX."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse

from hotline.access.users import Permission
from hotline.calls import ivr_report
from hotline.calls.ivr_stats import IvrStats, ivr_stats
from hotline.contact_center.kpi import QueueReport
from hotline.contact_center.queue_buckets import Bucket, BucketKpi, bucket_sheet, by_bucket
from hotline.contact_center.queue_report import build_report, report_sheets
from hotline.core.report_period import parse_period
from hotline.store.calllog import CallLog
from hotline.web.pages import page, table_download
from hotline.web.security import Viewer, require

router = APIRouter(prefix="/reports")

DEFAULT_DAYS = 7


def period(request: Request, start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """``[first, last)`` from the form's dates; the last week by default."""
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    today = datetime.now(zone).date()
    try:
        return parse_period(
            start or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            end or today.isoformat(),
            zone,
        )
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


def _stem(name: str, first: datetime, last: datetime) -> str:
    return f"{name}-{first:%Y%m%d}-{last - timedelta(seconds=1):%Y%m%d}"


async def _ivr(
    request: Request, start: str | None, end: str | None
) -> tuple[IvrStats, list[ivr_report.Day], datetime, datetime]:
    first, last = period(request, start, end)
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    include = request.app.state.settings.web.include_simulated
    calls = await CallLog(request.app.state.db).between(first, last, include_simulated=include)
    stats = ivr_stats(calls, include_simulated=include)
    return stats, ivr_report.by_day(stats.paths, zone), first, last


@router.get("/ivr", response_class=HTMLResponse)
async def ivr_page(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.ALL_CALLS))],
    start: str | None = None,
    end: str | None = None,
) -> Response:
    stats, days, first, last = await _ivr(request, start, end)
    chart = {
        "x": [datetime.combine(d.day, datetime.min.time()).timestamp() for d in days],
        "series": [
            {"label": "Звонков", "values": [d.calls for d in days]},
            {"label": "Без оператора", "values": [d.self_served for d in days]},
            {"label": "К оператору", "values": [d.operator for d in days]},
        ],
    }
    return page(
        request,
        "report_ivr.html",
        who,
        stats=stats,
        days=days,
        start=first.date().isoformat(),
        end=(last - timedelta(seconds=1)).date().isoformat(),
        chart=json.dumps(chart),
    )


@router.get("/ivr.{fmt}")
async def ivr_download(
    request: Request,
    fmt: str,
    who: Annotated[Viewer, Depends(require(Permission.ALL_CALLS))],
    start: str | None = None,
    end: str | None = None,
) -> Response:
    stats, days, first, last = await _ivr(request, start, end)
    return await table_download(ivr_report.sheets(stats, days), _stem("ivr", first, last), fmt)


async def _queue(
    request: Request, start: str | None, end: str | None, by: Bucket
) -> tuple[QueueReport, list[BucketKpi], datetime, datetime]:
    first, last = period(request, start, end)
    state = request.app.state
    zone = ZoneInfo(state.settings.hours.timezone)
    report = await build_report(
        state.db,
        state.settings,
        first,
        last,
        include_simulated=state.settings.web.include_simulated,
    )
    return report, by_bucket(report.calls, zone, by), first, last


@router.get("/queue", response_class=HTMLResponse)
async def queue_page(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.ALL_CALLS))],
    start: str | None = None,
    end: str | None = None,
    by: Bucket = Bucket.DAY,
) -> Response:
    report, buckets, first, last = await _queue(request, start, end, by)
    settings = request.app.state.settings.queue
    chart = {
        "x": [b.start.timestamp() for b in buckets],
        "series": [
            {"label": "Уровень сервиса, %", "values": [_pct(b.service_level) for b in buckets]},
            {"label": "Потерянные, %", "values": [_pct(b.lost_ratio) for b in buckets]},
            {
                "label": "Цель: уровень сервиса",
                "values": [_pct(settings.service_level_target)] * len(buckets),
            },
            {
                "label": "Предел: потерянные",
                "values": [_pct(settings.max_lost_ratio)] * len(buckets),
            },
        ],
    }
    return page(
        request,
        "report_queue.html",
        who,
        report=report,
        buckets=buckets,
        by=by,
        start=first.date().isoformat(),
        end=(last - timedelta(seconds=1)).date().isoformat(),
        chart=json.dumps(chart),
    )


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


@router.get("/queue.{fmt}")
async def queue_download(
    request: Request,
    fmt: str,
    who: Annotated[Viewer, Depends(require(Permission.ALL_CALLS))],
    start: str | None = None,
    end: str | None = None,
    by: Bucket = Bucket.DAY,
) -> Response:
    report, buckets, first, last = await _queue(request, start, end, by)
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    tables = [*report_sheets(report, zone), bucket_sheet(buckets, by)]
    return await table_download(tables, _stem("queue", first, last), fmt)
