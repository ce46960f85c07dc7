"""The wallboard: a page, and a stream of redrawn boards over SSE (htmx's sse extension swaps
each one in; the monitoring panel reloads with each).  A redraw follows every queue or channel
event from AMI and every queue, operator or callback change another process announced
(NOTIFY on PostgreSQL, issue 20), at most every
``web.wallboard_min_interval`` seconds, and at least every ``web.wallboard_refresh_seconds``
so the wait clocks move between events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from sse_starlette import EventSourceResponse

from hotline.access.users import Permission
from hotline.core.clock import utc_now
from hotline.transport.ami import AmiClient
from hotline.web.live import changed, live_waker
from hotline.web.pages import fragment, page
from hotline.web.security import Viewer, require, while_allowed
from hotline.web.simulated import SimulatedCalls, simulated_calls
from hotline.web.wallboard_model import LIVE_EVENTS, snapshot

router = APIRouter()

SSE_EVENT = "wallboard"
# Queue depth for one open board: a burst longer than this is one redraw anyway.
BOARD_QUEUE_SIZE = 256


async def _board(request: Request, who: Viewer, test: bool | None) -> tuple[str, SimulatedCalls]:
    state = request.app.state
    now = utc_now()
    midnight = datetime.combine(
        now.astimezone(ZoneInfo(state.settings.hours.timezone)).date(),
        time(),
        ZoneInfo(state.settings.hours.timezone),
    )
    simulated = await simulated_calls(request, test, midnight, now)
    board = await snapshot(
        state.db, state.settings, state.ami, include_simulated=simulated.included, now=now
    )
    html = fragment(request, "wallboard_board.html", who, board=board, simulated=simulated)
    return html, simulated


@router.get("/wallboard", response_class=HTMLResponse)
async def wallboard_page(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))],
    test: bool | None = None,
) -> Response:
    html, simulated = await _board(request, who, test)
    return page(request, "wallboard.html", who, board_html=html, simulated=simulated)


@router.get("/wallboard/stream")
async def wallboard_stream(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))],
    test: bool | None = None,
) -> EventSourceResponse:
    settings = request.app.state.settings.web
    ami: AmiClient | None = request.app.state.ami
    sub = ami.subscribe(LIVE_EVENTS, BOARD_QUEUE_SIZE) if ami is not None else None

    async def boards() -> AsyncIterator[dict[str, Any]]:
        try:
            async with live_waker(request) as waker:
                while True:
                    html, _ = await _board(request, who, test)
                    yield {"event": SSE_EVENT, "data": html}
                    await asyncio.sleep(settings.wallboard_min_interval)
                    await changed(sub, waker, settings.wallboard_refresh_seconds)
        finally:
            if ami is not None and sub is not None:
                ami.unsubscribe(sub)

    # The client's disconnect cancels the generator (sse-starlette watches for it).
    return EventSourceResponse(
        while_allowed(request, who, Permission.OWN_CALLS, boards()), ping=15
    )
