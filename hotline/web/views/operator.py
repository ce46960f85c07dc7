"""The operator panel: log in to the queue, pause and unpause, the screen pop of the call just
put through (live over SSE), and the callback list with "done".  The same operations as
``hotline operators`` and ``hotline callbacks``; a console user works the queue as the queue
operator of the same name."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sse_starlette import EventSourceResponse

from hotline.access.users import Permission, allowed
from hotline.contact_center import callback_dial as dialling
from hotline.contact_center import callbacks
from hotline.contact_center import operators as ops
from hotline.contact_center.schedule import load_operator_hours
from hotline.core.clock import utc_now
from hotline.core.errors import NotFound
from hotline.store.callback_attempts import CallbackAttempts
from hotline.store.operators import OperatorRecord, Operators
from hotline.transport.ami import AmiClient, AmiError
from hotline.web.pages import page
from hotline.web.security import Viewer, require, require_checked, while_allowed
from hotline.web.views import operator_desk as desk_views

router = APIRouter()

SSE_EVENT: Final = "screen"
# A connect for this operator redraws the pop at once; otherwise every few seconds.
SCREEN_EVENTS: Final = ("AgentConnect", "AgentComplete", "Hangup")
SCREEN_REFRESH_SECONDS: Final = 5.0
PAUSE_REASONS: Final = ("перерыв", "обучение", "обработка обращения")


async def _operator(request: Request, who: Viewer) -> OperatorRecord | None:
    try:
        return await Operators(request.app.state.db).get(who.name)
    except NotFound:
        return None


async def _panel(request: Request, who: Viewer, message: str | None, status_code: int) -> Response:
    db = request.app.state.db
    open_requests = await callbacks.requests(db, who.actor)
    attempts = await CallbackAttempts(db).for_callbacks(r.id for r in open_requests)
    return page(
        request,
        "operator.html",
        who,
        status_code=status_code,
        operator=await _operator(request, who),
        callbacks=open_requests,
        attempts=attempts,
        now=utc_now(),
        reasons=PAUSE_REASONS,
        screen_html=await _screen(request, who),
        message=message,
    )


async def _screen(request: Request, who: Viewer) -> str:
    state = request.app.state
    pop = await ops.screen_pop(state.db, who.name, state.ami, who.actor)
    return await desk_views.screen_fragment(request, who, pop)


@router.get("/operator", response_class=HTMLResponse)
async def panel(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))]
) -> Response:
    return await _panel(request, who, None, 200)


@router.post("/operator/{action}")
async def queue_action(
    request: Request,
    action: str,
    who: Annotated[Viewer, Depends(require_checked(Permission.OWN_CALLS))],
    reason: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    state = request.app.state
    ami: AmiClient | None = state.ami
    # Only the listed reasons: the <select> is no check, and the reason goes to Asterisk.
    if action == "pause" and reason and reason not in PAUSE_REASONS:
        listed = ", ".join(f"«{r}»" for r in PAUSE_REASONS)
        return await _panel(request, who, f"Причина паузы — одна из: {listed}.", 422)
    if await _operator(request, who) is None:
        return await _panel(request, who, "Вы не заведены как оператор очереди.", 409)
    if ami is None or not ami.connected:
        return await _panel(request, who, "АТС недоступна, попробуйте позже.", 503)
    if action not in ops.QUEUE_ACTIONS:
        return await _panel(request, who, f"Неизвестное действие {action!r}.", 404)
    why = (reason or PAUSE_REASONS[0]) if action == "pause" else None
    try:
        await ops.queue_action(ami, state.db, state.settings, who.name, action, who.actor, why)
    except (ops.OperatorError, AmiError) as exc:
        return await _panel(request, who, f"Не выполнено: {exc}", 409)
    return RedirectResponse("/operator", status_code=303)


@router.post("/callbacks/{callback_id}/done")
async def callback_done(
    request: Request,
    callback_id: int,
    who: Annotated[Viewer, Depends(require_checked(Permission.OWN_CALLS))],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        await callbacks.done(
            request.app.state.db,
            callback_id,
            who.actor,
            note or None,
            any_assignee=allowed(who.role, Permission.ALL_CALLS),
        )
    except NotFound:
        return await _panel(request, who, f"Заявки {callback_id} нет.", 404)
    except callbacks.NotYourCallback:
        return await _panel(request, who, f"Заявка {callback_id} назначена другому.", 403)
    return RedirectResponse("/operator", status_code=303)


@router.post("/callbacks/{callback_id}/slot")
async def callback_slot(
    request: Request,
    callback_id: int,
    who: Annotated[Viewer, Depends(require_checked(Permission.OWN_CALLS))],
    start: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Set or move the agreed window (R-109): ``start`` is the local date and time of the
    operator hours' zone (``<input type="datetime-local">``); the window is the slot length,
    cut at the closing."""
    state = request.app.state
    settings = state.settings
    try:
        local = datetime.fromisoformat(start)
    except ValueError:
        return await _panel(request, who, "Укажите дату и время обратного звонка.", 422)
    zone = ZoneInfo(settings.hours.timezone)
    try:
        await callbacks.set_slot(
            state.db,
            callback_id,
            local.replace(tzinfo=zone) if local.tzinfo is None else local,
            None,
            who.actor,
            hours=await load_operator_hours(state.db, settings.hours),
            settings=settings.callbacks,
            any_assignee=allowed(who.role, Permission.ALL_CALLS),
        )
    except NotFound:
        return await _panel(request, who, f"Заявки {callback_id} нет.", 404)
    except callbacks.NotYourCallback:
        return await _panel(request, who, f"Заявка {callback_id} назначена другому.", 403)
    except callbacks.SlotError as exc:
        return await _panel(request, who, str(exc), 422)
    return RedirectResponse("/operator", status_code=303)


