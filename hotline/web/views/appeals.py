"""Appeals in the console (issue 16): the operator registers one during the call from a form
pre-filled with the IVR context and sends the caller to hear its number and deadline (R-123);
the register (``/appeals``) lists them with filters and counts, an appeal's card shows its
history and the moves the person's role allows, and the register exports as CSV or XLSX.
Personal data only for roles allowed it (R-139), trust-service appeals only for theirs (R-121);
every view is audited by the register itself."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from hotline.access.users import Permission, allowed
from hotline.appeals import register as appeal_ops
from hotline.appeals.model import AppealError, NotConsidered
from hotline.appeals.notify import appeal_notices
from hotline.appeals.register import AppealRequest, Appeals
from hotline.appeals.report import (
    GROUP_TITLES,
    GROUPINGS,
    counts_sheet,
    in_time_share,
    register_stream,
)
from hotline.contact_center import operators as ops
from hotline.contact_center.recordings import recordings_root
from hotline.contact_center.transfer import TransferError, hand_caller_to
from hotline.core.clock import utc_now
from hotline.core.spreadsheets import SheetStream
from hotline.core.vocabulary import label
from hotline.dialplan.names import CONTEXT_APPEAL_SAID, ChannelVar
from hotline.settings import Settings
from hotline.store.appeals import AppealFilter
from hotline.store.audit import AuditLog
from hotline.store.enums import AppealChannel, AppealLinkKind, AppealStatus, ReplyChannel
from hotline.store.sms import SmsStore
from hotline.store.sms_notifier import SmsNotifier
from hotline.transport.ami import AmiError
from hotline.web.charts import Line, Step, chart_json, floor, step_for
from hotline.web.pages import check_format, page, stream_download
from hotline.web.security import Viewer, require, require_checked

router = APIRouter()

NUMBER: Final = r"^\d{4}-\d{6}$"
# The menu nodes a caller walked, as the topic the form proposes.
TOPIC_BY_NODE: Final = {"readings": "readings", "balance": "bills", "outages": "outages"}
MOVES: Final = ("hand_over", "start", "answer", "close", "reopen", "not_considered")
# The audit action of playing an appeal's recording in the console.
APPEAL_LISTEN: Final = "appeal.listen"
CHART_DAYS: Final = 30
APPEALS_UNIT: Final = "обращений"


def _register(request: Request) -> Appeals:
    settings = request.app.state.settings
    db = request.app.state.db
    # Notices are queued in the store; the engine's outbox sends the SMS ones.
    sms = SmsNotifier(SmsStore(db), settings.sms) if settings.sms.enabled else None
    notices = appeal_notices(settings.appeals, settings.dialer, sms)
    return Appeals(db, settings.appeals, settings.hours.timezone, notices)


def _viewer(who: Viewer) -> appeal_ops.Viewer:
    return appeal_ops.Viewer(
        who.actor,
        personal_data=allowed(who.role, Permission.APPEALS_PERSONAL),
        trust=allowed(who.role, Permission.APPEALS_TRUST),
    )


def _choices(request: Request) -> dict[str, Any]:
    config = request.app.state.settings.appeals
    units = sorted({t.unit for t in config.topics.values()} | {config.front_office_unit})
    return {
        "categories": config.categories,
        "topics": config.topics,
        "urgencies": config.urgencies,
        "units": units,
        "channels": [c.value for c in AppealChannel],
        "statuses": [s.value for s in AppealStatus],
        "reply_channels": [c.value for c in ReplyChannel],
        "reasons": [r.value for r in NotConsidered],
        "groupings": GROUPINGS,
        "group_titles": GROUP_TITLES,
        "unit_titles": config.unit_titles,
        "urgency_titles": config.urgency_titles,
        "group_key": functools.partial(_group_key_title, config.categories, config.unit_titles),
    }


def _group_key_title(
    categories: dict[str, str], units: dict[str, str], grouping: str, key: str
) -> str:
    """A row of the counts table in words: the category's, unit's, channel's or status's name."""
    match grouping:
        case "category":
            return categories.get(key, key)
        case "unit":
            return units.get(key, key)
        case "channel":
            return label("AppealChannel", key)
        case "status":
            return label("AppealStatus", key)
    return key


# --- during the call ----------------------------------------------------------------------------
@router.get("/operator/appeal", response_class=HTMLResponse)
async def call_form(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.APPEALS))]
) -> Response:
    return await _call_page(request, who)


async def _call_page(
    request: Request,
    who: Viewer,
    *,
    message: str | None = None,
    registered: Any = None,
    status_code: int = 200,
) -> Response:
    state = request.app.state
    pop = await ops.screen_pop(state.db, who.name, state.ami, who.actor)
    path = list(pop.get("path") or []) if pop else []
    topic = next((TOPIC_BY_NODE[n] for n in reversed(path) if n in TOPIC_BY_NODE), "other")
    context = " → ".join(path)
    return page(
        request,
        "appeal_call.html",
        who,
        status_code=status_code,
        pop=pop,
        topic=topic,
        text=f"Путь в меню: {context}" if context else "",
        message=message,
        registered=registered,
        **_choices(request),
    )


@router.post("/operator/appeal")
async def call_register(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.APPEALS))],
    category: Annotated[str, Form(max_length=32)],
    topic: Annotated[str, Form(max_length=32)],
    subject: Annotated[str, Form(max_length=appeal_ops.SUBJECT_MAX)],
    text: Annotated[str, Form(max_length=appeal_ops.TEXT_MAX)] = "",
    customer_name: Annotated[str, Form(max_length=appeal_ops.NAME_MAX)] = "",
    reply_channel: Annotated[str, Form(max_length=16)] = ReplyChannel.PHONE.value,
    reply_address: Annotated[str, Form(max_length=appeal_ops.ADDRESS_MAX)] = "",
    urgency: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    state = request.app.state
    # The caller, the account and the call come from the call itself, not from the form.
    pop = await ops.screen_pop(state.db, who.name, state.ami, who.actor)
    try:
        appeal = await _register(request).register(
            AppealRequest(
                channel=AppealChannel.OPERATOR,
                category=category,
                topic=topic,
                subject=subject,
                text=text,
                urgency=urgency or None,
                account=(pop or {}).get("account"),
                phone=(pop or {}).get("caller"),
                customer_name=customer_name or None,
                reply_channel=ReplyChannel(reply_channel),
                reply_address=reply_address or None,
                call_id=(pop or {}).get("call_id"),
            ),
            who.actor,
        )
    except (AppealError, ValueError) as exc:
        return await _call_page(
            request, who, message=f"Обращение не зарегистрировано: {exc}", status_code=422
        )
    return await _call_page(request, who, registered=appeal)


@router.post("/operator/appeal/{number}/tell")
async def call_tell(
    request: Request,
    number: str,
    who: Annotated[Viewer, Depends(require_checked(Permission.APPEALS))],
) -> Response:
    """R-123: the caller leaves the conversation to hear the number and the deadline."""
    state = request.app.state
    appeal = await _register(request).stored(number)
    if appeal is None:
        return await _call_page(request, who, message=f"Обращения {number} нет.", status_code=404)
    try:
        await hand_caller_to(
            state.ami,
            state.db,
            who.name,
            CONTEXT_APPEAL_SAID,
            {ChannelVar.APPEAL.value: appeal.number},
            who.actor,
            audit=state.held_audit,
        )
    except (TransferError, AmiError) as exc:
        return await _call_page(request, who, message=f"Не выполнено: {exc}", status_code=409)
    return await _call_page(request, who, message=f"Абонент слушает номер {appeal.number}.")


# --- the register -------------------------------------------------------------------------------
def _grouping(params: dict[str, str]) -> str:
    chosen = params.get("by", "")
    return chosen if chosen in GROUPINGS else "category"


def _filter(request: Request, params: dict[str, str]) -> AppealFilter:
    zone = ZoneInfo(request.app.state.settings.hours.timezone)

    def day(key: str) -> datetime | None:
        value = params.get(key, "").strip()
        if not value:
            return None
        return datetime.fromisoformat(value).replace(tzinfo=zone)

    until = day("until")
    return AppealFilter(
        since=day("since"),
        until=until + timedelta(days=1) if until is not None else None,
        status=AppealStatus(params["status"]) if params.get("status") else None,
        category=params.get("category") or None,
        channel=AppealChannel(params["channel"]) if params.get("channel") else None,
        unit=params.get("unit") or None,
    )


@router.get("/appeals", response_class=HTMLResponse)
async def register_page(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.APPEALS))]
) -> Response:
    return await _list_page(request, who)


async def _list_page(
    request: Request, who: Viewer, message: str | None = None, status_code: int = 200
) -> Response:
    params = dict(request.query_params)
    grouping = _grouping(params)
    try:
        where = _filter(request, params)
    except ValueError:
        where, message, status_code = AppealFilter(), "Неверный фильтр.", 422
    register = _register(request)
    viewer = _viewer(who)
    found = await register.list(where, viewer)
    counts = await register.counts(where, grouping, viewer)
    chart = await _chart(request, register, where, viewer)
    return page(
        request,
        "appeals.html",
        who,
        status_code=status_code,
        appeals=found,
        counts=counts,
        chart=chart,
        grouping=grouping,
        share=in_time_share(counts),
        params=params,
        message=message,
        **_choices(request),
    )


async def _chart(
    request: Request, register: Appeals, where: AppealFilter, viewer: appeal_ops.Viewer
) -> str:
    """Appeals received and answered by day (by hour for up to three days) over the period
    asked for; the last 30 days when none was (R-142, R-144)."""
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    last = where.until or floor(utc_now(), zone, Step.DAY) + timedelta(days=1)
    first = where.since or last - timedelta(days=CHART_DAYS)
    where = replace(where, since=first, until=last)
    step = step_for(first, last)
    received: Counter[datetime] = Counter()
    answered: Counter[datetime] = Counter()
    for registered_at, answered_at in await register.timeline(where, viewer):
        received[floor(registered_at, zone, step)] += 1
        if answered_at is not None:
            answered[floor(answered_at, zone, step)] += 1
    lines = [
        Line("Поступило", {at: float(n) for at, n in received.items()}),
        Line("Дан ответ", {at: float(n) for at, n in answered.items()}),
    ]
    return chart_json(first, last, zone, step, lines, APPEALS_UNIT)


@router.post("/appeals")
async def register_add(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.APPEALS))],
    channel: Annotated[str, Form(max_length=16)],
    category: Annotated[str, Form(max_length=32)],
    topic: Annotated[str, Form(max_length=32)],
    subject: Annotated[str, Form(max_length=appeal_ops.SUBJECT_MAX)],
    text: Annotated[str, Form(max_length=appeal_ops.TEXT_MAX)] = "",
    account: Annotated[str, Form(max_length=64)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    customer_name: Annotated[str, Form(max_length=appeal_ops.NAME_MAX)] = "",
    reply_channel: Annotated[str, Form(max_length=16)] = ReplyChannel.PHONE.value,
    reply_address: Annotated[str, Form(max_length=appeal_ops.ADDRESS_MAX)] = "",
    urgency: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    try:
        appeal = await _register(request).register(
            AppealRequest(
                channel=AppealChannel(channel),
                category=category,
                topic=topic,
                subject=subject,
                text=text,
                urgency=urgency or None,
                account=account or None,
                phone=phone or None,
                customer_name=customer_name or None,
                reply_channel=ReplyChannel(reply_channel),
                reply_address=reply_address or None,
            ),
            who.actor,
        )
    except (AppealError, ValueError) as exc:
        return await _list_page(request, who, f"Обращение не зарегистрировано: {exc}", 422)
    return RedirectResponse(f"/appeals/{appeal.number}", status_code=303)


@router.get("/appeals/export.{fmt}")
async def register_export(
    request: Request, fmt: str, who: Annotated[Viewer, Depends(require(Permission.APPEALS))]
) -> Response:
    params = dict(request.query_params)
    grouping = _grouping(params)
    register = _register(request)
    viewer = _viewer(who)
    try:
        where = _filter(request, params)
    except ValueError:
        return await _list_page(request, who, "Неверный фильтр.", 422)
    check_format(fmt)  # before anything is read
    counts = await register.counts(where, grouping, viewer)
    pages = register.pages(where, viewer)
    sheets = [register_stream(pages), SheetStream.of(counts_sheet(grouping, counts))]
    return stream_download(sheets, "appeals", fmt)


@router.get("/appeals/{number}", response_class=HTMLResponse)
async def card(
    request: Request, number: str, who: Annotated[Viewer, Depends(require(Permission.APPEALS))]
) -> Response:
    return await _card(request, who, number)


async def _card(
    request: Request, who: Viewer, number: str, message: str | None = None, code: int = 200
) -> Response:
    found = await _register(request).view(number[:16], _viewer(who))
    if found is None:
        return await _list_page(request, who, f"Обращения {number[:16]} нет.", 404)
    return page(
        request,
        "appeal.html",
        who,
        status_code=code,
        appeal=found,
        message=message,
        may_listen=allowed(who.role, Permission.APPEALS_PERSONAL),
        **_choices(request),
    )


@router.get("/appeals/{number}/recording/{index}")
async def recording_audio(
    request: Request,
    number: str,
    index: int,
    who: Annotated[Viewer, Depends(require(Permission.APPEALS_PERSONAL))],
) -> Response:
    """A recording linked to the appeal (the voicemail the caller left, R-111), played in the
    card: the caller's voice is personal data (R-139), so only roles that see it, audited."""
    found = await _register(request).view(number[:16], _viewer(who))
    recordings = (
        [ref for kind, ref in found.links if kind == AppealLinkKind.RECORDING] if found else []
    )
    if found is None or not 0 <= index < len(recordings):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such recording")
    path = await asyncio.to_thread(_servable, recordings[index], request.app.state.settings)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "recording file missing")
    await AuditLog(request.app.state.db).write(
        who.actor, APPEAL_LISTEN, found.number, {"file": path.name}
    )
    return FileResponse(path, media_type="audio/wav")


