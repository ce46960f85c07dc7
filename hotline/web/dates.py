"""Dates typed into the console: a period the console cannot use is a 400 with a Russian
message (an HTML page for a browser, JSON for anything else), never a 422 or a 500."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response

from hotline.core.report_period import PeriodError, PeriodProblem, parse_period

SHOWN_CHARS = 40


class BadRequest(Exception):
    """A request the console answers with 400 and ``message`` (Russian, for a person)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def russian(exc: PeriodError) -> str:
    typed = exc.text[:SHOWN_CHARS]
    if exc.problem is PeriodProblem.OUT_OF_RANGE:
        return (
            f"Дата «{typed}» вне допустимого диапазона. "
            "Пожалуйста, укажите дату в формате ГГГГ-ММ-ДД, например 2026-03-01."
        )
    if exc.problem is PeriodProblem.EMPTY:
        return "Конец периода должен быть позже его начала. Пожалуйста, проверьте даты."
    return (
        f"Дата «{typed}» не распознана. "
        "Пожалуйста, укажите дату в формате ГГГГ-ММ-ДД, например 2026-03-01."
    )


def web_period(start: str, end: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``[first, last)`` from the form's dates; BadRequest in Russian when unusable."""
    try:
        return parse_period(start, end, zone)
    except PeriodError as exc:
        raise BadRequest(russian(exc)) from exc


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    @app.exception_handler(BadRequest)
    async def _bad_request(request: Request, exc: BadRequest) -> Response:
        if _wants_html(request):
            body = (
                '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
                "<title>Запрос не выполнен</title></head><body><main>"
                f'<h1>Запрос не выполнен</h1><p role="alert">{html.escape(exc.message)}</p>'
                '<p><a href="/">На главную</a></p></main></body></html>'
            )
            return HTMLResponse(body, status_code=status.HTTP_400_BAD_REQUEST)
        return JSONResponse({"detail": exc.message}, status_code=status.HTTP_400_BAD_REQUEST)
