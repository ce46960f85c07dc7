"""Who is asking, and may they: the session cookie, role checks and CSRF tokens.

Sessions are server-side rows (``hotline.access.users``); the cookie carries only a random token.
State-changing requests carry the session's synchronizer token (hidden form field, or the
``X-CSRF-Token`` header that htmx sends); the log-in form, which has no session yet, uses a
double-submit cookie.  Cookies are HttpOnly and SameSite=Strict on top of that.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from fastapi import HTTPException, Request, status

from hotline.access.users import Permission, Users, allowed
from hotline.store.audit import Actor
from hotline.store.users import SessionRecord

SESSION_COOKIE: Final = "hotline_session"
LOGIN_CSRF_COOKIE: Final = "hotline_login_csrf"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"

_Item = TypeVar("_Item")


class LoginRequired(Exception):
    """No live session: pages redirect to the log-in form, htmx requests get HX-Redirect."""


@dataclass(frozen=True)
class Viewer:
    """The logged-in user behind a request."""

    session: SessionRecord
    token: str
    source: str | None

    @property
    def name(self) -> str:
        return self.session.user.name

    @property
    def role(self) -> str:
        return self.session.user.role

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def actor(self) -> Actor:
        return Actor(self.name, "web", self.source)

    def may(self, permission: Permission) -> bool:
        return allowed(self.role, permission)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def users_of(request: Request) -> Users:
    users: Users = request.app.state.users
    return users


async def viewer(request: Request) -> Viewer:
    token = request.cookies.get(SESSION_COOKIE, "")
    found = await users_of(request).session(token)
    if found is None:
        raise LoginRequired
    return Viewer(found, token, client_address(request))


def require(permission: Permission) -> Callable[[Request], Awaitable[Viewer]]:
    async def dependency(request: Request) -> Viewer:
        who = await viewer(request)
        if not who.may(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed for your role")
        return who

    return dependency


async def csrf_checked(request: Request) -> Viewer:
    """A logged-in user whose request carries their session's CSRF token."""
    who = await viewer(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not sent or not hmac.compare_digest(sent, who.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    return who


def require_checked(permission: Permission) -> Callable[[Request], Awaitable[Viewer]]:
    """CSRF-checked and allowed to do ``permission``."""

    async def dependency(request: Request) -> Viewer:
        who = await csrf_checked(request)
        if not who.may(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed for your role")
        return who

    return dependency


def login_csrf_matches(request: Request, sent: str) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected, sent)


async def while_allowed(
    request: Request, who: Viewer, permission: Permission, events: AsyncIterator[_Item]
) -> AsyncIterator[_Item]:
    """``events`` for as long as ``who``'s session lives and allows ``permission``: checked
    again every ``web.stream_recheck_seconds`` (without counting as activity), so a stream ends
    when its session is closed, expires, or its user is disabled or changes role."""
    interval: float = request.app.state.settings.web.stream_recheck_seconds
    loop = asyncio.get_running_loop()
    checked = loop.time()
    pending: asyncio.Future[_Item] = asyncio.ensure_future(anext(events))
    try:
        while True:
            wait = max(0.0, checked + interval - loop.time())
            done, _ = await asyncio.wait({pending}, timeout=wait)
            if done:
                try:
                    item = pending.result()
                except StopAsyncIteration:
                    return
                yield item
                pending = asyncio.ensure_future(anext(events))
            if loop.time() - checked >= interval:
                found = await users_of(request).session(who.token, touch=False)
                if found is None or not allowed(found.user.role, permission):
                    return
                checked = loop.time()
    finally:
        pending.cancel()
        await asyncio.gather(pending, return_exceptions=True)
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
