"""Built sounds: render the catalogue and the readout fragments, cache them, serve them.

Layout (``sounds_dir`` is absolute; the sandbox bind-mounts it at the same path)::

    <sounds_dir>/<backend>-<voice>/
        manifest.json              id → text, source (tts|recorded), cache key, duration
        <prompt id>.sln|.alaw|.ulaw
        frag/<fragment id>.sln|…   readout fragments (hotline.speech.russian.FRAGMENTS)
        phrase/<key>.sln|…         personal phrases composed from fragments
        speak/<key>.sln|…          whole texts synthesised for campaigns

    <cache_dir>/<key[:2]>/<key>.sln|.alaw|.ulaw

A cache key is the sha256 of (audio pipeline, backend, voice, rate, text) or, for a studio
recording, of (audio pipeline, the recording's content): only what changed is rendered again.
Files are replaced atomically, so a running Asterisk never reads half a file.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from hotline.settings import Settings
from hotline.speech import audio
from hotline.speech.catalogue import Catalogue
from hotline.speech.manifest import MANIFEST, BuiltPrompt, Manifest, Source
from hotline.speech.paths import cache_root, sounds_root, voice_dir_name
from hotline.speech.russian import FRAGMENTS, Phrase
from hotline.speech.tools import SpeechError
from hotline.speech.tts import TtsBackend, backend_for

FRAGMENT_PREFIX: Final = "frag/"
PHRASE_DIR: Final = "phrase"
SPEAK_DIR: Final = "speak"
# Renders at a time: TTS and sox each keep a core busy, and this machine has two.
DEFAULT_CONCURRENCY: Final = 2
# Composed phrases and spoken texts remembered in memory (a hit is a dict lookup).
MEMORY_ENTRIES: Final = 4096
BUILD_HINT: Final = "run `hotline prompts build`"

State = Literal["ok", "missing", "stale"]


class PromptsNotBuilt(SpeechError):
    """The sounds were not built (or lack this prompt); the message says to build them."""


@dataclass(frozen=True)
class Sound:
    """What Asterisk plays: ``STREAM FILE <path_without_extension> ""``."""

    path_without_extension: str
    duration: float


@dataclass(frozen=True)
class BuildReport:
    directory: Path
    rendered: tuple[str, ...]
    reused: tuple[str, ...]
    removed: tuple[str, ...]
    seconds: float

    @property
    def total(self) -> int:
        return len(self.rendered) + len(self.reused)


@dataclass(frozen=True)
class PromptStatus:
    id: str
    text: str
    source: Source
    state: State
    # Measured from the rendered .sln; None when it is not built.
    duration: float | None


class BuildProgress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, prompt_id: str, rendered: bool) -> None: ...


@dataclass(frozen=True)
class _Job:
    id: str
    text: str
    recorded: Path | None

    @property
    def source(self) -> Source:
        return "recorded" if self.recorded is not None else "tts"


def _sha256(*parts: object) -> str:
    payload = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def tts_key(backend: str, voice: str, rate: int, text: str) -> str:
    """Cache key of synthesised ``text``; any change of its inputs gives a new key."""
    return _sha256("tts", audio.PIPELINE, backend, voice, rate, text)


def recording_key(content: bytes) -> str:
    """Cache key of a studio recording: its content, not its name or date."""
    return _sha256("recorded", audio.PIPELINE, hashlib.sha256(content).hexdigest())


class PromptLibrary:
    """Builds and serves the sounds of one backend (``settings.speech``).

    ``sound``/``duration`` read ``manifest.json`` once per voice (a few KB; the composition
    root can call :meth:`manifest` at start-up so calls never touch the disk for it).
    ``backend``, ``catalogue`` and ``fragments`` are for tests; by default they come from
    the settings, ``prompts/catalogue.yaml`` and :data:`hotline.speech.russian.FRAGMENTS`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        backend: TtsBackend | None = None,
        catalogue: Catalogue | None = None,
        fragments: Mapping[str, str] | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.settings = settings
        self.speech = settings.speech
        self.sounds_root = sounds_root(self.speech)
        self.cache_dir = cache_root(self.speech)
        self._backend = backend
        self._catalogue = catalogue
        self._fragments = fragments
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._manifests: dict[str, Manifest] = {}
        # The configured voice's built prompts by id, as sound() serves them: a prompt a call
        # plays is looked up, not its path joined again (issue 19 item 1: 4% of the engine's
        # loop while 320 callers pressed keys).  Forgotten with the manifest.
        self._sounds: dict[str, Sound] = {}
        self._phrases: OrderedDict[tuple[str, ...], Sound] = OrderedDict()
        self._spoken: OrderedDict[str, Sound] = OrderedDict()
        self._fragment_audio: dict[str, audio.Rendered] = {}

    # --- configuration --------------------------------------------------------------------
    @property
    def backend_name(self) -> str:
        return self._backend.name if self._backend is not None else self.speech.backend

    @property
    def backend(self) -> TtsBackend:
        """Constructed on first use: serving built sounds needs no TTS program."""
        if self._backend is None:
            self._backend = backend_for(self.speech)
        return self._backend

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = Catalogue.load(
                self.settings.paths.prompts_dir, self.speech.company_name
            )
        return self._catalogue

    @property
    def fragments(self) -> Mapping[str, str]:
        if self._fragments is None:
            self._fragments = FRAGMENTS
        return self._fragments

    def voice_dir(self, voice: str | None = None) -> Path:
        return self.sounds_root / voice_dir_name(self.backend_name, voice or self.speech.voice)

    def voices(self) -> list[str]:
        """Voices of this backend that have a build."""
        prefix = f"{self.backend_name}-"
        if not self.sounds_root.is_dir():
            return []
        return sorted(
            path.name.removeprefix(prefix)
            for path in self.sounds_root.iterdir()
            if path.name.startswith(prefix) and (path / MANIFEST).is_file()
        )

    def cache_key(self, text: str, voice: str | None = None) -> str:
        return tts_key(self.backend_name, voice or self.speech.voice, self.speech.rate, text)

    def _cache_base(self, key: str) -> Path:
        return self.cache_dir / key[:2] / key

    # --- serving built sounds -------------------------------------------------------------
    def manifest(self, voice: str | None = None) -> Manifest:
        """The build of ``voice`` (default: the configured one); read once, then remembered."""
        voice = voice or self.speech.voice
        found = self._manifests.get(voice)
        if found is None:
            path = self.voice_dir(voice) / MANIFEST
            try:
                found = Manifest.from_json(path.read_text(encoding="utf-8"))
            except FileNotFoundError as exc:
                raise PromptsNotBuilt(
                    f"no prompts built for {voice_dir_name(self.backend_name, voice)} "
                    f"(no {path}): {BUILD_HINT}"
                ) from exc
            except (ValueError, KeyError, TypeError) as exc:
                raise PromptsNotBuilt(f"unreadable {path} ({exc}): {BUILD_HINT}") from exc
            self._manifests[voice] = found
        return found

    def reload(self) -> None:
        """Forget remembered manifests and audio (after a build in another process)."""
        self._manifests.clear()
        self._sounds.clear()
        self._phrases.clear()
        self._spoken.clear()
        self._fragment_audio.clear()

    def _built(self, prompt_id: str, voice: str | None = None) -> BuiltPrompt:
        manifest = self.manifest(voice)
        built = manifest.prompts.get(prompt_id)
        if built is None:
            name = voice_dir_name(manifest.backend, manifest.voice)
            raise PromptsNotBuilt(
                f"prompt {prompt_id!r} is not in the {name} build: {BUILD_HINT} "
                f"(and check the id against {self.settings.paths.prompts_dir}/catalogue.yaml)"
            )
        return built

    def sound(self, prompt_id: str) -> Sound:
        """The built prompt (or ``frag/<fragment id>``) in the configured voice."""
        found = self._sounds.get(prompt_id)
        if found is None:
            built = self._built(prompt_id)
            found = Sound(str(self.voice_dir() / prompt_id), built.duration)
            self._sounds[prompt_id] = found
        return found

    def duration(self, prompt_id: str, voice: str | None = None) -> float:
        """Seconds of the prompt as rendered in ``voice`` (measured from its file at build)."""
        return self._built(prompt_id, voice).duration

    async def phrase(self, phrase: Phrase) -> Sound:
        """One sound saying a :class:`hotline.speech.russian.Phrase` by joining its fragments'
        audio; written once (off the event loop) and then remembered."""
        fragments = phrase.fragments
        hit = self._phrases.get(fragments)
        if hit is not None:
            self._phrases.move_to_end(fragments)
            return hit
        if not fragments:
            raise SpeechError(f"phrase {phrase.text!r} has no fragments to play")
        manifest = self.manifest()
        keys = []
        for fragment in fragments:
            built = manifest.prompts.get(FRAGMENT_PREFIX + fragment)
            if built is None:
                raise PromptsNotBuilt(
                    f"readout fragment {fragment!r} is not built for "
                    f"{voice_dir_name(manifest.backend, manifest.voice)}: {BUILD_HINT}"
                )
            keys.append(built.key)
        base = self.voice_dir() / PHRASE_DIR / _sha256("phrase", *keys)
        sound = await asyncio.to_thread(self._compose, fragments, base)
        _remember(self._phrases, fragments, sound)
        return sound

    def _compose(self, fragments: tuple[str, ...], base: Path) -> Sound:
        if not audio.sound_exists(base):
            parts = []
            for fragment in fragments:
                part = self._fragment_audio.get(fragment)
                if part is None:
                    part = audio.read_sound(self.voice_dir() / (FRAGMENT_PREFIX + fragment))
                    self._fragment_audio[fragment] = part
                parts.append(part)
            audio.write_sound(audio.concatenate(parts), base)
        return Sound(str(base), audio.duration(base))

    async def speak(self, text: str, voice: str | None = None) -> Sound:
        """``text`` synthesised whole (for campaigns, before dialling; a menu's own prompts),
        in ``voice`` (default: the configured one), through the cache."""
        key = self.cache_key(text, voice)
        hit = self._spoken.get(key)
        if hit is not None:
            self._spoken.move_to_end(key)
            return hit
        base = self.voice_dir(voice) / SPEAK_DIR / key
        if not await asyncio.to_thread(audio.sound_exists, base):
            rendered, _ = await self._cached(key, lambda: self._synthesize(text, voice))
            await asyncio.to_thread(audio.write_sound, rendered, base)
        sound = Sound(str(base), await asyncio.to_thread(audio.duration, base))
        _remember(self._spoken, key, sound)
        return sound

    # --- rendering ------------------------------------------------------------------------
    async def _synthesize(self, text: str, voice: str | None = None) -> audio.Rendered:
        async with self._slots:
            wav = await self.backend.synthesize(text, voice or self.speech.voice, self.speech.rate)
            return await audio.convert(wav)

    async def _convert_recording(self, path: Path) -> audio.Rendered:
        async with self._slots:
            return await audio.convert(path)

    async def _cached(
        self, key: str, render: Callable[[], Awaitable[audio.Rendered]]
    ) -> tuple[audio.Rendered, bool]:
        """The cached sound of ``key``, or ``await render()`` stored in the cache; the flag
        says whether it was rendered now."""
        base = self._cache_base(key)
        if await asyncio.to_thread(audio.sound_exists, base):
            try:
                return await asyncio.to_thread(audio.read_sound, base), False
            except audio.AudioError:  # removed meanwhile: render it again
                pass
        rendered = await render()
        await asyncio.to_thread(audio.write_sound, rendered, base)
        return rendered, True

    def _jobs(self) -> list[_Job]:
        jobs = [_Job(e.id, e.text, e.recorded) for e in self.catalogue.entries()]
        recorded_dir = self.settings.paths.prompts_dir / "recorded"
        for fragment, text in self.fragments.items():
            pid = FRAGMENT_PREFIX + fragment
            candidate = recorded_dir / f"{pid}.wav"
            jobs.append(_Job(pid, text, candidate if candidate.is_file() else None))
        return jobs

    def _job_key(self, job: _Job) -> str:
        if job.recorded is not None:
            return recording_key(job.recorded.read_bytes())
        return self.cache_key(job.text)

    async def build(self, progress: BuildProgress | None = None) -> BuildReport:
        """Render every catalogue prompt and readout fragment that changed; reuse the rest."""
        started = time.monotonic()
        jobs = self._jobs()
        target = self.voice_dir()
        old = self._read_manifest(target)
        if progress is not None:
            progress.start(len(jobs))
        built: dict[str, BuiltPrompt] = {}
        rendered_ids: set[str] = set()

        async def one(job: _Job) -> None:
            key = await asyncio.to_thread(self._job_key, job)
            base = target / job.id
            previous = old.prompts.get(job.id) if old is not None else None
            fresh = False
            current = previous is not None and previous.key == key
            if not (current and await asyncio.to_thread(audio.sound_exists, base)):
                if job.recorded is not None:
                    recording = job.recorded
                    rendered, fresh = await self._cached(
                        key, lambda: self._convert_recording(recording)
                    )
                else:
                    text = job.text
                    rendered, fresh = await self._cached(key, lambda: self._synthesize(text))
                await asyncio.to_thread(audio.write_sound, rendered, base)
            seconds = await asyncio.to_thread(audio.duration, base)
            built[job.id] = BuiltPrompt(job.id, job.text, job.source, key, seconds)
            if fresh:
                rendered_ids.add(job.id)
            if progress is not None:
                progress.advance(job.id, fresh)

        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(one(job))
        ordered = {job.id: built[job.id] for job in jobs}
        manifest = Manifest(
            self.backend_name, self.speech.voice, self.speech.rate, audio.PIPELINE, ordered
        )
        await asyncio.to_thread(
            audio.write_atomic, target / MANIFEST, manifest.to_json().encode("utf-8")
        )
        removed = await asyncio.to_thread(_prune, target, set(ordered))
        self._manifests[self.speech.voice] = manifest
        self._sounds.clear()
        self._phrases.clear()
        self._fragment_audio.clear()
        fresh_ids = rendered_ids
        return BuildReport(
            directory=target,
            rendered=tuple(pid for pid in ordered if pid in fresh_ids),
            reused=tuple(pid for pid in ordered if pid not in fresh_ids),
            removed=tuple(removed),
            seconds=time.monotonic() - started,
        )

    @staticmethod
    def _read_manifest(target: Path) -> Manifest | None:
        try:
            return Manifest.from_json((target / MANIFEST).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    # --- checking -------------------------------------------------------------------------
    def check(self, voice: str | None = None) -> list[PromptStatus]:
        """Every prompt and fragment: built and current (ok), not built (missing) or built
        from other text/recording/settings (stale); durations measured from the files."""
        voice = voice or self.speech.voice
        target = self.voice_dir(voice)
        manifest = self._read_manifest(target)
        statuses = []
        for job in self._jobs():
            base = target / job.id
            try:
                seconds: float | None = audio.duration(base)
            except audio.AudioError:
                seconds = None
            built = manifest.prompts.get(job.id) if manifest is not None else None
            expected = (
                recording_key(job.recorded.read_bytes())
                if job.recorded is not None
                else tts_key(self.backend_name, voice, self.speech.rate, job.text)
            )
            state: State
            if built is None or seconds is None or not audio.sound_exists(base):
                state = "missing"
            elif built.key != expected:
                state = "stale"
            else:
                state = "ok"
            statuses.append(PromptStatus(job.id, job.text, job.source, state, seconds))
        return statuses


def _remember(memory: OrderedDict[Any, Sound], key: Any, sound: Sound) -> None:
    memory[key] = sound
    if len(memory) > MEMORY_ENTRIES:
        memory.popitem(last=False)


def _prune(target: Path, keep: set[str]) -> list[str]:
    """Delete built prompts and fragments that are no longer in the catalogue."""
    removed = set()
    for folder, prefix in ((target, ""), (target / FRAGMENT_PREFIX.rstrip("/"), FRAGMENT_PREFIX)):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            fmt = path.suffix.lstrip(".")
            if not path.is_file() or fmt not in audio.FORMATS or path.name.startswith("."):
                continue
            pid = prefix + path.name[: -len(path.suffix)]
            if pid not in keep:
                path.unlink(missing_ok=True)
                removed.add(pid)
    return sorted(removed)
