"""Short prompts for end-to-end tests that test a call's flow, not its audio (issue 19 item 5:
the suite waited on prompts playing in real time, one call after another).

The prompts the session built (``built_prompts``) are copied, each at :data:`SPEEDUP` times
its speed, into a voice folder of their own below the sounds root, which the sandbox already
shares with Asterisk at the same path: the same prompt ids, catalogue text and cache keys, so
the engine plays the same prompts in the same order, each a fraction as long, and the manifest
gives their shortened durations to everything that plans by them (the 15 s rule, a test's
waits).  A test module opts in with ``pytest.mark.short_prompts`` (``tests/e2e/conftest.py`` then
points the settings of the test and of the engines it starts at them through the
environment); modules that time or record audio keep the real prompts.

Speeding up is decimation (every n-th sample): the pitch rises and nothing filters the aliasing,
which no test listens to.  Readouts composed during a call (``phrase/``) are joined from the
short fragments, so they are short too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Final

from hotline.sandbox.lock import exclusive
from hotline.settings import Settings, load_settings
from hotline.speech import audio
from hotline.speech.manifest import MANIFEST
from hotline.speech.paths import sounds_root, voice_dir_name

SPEEDUP: Final = 3
FOLDER: Final = "short"
# Which build the copy was made from (the source manifest's digest): a new build, a new copy.
STAMP: Final = "source.sha256"
LOCK_TIMEOUT: Final = 600.0


def _shorten(source: Path, target: Path) -> None:
    """Every SPEEDUP-th sample of each format (signed-linear 16-bit, A-law and µ-law 8-bit)."""
    rendered = audio.read_sound(source)
    sln = memoryview(rendered.sln).cast("h")[::SPEEDUP].tobytes()
    faster = audio.Rendered(sln, rendered.alaw[::SPEEDUP], rendered.ulaw[::SPEEDUP])
    audio.write_sound(faster, target)


def short_sounds_root(settings: Settings | None = None) -> Path:
    """The sounds root of the short prompts, made from the current build if it is not yet
    (once per build, under a lock shared by the xdist workers)."""
    settings = settings or load_settings()
    source_root = sounds_root(settings.speech)
    voice = voice_dir_name(settings.speech.backend, settings.speech.voice)
    source, root = source_root / voice, source_root / FOLDER
    target = root / voice
    manifest_text = (source / MANIFEST).read_text(encoding="utf-8")
    digest = hashlib.sha256(manifest_text.encode()).hexdigest()
    with exclusive(root.with_name(f"{FOLDER}.lock"), LOCK_TIMEOUT):
        stamp = target / STAMP
        if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
            return root
        manifest: dict[str, Any] = json.loads(manifest_text)
        for prompt_id, built in manifest["prompts"].items():
            _shorten(source / prompt_id, target / prompt_id)
            built["duration"] = audio.duration(target / prompt_id)
        audio.write_atomic(
            target / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        )
        audio.write_atomic(stamp, digest.encode())
    return root
