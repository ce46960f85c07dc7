"""Log-in and log-out."""

from __future__ import annotations

import secrets
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.access.users import LoginOutcome
from hotline.web.pages import page
from hotline.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Viewer,
    client_address,
    csrf_checked,
    login_csrf_matches,
    users_of,
)

router = APIRouter()


def _safe_next(target: str) -> str:
    """Only paths on this site: an open redirect would let a phishing link borrow our name."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_form(
    request: Request, message: str | None, next_: str, status_code: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        None,
        status_code=status_code,
        login_csrf=token,
        message=message,
        next=_safe_next(next_),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.web.https_only,
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> Response:
    return _login_form(request, None, next)


@router.post("/login")
async def login(
    request: Request,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=1024)] = "/",
) -> Response:
    if not login_csrf_matches(request, csrf_token):
        return _login_form(request, "Форма устарела, войдите ещё раз.", next, 403)
    users = users_of(request)
    result = await users.authenticate(name.strip(), password, client_address(request))
    if result.outcome is LoginOutcome.LOCKED and result.locked_until is not None:
        zone = ZoneInfo(request.app.state.settings.hours.timezone)
        until = result.locked_until.astimezone(zone).strftime("%H:%M")
        return _login_form(
            request, f"Слишком много неудачных попыток. Вход заблокирован до {until}.", next, 401
        )
    if result.outcome is not LoginOutcome.OK or result.user is None:
        # The same words for an unknown name, a wrong password and a disabled account.
        return _login_form(request, "Неверное имя пользователя или пароль.", next, 401)
    opened = await users.open_session(result.user, client_address(request))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.web.https_only,
        max_age=request.app.state.settings.web.session_max_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, who: Annotated[Viewer, Depends(csrf_checked)]) -> Response:
    await users_of(request).close_session(who.token, who.actor)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
