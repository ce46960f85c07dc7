"""The daily voice-quality report (issue 17 item 8; R-135): the SIP calls of a local day
measured, those over the loss, jitter or delay thresholds listed.  The same as
``hotline quality report``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from hotline.access.users import Permission
from hotline.contact_center.quality import daily_report
from hotline.web.pages import page
from hotline.web.security import Viewer, require

router = APIRouter()


@router.get("/reports/quality", response_class=HTMLResponse)
async def quality_page(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.ALL_CALLS))],
    day: str | None = None,
) -> HTMLResponse:
    state = request.app.state
    zone = ZoneInfo(state.settings.hours.timezone)
    message = None
    try:
        chosen = date.fromisoformat(day) if day else datetime.now(zone).date()
    except ValueError:
        chosen, message = (
            datetime.now(zone).date(),
            f"«{day}» — не дата, показан сегодняшний день.",
        )
    found = await daily_report(state.db, chosen, zone)
    return page(
        request,
        "desk_quality.html",
        who,
        day=chosen,
        report=found,
        limits=state.settings.quality,
        zone=zone,
        message=message,
        status_code=422 if message else 200,
    )
