"""Survey coverage (issue 22; R-105: every customer of the target group surveyed at least once
in 12 months) for supervisors and admins: the figures, the months in which covered customers
fall due, the download (CSV/XLSX), and a survey campaign created from the customers not
surveyed within the window (a draft, approved and started as any campaign).  Registered
before the campaign pages, whose ``/campaigns/{name}`` would take it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from dialer import coverage
from dialer.model import CampaignKind
from dialer.repository import CampaignError, DialerStore
from hotline.access.users import Permission
from hotline.core.errors import NotFound
from hotline.store.db import Database
from hotline.web.pages import check_format, page, table_download
from hotline.web.security import Viewer, require, require_checked

router = APIRouter(prefix="/campaigns")


async def _page(
    request: Request, who: Viewer, message: str | None = None, status_code: int = 200
) -> Response:
    settings = request.app.state.settings
    db: Database = request.app.state.db
    try:
        result = await coverage.report(db, settings)
        target = coverage.target_of(settings).describe()
    except CampaignError as exc:  # a bad coverage.target setting
        result, target = None, f"настройка coverage.target неверна: {exc}"
    scenarios = [s for s in await DialerStore(db).scenarios() if s.kind == CampaignKind.SURVEY]
    return page(
        request,
        "survey_coverage.html",
        who,
        status_code=status_code,
        result=result,
        target=target,
        window=settings.coverage.window_months,
        scenarios=scenarios,
        message=message,
    )


@router.get("/coverage", response_class=HTMLResponse)
async def survey_coverage(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.CAMPAIGNS))]
) -> Response:
    return await _page(request, who)


@router.get("/coverage.{fmt}")
async def download(
    request: Request, fmt: str, who: Annotated[Viewer, Depends(require(Permission.CAMPAIGNS))]
) -> Response:
    """The figures only (no personal data)."""
    check_format(fmt)
    try:
        result = await coverage.report(request.app.state.db, request.app.state.settings)
    except CampaignError as exc:
        return await _page(request, who, f"Отчёт не построен: {exc}", 422)
    return await table_download(coverage.sheets(result), "survey-coverage", fmt)


@router.post("/coverage/campaign")
async def create_campaign(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.CAMPAIGNS))],
    scenario: Annotated[str, Form(max_length=128)],
    name: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    settings = request.app.state.settings
    try:
        await coverage.create_campaign(request.app.state.db, settings, name, scenario, who.actor)
    except (CampaignError, NotFound) as exc:
        return await _page(request, who, f"Кампания не создана: {exc}", 422)
    return RedirectResponse(f"/campaigns/{name}", status_code=303)