def _servable(ref: str, settings: Settings) -> Path | None:
    """The recording's file when it is one under the recordings folder: only those are
    served, whatever a link says."""
    path = Path(ref).resolve()
    if path.is_relative_to(recordings_root(settings)) and path.is_file():
        return path
    return None


@router.post("/appeals/{number}/{move}")
async def card_move(
    request: Request,
    number: str,
    move: str,
    who: Annotated[Viewer, Depends(require_checked(Permission.APPEALS))],
    note: Annotated[str, Form(max_length=appeal_ops.NOTE_MAX)] = "",
    unit: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    if move not in MOVES:
        return await _card(request, who, number, f"Неизвестное действие {move[:32]!r}.", 404)
    register = _register(request)
    viewer = _viewer(who)
    try:
        if move == "hand_over":
            await register.hand_over(number, unit, viewer, note)
        elif move == "start":
            await register.start(number, viewer, note)
        elif move == "answer":
            await register.answer(number, viewer, note)
        elif move == "close":
            await register.close(number, viewer, note)
        elif move == "reopen":
            await register.reopen(number, viewer, note)
        else:
            await register.not_considered(number, NotConsidered(reason), viewer, note)
    except (AppealError, ValueError) as exc:
        return await _card(request, who, number, f"Не выполнено: {exc}", 409)
    return RedirectResponse(f"/appeals/{number}", status_code=303)
