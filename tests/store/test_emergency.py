"""Emergency mode: the state history on SQLite and PostgreSQL, the per-call provider, the
answer target, and switching on with a rendered message (real espeak-ng + sox)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.contact_center import emergency as emergency_module
from hotline.contact_center.emergency import (
    USED_BY,
    Emergency,
    EmergencyProvider,
    answer_target,
    prepare_message,
    switch_on,
)
from hotline.settings import QueueSettings, Settings, load_settings
from hotline.speech import audio
from hotline.speech.catalogue import Catalogue, UnknownPrompt
from hotline.speech.library import PromptLibrary, PromptsNotBuilt
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.emergency import NEVER_SWITCHED, EmergencyStore

CATALOGUE = """\
version: 1
prompts:
  - id: ivr.emergency.default
    text: "Внимание! Из-за аварии возможны перебои."
  - id: ivr.emergency.storm
    text: "Ураган. Бригады работают."
"""
TEXT = "Авария на подстанции. Свет дадут к вечеру."
ALICE = Actor("alice", "cli")


@pytest.fixture
async def store(db: Database) -> EmergencyStore:
    await db.upgrade()
    return EmergencyStore(db)


def speech_settings(tmp_path: Path) -> Settings:
    prompts = tmp_path / "prompts"
    prompts.mkdir(exist_ok=True)
    (prompts / "catalogue.yaml").write_text(CATALOGUE, encoding="utf-8")
    return load_settings(
        overrides={
            "speech": {
                "backend": "espeak",
                "sounds_dir": str(tmp_path / "sounds"),
                "cache_dir": str(tmp_path / "cache"),
            },
            "paths": {"prompts_dir": str(prompts)},
        },
        environ={},
    )


def fast_library(settings: Settings) -> PromptLibrary:
    # The catalogue only, without the hundreds of readout fragments.
    return PromptLibrary(settings, fragments={})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the store --------------------------------------------------------------------------------
async def test_never_switched(store: EmergencyStore) -> None:
    assert await store.current() == NEVER_SWITCHED == Emergency(active=False)
    assert await store.history() == []
    assert await store.switch_off("alice") == NEVER_SWITCHED
    assert await store.history() == []  # switching off what is off records nothing


async def test_on_off_history(store: EmergencyStore) -> None:
    before = datetime.now(UTC)
    on = await store.switch_on(text=TEXT, sound="/s/speak/abc", by="alice")
    assert on == await store.current()
    assert (on.active, on.text, on.prompt_id, on.sound, on.by) == (
        True,
        TEXT,
        None,
        "/s/speak/abc",
        "alice",
    )
    assert on.since is not None and on.since.tzinfo is not None
    assert before - timedelta(seconds=1) <= on.since <= datetime.now(UTC) + timedelta(seconds=1)

    changed = await store.switch_on(
        prompt_id="ivr.emergency.default", sound="/s/ivr.emergency.default", by="bob"
    )
    assert (await store.current()).prompt_id == "ivr.emergency.default"
    assert changed.text is None

    off = await store.switch_off("carol")
    assert (off.active, off.by, off.text, off.sound) == (False, "carol", None, None)
    assert await store.current() == off
    assert await store.switch_off("dave") == off  # already off: no new row

    history = await store.history()
    assert [(h.active, h.by) for h in history] == [
        (False, "carol"),
        (True, "bob"),
        (True, "alice"),
    ]
    assert [h.by for h in await store.history(limit=2)] == ["carol", "bob"]


async def test_the_newest_row_wins_even_with_an_older_clock(
    db: Database, store: EmergencyStore
) -> None:
    await store.switch_on(text=TEXT, sound="/s/a", by="alice")
    # Another host with a slow clock switches it off afterwards.
    async with db.session() as session:
        await session.execute(
            text("INSERT INTO emergency_state (active, at, by) VALUES (false, :at, 'bob')"),
            {"at": datetime(2020, 1, 1)},
        )
    current = await store.current()
    assert (current.active, current.by) == (False, "bob")


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"sound": "/s/a"}, "exactly one"),
        ({"prompt_id": "p", "text": "t", "sound": "/s/a"}, "exactly one"),
        ({"text": "   ", "sound": "/s/a"}, "empty"),
        ({"text": TEXT}, "render it first"),
        ({"prompt_id": "p", "sound": ""}, "render it first"),
        ({"prompt_id": "p" * 129, "sound": "/s/a"}, "prompt id is longer"),
    ],
)
async def test_switch_on_refuses_an_unplayable_message(
    store: EmergencyStore, kwargs: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        await store.switch_on(**kwargs, by="alice")
    assert await store.current() == NEVER_SWITCHED


async def test_who_is_required(store: EmergencyStore) -> None:
    with pytest.raises(ValueError, match="who"):
        await store.switch_on(text=TEXT, sound="/s/a", by="  ")
    with pytest.raises(ValueError, match="longer"):
        await store.switch_on(text=TEXT, sound="/s/a", by="x" * 65)


# --- answer target and provider ---------------------------------------------------------------
def test_answer_target() -> None:
    queue = QueueSettings()
    assert answer_target(NEVER_SWITCHED, queue) == 40
    assert answer_target(Emergency(active=True, text="t", sound="/s"), queue) == 180
    custom = QueueSettings(answer_target=30, emergency_answer_target=120)
    assert answer_target(Emergency(active=True), custom) == 120
    assert answer_target(Emergency(active=False), custom) == 30


async def test_provider_caches_for_its_ttl(store: EmergencyStore) -> None:
    clock = Clock()
    provider = EmergencyProvider(store, ttl=2.0, clock=clock)
    assert not (await provider.current()).active
    await store.switch_on(text=TEXT, sound="/s/a", by="alice")
    clock.now += 1.9
    assert not (await provider.current()).active
    clock.now += 0.2
    assert (await provider.current()).active
    await store.switch_off("alice")
    provider.invalidate()
    assert not (await provider.current()).active


async def test_provider_shares_one_read(store: EmergencyStore) -> None:
    reads = 0
    real = store.current

    async def counting() -> Emergency:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        return await real()

    store.current = counting  # type: ignore[method-assign]
    provider = EmergencyProvider(store)
    await asyncio.gather(*(provider.current() for _ in range(20)))
    assert reads == 1


async def test_provider_keeps_the_last_state_when_the_store_fails(
    db: Database, store: EmergencyStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    await store.switch_on(text=TEXT, sound="/s/a", by="alice")
    provider = EmergencyProvider(store, clock=clock)
    assert (await provider.current()).active
    async with db.session() as session:
        await session.execute(text("DROP TABLE emergency_state"))
    clock.now += 5
    with caplog.at_level(logging.ERROR, logger="hotline.contact_center.emergency"):
        assert (await provider.current()).active
    assert "cannot read its state" in caplog.text
    # Before any successful read, a failing store means: off.
    assert not (await EmergencyProvider(store).current()).active


# --- switching on with a message --------------------------------------------------------------
async def test_switch_on_with_text_renders_it_first(
    store: EmergencyStore, db: Database, tmp_path: Path
) -> None:
    library = fast_library(speech_settings(tmp_path))
    state = await switch_on(db, library, text=f"  {TEXT}\n", by=ALICE)
    assert state.active and state.text == TEXT  # whitespace tidied
    assert state.sound is not None
    assert state.sound.startswith(str(tmp_path / "sounds" / "espeak-anna" / "speak"))
    assert audio.sound_exists(Path(state.sound))
    assert audio.duration(state.sound) > 1.0
    assert await store.current() == state


async def test_switch_on_with_a_built_prompt(
    store: EmergencyStore, db: Database, tmp_path: Path
) -> None:
    library = fast_library(speech_settings(tmp_path))
    await library.build()
    state = await switch_on(db, library, prompt_id="ivr.emergency.storm", by=ALICE)
    assert (state.prompt_id, state.text) == ("ivr.emergency.storm", None)
    assert state.sound == library.sound("ivr.emergency.storm").path_without_extension
    assert audio.sound_exists(Path(state.sound))


async def test_switch_on_refuses_unknown_or_unbuilt_prompts(
    store: EmergencyStore, db: Database, tmp_path: Path
) -> None:
    library = fast_library(speech_settings(tmp_path))
    with pytest.raises(PromptsNotBuilt, match="hotline prompts build"):
        await switch_on(db, library, prompt_id="ivr.emergency.default", by=ALICE)
    with pytest.raises(UnknownPrompt, match=f"{USED_BY} names unknown prompt") as caught:
        await switch_on(db, library, prompt_id="ivr.emergency.defualt", by=ALICE)
    assert "ivr.emergency.default" in str(caught.value)  # the suggestion

    await library.build()
    built = Path(library.sound("ivr.emergency.default").path_without_extension)
    built.with_name(built.name + ".alaw").unlink()
    with pytest.raises(PromptsNotBuilt, match="audio files are missing"):
        await switch_on(db, library, prompt_id="ivr.emergency.default", by=ALICE)
    assert await store.current() == NEVER_SWITCHED


async def test_prepare_message_checks_its_input(tmp_path: Path) -> None:
    library = PromptLibrary(speech_settings(tmp_path), catalogue=Catalogue({}), fragments={})
    with pytest.raises(ValueError, match="exactly one"):
        await prepare_message(library)
    with pytest.raises(ValueError, match="exactly one"):
        await prepare_message(library, prompt_id="a", text="b")
    with pytest.raises(ValueError, match="empty"):
        await prepare_message(library, text=" \n ")
    with pytest.raises(ValueError, match="at most"):
        await prepare_message(library, text="а" * (emergency_module.TEXT_MAX + 1))
