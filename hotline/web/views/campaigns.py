"""Dial campaigns for supervisors: list, create from a scenario, upload a contact list (the
row-level report is shown before anything is saved), approve (not by the author), start,
pause, resume, stop; a live page per campaign with progress, results per reason, calls in
flight, the estimated finish and why it is not dialing.  Every operation is
``dialer.operations``, as in the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sse_starlette import EventSourceResponse

from dialer import operations, report
from dialer.model import CampaignRules, DialMode
from dialer.progressive import abandon_rate
from dialer.repository import CampaignError, DialerStore
from hotline.access.users import Permission
from hotline.core.clock import utc_now
from hotline.core.errors import NotFound
from hotline.core.files import PRIVATE_DIR_MODE
from hotline.store.db import Database
from hotline.transport.ami import AmiClient
from hotline.web.charts import ATTEMPTS, Line, Step, ceil, chart_json, floor, step_for
from hotline.web.pages import check_format, fragment, page, streamed_download
from hotline.web.security import Viewer, require, require_checked, while_allowed

router = APIRouter(prefix="/campaigns")

SSE_EVENT: Final = "campaign"
LIVE_EVENTS: Final = ("OriginateResponse", "Hangup", "Newchannel")
REFRESH_SECONDS: Final = 3.0
COPY_CHUNK: Final = 1024 * 1024
UPLOAD_SUFFIXES: Final = (".csv", ".xlsx")
_TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _store(request: Request) -> DialerStore:
    return DialerStore(_db(request))


BAD_NAME: Final = (
    "Кампания не создана: имя кампании — от 1 до 63 знаков из строчных латинских букв, цифр "
    "и дефиса, начиная с буквы или цифры, например dec-debt."
)


def _uploads(request: Request) -> Path:
    return Path(request.app.state.settings.paths.data_dir) / "uploads"


async def _list_page(
    request: Request, who: Viewer, message: str | None = None, status_code: int = 200
) -> Response:
    store = _store(request)
    now = utc_now()
    zone = request.app.state.settings.hours.timezone
    campaigns = [
        await report.status(store, c.name, now, default_zone=zone) for c in await store.campaigns()
    ]
    return page(
        request,
        "campaigns.html",
        who,
        status_code=status_code,
        campaigns=campaigns,
        scenarios=await store.scenarios(),
        message=message,
    )


@router.get("", response_class=HTMLResponse)
async def campaigns(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.CAMPAIGNS))]
) -> Response:
    return await _list_page(request, who)


@router.post("")
async def create(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.CAMPAIGNS))],
    # Checked here, not by FastAPI (whose refusal is a bare 422 in JSON): the form comes back
    # with the rule in Russian.
    scenario: Annotated[str, Form(max_length=128)],
    name: Annotated[str, Form()] = "",
) -> Response:
    if not operations.CAMPAIGN_NAME.fullmatch(name):
        return await _list_page(request, who, BAD_NAME, 422)
    try:
        await operations.create(
            _db(request),
            name,
            scenario,
            CampaignRules(),
            who.actor,
            sms=request.app.state.settings.sms,
        )
    except (CampaignError, NotFound) as exc:
        return await _list_page(request, who, f"Кампания не создана: {exc}", 422)
    return RedirectResponse(f"/campaigns/{name}", status_code=303)


async def _detail(request: Request, who: Viewer, name: str) -> dict[str, Any]:
    store = _store(request)
    now = utc_now()
    try:
        zone = request.app.state.settings.hours.timezone
        state = await report.status(store, name, now, default_zone=zone)
    except (CampaignError, NotFound) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    trunk = request.app.state.settings.dialer.trunk_channels
    contact_list = None
    if state.campaign.list_id is not None:
        contact_list = await store.contact_list(state.campaign.list_id)
    return {
        "status": state,
        "why": await report.why(store, name, now, trunk, request.app.state.settings.queue.name),
        "contact_list": contact_list,
    }


async def _detail_page(
    request: Request,
    who: Viewer,
    name: str,
    *,
    message: str | None = None,
    preview: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    values = await _detail(request, who, name)
    live = fragment(request, "campaign_live.html", who, **values)
    default_zone = request.app.state.settings.hours.timezone
    zone = ZoneInfo(default_zone)
    rules = values["status"].campaign.rules
    minutes = await _store(request).attempt_minutes(values["status"].campaign.id)
    hours = report.hourly_counts(minutes, zone)
    campaign = values["status"].campaign
    # From its start (not started yet: this hour) to its end or now; attempts logged before
    # the start (a campaign started again) stay on the axis.
    end = campaign.finished_at or utc_now()
    first = min([campaign.started_at or end] + [h.start for h in hours[:1]])
    step = step_for(first, end)
    first, last = floor(first, zone, step), ceil(end, zone, step)
    if last <= first:
        last = ceil(first + timedelta(seconds=1), zone, step)
    slotted = [(floor(h.start, zone, step), h) for h in hours]
    lines = [
        Line(label, _sums(slotted, attribute))
        for label, attribute in (
            ("Попыток", "attempts"),
            ("Положительных", "positive"),
            ("Отрицательных", "negative"),
        )
    ]
    chart = chart_json(first, last, zone, step, lines, ATTEMPTS)
    survey = await report.survey_results(_store(request), campaign)
    progressive = None
    if rules.mode is DialMode.PROGRESSIVE:
        rate = abandon_rate(await _store(request).attempt_counts(campaign.id))
        cap = request.app.state.settings.dialer.progressive.max_abandon_percent
        progressive = {"rate": rate, "percent": round(rate.percent, 1), "cap": cap}
    return page(
        request,
        "campaign.html",
        who,
        status_code=status_code,
        campaign=values["status"].campaign,
        contact_zone=rules.contact_zone(default_zone),
        zone_overridden=rules.zone_overridden(default_zone),
        live_html=live,
        chart=chart,
        chart_title="Звонки по часам" if step is Step.HOUR else "Звонки по дням",
        survey=_by_question(survey) if survey is not None else None,
        progressive=progressive,
        preview=preview,
        message=message,
    )


def _by_question(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A survey's result rows grouped per question, for one bar chart each (R-108)."""
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        question = grouped.setdefault(
            row["question"],
            {"id": row["question"], "type": row["question_type"], "total": 0, "answers": []},
        )
        question["total"] += row["count"]
        question["answers"].append(row)
    return list(grouped.values())


