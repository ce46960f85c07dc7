"""Current outages (R-097, R-032): the dispatcher or a supervisor registers one with its area,
cause and expected restoration time, sees the open ones and closes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.access.users import Permission
from hotline.contact_center.outages import close, parse_place, register
from hotline.store.outages import CAUSE_MAX, OutageStore, Place
from hotline.web.pages import page
from hotline.web.security import Viewer, require, require_checked

router = APIRouter()


@router.get("/outages", response_class=HTMLResponse)
async def outages_page(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.OUTAGES))]
) -> Response:
    return await _page(request, who)


@router.post("/outages")
async def outage_add(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.OUTAGES))],
    cause: Annotated[str, Form(max_length=CAUSE_MAX)],
    restore: Annotated[str, Form(max_length=32)],
    places: Annotated[str, Form(max_length=20000)] = "",
    accounts: Annotated[str, Form(max_length=100000)] = "",
) -> Response:
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    try:
        when = datetime.fromisoformat(restore.strip())
        if when.tzinfo is None:
            when = when.replace(tzinfo=zone)
        area: list[Place] = [parse_place(line) for line in places.splitlines() if line.strip()]
        await register(
            request.app.state.db,
            cause=cause,
            restore_at=when,
            places=area,
            accounts=accounts.replace(",", " ").split(),
            by=who.actor,
        )
    except ValueError as exc:
        return await _page(request, who, f"Отключение не зарегистрировано: {exc}", 422)
    return RedirectResponse("/outages", status_code=303)


@router.post("/outages/{outage_id}/close")
async def outage_close(
    request: Request,
    outage_id: int,
    who: Annotated[Viewer, Depends(require_checked(Permission.OUTAGES))],
) -> Response:
    if await close(request.app.state.db, outage_id, who.actor) is None:
        return await _page(request, who, f"Отключение {outage_id} не найдено.", 404)
    return RedirectResponse("/outages", status_code=303)


async def _page(
    request: Request, who: Viewer, message: str | None = None, status_code: int = 200
) -> Response:
    found = await OutageStore(request.app.state.db).list(open_only=True)
    return page(
        request, "outages.html", who, status_code=status_code, outages=found, message=message
    )
