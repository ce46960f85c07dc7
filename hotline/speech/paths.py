"""Where speech files live; shared by the library and the sandbox (which bind-mounts them)."""

from __future__ import annotations

from pathlib import Path

from hotline.settings import SpeechSettings


def sounds_root(speech: SpeechSettings) -> Path:
    """Absolute ``sounds_dir``: the engine writes there and Asterisk reads the same path."""
    return speech.sounds_dir.expanduser().resolve()


def cache_root(speech: SpeechSettings) -> Path:
    return speech.cache_dir.expanduser().resolve()


def voice_dir_name(backend: str, voice: str) -> str:
    """``rhvoice-anna``: one directory of built sounds per backend and voice."""
    return f"{backend}-{voice}"
