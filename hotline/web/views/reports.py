"""Reports for supervisors: the page with its chart, and the same report as CSV or XLSX."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse

from hotline import ivr_report, tabular
from hotline.ivr_stats import IvrStats, ivr_stats
from hotline.periods import parse_period
from hotline.store.calllog import CallLog
from hotline.users import Permission
from hotline.web.render import page
from hotline.web.security import Viewer, require

router = APIRouter(prefix="/reports")

DEFAULT_DAYS = 7


async def _ivr(
    request: Request, start: str | None, end: str | None
) -> tuple[IvrStats, list[ivr_report.Day], datetime, datetime]:
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    today = datetime.now(zone).date()
    try:
        first, last = parse_period(
            start or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            end or today.isoformat(),
            zone,
        )
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    calls = await CallLog(request.app.state.db).between(first, last)
    stats = ivr_stats(calls)
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
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "csv or xlsx")
    stats, days, first, last = await _ivr(request, start, end)
    tables = ivr_report.sheets(stats, days)
    name = f"ivr-{first:%Y%m%d}-{last - timedelta(seconds=1):%Y%m%d}.{fmt}"
    if fmt == "csv":
        body, media = tabular.to_csv(tables), tabular.CSV_MEDIA_TYPE
    else:
        body, media = tabular.to_xlsx(tables), tabular.XLSX_MEDIA_TYPE
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
