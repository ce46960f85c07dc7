"""Call recordings: search by date, caller, account and operator; play in the browser;
download.  The operations (``contact_center.recordings``) audit every listing, play and
download.  Operators find only the calls they answered."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import FileResponse, HTMLResponse
from starlette.background import BackgroundTask

from hotline.access.users import Permission
from hotline.contact_center import recordings as recording
from hotline.store.recordings import Recordings
from hotline.web.dates import web_period
from hotline.web.pages import page
from hotline.web.security import Viewer, require

router = APIRouter(prefix="/recordings")

DEFAULT_DAYS: Final = 7
PAGE_LIMIT: Final = 500


def _own_only(who: Viewer) -> str | None:
    """The operator filter a user cannot lift: their own name unless they see all calls."""
    return None if who.may(Permission.ALL_CALLS) else who.name


@router.get("", response_class=HTMLResponse)
async def search(
    request: Request,
    who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))],
    start: str | None = None,
    end: str | None = None,
    caller: str = "",
    account: str = "",
    operator: str = "",
) -> Response:
    zone = ZoneInfo(request.app.state.settings.hours.timezone)
    today = datetime.now(zone).date()
    start = start or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    end = end or today.isoformat()
    first, last = web_period(start, end, zone)
    filters = {
        "from": start,
        "to": end,
        "caller": caller,
        "account": account,
        "operator": operator,
    }
    found = await recording.search(
        Recordings(request.app.state.db),
        who.actor,
        filters,
        start=first,
        end=last,
        caller=caller.strip() or None,
        account=account.strip() or None,
        operator=_own_only(who) or operator.strip() or None,
        limit=PAGE_LIMIT,
    )
    return page(
        request,
        "recordings.html",
        who,
        recordings=found,
        start=start,
        end=end,
        caller=caller,
        account=account,
        operator=operator,
        limit=PAGE_LIMIT,
    )


@router.get("/{recording_id}/audio")
async def play(
    request: Request,
    recording_id: int,
    who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))],
) -> Response:
    """The WAV MixMonitor wrote: every browser plays PCM WAV as it is."""
    record = await recording.play(
        Recordings(request.app.state.db),
        who.actor,
        recording_id,
        root=recording.recordings_root(request.app.state.settings),
        operator=_own_only(who),
    )
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such recording")
    return FileResponse(record.path, media_type="audio/wav")


@router.get("/{recording_id}/download")
async def download(
    request: Request,
    recording_id: int,
    who: Annotated[Viewer, Depends(require(Permission.OWN_CALLS))],
) -> Response:
    """An MP3 (small, plays anywhere), transcoded off the event loop."""
    work = Path(tempfile.mkdtemp(prefix="hotline-rec-"))
    try:
        target = await recording.download(
            Recordings(request.app.state.db),
            who.actor,
            recording_id,
            work,
            root=recording.recordings_root(request.app.state.settings),
            operator=_own_only(who),
        )
    except recording.RecordingError as exc:
        await asyncio.to_thread(_remove, work)
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc)) from exc
    if target is None:
        await asyncio.to_thread(_remove, work)
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such recording")
    return FileResponse(
        target,
        media_type="audio/mpeg",
        filename=target.name,
        background=BackgroundTask(_remove, work),
    )


def _remove(directory: Path) -> None:
    for child in directory.iterdir():
        child.unlink(missing_ok=True)
    directory.rmdir()
