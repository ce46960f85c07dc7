"""Templates and the values every page needs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hotline.users import Permission
from hotline.web.security import CSRF_FIELD, CSRF_HEADER, Viewer

TEMPLATES_DIR: Final = Path(__file__).with_name("templates")
STATIC_DIR: Final = Path(__file__).with_name("static")

templates = Jinja2Templates(directory=TEMPLATES_DIR)


def context(request: Request, who: Viewer | None, **values: Any) -> dict[str, Any]:
    zone = ZoneInfo(request.app.state.settings.hours.timezone)

    def local(at: datetime | None) -> str:
        return "" if at is None else at.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S")

    return {
        "who": who,
        "Permission": Permission,
        "csrf_field": CSRF_FIELD,
        "csrf_header": CSRF_HEADER,
        "local": local,
        "company": request.app.state.settings.speech.company_name,
        **values,
    }


def page(
    request: Request,
    template: str,
    who: Viewer | None,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, template, context(request, who, **values), status_code=status_code
    )


def fragment(request: Request, template: str, who: Viewer | None, **values: Any) -> str:
    """A template rendered to a string (an htmx swap or an SSE message)."""
    return templates.get_template(template).render(context(request, who, **values))
