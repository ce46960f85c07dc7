"""Supervisor monitoring on the wallboard (issue 17 item 7): the operators in a call with the
length of their conversation against R-039's limits, and listen / whisper / barge, which ring
the supervisor's own phone into ChanSpy.  Supervisors only (Permission.MONITOR); every use is
audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from hotline.access.users import Permission
from hotline.contact_center.departments import departments
from hotline.contact_center.monitor import MonitorError, active_calls, spy
from hotline.contact_center.operators import check_name
from hotline.core.clock import utc_now
from hotline.dialplan.names import SpyMode
from hotline.transport.ami import AmiError
from hotline.web.pages import fragment
from hotline.web.security import Viewer, require, require_checked

router = APIRouter()


async def _panel(
    request: Request, who: Viewer, message: str | None = None, ok: bool = False
) -> str:
    state = request.app.state
    return fragment(
        request,
        "desk_monitor_panel.html",
        who,
        calls=await active_calls(state.db, state.settings, utc_now()),
        modes=list(SpyMode),
        limits=state.settings.monitor,
        titles={d.id: d.title for d in departments(state.settings.queue).values()},
        message=message,
        ok=ok,
    )


@router.get("/wallboard/monitor", response_class=HTMLResponse)
async def monitor_panel(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.MONITOR))]
) -> HTMLResponse:
    return HTMLResponse(await _panel(request, who))


@router.post("/wallboard/monitor", response_class=HTMLResponse)
async def monitor(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.MONITOR))],
    operator: Annotated[str, Form(max_length=32)],
    mode: Annotated[SpyMode, Form()],
) -> HTMLResponse:
    state = request.app.state
    try:
        await spy(state.ami, state.db, check_name(operator), mode, who.name, who.actor)
    except (MonitorError, AmiError, ValueError) as exc:
        return HTMLResponse(await _panel(request, who, f"Не выполнено: {exc}"), status_code=409)
    return HTMLResponse(await _panel(request, who, "Звоним на ваш телефон.", ok=True))