def _sums(
    slotted: list[tuple[datetime, report.HourResults]], attribute: str
) -> dict[datetime, float | None]:
    """Hourly figures added up per chart slot (an hour, or a day for long campaigns)."""
    sums: dict[datetime, float | None] = {}
    for at, hour in slotted:
        sums[at] = (sums.get(at) or 0) + getattr(hour, attribute)
    return sums


@router.get("/{name}", response_class=HTMLResponse)
async def campaign(
    request: Request, name: str, who: Annotated[Viewer, Depends(require(Permission.CAMPAIGNS))]
) -> Response:
    return await _detail_page(request, who, name)


@router.get("/{name}/report.{fmt}")
async def download_report(
    request: Request,
    name: str,
    fmt: str,
    who: Annotated[Viewer, Depends(require(Permission.CAMPAIGNS))],
) -> Response:
    """Results per contact and attempt (personal data: audited)."""
    check_format(fmt)  # before the audit entry: a bad format reads nothing
    try:
        result = await operations.report(_db(request), name, who.actor, fmt)
    except (CampaignError, NotFound) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    store = _store(request)
    return await streamed_download(
        lambda: report.report_csv(store, result),
        lambda path: report.report_xlsx(store, result, path),
        f"campaign-{name}",
        fmt,
    )


@router.post("/{name}/contacts")
async def upload_contacts(
    request: Request,
    name: str,
    who: Annotated[Viewer, Depends(require_checked(Permission.CAMPAIGNS))],
    file: UploadFile,
) -> Response:
    """Check an uploaded list and show its report; nothing is stored until confirmed."""
    filename = Path(file.filename or "contacts.csv").name
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        return await _detail_page(
            request, who, name, message="Нужен файл CSV или XLSX.", status_code=422
        )
    web = request.app.state.settings.web
    await asyncio.to_thread(_purge_stale, _uploads(request), web.upload_keep_minutes)
    token = secrets.token_urlsafe(24)
    target = _uploads(request) / f"{token}{suffix}"
    if not await asyncio.to_thread(_save, target, file, web.max_upload_bytes):
        limit = web.max_upload_bytes // (1024 * 1024)
        return await _detail_page(
            request, who, name, message=f"Файл больше {limit} МБ.", status_code=413
        )
    keep = False
    try:
        checked = await operations.check_contacts(
            _db(request), request.app.state.settings, name, target
        )
        keep = checked.ok
    except (CampaignError, NotFound) as exc:
        return await _detail_page(
            request, who, name, message=f"Файл не принят: {exc}", status_code=422
        )
    finally:
        if not keep:
            await asyncio.to_thread(target.unlink, True)
    preview = {
        "token": token if checked.ok else None,
        "suffix": suffix,
        "filename": filename,
        "list_name": Path(filename).stem,
        **checked.summary(),
    }
    return await _detail_page(
        request, who, name, preview=preview, status_code=200 if checked.ok else 422
    )


