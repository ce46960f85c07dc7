"""The manifest of a voice's built prompts (``<sounds_dir>/<backend>-<voice>/manifest.json``):
id -> text, source (tts|recorded), cache key and duration, with the backend, voice, rate and
audio pipeline they were rendered with (:mod:`hotline.speech.library` builds and reads it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Final, Literal

MANIFEST: Final = "manifest.json"
MANIFEST_VERSION: Final = 1

Source = Literal["tts", "recorded"]


@dataclass(frozen=True)
class BuiltPrompt:
    id: str
    text: str
    source: Source
    key: str
    duration: float


@dataclass(frozen=True)
class Manifest:
    backend: str
    voice: str
    rate: int
    pipeline: str
    prompts: Mapping[str, BuiltPrompt]

    def to_json(self) -> str:
        data = {
            "version": MANIFEST_VERSION,
            "backend": self.backend,
            "voice": self.voice,
            "rate": self.rate,
            "pipeline": self.pipeline,
            "prompts": {
                pid: {k: v for k, v in asdict(p).items() if k != "id"}
                for pid, p in self.prompts.items()
            },
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("version") != MANIFEST_VERSION:
            raise ValueError(f"manifest version {data.get('version')!r}")
        prompts = {
            pid: BuiltPrompt(
                pid, entry["text"], entry["source"], entry["key"], float(entry["duration"])
            )
            for pid, entry in data["prompts"].items()
        }
        return cls(data["backend"], data["voice"], int(data["rate"]), data["pipeline"], prompts)
