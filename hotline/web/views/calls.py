"""The call list: supervisors see every call, operators the calls they answered."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from hotline.access.calls import MAX_CALLS, visible_calls
from hotline.access.users import Permission
from hotline.store.audit import AuditLog
from hotline.web.pages import page
from hotline.web.security import Viewer, require
from hotline.web.views.reports import period

router = APIRouter()


@router.get("/calls", response_class=HTMLResponse)
async def calls(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))],
    start: str | None = None,
    end: str | None = None,
) -> Response:
    first, last = period(request, start, end)
    state = request.app.state
    operator = None if who.may(Permission.ALL_CALLS) else who.name
    found = await visible_calls(
        state.db,
        first,
        last,
        operator=operator,
        include_simulated=state.settings.web.include_simulated,
    )
    await AuditLog(state.db).write(
        who.actor, "calls.view", detail={"from": first.isoformat(), "calls": len(found)}
    )
    return page(
        request,
        "calls.html",
        who,
        calls=found,
        own_only=operator is not None,
        start=first.date().isoformat(),
        end=(last - timedelta(seconds=1)).date().isoformat(),
        limit=MAX_CALLS,
    )
