"""The console's current outages page (R-097, R-032): a dispatcher or a supervisor registers,
lists and closes outages (audited); an operator may not."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from hotline.access.users import Role, Users
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.outages import OutageRecord, OutageStore
from tests.web.conftest import PASSWORD, log_in
from tests.web.test_console_auth import audit_entries


@pytest.fixture
def dispatcher(settings: Settings) -> str:
    async def add() -> None:
        async with Database.from_settings(settings) as db:
            await Users(db, settings.web).add("dima", Role.DISPATCHER, PASSWORD, Actor("s", "cli"))

    asyncio.run(add())
    return "dima"


def open_outages(settings: Settings) -> list[OutageRecord]:
    async def read() -> list[OutageRecord]:
        async with Database.from_settings(settings) as db:
            return await OutageStore(db).list()

    return asyncio.run(read())


def test_dispatcher_registers_lists_and_closes(
    client: TestClient, settings: Settings, dispatcher: str
) -> None:
    csrf = log_in(client, dispatcher)
    assert "Отключения" in client.get("/").text
    response = client.post(
        "/outages",
        data={
            "cause": "Авария на подстанции",
            "restore": "2026-12-03 18:30",
            "places": "г. Красноярск, ул. Ленина\nКызыл\n",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 200  # after the redirect
    assert "Авария на подстанции" in response.text
    assert "г. Красноярск, ул. Ленина; Кызыл" in response.text
    [outage] = open_outages(settings)
    closed = client.post(f"/outages/{outage.id}/close", data={"csrf_token": csrf})
    assert closed.status_code == 200 and "Список пуст" in closed.text
    assert open_outages(settings) == []
    actions = [(e.actor, e.action) for e in audit_entries(settings)[:2]]
    assert actions == [("dima", "outage.close"), ("dima", "outage.add")]


def test_errors_are_shown_in_russian(client: TestClient, dispatcher: str) -> None:
    csrf = log_in(client, dispatcher)
    response = client.post(
        "/outages", data={"cause": "Гроза", "restore": "2026-12-03 18:30", "csrf_token": csrf}
    )
    assert response.status_code == 422
    assert "Отключение не зарегистрировано" in response.text
    bad_time = client.post(
        "/outages",
        data={"cause": "Гроза", "restore": "завтра", "places": "Кызыл", "csrf_token": csrf},
    )
    assert bad_time.status_code == 422
    missing = client.post("/outages/99/close", data={"csrf_token": csrf})
    assert missing.status_code == 404


def test_supervisor_may_operator_may_not(client: TestClient, settings: Settings) -> None:
    csrf = log_in(client, "anna")  # an operator
    assert client.get("/outages").status_code == 403
    refused = client.post(
        "/outages",
        data={"cause": "x", "restore": "2026-12-03 18:30", "places": "Кызыл", "csrf_token": csrf},
    )
    assert refused.status_code == 403
    assert open_outages(settings) == []
    client.cookies.clear()
    log_in(client, "boris")  # a supervisor
    assert client.get("/outages").status_code == 200
