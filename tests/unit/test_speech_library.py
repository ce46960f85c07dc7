"""Prompt library: cache keys, incremental builds, recordings, check, sounds and phrases.

A fake TTS backend (a tone whose length follows the text) counts what is rendered; sox is real.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from hotline.settings import Settings, load_settings
from hotline.speech import audio
from hotline.speech.library import (
    FRAGMENT_PREFIX,
    MANIFEST,
    PromptLibrary,
    PromptsNotBuilt,
    recording_key,
    tts_key,
)
from hotline.speech.russian import Phrase
from tests.unit.test_speech_audio import tone_wav

CATALOGUE = """\
version: 1
prompts:
  - id: greeting
    text: "Здравствуйте! Вы позвонили в {company}."
  - id: menu
    text: "Показания — один."
  - id: bye
    text: "До свидания."
"""
FRAGMENTS = {"num.1": "один", "num.2": "два", "rouble.one": "рубль"}


class FakeBackend:
    name = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.running = 0
        self.max_running = 0

    async def synthesize(self, text: str, voice: str, rate: int) -> bytes:
        self.calls.append((text, voice, rate))
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            await asyncio.sleep(0.01)
            return tone_wav(0.1 + 0.01 * len(text))
        finally:
            self.running -= 1

    def texts(self) -> list[str]:
        return sorted(text for text, _, _ in self.calls)


def make_settings(tmp_path: Path, **speech: object) -> Settings:
    prompts = tmp_path / "prompts"
    if not prompts.exists():
        prompts.mkdir()
        (prompts / "catalogue.yaml").write_text(CATALOGUE, encoding="utf-8")
    values: dict[str, object] = {
        "sounds_dir": str(tmp_path / "sounds"),
        "cache_dir": str(tmp_path / "cache"),
        "company_name": "Энергосбыт",
    }
    values.update(speech)
    return load_settings(
        overrides={"speech": values, "paths": {"prompts_dir": str(prompts)}}, environ={}
    )


def library(
    settings: Settings, backend: FakeBackend, fragments: dict[str, str] | None = None
) -> PromptLibrary:
    return PromptLibrary(
        settings, backend=backend, fragments=FRAGMENTS if fragments is None else fragments
    )


# --- cache keys -------------------------------------------------------------------------------
def test_cache_key_changes_with_every_input() -> None:
    key = tts_key("rhvoice", "anna", 100, "Привет")
    assert key == tts_key("rhvoice", "anna", 100, "Привет")
    others = {
        tts_key("rhvoice", "anna", 100, "Привет!"),
        tts_key("rhvoice", "elena", 100, "Привет"),
        tts_key("espeak", "anna", 100, "Привет"),
        tts_key("rhvoice", "anna", 110, "Привет"),
    }
    assert key not in others and len(others) == 4
    assert recording_key(b"one") == recording_key(b"one") != recording_key(b"two")


# --- building ---------------------------------------------------------------------------------
async def test_build_renders_everything_once_then_reuses(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    backend = FakeBackend()
    report = await library(settings, backend).build()
    ids = ["greeting", "menu", "bye", "frag/num.1", "frag/num.2", "frag/rouble.one"]
    assert list(report.rendered) == ids and report.reused == ()
    assert len(backend.calls) == 6
    assert ("Здравствуйте! Вы позвонили в Энергосбыт.", "anna", 100) in backend.calls
    assert backend.max_running <= 2
    target = tmp_path / "sounds" / "fake-anna"
    assert report.directory == target
    for pid in ids:
        assert audio.sound_exists(target / pid), pid
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["prompts"]["menu"]["source"] == "tts"
    assert manifest["prompts"]["menu"]["duration"] == audio.duration(target / "menu")

    again = FakeBackend()
    report = await library(settings, again).build()
    assert report.rendered == () and len(report.reused) == 6 and again.calls == []


async def test_build_renders_only_changed_prompts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    await library(settings, FakeBackend()).build()
    catalogue = tmp_path / "prompts" / "catalogue.yaml"
    catalogue.write_text(
        CATALOGUE.replace("Показания — один.", "Показания — два.").replace(
            '  - id: bye\n    text: "До свидания."\n', '  - id: new\n    text: "Новое."\n'
        ),
        encoding="utf-8",
    )
    backend = FakeBackend()
    report = await library(settings, backend).build()
    assert backend.texts() == ["Новое.", "Показания — два."]
    assert set(report.rendered) == {"menu", "new"}
    assert report.removed == ("bye",)
    assert not audio.sound_exists(tmp_path / "sounds" / "fake-anna" / "bye")


async def test_other_voice_builds_its_own_dir_and_the_cache_serves_a_switch_back(
    tmp_path: Path,
) -> None:
    anna = make_settings(tmp_path)
    elena = make_settings(tmp_path, voice="elena")
    await library(anna, FakeBackend()).build()
    backend = FakeBackend()
    report = await library(elena, backend).build()
    assert len(report.rendered) == 6 and {v for _, v, _ in backend.calls} == {"elena"}
    assert (tmp_path / "sounds" / "fake-elena" / MANIFEST).is_file()
    # Durations per voice, each measured from its own files.
    lib = library(anna, FakeBackend())
    assert lib.voices() == ["anna", "elena"]
    assert lib.duration("menu", voice="elena") == audio.duration(
        tmp_path / "sounds" / "fake-elena" / "menu"
    )
    # The sounds dir is gone, the cache is not: nothing is synthesised again.
    shutil.rmtree(tmp_path / "sounds" / "fake-anna")
    backend = FakeBackend()
    report = await library(anna, backend).build()
    assert backend.calls == [] and report.rendered == () and len(report.reused) == 6


async def test_recording_wins_over_synthesis(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    recorded = tmp_path / "prompts" / "recorded"
    recorded.mkdir()
    (recorded / "greeting.wav").write_bytes(tone_wav(1.5, rate=44100))
    backend = FakeBackend()
    lib = library(settings, backend)
    report = await lib.build()
    assert "greeting" in report.rendered
    assert not any("Здравствуйте" in text for text in backend.texts())
    assert lib.manifest().prompts["greeting"].source == "recorded"
    assert lib.sound("greeting").duration == pytest.approx(1.5 + 0.07, abs=0.03)

    (recorded / "greeting.wav").write_bytes(tone_wav(0.5))
    assert [s.state for s in library(settings, FakeBackend()).check() if s.id == "greeting"] == [
        "stale"
    ]
    backend = FakeBackend()
    report = await library(settings, backend).build()
    assert report.rendered == ("greeting",) and backend.calls == []


async def test_recorded_fragment_wins_too(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    (tmp_path / "prompts" / "recorded" / "frag").mkdir(parents=True)
    (tmp_path / "prompts" / "recorded" / "frag" / "num.1.wav").write_bytes(tone_wav(0.3))
    backend = FakeBackend()
    lib = library(settings, backend)
    await lib.build()
    assert "один" not in backend.texts()
    assert lib.manifest().prompts["frag/num.1"].source == "recorded"


# --- checking ---------------------------------------------------------------------------------
async def test_check_reports_missing_stale_and_ok(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert {s.state for s in library(settings, FakeBackend()).check()} == {"missing"}
    await library(settings, FakeBackend()).build()
    statuses = library(settings, FakeBackend()).check()
    assert {s.state for s in statuses} == {"ok"}
    menu = next(s for s in statuses if s.id == "menu")
    assert menu.duration == audio.duration(tmp_path / "sounds" / "fake-anna" / "menu")
    assert menu.source == "tts" and menu.text == "Показания — один."

    renamed = make_settings(tmp_path, company_name="Другая компания")
    states = {s.id: s.state for s in library(renamed, FakeBackend()).check()}
    assert states["greeting"] == "stale" and states["menu"] == "ok"
    (tmp_path / "sounds" / "fake-anna" / "bye.sln").unlink()
    states = {s.id: s.state for s in library(settings, FakeBackend()).check()}
    assert states["bye"] == "missing"


# --- serving ----------------------------------------------------------------------------------
async def test_sound_is_an_absolute_path_without_extension(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    lib = library(settings, FakeBackend())
    await lib.build()
    sound = lib.sound("menu")
    assert sound.path_without_extension == str(tmp_path / "sounds" / "fake-anna" / "menu")
    assert Path(sound.path_without_extension).is_absolute()
    assert sound.duration == lib.duration("menu") == audio.duration(sound.path_without_extension)
    assert lib.sound("frag/num.2").path_without_extension.endswith("/fake-anna/frag/num.2")
    with pytest.raises(PromptsNotBuilt, match=r"'nope'.*hotline prompts build"):
        lib.sound("nope")


async def test_a_served_sound_is_remembered_until_a_build_or_reload(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    greeting = tmp_path / "prompts" / "recorded" / "greeting.wav"
    greeting.parent.mkdir()
    greeting.write_bytes(tone_wav(1.5))
    lib = library(settings, FakeBackend())
    await lib.build()
    first = lib.sound("greeting")
    assert lib.sound("greeting") is first  # looked up, not made again per call
    assert first.duration == pytest.approx(1.57, abs=0.03)
    # Rebuilt by this library: the new recording's length at once.
    greeting.write_bytes(tone_wav(0.5))
    await lib.build()
    assert lib.sound("greeting").duration == pytest.approx(0.57, abs=0.03)
    # Rebuilt by another process: served as before until reload(), then the new build.
    greeting.write_bytes(tone_wav(2.5))
    await library(settings, FakeBackend()).build()
    assert lib.sound("greeting").duration == pytest.approx(0.57, abs=0.03)
    lib.reload()
    assert lib.sound("greeting").duration == pytest.approx(2.57, abs=0.03)


def test_not_built_says_to_build(tmp_path: Path) -> None:
    lib = library(make_settings(tmp_path), FakeBackend())
    with pytest.raises(
        PromptsNotBuilt, match=r"no prompts built for fake-anna.*hotline prompts build"
    ):
        lib.sound("menu")
    with pytest.raises(PromptsNotBuilt, match="hotline prompts build"):
        asyncio.run(lib.phrase(Phrase("один", ("num.1",))))


def test_relative_sounds_dir_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lib = library(make_settings(tmp_path, sounds_dir="var/sounds"), FakeBackend())
    assert lib.voice_dir() == tmp_path / "var" / "sounds" / "fake-anna"


async def test_phrase_joins_fragments_and_is_remembered(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    lib = library(settings, FakeBackend())
    await lib.build()
    phrase = Phrase("один рубль два", ("num.1", "rouble.one", "num.2"))
    sound = await lib.phrase(phrase)
    target = tmp_path / "sounds" / "fake-anna"
    parts = [audio.read_sound(target / (FRAGMENT_PREFIX + f)) for f in phrase.fragments]
    assert audio.read_sound(Path(sound.path_without_extension)) == audio.concatenate(parts)
    assert sound.duration == pytest.approx(sum(p.duration for p in parts))
    assert sound.path_without_extension.startswith(str(target / "phrase") + "/")
    # A repeat is a dict lookup: it does not even look at the files.
    for path in (target / "phrase").iterdir():
        path.unlink()
    assert await lib.phrase(Phrase("один рубль два", phrase.fragments)) is sound
    # Another library (process) finds the file it wrote, or writes it again.
    again = await library(settings, FakeBackend()).phrase(phrase)
    assert again == sound and audio.sound_exists(Path(again.path_without_extension))
    with pytest.raises(PromptsNotBuilt, match=r"fragment 'num.9'"):
        await lib.phrase(Phrase("девять", ("num.9",)))


async def test_phrase_changes_when_a_fragment_is_rebuilt(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    await library(settings, FakeBackend()).build()
    phrase = Phrase("один два", ("num.1", "num.2"))
    first = await library(settings, FakeBackend()).phrase(phrase)
    lib = library(settings, FakeBackend(), {**FRAGMENTS, "num.1": "одна"})
    await lib.build()
    second = await lib.phrase(phrase)
    assert second.path_without_extension != first.path_without_extension


async def test_speak_synthesises_whole_text_through_the_cache(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    backend = FakeBackend()
    lib = library(settings, backend)
    text = "Ваша задолженность составляет сто рублей."
    sound = await lib.speak(text)
    assert backend.texts() == [text]
    assert sound.duration == audio.duration(sound.path_without_extension) > 0
    assert "/fake-anna/speak/" in sound.path_without_extension
    assert await lib.speak(text) is sound
    # No build needed; a new process reuses the file and the cache without synthesising.
    backend = FakeBackend()
    assert await library(settings, backend).speak(text) == sound
    for path in Path(sound.path_without_extension).parent.iterdir():
        path.unlink()
    assert await library(settings, backend).speak(text) == sound
    assert backend.calls == []
