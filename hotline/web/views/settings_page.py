"""Settings for admins: the effective configuration (secrets masked; it comes from the
settings file and the environment, so changing it is a deployment step), and the values
that may change while running: the dialer's pacing limits (as ``hotline campaign limits``)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import make_url

from dialer import operations
from dialer.limits import LIMIT_CPS, LIMIT_GAP, LIMIT_TRUNK
from dialer.repository import DialerStore
from hotline.access.users import Permission
from hotline.web.pages import page
from hotline.web.security import Viewer, require, require_checked

router = APIRouter(prefix="/admin")


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.SETTINGS))]
) -> Response:
    settings = request.app.state.settings
    stored = await DialerStore(request.app.state.db).limits()
    limits = {
        LIMIT_CPS: stored.get(LIMIT_CPS, settings.dialer.calls_per_second),
        LIMIT_TRUNK: stored.get(LIMIT_TRUNK, settings.dialer.trunk_channels),
        LIMIT_GAP: stored.get(LIMIT_GAP, settings.dialer.same_number_gap_seconds),
    }
    # SecretStr values dump as "**********" in JSON mode; the database URL may carry a
    # password too (PostgreSQL), shown masked.
    dumped = settings.model_dump(mode="json")
    if dumped["store"].get("url"):
        masked = make_url(dumped["store"]["url"]).render_as_string(hide_password=True)
        dumped["store"]["url"] = masked
    effective = json.dumps(dumped, ensure_ascii=False, indent=2)
    return page(request, "settings.html", who, effective=effective, limits=limits)


@router.post("/settings/dialer")
async def set_dialer_limits(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.SETTINGS))],
    calls_per_second: Annotated[float, Form(gt=0, le=100)],
    trunk_channels: Annotated[int, Form(ge=1, le=10_000)],
    same_number_gap_seconds: Annotated[float, Form(ge=0, le=7 * 86400)],
) -> Response:
    values = {
        LIMIT_CPS: calls_per_second,
        LIMIT_TRUNK: float(trunk_channels),
        LIMIT_GAP: same_number_gap_seconds,
    }
    await operations.set_limits(request.app.state.db, values, who.actor)
    return RedirectResponse("/admin/settings", status_code=303)
