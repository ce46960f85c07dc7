"""Audio: sox conversion to 8 kHz sln/alaw/ulaw, G.711 against sox, concatenation, files."""

from __future__ import annotations

import asyncio
import math
import struct
import subprocess
from array import array
from pathlib import Path

import pytest

from hotline.speech import audio
from hotline.speech.tools import SpeechError


def tone_wav(seconds: float, rate: int = 24000, lead: float = 0.0, tail: float = 0.0) -> bytes:
    """A mono 16-bit WAV: ``lead`` s of silence, a 440 Hz tone, ``tail`` s of silence."""
    samples = array("h", [0] * int(lead * rate))
    samples.extend(
        int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate))
    )
    samples.extend([0] * int(tail * rate))
    data = samples.tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def sox_g711(sln: bytes, encoding: str) -> bytes:
    # -D: no dither, so sox's encoder sees exactly our samples.
    argv = ["sox", "-D", "-t", "raw", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
    argv += ["-", "-t", "raw", "-e", encoding, "-"]
    return subprocess.run(argv, input=sln, capture_output=True, check=True).stdout


@pytest.mark.parametrize(
    ("encode", "encoding", "step"),
    [(audio.encode_alaw, "a-law", 8), (audio.encode_ulaw, "mu-law", 4)],
)
def test_g711_matches_sox_on_every_code(encode: object, encoding: str, step: int) -> None:
    # Multiples of 8 (A-law, 13 bits) and 4 (μ-law, 14 bits): no rounding question arises.
    sln = array("h", range(-32768, 32768, step)).tobytes()
    assert callable(encode)
    assert encode(sln) == sox_g711(sln, encoding)


def test_g711_silence_codes() -> None:
    silence = bytes(8)
    assert audio.encode_alaw(silence) == b"\xd5" * 4
    assert audio.encode_ulaw(silence) == b"\xff" * 4


def test_fix_wav_header_repairs_pipe_placeholders() -> None:
    good = tone_wav(0.1)
    broken = good[:4] + struct.pack("<I", 0x7FFFF024) + good[8:40] + struct.pack("<I", 0x7FFFF000)
    broken += good[44:]
    assert audio.fix_wav_header(broken) == good
    assert audio.wav_duration(broken) == pytest.approx(0.1)
    with pytest.raises(audio.AudioError, match="not a WAV"):
        audio.fix_wav_header(b"ID3\x00 mp3")


async def test_convert_trims_normalises_and_resamples() -> None:
    wav = tone_wav(1.0, lead=0.8, tail=0.8)
    rendered = await audio.convert(wav)
    # 1 s of tone plus the pads; the 1.6 s of silence are gone.
    expected = 1.0 + float(audio.PAD_LEAD) + float(audio.PAD_TAIL)
    assert rendered.duration == pytest.approx(expected, abs=0.03)
    assert len(rendered.alaw) == len(rendered.ulaw) == len(rendered.sln) // 2
    peak = max(abs(s) for s in array("h", rendered.sln))
    assert 32767 * 10 ** (-3.5 / 20) < peak <= 32767 * 10 ** (-2.5 / 20)  # gain -n -3
    untrimmed = await audio.convert(wav, trim=False)
    assert untrimmed.duration == pytest.approx(2.6, abs=0.01)


async def test_convert_reads_files_of_any_rate_and_channels(tmp_path: Path) -> None:
    stereo = tmp_path / "stereo.wav"
    mono = tmp_path / "mono.wav"
    mono.write_bytes(tone_wav(0.5, rate=44100))
    await asyncio.to_thread(subprocess.run, ["sox", str(mono), "-c", "2", str(stereo)], check=True)
    rendered = await audio.convert(stereo)
    assert rendered.duration == pytest.approx(0.5 + 0.07, abs=0.03)


async def test_convert_failure_is_reported() -> None:
    with pytest.raises(SpeechError, match="sox FAIL"):
        await audio.convert(b"RIFF....WAVEjunk")


def test_concatenation_duration_is_the_sum(tmp_path: Path) -> None:
    parts = [audio.Rendered.from_sln(bytes(2 * n)) for n in (800, 1200, 4000)]
    joined = audio.concatenate(parts)
    assert joined.duration == pytest.approx(sum(p.duration for p in parts)) == 0.75
    assert joined.alaw == b"".join(p.alaw for p in parts)
    base = tmp_path / "out" / "joined"
    audio.write_sound(joined, base)
    assert sorted(p.name for p in base.parent.iterdir()) == [
        "joined.alaw",
        "joined.sln",
        "joined.ulaw",
    ]
    assert all(
        (base.parent / f"joined.{f}").stat().st_mode & 0o777 == 0o644 for f in audio.FORMATS
    )
    assert audio.duration(base) == audio.duration(f"{base}.sln") == 0.75
    assert audio.read_sound(base) == joined
    with pytest.raises(audio.AudioError, match="not found"):
        audio.duration(tmp_path / "missing")
