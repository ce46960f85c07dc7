"""Issue 21 (the held-writes spool): a disposition the store refuses while the operator submits
it in the console.  The console used to answer 503 and drop the pick; now it holds and spools
it, and its answer does not call it saved: 202 with the words "пока не сохранён ... сохранит,
когда база снова станет доступна" and what the operator picked and typed (503 and "не
сохранён ... запишите его" when even the local spool cannot take it).  A console started
afterwards (its lifespan) writes the spooled pick to the store.

Checked against the old code: the view answered the store's refusal with the console's 503
page and nothing was held: the restarted console found no pick to write."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline.contact_center import desk
from hotline.settings import Settings
from hotline.web.app import create_app
from tests.store.test_soak_event_outbox import Flaky
from tests.web.conftest import console_settings, log_in, seed_users
from tests.web.test_card_desk_views import dispositions, seed

NOTE = "перезвонить после 18:00"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = console_settings(tmp_path)
    held = base.held_writes.model_copy(update={"spool_dir": tmp_path / "held"})
    settings = base.model_copy(update={"held_writes": held})
    asyncio.run(seed_users(settings))
    return settings


def refusing(client: TestClient, settings: Settings) -> None:
    """The store refuses the console's disposition writes from now (its sessions still work)."""
    flaky = Flaky(client.app.state.db)  # type: ignore[attr-defined]
    flaky.down = True
    client.app.state.dispositions = desk.held_dispositions(flaky, settings)  # type: ignore[arg-type,attr-defined]


FORM = {"uniqueid": "u1", "call_type": "personal", "result": "answered", "note": NOTE}


def test_a_pick_the_store_refused_is_not_called_saved_and_is_written_later(
    settings: Settings,
) -> None:
    seed(settings)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        csrf = log_in(client, "anna")
        refusing(client, settings)
        held = client.post(
            "/operator/desk/disposition",
            data={**FORM, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert held.status_code == 202, held.text
        assert "Итог пока не сохранён" in held.text
        assert "сохранит, когда база снова станет доступна" in held.text
        assert "тип «вопрос по лицевому счёту»" in held.text
        assert "«Вопрос решён»" in held.text and NOTE in held.text
    assert dispositions(settings) == {}

    # The console is started again (the store answers): it writes what it spooled.
    with TestClient(create_app(settings), base_url="http://127.0.0.1"):
        deadline = time.monotonic() + 60  # a generous bound on a loaded machine
        while not dispositions(settings) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert dispositions(settings) == {"u1": ("personal", "answered")}


def test_a_pick_the_spool_cannot_take_either_is_said_not_saved(settings: Settings) -> None:
    seed(settings)
    tiny = settings.held_writes.model_copy(update={"spool_max_mb": 0.0001})
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        csrf = log_in(client, "anna")
        refusing(client, settings.model_copy(update={"held_writes": tiny}))
        answer = client.post(
            "/operator/desk/disposition",
            data={**FORM, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 503
        assert "Итог не сохранён" in answer.text and "запишите его" in answer.text
        assert NOTE in answer.text
