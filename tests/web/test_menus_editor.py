"""The console's menu editor (issue 23): the shared draft survives a restart, each change is
checked by the menu validator and the offending node marked, a draft that breaks a rule is
refused by the server, typed prompts are synthesised and served as WAV, publish and rollback
are audited, and only supervisors and admins may use it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.speech.catalogue import Catalogue
from hotline.speech.library import PromptLibrary
from hotline.speech.manifest import MANIFEST, BuiltPrompt, Manifest
from hotline.store.db import Database
from hotline.store.menus import MenuVersionStore
from hotline.web.app import create_app
from ivr.prompts import NAV_HINT
from tests.unit.test_speech_audio import tone_wav
from tests.web.conftest import log_in
from tests.web.test_console_auth import audit_entries

VOICE = "anna"
# A text long enough that the fake voice speaks it for over 15 s (0.1 s + 0.05 s a character).
LONG = "Очень длинная подсказка " * 13


class FakeVoice:
    """Speaks 0.1 s plus 0.05 s per character."""

    name = "fake"

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def synthesize(self, text: str, voice: str, rate: int) -> bytes:
        self.texts.append(text)
        return tone_wav(0.1 + 0.05 * len(text))


def fake_library(settings: Settings, tmp_path: Path) -> PromptLibrary:
    """The real catalogue, a fake build (every prompt 3 s) and the fake voice."""
    catalogue = Catalogue.load(Path("prompts"), settings.speech.company_name)
    speech = settings.speech.model_copy(
        update={
            "voice": VOICE,
            "sounds_dir": tmp_path / "sounds",
            "cache_dir": tmp_path / "cache",
        }
    )
    local = settings.model_copy(update={"speech": speech})
    built = {
        pid: BuiltPrompt(pid, e.text, "tts", f"k-{pid}", 3.0)
        for pid, e in ((e.id, e) for e in catalogue.entries())
    }
    assert NAV_HINT in built
    folder = tmp_path / "sounds" / f"fake-{VOICE}"
    folder.mkdir(parents=True)
    manifest = Manifest("fake", VOICE, settings.speech.rate, "test", built)
    (folder / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return PromptLibrary(local, backend=FakeVoice(), catalogue=catalogue)


@pytest.fixture
def editor_client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(settings)
    app.state.prompts = fake_library(settings, tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def node_html(html: str, node_id: str) -> str:
    found = re.search(
        rf'<div class="node [^"]*" id="node-{re.escape(node_id)}".*?</details>', html, re.S
    )
    assert found, f"no node {node_id}"
    return found.group(0)


def add(client: TestClient, csrf: str, **form: str) -> None:
    response = client.post("/menus/nodes", data={"csrf_token": csrf, **form})
    assert response.status_code == 200, response.text  # after the redirect


def test_a_fifth_option_marks_the_level_and_publishing_is_refused(
    editor_client: TestClient, settings: Settings
) -> None:
    csrf = log_in(editor_client, "boris")
    page = editor_client.get("/menus")
    assert page.status_code == 200
    assert 'id="valid"' in page.text and "violation" not in node_html(page.text, "main")
    add(editor_client, csrf, parent="main", key="5", kind="action", action="hangup")
    page = editor_client.get("/menus")
    main = node_html(page.text, "main")
    assert "violation" in main
    assert 'data-rule="max_options"' in main
    assert "5 вариантов, допустимо не более 4" in main
    # The server refuses, not only the button.
    refused = editor_client.post("/menus/publish", data={"csrf_token": csrf})
    assert refused.status_code == 422
    assert asyncio.run(_versions(settings)) == 0
    # Removing the option clears the mark.
    editor_client.post("/menus/nodes/main.5/remove", data={"csrf_token": csrf})
    page = editor_client.get("/menus")
    assert "violation" not in node_html(page.text, "main") and 'id="valid"' in page.text


def test_speech_over_15_seconds_is_measured_on_the_rendered_text(
    editor_client: TestClient,
) -> None:
    csrf = log_in(editor_client, "boris")
    editor_client.post("/menus/nodes/info.tariffs/prompt", data={"csrf_token": csrf, "text": LONG})
    node = node_html(editor_client.get("/menus").text, "info.tariffs")
    assert 'data-rule="max_level_speech_seconds"' in node
    assert re.search(r"1\d\.\d с речи на уровне, допустимо не более 15 с", node)


def test_typed_prompt_is_synthesised_and_served_as_wav(
    editor_client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    csrf = log_in(editor_client, "boris")
    add(
        editor_client,
        csrf,
        parent="outages",
        key="3",
        kind="info",
        node_id="outages.schedule",
        text="График плановых работ опубликован на сайте.",
    )
    page = editor_client.get("/menus").text
    node = node_html(page, "outages.schedule")
    assert "График плановых работ" in node
    assert 'src="/menus/audio/own.outages.schedule"' in page
    wav = editor_client.get("/menus/audio/own.outages.schedule")
    assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav"
    assert wav.content[:4] == b"RIFF" and len(wav.content) > 1000
    assert editor_client.get("/menus/audio/own.nothing").status_code == 404
    # The draft is stored: a console restarted on the same database still has it.
    app = create_app(settings)
    app.state.prompts = fake_library(settings, tmp_path / "again")
    with TestClient(app, base_url="http://127.0.0.1") as again:
        log_in(again, "vera")
        assert "outages.schedule" in again.get("/menus").text


def test_publish_and_rollback_are_versions_and_audited(
    editor_client: TestClient, settings: Settings
) -> None:
    csrf = log_in(editor_client, "boris")
    add(editor_client, csrf, parent="outages", key="3", kind="action", action="callback_request")
    published = editor_client.post("/menus/publish", data={"csrf_token": csrf})
    assert published.status_code == 200 and "Опубликована версия 1" in published.text
    editor_client.post("/menus/nodes/outages.3/remove", data={"csrf_token": csrf})
    assert (
        "Опубликована версия 2"
        in editor_client.post("/menus/publish", data={"csrf_token": csrf}).text
    )
    back = editor_client.post("/menus/versions/1/rollback", data={"csrf_token": csrf})
    assert back.status_code == 200 and "восстановлена как версия 3" in back.text
    content = asyncio.run(_content(settings, 3))
    assert "outages.3" in content
    entries = sorted(
        (e for e in audit_entries(settings) if e.action.startswith("menu.")), key=lambda e: e.id
    )
    assert [(e.action, e.actor, e.channel) for e in entries] == [
        ("menu.publish", "boris", "web"),
        ("menu.publish", "boris", "web"),
        ("menu.rollback", "boris", "web"),
    ]
    assert entries[1].detail is not None
    assert "removed node outages.3" in entries[1].detail["summary"]


def test_yaml_text_view_is_validated_the_same_way(editor_client: TestClient) -> None:
    csrf = log_in(editor_client, "boris")
    text = editor_client.get("/menus").text
    content = re.search(r'<textarea name="content"[^>]*>(.*?)</textarea>', text, re.S)
    assert content
    import html

    yaml_text = html.unescape(content.group(1)).replace(
        '"4": outages', '"4": outages\n      "5": readings'
    )
    saved = editor_client.post("/menus/text", data={"csrf_token": csrf, "content": yaml_text})
    assert saved.status_code == 200
    assert 'data-rule="two_parents"' in saved.text or 'data-rule="max_options"' in saved.text
    bad = editor_client.post("/menus/text", data={"csrf_token": csrf, "content": "[1, 2"})
    assert bad.status_code == 422


def test_only_supervisors_and_admins(editor_client: TestClient) -> None:
    csrf = log_in(editor_client, "anna")
    assert editor_client.get("/menus").status_code == 403
    assert editor_client.post("/menus/publish", data={"csrf_token": csrf}).status_code == 403
    assert editor_client.get("/menus/audio/ivr.main.short").status_code == 403
    assert 'href="/menus"' not in editor_client.get("/").text


async def _versions(settings: Settings) -> int:
    async with Database.from_settings(settings) as db:
        return len(await MenuVersionStore(db).history())


async def _content(settings: Settings, version: int) -> str:
    async with Database.from_settings(settings) as db:
        record = await MenuVersionStore(db).get(version)
        assert record is not None
        return record.content
