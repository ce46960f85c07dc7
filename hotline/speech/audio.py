"""WAV → Asterisk-ready sounds: 8 kHz mono ``.sln``, ``.alaw`` and ``.ulaw``, and back.

sox (as an asyncio subprocess) trims leading and trailing silence modestly, normalises the
peak level and resamples to 8 kHz signed-linear; A-law and μ-law are then encoded here (G.711,
the reference algorithm Asterisk also uses; ``audioop`` is deprecated).  All three are
headerless sample streams, so sounds concatenate by concatenating bytes, format by format.
Durations come from the ``.sln`` size: 16 000 bytes per second.
"""

from __future__ import annotations

import asyncio
import io
import os
import struct
import tempfile
import wave
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from hotline.speech.tools import DEFAULT_TIMEOUT, SpeechError, run

SAMPLE_RATE: Final = 8000
FORMATS: Final = ("sln", "alaw", "ulaw")
BYTES_PER_SECOND: Final = {"sln": 2 * SAMPLE_RATE, "alaw": SAMPLE_RATE, "ulaw": SAMPLE_RATE}
SOX: Final = "sox"
SOX_PACKAGES: Final = "sox libsox-fmt-all"
# Silence below this level at either end is cut, then a short pad is put back, so fragments
# joined into a phrase are separated by about PAD_LEAD + PAD_TAIL, not by the TTS's pauses.
SILENCE_THRESHOLD: Final = "-45d"
PAD_LEAD: Final = "0.02"
PAD_TAIL: Final = "0.05"
# Peak level after normalisation, dBFS.
PEAK_DB: Final = "-3"
_TRIM: Final = (
    *("silence", "1", "0.02", SILENCE_THRESHOLD, "reverse"),
    *("silence", "1", "0.02", SILENCE_THRESHOLD, "reverse"),
)
_LEVEL: Final = ("gain", "-n", PEAK_DB)
_PAD: Final = ("pad", PAD_LEAD, PAD_TAIL)
_SLN_OUT: Final = ("-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16")
_SLN_OUT_ENCODING: Final = ("-e", "signed-integer", "-")
# Part of every cache key: changing how audio is processed renders everything again.
PIPELINE: Final = " ".join(("v1", *_TRIM, *_LEVEL, *_PAD, "8000/s16", "g711-sun"))


class AudioError(SpeechError):
    """Audio could not be converted, read or written."""


@dataclass(frozen=True)
class Rendered:
    """One sound in every format Asterisk plays here without transcoding."""

    sln: bytes
    alaw: bytes
    ulaw: bytes

    @classmethod
    def from_sln(cls, sln: bytes) -> Rendered:
        if len(sln) % 2:
            raise AudioError("signed-linear audio must have an even number of bytes")
        return cls(sln, encode_alaw(sln), encode_ulaw(sln))

    @property
    def duration(self) -> float:
        return len(self.sln) / BYTES_PER_SECOND["sln"]

    def data(self, fmt: str) -> bytes:
        return {"sln": self.sln, "alaw": self.alaw, "ulaw": self.ulaw}[fmt]


# --- conversion -----------------------------------------------------------------------------
async def to_sln(
    source: bytes | Path,
    *,
    trim: bool = True,
    input_type: str = "wav",
    tempo: float | None = None,
    time_limit: float = DEFAULT_TIMEOUT,
) -> bytes:
    """8 kHz mono signed-linear samples from a WAV (bytes or any file sox reads), level
    normalised and, with ``trim``, leading/trailing silence cut to a short pad."""
    if isinstance(source, Path):
        inputs: tuple[str, ...] = (str(source),)
        stdin = b""
    else:
        inputs = ("-t", input_type, "-")
        stdin = source
    effects: tuple[str, ...] = ()
    if tempo is not None and abs(tempo - 1.0) > 1e-6:
        effects += ("tempo", "-s", f"{tempo:.3f}")
    if trim:
        effects += _TRIM
    effects += _LEVEL
    if trim:
        effects += _PAD
    argv = [SOX, "-V1", *inputs, *_SLN_OUT, *_SLN_OUT_ENCODING, *effects]
    sln = await run(argv, packages=SOX_PACKAGES, stdin=stdin, time_limit=time_limit)
    if not sln:
        raise AudioError(f"sox produced no audio from {inputs[0] if stdin == b'' else 'WAV'}")
    return sln[: len(sln) - len(sln) % 2]


async def convert(
    source: bytes | Path, *, trim: bool = True, time_limit: float = DEFAULT_TIMEOUT
) -> Rendered:
    """WAV bytes or an audio file → :class:`Rendered` (sox, then G.711 off the event loop)."""
    sln = await to_sln(source, trim=trim, time_limit=time_limit)
    return await asyncio.to_thread(Rendered.from_sln, sln)


def concatenate(parts: Sequence[Rendered]) -> Rendered:
    """One sound made of ``parts`` in order; its duration is the sum of theirs."""
    return Rendered(
        b"".join(p.sln for p in parts),
        b"".join(p.alaw for p in parts),
        b"".join(p.ulaw for p in parts),
    )


# --- files ----------------------------------------------------------------------------------
def sound_paths(base: Path) -> dict[str, Path]:
    """``base`` (no extension) → the file of each format."""
    return {fmt: base.with_name(f"{base.name}.{fmt}") for fmt in FORMATS}


