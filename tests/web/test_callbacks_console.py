"""Callbacks at an agreed time in the console (issue 16 item 3, R-109): an operator sets and
moves the window (inside operator hours only, audited), overdue ones are flagged in the
operator's list and on the wallboard."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from hotline.contact_center.schedule import load_operator_hours
from hotline.settings import Settings
from hotline.store.audit import AuditLog
from hotline.store.callbacks import CallbackStore
from hotline.store.db import Database
from tests.web.conftest import log_in

HOUR = timedelta(hours=1)


def seed(settings: Settings) -> tuple[int, int]:
    """One request overdue since an hour ago, one without a window."""
    now = datetime.now(UTC).replace(microsecond=0)

    async def work() -> tuple[int, int]:
        async with Database.from_settings(settings) as db:
            store = CallbackStore(db)
            late = await store.request(
                "79131234567", source="closed", due_at=now - 2 * HOUR, due_until=now - HOUR
            )
            fresh = await store.request("79131230000", source="queue")
            return late.id, fresh.id

    return asyncio.run(work())


def next_opening(settings: Settings) -> datetime:
    async def work() -> datetime:
        async with Database.from_settings(settings) as db:
            hours = await load_operator_hours(db, settings.hours)
        opening = hours.next_opening(datetime.now(UTC) + HOUR)
        assert opening is not None
        return opening

    return asyncio.run(work())


def test_overdue_callbacks_are_flagged_and_the_window_is_set_inside_hours(
    client: TestClient, settings: Settings
) -> None:
    late, fresh = seed(settings)
    csrf = log_in(client, "anna")
    html = client.get("/operator").text
    # The overdue one first (the newest due first), flagged; the other has no window yet.
    assert html.index(f'data-callback="{late}" class="bad overdue"') < html.index(
        f'data-callback="{fresh}"'
    )
    assert "просрочена" in html and "не назначено" in html

    board = client.get("/wallboard").text
    assert 'id="tile-overdue-callbacks"' in board and 'id="overdue-callbacks"' in board
    assert f'<tr data-callback="{late}" class="bad">' in board

    zone = ZoneInfo(settings.hours.timezone)
    opening = next_opening(settings).astimezone(zone)
    start = opening.strftime("%Y-%m-%dT%H:%M")
    moved = client.post(f"/callbacks/{fresh}/slot", data={"csrf_token": csrf, "start": start})
    assert moved.status_code == 200, moved.text
    closed = (opening - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(f"/callbacks/{fresh}/slot", data={"csrf_token": csrf, "start": closed})
    assert refused.status_code == 422 and "операторы не работают" in refused.text

    async def stored() -> tuple[datetime | None, list[str]]:
        async with Database.from_settings(settings) as db:
            found = {r.id: r for r in await CallbackStore(db).find()}
            actions = [e.action for e in await AuditLog(db).entries(actor="anna")]
            return found[fresh].due_at, actions

    due_at, actions = asyncio.run(stored())
    assert due_at == opening
    assert "callback.slot" in actions and "callback.slot.refused" in actions
