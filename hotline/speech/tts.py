"""Text-to-speech backends: Russian text → WAV bytes, as bounded asyncio subprocesses.

* ``rhvoice`` — ``RHVoice-test`` (Debian non-free ``rhvoice`` + ``rhvoice-russian``), natural
  offline voices; anna, elena, irina and aleksandr are LGPL, most others non-commercial.
* ``espeak`` — ``espeak-ng -v ru`` (Debian main), robotic but always installable and fast.
* ``gtts`` — Google Translate's online TTS via the optional ``gtts`` package; only constructed
  when configured, never needed by tests.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import logging
from pathlib import Path
from typing import Any, Final, Protocol

from hotline.settings import SpeechSettings
from hotline.speech import audio
from hotline.speech.tools import DEFAULT_TIMEOUT, SpeechError, require_program, run

log = logging.getLogger(__name__)

RHVOICE: Final = "RHVoice-test"
RHVOICE_PACKAGES: Final = "rhvoice rhvoice-russian (Debian non-free)"
RHVOICE_VOICES_DIR: Final = Path("/usr/share/RHVoice/voices")
# Debian's copyright file for rhvoice-russian: these voices are CC-BY-NC-ND-4.0.
RHVOICE_NON_COMMERCIAL: Final = frozenset(
    {
        "arina",
        "artemiy",
        "evgeniy-rus",
        "mikhail",
        "pavel",
        "tatiana",
        "victoria",
        "vitaliy",
        "yuriy",
    }
)
ESPEAK: Final = "espeak-ng"
ESPEAK_PACKAGES: Final = "espeak-ng"
# espeak-ng's words per minute at rate 100 (its own default of 175 is hurried for Russian).
ESPEAK_NORMAL_WPM: Final = 160
ESPEAK_LANGUAGE: Final = "ru"
GTTS_LANGUAGE: Final = "ru"
# One synthesis, including process start-up; RHVoice needs about 0.3 s for three sentences.
TTS_TIMEOUT: Final = DEFAULT_TIMEOUT


class TtsBackend(Protocol):
    """Synthesises Russian text; ``name`` is part of cache keys and directory names."""

    name: str

    async def synthesize(self, text: str, voice: str, rate: int) -> bytes:
        """WAV bytes of ``text`` spoken by ``voice`` at ``rate`` percent of normal speed."""
        ...


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise SpeechError("nothing to synthesise: empty text")
    return text


class RhvoiceBackend:
    name = "rhvoice"

    def __init__(self, timeout: float = TTS_TIMEOUT) -> None:
        self.program = require_program(RHVOICE, RHVOICE_PACKAGES)
        self.timeout = timeout

    @staticmethod
    def voices() -> list[str]:
        """Installed voices (empty when RHVoice keeps them elsewhere)."""
        if not RHVOICE_VOICES_DIR.is_dir():
            return []
        return sorted(p.name for p in RHVOICE_VOICES_DIR.iterdir() if p.is_dir())

    def argv(self, voice: str, rate: int) -> list[str]:
        # Text on stdin, WAV on stdout; -R (sample rate) is ignored, sox resamples.
        return [self.program, "-p", voice, "-r", str(rate), "-o", "-"]

    async def synthesize(self, text: str, voice: str, rate: int) -> bytes:
        text = _check_text(text)
        installed = self.voices()
        # RHVoice-test silently falls back to another voice for an unknown name.
        if installed and voice not in installed:
            raise SpeechError(f"RHVoice has no voice {voice!r}; installed: {', '.join(installed)}")
        wav = await run(
            self.argv(voice, rate),
            packages=RHVOICE_PACKAGES,
            stdin=text.encode("utf-8"),
            time_limit=self.timeout,
        )
        return audio.fix_wav_header(wav)


class EspeakBackend:
    """espeak-ng always speaks Russian; ``voice`` is used only when it is an espeak-ng
    Russian voice spec (``ru``, ``ru+f3``...), otherwise (``anna``) plain ``ru``."""

    name = "espeak"

    def __init__(self, timeout: float = TTS_TIMEOUT) -> None:
        self.program = require_program(ESPEAK, ESPEAK_PACKAGES)
        self.timeout = timeout

    @staticmethod
    def voice_spec(voice: str) -> str:
        if voice == ESPEAK_LANGUAGE or voice.startswith((f"{ESPEAK_LANGUAGE}+", "ru-")):
            return voice
        return ESPEAK_LANGUAGE

    @staticmethod
    def words_per_minute(rate: int) -> int:
        return max(80, min(450, round(ESPEAK_NORMAL_WPM * rate / 100)))

    def argv(self, voice: str, rate: int) -> list[str]:
        spec = self.voice_spec(voice)
        return [self.program, "-v", spec, "-s", str(self.words_per_minute(rate)), "--stdout"]

    async def synthesize(self, text: str, voice: str, rate: int) -> bytes:
        text = _check_text(text)
        wav = await run(
            self.argv(voice, rate),
            packages=ESPEAK_PACKAGES,
            stdin=text.encode("utf-8"),
            time_limit=self.timeout,
        )
        return audio.fix_wav_header(wav)


class GttsBackend:
    """Online: needs ``pip install gTTS`` and access to Google; MP3 → WAV with sox."""

    name = "gtts"

    def __init__(self, timeout: float = TTS_TIMEOUT) -> None:
        try:
            self._gtts: Any = importlib.import_module("gtts")
        except ImportError as exc:
            raise SpeechError(
                "the gtts backend needs the gTTS package: pip install gTTS "
                "(online only; rhvoice and espeak work offline)"
            ) from exc
        require_program(audio.SOX, audio.SOX_PACKAGES)
        self.timeout = timeout

    def _mp3(self, text: str) -> bytes:
        buffer = io.BytesIO()
        self._gtts.gTTS(text, lang=GTTS_LANGUAGE).write_to_fp(buffer)
        return buffer.getvalue()

    async def synthesize(self, text: str, voice: str, rate: int) -> bytes:
        """``voice`` is ignored (gTTS has one Russian voice); ``rate`` becomes sox tempo."""
        text = _check_text(text)
        try:
            async with asyncio.timeout(self.timeout):
                mp3 = await asyncio.to_thread(self._mp3, text)
        except TimeoutError as exc:
            raise SpeechError(f"gTTS did not answer within {self.timeout:g} s") from exc
        except Exception as exc:  # gTTSError, network errors: all mean "no speech"
            raise SpeechError(f"gTTS failed: {exc}") from exc
        argv = [audio.SOX, "-V1", "-t", "mp3", "-", "-t", "wav", "-b", "16", "-"]
        if rate != 100:
            argv += ["tempo", "-s", f"{rate / 100:.3f}"]
        wav = await run(argv, packages=audio.SOX_PACKAGES, stdin=mp3, time_limit=self.timeout)
        return audio.fix_wav_header(wav)


BACKENDS: Final[dict[str, type[RhvoiceBackend | EspeakBackend | GttsBackend]]] = {
    RhvoiceBackend.name: RhvoiceBackend,
    EspeakBackend.name: EspeakBackend,
    GttsBackend.name: GttsBackend,
}


def backend_for(speech: SpeechSettings) -> TtsBackend:
    """The configured backend; :class:`~hotline.speech.tools.ToolMissing` names the Debian
    package when its program is not installed."""
    try:
        factory = BACKENDS[speech.backend]
    except KeyError as exc:
        raise SpeechError(f"unknown speech backend {speech.backend!r}") from exc
    backend = factory()
    if isinstance(backend, RhvoiceBackend) and speech.voice in RHVOICE_NON_COMMERCIAL:
        log.warning(
            "RHVoice voice %s is licensed for non-commercial use only (CC-BY-NC-ND-4.0); "
            "anna, elena, irina and aleksandr are LGPL",
            speech.voice,
        )
    return backend