def _save(path: Path, upload: UploadFile, limit: int) -> bool:
    """Copy the upload to ``path`` in chunks (owner-only), stopping at ``limit`` bytes:
    False, and nothing left on disk, when it is larger."""
    path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    upload.file.seek(0)
    written = 0
    with os.fdopen(
        os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), "wb"
    ) as out:
        while chunk := upload.file.read(COPY_CHUNK):
            written += len(chunk)
            if written > limit:
                break
            out.write(chunk)
    if written > limit:
        path.unlink(missing_ok=True)
        return False
    return True


def _purge_stale(folder: Path, keep_minutes: int) -> None:
    """Delete uploads never confirmed within ``keep_minutes`` (they hold personal data)."""
    cutoff = time.time() - keep_minutes * 60
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()


@router.post("/{name}/contacts/confirm")
async def confirm_contacts(
    request: Request,
    name: str,
    who: Annotated[Viewer, Depends(require_checked(Permission.CAMPAIGNS))],
    token: Annotated[str, Form(max_length=64)],
    suffix: Annotated[str, Form(max_length=8)],
    list_name: Annotated[str, Form(min_length=1, max_length=128)],
) -> Response:
    if not _TOKEN.match(token) or suffix not in UPLOAD_SUFFIXES:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "bad upload reference")
    keep_minutes = request.app.state.settings.web.upload_keep_minutes
    await asyncio.to_thread(_purge_stale, _uploads(request), keep_minutes)
    path = _uploads(request) / f"{token}{suffix}"
    if not await asyncio.to_thread(path.is_file):
        return await _detail_page(
            request,
            who,
            name,
            message="Загрузка устарела, загрузите файл ещё раз.",
            status_code=410,
        )
    db = _db(request)
    try:
        # Checked again: the do-not-call list or the accounts may have changed meanwhile.
        checked = await operations.check_contacts(db, request.app.state.settings, name, path)
        await operations.attach_contacts(db, name, list_name, list_name, checked, who.actor)
    except (CampaignError, NotFound) as exc:
        return await _detail_page(
            request, who, name, message=f"Список не сохранён: {exc}", status_code=422
        )
    finally:
        await asyncio.to_thread(path.unlink, True)
    return RedirectResponse(f"/campaigns/{name}", status_code=303)


@router.post("/{name}/{action}")
async def act(
    request: Request,
    name: str,
    action: str,
    who: Annotated[Viewer, Depends(require_checked(Permission.CAMPAIGNS))],
) -> Response:
    db = _db(request)
    try:
        if action == "approve":
            await operations.approve(db, name, who.actor)
        elif action in operations.ACTIONS:
            zone = request.app.state.settings.hours.timezone
            await operations.transition(db, name, action, who.actor, default_zone=zone)
        else:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no action {action!r}")
    except (CampaignError, NotFound) as exc:
        return await _detail_page(
            request, who, name, message=f"Не выполнено: {exc}", status_code=409
        )
    return RedirectResponse(f"/campaigns/{name}", status_code=303)


@router.get("/{name}/stream")
async def stream(
    request: Request, name: str, who: Annotated[Viewer, Depends(require(Permission.CAMPAIGNS))]
) -> EventSourceResponse:
    ami: AmiClient | None = request.app.state.ami
    sub = ami.subscribe(LIVE_EVENTS, 256) if ami is not None else None

    async def updates() -> AsyncIterator[dict[str, Any]]:
        try:
            while True:
                values = await _detail(request, who, name)
                yield {
                    "event": SSE_EVENT,
                    "data": fragment(request, "campaign_live.html", who, **values),
                }
                if sub is None:
                    await asyncio.sleep(REFRESH_SECONDS)
                    continue
                try:
                    await sub.get(REFRESH_SECONDS)
                    await asyncio.sleep(0.5)  # the dialer settles the attempt first
                    while not sub.queue.empty():
                        sub.queue.get_nowait()
                except TimeoutError:
                    pass
        finally:
            if ami is not None and sub is not None:
                ami.unsubscribe(sub)

    return EventSourceResponse(
        while_allowed(request, who, Permission.CAMPAIGNS, updates()), ping=15
    )
