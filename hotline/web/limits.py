"""A cap on request bodies, enforced before anything parses them and before authentication.

FastAPI parses a form (and Starlette spools multipart files to disk) before the route's
dependencies run, so a cap checked in a view comes too late.  This ASGI middleware refuses a
declared ``Content-Length`` over the limit at once, and counts the bytes of bodies sent without
one, ending the request with 413 as soon as they pass it.  The limit is per request: the small
default, or the larger upload limit for a contact-list upload by a logged-in user allowed to
upload (checked from the session cookie, without counting as activity).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.access.users import Permission, Users, allowed
from hotline.settings import WebSettings
from hotline.web.security import SESSION_COOKIE

UPLOAD_PATH: Final = re.compile(r"^/campaigns/[^/]+/contacts$")


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, "request body too large")


def body_limit_for(settings: WebSettings, users: Users) -> Callable[[Scope], Awaitable[int]]:
    async def limit(scope: Scope) -> int:
        if scope.get("method") == "POST" and UPLOAD_PATH.match(scope.get("path", "")):
            token = HTTPConnection(scope).cookies.get(SESSION_COOKIE, "")
            found = await users.session(token, touch=False)
            if found is not None and allowed(found.user.role, Permission.CAMPAIGNS):
                return settings.max_upload_bytes
        return settings.max_request_bytes

    return limit


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], Awaitable[int]]) -> None:
        self._app = app
        self._limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = await self._limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(scope, receive, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse(
        "request body too large", status_code=413, headers={"Connection": "close"}
    )
    await response(scope, receive, send)
