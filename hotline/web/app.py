"""The console's ASGI application.  ``create_app`` is its composition root: the same store
and operations (``hotline.access.users``, ``hotline.contact_center.emergency``, ...) the CLI
uses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hotline.access.users import Users
from hotline.app import AmiSecretMissing, ami_client
from hotline.contact_center.desk import held_dispositions
from hotline.core.metrics import watch_loop_lag
from hotline.settings import AmiRole, Settings
from hotline.speech.library import PromptLibrary
from hotline.store.db import Database
from hotline.store.held_audit import held_audit
from hotline.store.notify import Listener
from hotline.transport.ami import AmiClient
from hotline.web import dates, unavailable
from hotline.web.limits import BodyLimit, body_limit_for
from hotline.web.pages import STATIC_DIR
from hotline.web.security import LoginRequired
from hotline.web.views import (
    admin,
    appeals,
    auth,
    calls,
    campaign_calendar,
    campaigns,
    desk,
    home,
    knowledge,
    menus,
    metrics,
    monitor,
    operator,
    operator_desk,
    outages,
    quality,
    recordings,
    reports,
    settings_page,
    survey_coverage,
    wallboard,
    webhooks,
)

log = logging.getLogger(__name__)

# Everything is served from here (vendored scripts, no CDN): no inline scripts, no framing.
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# Sent when the console is served over HTTPS only (``web.https_only``).
HSTS: Final = "max-age=31536000"


def _ami_client(settings: Settings) -> AmiClient | None:
    """The console's own AMI connection (live queue and wallboard), if a secret is known; it
    logs in as the console's AMI user (queue actions and events, no originate, no command)."""
    try:
        return ami_client(settings, AmiRole.CONSOLE)
    except AmiSecretMissing as exc:
        log.warning("console without live PBX state: %s", exc)
        return None


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    owns_db = db is None
    database = db or Database.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await database.upgrade()
        ami = _ami_client(settings)
        app.state.ami = ami
        # One LISTEN connection (PostgreSQL): live pages redraw on other processes' changes.
        app.state.notify = Listener.from_settings(database.url, settings.notify)
        listening = asyncio.create_task(app.state.notify.run(), name="notify")
        # The console's own event-loop lag on its /metrics (issue 20).
        lag = settings.metrics.loop_lag_interval if settings.metrics.enabled else None
        probe = asyncio.create_task(watch_loop_lag(lag), name="loop-lag") if lag else None
        # Dispositions the store refused, and those a console killed in an outage spooled.
        app.state.dispositions = held_dispositions(database, settings)
        held = asyncio.create_task(app.state.dispositions.run(), name="dispositions-held")
        # Audit entries refused after their action was done (a transfer Asterisk carried out).
        app.state.held_audit = held_audit(database, settings)
        audit = asyncio.create_task(app.state.held_audit.run(), name="audit-held")
        if ami is not None:
            # Without waiting: the console works (stored figures) while the PBX is down.
            await ami.start(wait=False)
        try:
            yield
        finally:
            for task in (listening, probe, held, audit):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if ami is not None:
                await ami.stop()
            if owns_db:
                await database.dispose()

    app = FastAPI(title="hotline", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.db = database
    app.state.users = Users(database, settings.web)
    # The menu editor's prompts: the build, and own texts synthesised with the configured voice.
    app.state.prompts = PromptLibrary(settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        auth,
        home,
        metrics,
        admin,
        reports,
        monitor,
        wallboard,
        # Before operator: its POST /operator/{action} would take /operator/appeal and
        # /operator/transfer.
        appeals,
        knowledge,
        desk,
        operator_desk,
        operator,
        recordings,
        # Before campaigns: its GET /campaigns/{name} would take /campaigns/calendar.
        campaign_calendar,
        survey_coverage,
        campaigns,
        calls,
        settings_page,
        outages,
        menus,
        quality,
        webhooks,
    ):
        app.include_router(module.router)

    dates.install(app)
    unavailable.install(app)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={target}", status_code=303)

    # Innermost of these: a 413 still gets the security headers.
    app.add_middleware(BodyLimit, limit_for=body_limit_for(settings.web, app.state.users))
    # Outside the body limit: a request for another host name (DNS rebinding) is refused
    # before anything else looks at it.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.web.host_names())
    headers = dict(SECURITY_HEADERS)
    if settings.web.https_only:
        headers["Strict-Transport-Security"] = HSTS

    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in headers.items():
            if name == "Cache-Control" and request.url.path.startswith("/static/"):
                continue
            response.headers.setdefault(name, value)
        return response

    if settings.web.trusted_proxies:
        # Outermost: the client address and scheme the proxy saw, for everything inside.
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=list(settings.web.trusted_proxies)
        )
    return app
