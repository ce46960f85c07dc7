"""Webhooks to billing and CRM (issue 22 item 4): each configured endpoint with its backlog,
the dead letters with their last error, and «Повторить» (audited) for supervisors and
admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.access.users import Permission
from hotline.store.webhooks import WebhookStore
from hotline.web.pages import page
from hotline.web.security import Viewer, require, require_checked

router = APIRouter()

# Supervisors and admins (the role model's grants): a permission of its own.
PERMISSION = Permission.WEBHOOKS


@router.get("/webhooks", response_class=HTMLResponse)
async def webhooks_page(
    request: Request, who: Annotated[Viewer, Depends(require(PERMISSION))]
) -> Response:
    return await _page(request, who)


@router.post("/webhooks/{delivery_id}/retry")
async def webhook_retry(
    request: Request,
    delivery_id: int,
    who: Annotated[Viewer, Depends(require_checked(PERMISSION))],
) -> Response:
    if not await WebhookStore(request.app.state.db).retry(delivery_id, who.actor):
        return await _page(request, who, f"Уведомление {delivery_id} уже не в списке.", 404)
    return RedirectResponse("/webhooks", status_code=303)


async def _page(
    request: Request, who: Viewer, message: str | None = None, status_code: int = 200
) -> Response:
    endpoints = request.app.state.settings.webhooks.endpoints
    store = WebhookStore(request.app.state.db)
    backlog = await store.backlog([e.name for e in endpoints])
    urls = {e.name: e.url for e in endpoints}
    dead = await store.dead_letters(limit=200)
    return page(
        request,
        "webhooks.html",
        who,
        status_code=status_code,
        backlog=backlog,
        urls=urls,
        dead=dead,
        message=message,
    )
