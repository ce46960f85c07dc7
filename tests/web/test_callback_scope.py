"""Callback requests are scoped (L8): an operator closes only requests that are unassigned or
assigned to them; a supervisor closes any."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from hotline.access.users import Role, Users
from hotline.contact_center import callbacks
from hotline.settings import Settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.callbacks import CallbackStore
from hotline.store.db import Database
from hotline.store.enums import CallbackStatus
from tests.web.conftest import PASSWORD, log_in

SETUP = Actor("setup", "cli")


def seed(settings: Settings) -> tuple[int, int, int]:
    """Three open requests: one assigned to olga, one to anna, one to nobody."""

    async def work() -> tuple[int, int, int]:
        async with Database.from_settings(settings) as db:
            await Users(db, settings.web).add("olga", Role.OPERATOR, PASSWORD, SETUP)
            store = CallbackStore(db)
            olgas = (await store.request("79131234561", source="queue")).id
            annas = (await store.request("79131234562", source="queue")).id
            free = (await store.request("79131234563", source="queue")).id
            await callbacks.assign(db, olgas, "olga", SETUP)
            await callbacks.assign(db, annas, "anna", SETUP)
            return olgas, annas, free

    return asyncio.run(work())


def statuses(settings: Settings) -> dict[int, tuple[CallbackStatus, str | None]]:
    async def read() -> dict[int, tuple[CallbackStatus, str | None]]:
        async with Database.from_settings(settings) as db:
            found = await CallbackStore(db).find()
            return {r.id: (r.status, r.done_by) for r in found}

    return asyncio.run(read())


def test_an_operator_cannot_close_someone_elses_callback(
    client: TestClient, settings: Settings
) -> None:
    olgas, annas, free = seed(settings)
    csrf = log_in(client, "anna")
    refused = client.post(f"/callbacks/{olgas}/done", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "назначена другому" in refused.text
    assert statuses(settings)[olgas] == (CallbackStatus.OPEN, None)
    # Her own and an unassigned one she may close.
    assert client.post(f"/callbacks/{annas}/done", data={"csrf_token": csrf}).status_code == 200
    assert client.post(f"/callbacks/{free}/done", data={"csrf_token": csrf}).status_code == 200
    after = statuses(settings)
    assert after[annas] == (CallbackStatus.DONE, "anna")
    assert after[free] == (CallbackStatus.DONE, "anna")
    assert after[olgas] == (CallbackStatus.OPEN, None)

    async def refusals() -> list[str]:
        async with Database.from_settings(settings) as db:
            return [
                e.target or ""
                for e in await AuditLog(db).entries()
                if e.action == "callback.done.refused"
            ]

    assert asyncio.run(refusals()) == [str(olgas)]


def test_a_supervisor_closes_any_callback(client: TestClient, settings: Settings) -> None:
    olgas, _, _ = seed(settings)
    csrf = log_in(client, "boris")
    assert client.post(f"/callbacks/{olgas}/done", data={"csrf_token": csrf}).status_code == 200
    assert statuses(settings)[olgas] == (CallbackStatus.DONE, "boris")
