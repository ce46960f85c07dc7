"""Issue 21: the console while its database is away answers a clear 503 in Russian (with
Retry-After), not a bare 500; a programming error stays a 500."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from hotline.settings import Settings
from hotline.store.db import Database
from hotline.web.app import create_app
from tests.web.conftest import log_in


@contextlib.asynccontextmanager
async def _refused(self: Database) -> AsyncIterator[None]:
    raise OperationalError("SELECT 1", None, ConnectionRefusedError("connection refused"))
    yield  # pragma: no cover


def test_pages_answer_a_clear_503_while_the_database_is_away(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        log_in(client, "boris")
        monkeypatch.setattr(Database, "session", _refused)
        page = client.get("/wallboard", headers={"accept": "text/html"})
        assert page.status_code == 503
        assert page.headers["retry-after"] == "5"
        assert "База данных консоли временно недоступна" in page.text
        assert "Traceback" not in page.text
        api = client.get("/wallboard", headers={"accept": "application/json"})
        assert api.status_code == 503 and "временно недоступна" in api.json()["detail"]
        monkeypatch.undo()
        assert client.get("/wallboard").status_code == 200  # and back when it is
