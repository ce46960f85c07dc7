"""The start page: who you are, what you may open, and the emergency switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.access.users import Permission
from hotline.contact_center.emergency import switch_off, switch_on
from hotline.speech.catalogue import CatalogueError
from hotline.speech.library import PromptLibrary
from hotline.speech.tools import SpeechError
from hotline.store.emergency import EmergencyStore
from hotline.web.pages import page
from hotline.web.security import Viewer, require_checked, viewer

router = APIRouter()

DEFAULT_EMERGENCY_PROMPT = "ivr.emergency.default"


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    emergency = await EmergencyStore(request.app.state.db).current()
    return page(request, "home.html", who, emergency=emergency, message=None)


@router.post("/emergency")
async def emergency_switch(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.EMERGENCY))],
    state: Annotated[str, Form(pattern="^(on|off)$")],
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    store = EmergencyStore(request.app.state.db)
    if state == "off":
        await switch_off(request.app.state.db, who.actor)
        return RedirectResponse("/", status_code=303)
    library = PromptLibrary(request.app.state.settings)
    typed = text.strip() or None
    try:
        await switch_on(
            request.app.state.db,
            library,
            prompt_id=None if typed else DEFAULT_EMERGENCY_PROMPT,
            text=typed,
            by=who.actor,
        )
    except (CatalogueError, SpeechError, ValueError) as exc:
        current = await store.current()
        return page(
            request,
            "home.html",
            who,
            status_code=422,
            emergency=current,
            message=f"Аварийный режим не включён: {exc}",
        )
    return RedirectResponse("/", status_code=303)
