"""The call list: supervisors see every call, operators the calls they answered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from hotline.access.calls import MAX_CALLS, visible_calls
from hotline.access.users import Permission
from hotline.store.quality import CallQualityStore
from hotline.web.pages import page
from hotline.web.security import Viewer, require
from hotline.web.simulated import simulated_calls
from hotline.web.views.reports import ReportWindow

router = APIRouter()


@router.get("/calls", response_class=HTMLResponse)
async def calls(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))],
    span: ReportWindow,
    test: bool | None = None,
) -> Response:
    state = request.app.state
    simulated = await simulated_calls(request, test, span.first, span.last)
    operator = None if who.may(Permission.ALL_CALLS) else who.name
    found = await visible_calls(
        state.db,
        span.first,
        span.last,
        by=who.actor,
        operator=operator,
        include_simulated=simulated.included,
    )
    return page(
        request,
        "calls.html",
        who,
        calls=found,
        own_only=operator is not None,
        start=span.start,
        end=span.end,
        limit=MAX_CALLS,
        simulated=simulated,
        # calls whose voice quality passed a threshold, marked in the list.
        quality=await CallQualityStore(state.db).flagged_among([c.uniqueid for c in found]),
    )
