"""TTS backends: argv, missing programs, gTTS (stubbed), and real RHVoice / espeak-ng runs."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from hotline.settings import SpeechSettings
from hotline.speech import audio, tts
from hotline.speech import tools as proc
from hotline.speech.tts import EspeakBackend, GttsBackend, RhvoiceBackend, backend_for

PHRASE = "Здравствуйте! Ваша задолженность составляет сто двадцать рублей."


def test_rhvoice_argv_passes_voice_and_rate() -> None:
    backend = RhvoiceBackend()
    assert backend.argv("anna", 120) == [backend.program, "-p", "anna", "-r", "120", "-o", "-"]
    assert backend.program.endswith("/RHVoice-test")


def test_espeak_argv_speaks_russian_at_a_rate() -> None:
    backend = EspeakBackend()
    assert backend.argv("anna", 100) == [backend.program, "-v", "ru", "-s", "160", "--stdout"]
    assert backend.argv("ru+f3", 150)[1:5] == ["-v", "ru+f3", "-s", "240"]
    assert EspeakBackend.words_per_minute(10) == 80  # clamped to what espeak-ng accepts


def test_backend_for_picks_the_configured_one() -> None:
    assert isinstance(backend_for(SpeechSettings(backend="rhvoice")), RhvoiceBackend)
    assert isinstance(backend_for(SpeechSettings(backend="espeak")), EspeakBackend)


def test_non_commercial_voice_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hotline.speech.tts"):
        backend_for(SpeechSettings(backend="rhvoice", voice="pavel"))
    assert "non-commercial" in caplog.text


@pytest.mark.parametrize(
    ("factory", "program", "packages"),
    [
        (RhvoiceBackend, "RHVoice-test", "apt-get install rhvoice rhvoice-russian"),
        (EspeakBackend, "espeak-ng", "apt-get install espeak-ng"),
    ],
)
def test_missing_program_names_the_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, factory: Any, program: str, packages: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(proc.ToolMissing) as caught:
        factory()
    assert program in str(caught.value) and packages in str(caught.value)


async def test_run_reports_a_missing_program_and_a_timeout() -> None:
    with pytest.raises(proc.ToolMissing, match="apt-get install sox"):
        await proc.run(["/nonexistent/sox"], packages="sox")
    with pytest.raises(proc.ToolFailed, match=r"timed out after 0.2 s"):
        await proc.run(["sleep", "5"], packages="coreutils", time_limit=0.2)
    with pytest.raises(proc.ToolFailed, match="exit code 3: oops"):
        await proc.run(["sh", "-c", "echo oops >&2; exit 3"], packages="dash")


async def test_unknown_rhvoice_voice_is_an_error() -> None:
    with pytest.raises(proc.SpeechError, match=r"no voice 'nobody'.*anna"):
        await RhvoiceBackend().synthesize(PHRASE, "nobody", 100)


async def test_empty_text_is_an_error() -> None:
    with pytest.raises(proc.SpeechError, match="empty text"):
        await EspeakBackend().synthesize("  ", "ru", 100)


@pytest.mark.parametrize("backend", [RhvoiceBackend(), EspeakBackend()], ids=["rhvoice", "espeak"])
async def test_real_backends_synthesise_russian(backend: Any) -> None:
    wav = await backend.synthesize(PHRASE, "anna", 100)
    assert 2.0 < audio.wav_duration(wav) < 10.0
    faster = await backend.synthesize(PHRASE, "anna", 150)
    assert audio.wav_duration(faster) < audio.wav_duration(wav) * 0.85
    rendered = await audio.convert(wav)
    assert 2.0 < rendered.duration < 10.0
    assert len(rendered.sln) == 2 * len(rendered.alaw)


# --- gTTS, stubbed: the real one needs Google --------------------------------------------------
def _mp3(seconds: float) -> bytes:
    argv = ["sox", "-n", "-r", "24000", "-c", "1", "-t", "mp3", "-", "synth", str(seconds)]
    return subprocess.run([*argv, "sine", "440"], capture_output=True, check=True).stdout


class _FakeGtts:
    calls: list[tuple[str, str]] = []  # noqa: RUF012 - test stub

    def __init__(self, text: str, lang: str) -> None:
        self.calls.append((text, lang))

    def write_to_fp(self, fp: io.BytesIO) -> None:
        fp.write(_mp3(1.0))


@pytest.fixture
def fake_gtts(monkeypatch: pytest.MonkeyPatch) -> type[_FakeGtts]:
    module = types.ModuleType("gtts")
    module.gTTS = _FakeGtts  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gtts", module)
    _FakeGtts.calls = []
    return _FakeGtts


async def test_gtts_is_converted_from_mp3_to_wav(fake_gtts: type[_FakeGtts]) -> None:
    backend = backend_for(SpeechSettings(backend="gtts"))
    assert isinstance(backend, GttsBackend)
    wav = await backend.synthesize(PHRASE, "ignored", 100)
    assert fake_gtts.calls == [(PHRASE, "ru")]
    assert audio.wav_duration(wav) == pytest.approx(1.0, abs=0.1)
    slower = await backend.synthesize(PHRASE, "ignored", 50)
    assert audio.wav_duration(slower) == pytest.approx(2.0, abs=0.15)


async def test_gtts_failure_is_a_speech_error(
    fake_gtts: type[_FakeGtts], monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(self: _FakeGtts, fp: io.BytesIO) -> None:
        raise OSError("Failed to connect")

    monkeypatch.setattr(fake_gtts, "write_to_fp", offline)
    with pytest.raises(proc.SpeechError, match="gTTS failed: Failed to connect"):
        await GttsBackend().synthesize(PHRASE, "", 100)


def test_gtts_not_installed_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gtts", None)
    with pytest.raises(proc.SpeechError, match="pip install gTTS"):
        tts.GttsBackend()