def write_sound(rendered: Rendered, base: Path) -> None:
    """Write ``base.sln/.alaw/.ulaw`` atomically and world-readable (Asterisk runs as its own
    user).  Blocking: call it through ``asyncio.to_thread`` from async code."""
    base.parent.mkdir(parents=True, exist_ok=True)
    for fmt, path in sound_paths(base).items():
        write_atomic(path, rendered.data(fmt))


def read_sound(base: Path) -> Rendered:
    """Read ``base.sln/.alaw/.ulaw`` back (blocking)."""
    try:
        return Rendered(*(path.read_bytes() for path in sound_paths(base).values()))
    except FileNotFoundError as exc:
        raise AudioError(f"sound not found: {exc.filename}") from exc


def sound_exists(base: Path) -> bool:
    return all(path.is_file() for path in sound_paths(base).values())


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write through a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def duration(path: Path | str) -> float:
    """Seconds of a rendered sound, measured from its ``.sln`` file (``path`` with or without
    the extension)."""
    base = Path(path)
    if base.suffix.lstrip(".") in FORMATS:
        base = base.with_suffix("")
    sln = sound_paths(base)["sln"]
    try:
        return sln.stat().st_size / BYTES_PER_SECOND["sln"]
    except FileNotFoundError as exc:
        raise AudioError(f"sound not found: {sln}") from exc


# --- WAV ------------------------------------------------------------------------------------
def wav_of(path: Path | str) -> bytes:
    """A rendered sound (``path`` without extension) as an 8 kHz 16-bit mono WAV, which a
    browser's <audio> plays (blocking: run it in a thread)."""
    sln = sound_paths(Path(path))["sln"]
    try:
        pcm = sln.read_bytes()
    except FileNotFoundError as exc:
        raise AudioError(f"sound not found: {sln}") from exc
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


def fix_wav_header(data: bytes) -> bytes:
    """A PCM WAV with truthful sizes.  RHVoice-test and espeak-ng writing to a pipe put
    0x7FFFF000-style placeholders in the RIFF and data sizes; the data runs to the end."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("not a WAV file (no RIFF/WAVE header)")
    offset = 12
    fmt: bytes | None = None
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        body = offset + 8
        if chunk_id == b"fmt ":
            fmt = data[body : body + size]
        elif chunk_id == b"data":
            if fmt is None or len(fmt) < 16:
                raise AudioError("WAV data before its fmt chunk")
            (block_align,) = struct.unpack_from("<H", fmt, 12)
            samples = data[body : min(len(data), body + size)]
            samples = samples[: len(samples) - len(samples) % max(block_align, 1)]
            return b"".join(
                (
                    b"RIFF",
                    struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(samples)),
                    b"WAVE",
                    b"fmt ",
                    struct.pack("<I", len(fmt)),
                    fmt,
                    b"data",
                    struct.pack("<I", len(samples)),
                    samples,
                )
            )
        offset = body + size + (size & 1)
    raise AudioError("WAV without a data chunk")


def wav_duration(data: bytes) -> float:
    """Seconds of a PCM WAV (after :func:`fix_wav_header`)."""
    fixed = fix_wav_header(data)
    (fmt_size,) = struct.unpack_from("<I", fixed, 16)
    _, _, _, byte_rate = struct.unpack_from("<HHII", fixed, 20)
    (data_size,) = struct.unpack_from("<I", fixed, 20 + fmt_size + 4)
    return data_size / byte_rate if byte_rate else 0.0


# --- G.711 (the Sun reference algorithm, as in Asterisk and sox) ---------------------------
_SEG_A_END: Final = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)
_SEG_U_END: Final = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_ULAW_BIAS: Final = 0x84
_ULAW_CLIP: Final = 8159


def _segment(value: int, ends: tuple[int, ...]) -> int:
    for index, end in enumerate(ends):
        if value <= end:
            return index
    return len(ends)


def _alaw13(value: int) -> int:
    """A-law byte of a 13-bit signed sample."""
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    seg = _segment(value, _SEG_A_END)
    if seg >= 8:
        return 0x7F ^ mask
    quant = (value >> 1) if seg < 2 else (value >> seg)
    return ((seg << 4) | (quant & 0x0F)) ^ mask


def _ulaw14(value: int) -> int:
    """μ-law byte of a 14-bit signed sample."""
    if value < 0:
        value = -value
        mask = 0x7F
    else:
        mask = 0xFF
    value = min(value, _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    seg = _segment(value, _SEG_U_END)
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((value >> (seg + 1)) & 0x0F)) ^ mask


@cache
def _alaw_table() -> bytes:
    """A-law byte for every 16-bit sample, indexed by the sample as unsigned."""
    by_13bit = [_alaw13(v) for v in range(-4096, 4096)]
    return bytes(by_13bit[(u ^ 0x8000) >> 3] for u in range(65536))


@cache
def _ulaw_table() -> bytes:
    by_14bit = [_ulaw14(v) for v in range(-8192, 8192)]
    return bytes(by_14bit[(u ^ 0x8000) >> 2] for u in range(65536))


def _encode(sln: bytes, table: bytes) -> bytes:
    samples = array("H")
    samples.frombytes(sln[: len(sln) - len(sln) % 2])  # native order, as sox writes raw
    return bytes(map(table.__getitem__, samples))


def encode_alaw(sln: bytes) -> bytes:
    """G.711 A-law of 16-bit signed-linear samples (native byte order)."""
    return _encode(sln, _alaw_table())


def encode_ulaw(sln: bytes) -> bytes:
    """G.711 μ-law of 16-bit signed-linear samples (native byte order)."""
    return _encode(sln, _ulaw_table())
