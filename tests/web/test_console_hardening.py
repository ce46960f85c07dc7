"""The console's hardening against oversized requests and left-over uploads (M6, M8)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.store.db import Database
from hotline.web.app import create_app
from tests.web.conftest import console_settings, log_in, seed_users
from tests.web.test_campaign_pages import seed_scenario, upload

HUGE_CELL = "x" * 200_000  # over the csv module's field limit (131072)


def uploads(settings: Settings) -> Path:
    return Path(settings.paths.data_dir) / "uploads"


def leftovers(settings: Settings) -> list[str]:
    folder = uploads(settings)
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The console's settings with its data folder (uploads) under ``tmp_path``."""
    base = console_settings(tmp_path)
    paths = base.paths.model_copy(update={"data_dir": tmp_path / "var"})
    settings = base.model_copy(update={"paths": paths})
    asyncio.run(seed_users(settings))
    return settings


@pytest.fixture
def supervisor(client: TestClient, settings: Settings) -> Iterator[str]:
    seed_scenario(settings)
    csrf = log_in(client, "boris")
    created = client.post(
        "/campaigns", data={"csrf_token": csrf, "name": "dec", "scenario": "debt"}
    )
    assert created.status_code == 200
    yield csrf


def test_a_large_body_is_refused_before_the_form_is_read(client: TestClient) -> None:
    body = b"name=vera&password=" + b"x" * (2 * 1024 * 1024)
    reply = client.post(
        "/login", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status_code == 413


def test_an_anonymous_upload_gets_the_small_limit(client: TestClient, settings: Settings) -> None:
    reply = upload(client, "no-session", "dec", "phone\n" + "1" * (2 * 1024 * 1024))
    assert reply.status_code == 413
    assert leftovers(settings) == []


def test_an_over_long_csv_cell_is_a_row_error_and_the_file_is_gone(
    client: TestClient, settings: Settings, supervisor: str
) -> None:
    text = f"phone,amount\n+79131234567,1500.00\n+79131234568,{HUGE_CELL}\n"
    reply = upload(client, supervisor, "dec", text)
    assert reply.status_code == 422
    assert "row 3" in reply.text and "field larger than field limit" in reply.text
    assert leftovers(settings) == []


def test_uploads_never_confirmed_are_purged(
    client: TestClient, settings: Settings, supervisor: str
) -> None:
    folder = uploads(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / "stale-upload-token-1.csv", folder / "fresh-upload-token-1.csv"
    for path in (stale, fresh):
        path.write_text("phone\n+79131234567\n")
    hour_ago = time.time() - 61 * 60
    os.utime(stale, (hour_ago, hour_ago))
    reply = upload(client, supervisor, "dec", "phone,amount\n+79131234567,1500.00\n")
    assert reply.status_code == 200
    names = leftovers(settings)
    assert stale.name not in names and fresh.name in names
    assert len(names) == 2  # the fresh one and the upload just checked


def test_an_upload_over_the_upload_limit_leaves_nothing(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"web": settings.web.model_copy(update={"max_upload_bytes": 4096})}
    )
    with TestClient(create_app(limited), base_url="http://127.0.0.1") as client:
        seed_scenario(limited)
        csrf = log_in(client, "boris")
        client.post("/campaigns", data={"csrf_token": csrf, "name": "dec", "scenario": "debt"})
        reply = upload(client, csrf, "dec", "phone\n" + "+79131234567\n" * 1000)
    assert reply.status_code == 413
    assert leftovers(limited) == []


def web_app(settings: Settings, **web: object) -> TestClient:
    changed = settings.model_copy(update={"web": settings.web.model_copy(update=web)})
    return TestClient(create_app(changed), base_url="http://127.0.0.1")


def test_requests_for_other_host_names_are_refused(client: TestClient) -> None:
    # A DNS-rebinding page reaches the loopback console under its own name.
    assert client.get("/login", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "localhost:8080"}).status_code == 200
    assert client.get("/login").status_code == 200


def test_configured_host_names(settings: Settings) -> None:
    with web_app(settings, allowed_hosts=["console.example.ru"]) as client:
        assert client.get("/login").status_code == 400
        ok = client.get("/login", headers={"Host": "console.example.ru"})
        assert ok.status_code == 200


def test_secure_cookies_and_hsts_beyond_loopback(settings: Settings) -> None:
    with web_app(settings) as client:
        page = client.get("/login")
        assert "Strict-Transport-Security" not in page.headers
        assert "secure" not in page.headers["set-cookie"].lower()
    with web_app(settings, host="0.0.0.0") as client:
        page = client.get("/login")
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "secure" in page.headers["set-cookie"].lower()
    with web_app(settings, host="10.1.2.3", secure_cookies=False) as client:
        assert "secure" not in client.get("/login").headers["set-cookie"].lower()


def test_the_database_password_is_masked_on_the_settings_page(settings: Settings) -> None:
    url = "postgresql+psycopg://hotline:pg-pass-123@db.example/hotline"
    shown = settings.model_copy(update={"store": settings.store.model_copy(update={"url": url})})
    # The app keeps its own database (the SQLite file); only the page shows this URL.
    db = Database(settings.database_url)
    with TestClient(create_app(shown, db), base_url="http://127.0.0.1") as client:
        log_in(client, "vera")
        html = client.get("/admin/settings").text
    asyncio.run(db.dispose())
    assert "pg-pass-123" not in html
    assert "postgresql+psycopg://hotline:***@db.example/hotline" in html


@pytest.mark.parametrize(
    "path",
    [
        "/calls?end=9999-12-31",
        "/recordings?end=9999-12-31",
        "/reports/ivr?end=9999-12-31",
        "/calls?start=0001-01-01",
    ],
)
def test_dates_at_the_end_of_the_calendar_are_refused_not_a_500(
    client: TestClient, path: str
) -> None:
    log_in(client, "boris")
    reply = client.get(path)
    assert 400 <= reply.status_code < 500, reply.status_code
