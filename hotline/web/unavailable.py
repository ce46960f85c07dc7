"""The console while its database is away (issue 21: a PostgreSQL restart, a connection
pool that cannot get a connection): a clear 503 page in Russian with Retry-After, logged as
one line, instead of a bare 500 and a traceback in the log."""

from __future__ import annotations

import logging
from typing import Final

from fastapi import FastAPI, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

# The database's own failures: unreachable, the connection lost, the pool exhausted.  Not
# an integrity or programming error: those are bugs and stay 500s.
UNAVAILABLE: Final = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
RETRY_AFTER_SECONDS: Final = 5
MESSAGE: Final = (
    "База данных консоли временно недоступна. Пожалуйста, обновите страницу через минуту."
)


def _page() -> str:
    return (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
        "<title>Консоль временно недоступна</title></head><body><main>"
        f'<h1>Консоль временно недоступна</h1><p role="alert">{MESSAGE}</p>'
        '<p><a href="">Обновить страницу</a></p></main></body></html>'
    )


def install(app: FastAPI) -> None:
    async def _unavailable(request: Request, exc: Exception) -> Response:
        # The class only: a driver's message may quote the statement's parameters.
        log.warning(
            "console: %s %s answered 503: the database is unavailable (%s)",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        code = status.HTTP_503_SERVICE_UNAVAILABLE
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(_page(), status_code=code, headers=headers)
        return JSONResponse({"detail": MESSAGE}, status_code=code, headers=headers)

    for kind in UNAVAILABLE:
        app.add_exception_handler(kind, _unavailable)