@router.post("/callbacks/{callback_id}/dial")
async def callback_dial(
    request: Request,
    callback_id: int,
    who: Annotated[Viewer, Depends(require_checked(Permission.OWN_CALLS))],
) -> Response:
    """«Позвонить»: the operator's own phone rings, then the customer's (R-109)."""
    state = request.app.state
    try:
        await dialling.dial(
            state.ami,
            state.db,
            state.settings,
            callback_id,
            who.name,
            who.actor,
            any_assignee=allowed(who.role, Permission.ALL_CALLS),
        )
    except NotFound:
        return await _panel(request, who, f"Заявки {callback_id} нет.", 404)
    except callbacks.NotYourCallback:
        return await _panel(request, who, f"Заявка {callback_id} назначена другому.", 403)
    except dialling.DialError as exc:
        return await _panel(request, who, str(exc), 409)
    except AmiError as exc:
        return await _panel(request, who, f"Не выполнено: {exc}", 503)
    return await _panel(request, who, "Звоним: снимите трубку, затем соединим с абонентом.", 200)


@router.get("/operator/stream")
async def screen_stream(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))]
) -> EventSourceResponse:
    ami: AmiClient | None = request.app.state.ami
    sub = ami.subscribe(SCREEN_EVENTS, 64) if ami is not None else None

    async def screens() -> AsyncIterator[dict[str, Any]]:
        db = request.app.state.db
        shown: str | None = None  # the call id on the screen (audited once)
        on_screen: str | None = None  # its uniqueid
        try:
            while True:
                pop = await ops.screen_pop(db, who.name, ami, who.actor, shown=shown)
                shown = pop.get("call_id") if pop else None
                on_screen = pop.get("uniqueid") if pop else None
                html = await desk_views.screen_fragment(request, who, pop)
                yield {"event": SSE_EVENT, "data": html}
                if sub is None:
                    await asyncio.sleep(SCREEN_REFRESH_SECONDS)
                    continue
                with contextlib.suppress(TimeoutError):
                    heard = [await sub.get(SCREEN_REFRESH_SECONDS)]
                    await asyncio.sleep(0.3)  # let the tracker store what it heard first
                    while not sub.queue.empty():
                        heard.append(sub.queue.get_nowait())
                    connect = ops.own_connect(heard, who.name)
                    if connect is not None:
                        # A call put through to this operator: drawn once it is stored.
                        await ops.connect_stored(db, who.name, connect, on_screen)
                    elif on_screen is not None and ops.own_end(heard, who.name, on_screen):
                        # The call on the screen ended: drawn once its end is stored.
                        await ops.end_stored(db, who.name, on_screen)
        finally:
            if ami is not None and sub is not None:
                ami.unsubscribe(sub)

    return EventSourceResponse(
        while_allowed(request, who, Permission.OWN_CALLS, screens()), ping=15
    )
