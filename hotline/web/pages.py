"""Templates and the values every page needs."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request, Response, status
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask

from hotline.access.users import Permission
from hotline.core import spreadsheets as tabular
from hotline.core.vocabulary import describe, detail_text
from hotline.core.vocabulary import label as vocabulary_label
from hotline.web.security import CSRF_FIELD, CSRF_HEADER, Viewer

TEMPLATES_DIR: Final = Path(__file__).with_name("templates")
STATIC_DIR: Final = Path(__file__).with_name("static")

templates = Jinja2Templates(directory=TEMPLATES_DIR)
# Codes on pages read as their Russian labels: {{ code | label("Reason") }} (issue 18).
templates.env.filters["label"] = lambda code, vocabulary: vocabulary_label(vocabulary, code)
templates.env.filters["detail_text"] = detail_text
templates.env.filters["describe"] = lambda code, vocabulary, params: describe(
    vocabulary, code, params
)


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
        "local_iso": lambda text: local(datetime.fromisoformat(text)) if text else "",
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


DOWNLOAD_FORMATS: Final = ("csv", "xlsx")


def check_format(fmt: str) -> None:
    if fmt not in DOWNLOAD_FORMATS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "csv or xlsx")


async def table_download(sheets: list[tabular.Sheet], stem: str, fmt: str) -> Response:
    """A report as an attachment: CSV for Russian Excel, or XLSX (built off the event loop:
    a big workbook takes seconds)."""
    check_format(fmt)
    if fmt == "csv":
        body, media = tabular.to_csv(sheets), tabular.CSV_MEDIA_TYPE
    else:
        body, media = await asyncio.to_thread(tabular.to_xlsx, sheets), tabular.XLSX_MEDIA_TYPE
    disposition = f'attachment; filename="{stem}.{fmt}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def stream_download(sheets: list[tabular.SheetStream], stem: str, fmt: str) -> Response:
    """An export of any size as an attachment, never whole in memory: the rows come from
    the store page by page and leave as CSV pieces, or as an XLSX written to a temporary
    file and sent in chunks (``csv_stream`` / ``xlsx_stream``)."""
    check_format(fmt)
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    if fmt == "csv":
        body, media = tabular.csv_stream(sheets), tabular.CSV_MEDIA_TYPE
    else:
        body, media = tabular.xlsx_stream(sheets), tabular.XLSX_MEDIA_TYPE
    return StreamingResponse(body, media_type=media, headers=headers)


async def streamed_download(
    csv_chunks: Callable[[], AsyncIterator[bytes]],
    write_xlsx: Callable[[Path], Awaitable[None]],
    stem: str,
    fmt: str,
) -> Response:
    """A big report as an attachment, never whole in memory: CSV streamed chunk by chunk as
    the database yields rows, XLSX written row by row to a temporary file (removed once
    sent)."""
    check_format(fmt)
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    if fmt == "csv":
        return StreamingResponse(csv_chunks(), media_type=tabular.CSV_MEDIA_TYPE, headers=headers)
    handle, name = await asyncio.to_thread(tempfile.mkstemp, suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        await write_xlsx(path)
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=tabular.XLSX_MEDIA_TYPE,
        headers=headers,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
