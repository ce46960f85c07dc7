"""The operator's desk on the operator page (issue 17): the customer card beside the screen
pop, the disposition form, after-call work with «Готов», and the browser's report of when it
drew the card (the lookup time of R-035)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from hotline.access.users import Permission
from hotline.accounts import operator_readings
from hotline.contact_center import desk
from hotline.contact_center.card import customer_card
from hotline.contact_center.kpi import CallType
from hotline.core.errors import NotFound
from hotline.core.vocabulary import label
from hotline.store.desk import DeskStore
from hotline.store.held_rows import Kept
from hotline.transport.ami import AmiClient, AmiError
from hotline.web.pages import fragment
from hotline.web.security import Viewer, require_checked

router = APIRouter()


def _text(message: str, status_code: int) -> Response:
    return Response(message, status_code=status_code, media_type="text/plain")


UNIQUEID_LENGTH = 64
# A disposition the store refused (issue 21): held by the console, not yet saved.
HELD_ON_DISK = (
    "Итог пока не сохранён: база данных недоступна. Консоль записала его у себя и сохранит, "
    "когда база снова станет доступна; вводить его ещё раз не нужно. Итог: {typed}."
)
HELD_IN_MEMORY = (
    "Итог не сохранён: база данных недоступна, и записать его на диск консоли не удалось. "
    "Консоль сохранит его, когда база станет доступна, если до того её не перезапустят; "
    "на всякий случай запишите его. Итог: {typed}."
)


async def screen_fragment(request: Request, who: Viewer, pop: dict[str, Any] | None) -> str:
    """The screen pop with the customer card, the disposition form and after-call work (the
    operator page's live section)."""
    state = request.app.state
    store = DeskStore(state.db)
    wrapup = await store.open_pause(who.name)
    if wrapup is not None and wrapup.reason != desk.WRAPUP_REASON:
        wrapup = None
    # The call on the desk: the one connected now, else the last one until it has its
    # disposition (or while its after-call work lasts).
    desk_call = pop if pop is not None else await desk.last_call(state.db, who.name)
    disposed = None
    if desk_call is not None:
        disposed = (await store.dispositions([desk_call["uniqueid"]])).get(desk_call["uniqueid"])
        if pop is None and disposed is not None and wrapup is None:
            desk_call = None
    card = await customer_card(state.db, state.settings, desk_call) if desk_call else None
    return fragment(
        request,
        "operator_screen.html",
        who,
        pop=pop,
        desk_call=desk_call,
        disposed=disposed,
        card=card,
        wrapup=wrapup,
        results_by_key={r.key: r.label for r in state.settings.desk.results},
        call_types=[t.value for t in CallType],
        results=state.settings.desk.results,
        lookup_target=state.settings.desk.card_lookup_target,
    )


@router.post("/operator/desk/card-shown")
async def card_shown(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.OWN_CALLS))],
    uniqueid: Annotated[str, Form(max_length=UNIQUEID_LENGTH)],
) -> Response:
    try:
        view = await desk.card_shown(request.app.state.db, who.name, uniqueid)
    except NotFound:
        return JSONResponse({"error": "not your call"}, status_code=404)
    return JSONResponse(
        {"seconds": view.seconds, "target": request.app.state.settings.desk.card_lookup_target}
    )


@router.post("/operator/desk/disposition")
async def disposition(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.OWN_CALLS))],
    uniqueid: Annotated[str, Form(max_length=UNIQUEID_LENGTH)],
    call_type: Annotated[str, Form(max_length=16)],
    result: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    state = request.app.state
    try:
        kept = await desk.submit_disposition(
            state.dispositions,
            state.settings,
            who.name,
            uniqueid,
            call_type,
            result,
            note or None,
            who.actor,
        )
    except desk.DeskError as exc:
        return _text(f"Итог не сохранён: {exc}", 422)
    except NotFound:
        return _text("Этот звонок принимали не вы.", 404)
    if kept is Kept.WRITTEN:
        return RedirectResponse("/operator", status_code=303)
    # Held, not committed: never called saved (issue 21), and what was typed is shown back.
    results = {r.key: r.label for r in state.settings.desk.results}
    typed = f"тип «{label('CallType', call_type)}», результат «{results[result]}»"
    if note:
        typed += f", комментарий «{note}»"
    if kept is Kept.SPOOLED:
        return _text(HELD_ON_DISK.format(typed=typed), 202)
    return _text(HELD_IN_MEMORY.format(typed=typed), 503)


@router.post("/operator/desk/ready")
async def ready(
    request: Request, who: Annotated[Viewer, Depends(require_checked(Permission.OWN_CALLS))]
) -> Response:
    state = request.app.state
    ami: AmiClient | None = state.ami
    if ami is None or not ami.connected:
        return Response(
            "АТС недоступна, попробуйте позже.", status_code=503, media_type="text/plain"
        )
    try:
        await desk.finish_wrapup(ami, state.db, state.settings, who.name)
    except AmiError as exc:
        return _text(f"Не выполнено: {exc}", 409)
    return RedirectResponse("/operator", status_code=303)


READING_REFUSALS = {
    operator_readings.OUTSIDE_WINDOW: "Сейчас показания не принимаются: вне окна приёма.",
    operator_readings.UNKNOWN: "У лицевого счёта клиента нет такого счётчика или зоны.",
}


@router.post("/operator/desk/reading")
async def reading(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.OWN_CALLS))],
    uniqueid: Annotated[str, Form(max_length=UNIQUEID_LENGTH)],
    meter_id: Annotated[str, Form(max_length=32)],
    zone: Annotated[int, Form(ge=1, le=3)],
    value: Annotated[str, Form(max_length=16)],
    confirmed: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """A reading the caller tells the operator (R-064), for the account of the card of the
    operator's last call: the account comes from the card, never from the form."""
    state = request.app.state
    pop = await desk.last_call(state.db, who.name)
    if pop is None or pop["uniqueid"] != uniqueid:
        return _text("Этот звонок принимали не вы.", 404)
    card = await customer_card(state.db, state.settings, pop)
    if card.account is None:
        return _text("Лицевой счёт клиента не определён.", 409)
    taken = await operator_readings.take_by_operator(
        state.db,
        state.settings,
        card.account.number,
        meter_id,
        zone,
        value,
        confirmed=bool(confirmed),
        call_id=pop.get("call_id"),
        by=who.actor,
    )
    if taken.refusal is not None:
        text = READING_REFUSALS.get(taken.refusal) or label("Check", taken.refusal)
        return _text(f"Показание не принято: {text}", 422)
    return RedirectResponse("/operator", status_code=303)
