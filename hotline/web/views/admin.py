"""Users and the audit log: admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.access.audit_export import audit_stream
from hotline.access.users import Permission, Role, UserError
from hotline.store.audit import AuditLog
from hotline.web.pages import page, stream_download
from hotline.web.security import Viewer, require, require_checked, users_of

router = APIRouter(prefix="/admin")

ACTIONS = {"unlock", "disable", "enable"}


async def _users_page(
    request: Request, who: Viewer, message: str | None = None, status_code: int = 200
) -> Response:
    users = await users_of(request).list()
    return page(
        request,
        "users.html",
        who,
        status_code=status_code,
        users=users,
        roles=list(Role),
        message=message,
    )


@router.get("/users", response_class=HTMLResponse)
async def users_list(
    request: Request, who: Annotated[Viewer, Depends(require(Permission.USERS))]
) -> Response:
    return await _users_page(request, who)


@router.post("/users")
async def user_add(
    request: Request,
    who: Annotated[Viewer, Depends(require_checked(Permission.USERS))],
    name: Annotated[str, Form(max_length=64)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        await users_of(request).add(name.strip(), role, password, who.actor)
    except UserError as exc:
        return await _users_page(request, who, f"Пользователь не добавлен: {exc}", 422)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{name}/{action}")
async def user_action(
    request: Request,
    name: str,
    action: str,
    who: Annotated[Viewer, Depends(require_checked(Permission.USERS))],
) -> Response:
    users = users_of(request)
    try:
        if action == "unlock":
            await users.unlock(name, who.actor)
        elif action == "disable":
            if name == who.name:
                raise UserError("you cannot disable yourself")
            await users.disable(name, who.actor)
        elif action == "enable":
            await users.enable(name, who.actor)
        else:
            return await _users_page(request, who, f"Неизвестное действие {action!r}", 404)
    except UserError as exc:
        return await _users_page(request, who, str(exc), 422)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
async def audit(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.AUDIT))],
    actor: str | None = None,
    action: str | None = None,
) -> Response:
    entries = await AuditLog(request.app.state.db).entries(
        actor=actor or None, action=action or None, limit=500
    )
    appeals = request.app.state.settings.appeals
    titles = {"category": appeals.categories, "unit": appeals.unit_titles}
    return page(
        request, "audit.html", who, entries=entries, actor=actor, action=action, titles=titles
    )


@router.get("/audit/export.{fmt}")
async def audit_export(
    request: Request,
    fmt: str,
    who: Annotated[Viewer, Depends(require(Permission.AUDIT))],
    actor: str | None = None,
    action: str | None = None,
) -> Response:
    """The whole log the filter selects (the page shows the newest 500), streamed."""
    pages = AuditLog(request.app.state.db).pages(actor=actor or None, action=action or None)
    return stream_download([audit_stream(pages)], "audit", fmt)
