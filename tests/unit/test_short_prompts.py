"""The short prompts the end-to-end calls play (tests/e2e/short_prompts.py): every built
prompt, SPEEDUP times shorter in each format, its manifest entry's duration with it, and a
new copy only for a new build."""

from __future__ import annotations

import json
from pathlib import Path

from hotline.settings import load_settings
from hotline.speech import audio
from hotline.speech.manifest import MANIFEST
from tests.e2e.short_prompts import SPEEDUP, short_sounds_root

VOICE = "rhvoice-anna"


def build(root: Path, seconds: float) -> None:
    """A build of one prompt and one fragment: a ramp of ``seconds`` of audio."""
    samples = int(seconds * audio.SAMPLE_RATE)
    sln = b"".join((i % 2000).to_bytes(2, "little", signed=True) for i in range(samples))
    prompts = {}
    for prompt_id in ("ivr.greeting", "frag/num.1"):
        audio.write_sound(audio.Rendered.from_sln(sln), root / VOICE / prompt_id)
        prompts[prompt_id] = {"text": "x", "source": "tts", "key": "k", "duration": seconds}
    manifest = {"version": 1, "backend": "rhvoice", "voice": "anna", "rate": 100}
    manifest |= {"pipeline": "p", "prompts": prompts}
    (root / VOICE / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_every_prompt_is_sped_up_in_every_format(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    build(sounds, 3.0)
    settings = load_settings(overrides={"speech": {"sounds_dir": str(sounds)}})
    short = short_sounds_root(settings)
    assert short == sounds / "short"
    manifest = json.loads((short / VOICE / MANIFEST).read_text(encoding="utf-8"))
    for prompt_id in ("ivr.greeting", "frag/num.1"):
        source = audio.read_sound(sounds / VOICE / prompt_id)
        fast = audio.read_sound(short / VOICE / prompt_id)
        assert fast.sln == b"".join(
            source.sln[i : i + 2] for i in range(0, len(source.sln), 2 * SPEEDUP)
        )
        assert (fast.alaw, fast.ulaw) == (source.alaw[::SPEEDUP], source.ulaw[::SPEEDUP])
        assert manifest["prompts"][prompt_id]["duration"] == 3.0 / SPEEDUP
        assert manifest["prompts"][prompt_id]["key"] == "k"  # the build stays current


def test_a_new_build_makes_a_new_copy_and_the_same_one_none(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    build(sounds, 3.0)
    settings = load_settings(overrides={"speech": {"sounds_dir": str(sounds)}})
    short = short_sounds_root(settings)
    copied = short / VOICE / "ivr.greeting.sln"
    first = copied.stat().st_mtime_ns
    short_sounds_root(settings)
    assert copied.stat().st_mtime_ns == first
    build(sounds, 1.5)
    short_sounds_root(settings)
    assert audio.duration(short / VOICE / "ivr.greeting") == 0.5
