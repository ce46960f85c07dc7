"""Prompts end to end: `hotline prompts build` / `check` through the CLI, then the real Asterisk
plays the built files by their absolute path (Local channel → .sln, SIP with A-law → .alaw).

Isolation: each test builds into its own directory *below* the sounds dir the sandbox bound
into its chroot at `up` (so Asterisk can read it) and removes it afterwards; caches are tmp dirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.dialplan.names import CONTEXT_SIMULATED_CALLER, ChannelVar, IvrStatus
from hotline.sandbox import Sandbox, SandboxError
from hotline.sandbox.mounts import (
    ensure_bind,
    in_chroot_path,
    is_mounted,
    mounts_under,
    unmount_all,
)
from hotline.settings import Settings, load_settings
from hotline.speech import audio, russian
from hotline.speech.library import PromptLibrary, Sound
from tests.e2e.sipp_ports import own_ports

pytestmark = pytest.mark.e2e

IO_TIMEOUT = 30.0
SIPP_SCENARIO = Path(__file__).parent / "sipp" / "inbound_call.xml"
# One 20 ms frame of slack between the samples Asterisk says it played and the file's length.
FRAME = 160
# The caller ID of these playback calls: a number no fixture gives a customer (their verbose
# log, which shows it, is kept for the suite's log audit).
NOT_A_CUSTOMER = "70000000000"
DEBT = russian.money(Decimal("1234.56")) + russian.date(dt.date(2026, 11, 23))


@pytest.fixture
def sounds_dir(sandbox: Sandbox) -> Iterator[Path]:
    path = sandbox.sounds_dir / f".e2e-{uuid.uuid4().hex[:12]}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


def speech_settings(sounds: Path, cache: Path, prompts: Path, **speech: str) -> Settings:
    values = {"sounds_dir": str(sounds), "cache_dir": str(cache), **speech}
    return load_settings(overrides={"speech": values, "paths": {"prompts_dir": str(prompts)}})


def few_prompts(folder: Path, count: int) -> Path:
    """A prompts folder whose catalogue is the real one's first ``count`` entries (the first
    is ``ivr.greeting``): what a build, a rebuild and a check do to each entry is the same for
    three as for all 123, and rendering all of them again (espeak or RHVoice, into a fresh
    cache) cost most of a test's CPU (issue 19, a suite under 10 minutes)."""
    real = PromptLibrary(load_settings()).catalogue
    folder.mkdir()
    (folder / "catalogue.yaml").write_text(
        "version: 1\nprompts:\n"
        + "".join(f"  - id: {e.id}\n    text: {e.text!r}\n" for e in real.entries()[:count]),
        encoding="utf-8",
    )
    return folder


class Player:
    """A FastAGI peer for one call: STREAM FILE each sound, then say DONE."""

    def __init__(self, sounds: list[Sound]) -> None:
        self.sounds = sounds
        self.replies: list[str] = []
        self.done = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (await asyncio.wait_for(reader.readline(), IO_TIMEOUT)).strip():
                pass
            commands = [f'STREAM FILE {s.path_without_extension} ""' for s in self.sounds]
            commands.append(f"SET VARIABLE {ChannelVar.STATUS} {IvrStatus.DONE}")
            for command in commands:
                writer.write(f"{command}\n".encode())
                await writer.drain()
                reply = await asyncio.wait_for(reader.readline(), IO_TIMEOUT)
                self.replies.append(reply.decode().strip())
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            self.done.set()

    def check_played(self) -> None:
        assert len(self.replies) == len(self.sounds) + 1, self.replies
        for sound, reply in zip(self.sounds, self.replies, strict=False):
            assert reply.startswith("200 result=0 endpos="), (sound, reply)
            endpos = int(reply.rsplit("=", 1)[1])
            assert abs(endpos - sound.duration * 8000) <= FRAME, (sound, reply)


async def play(sandbox: Sandbox, settings: Settings, sounds: list[Sound], sip: bool) -> Player:
    player = Player(sounds)
    try:
        server = await asyncio.start_server(
            player.handle, settings.fastagi.host, settings.fastagi.port
        )
    except OSError as exc:
        pytest.fail(
            f"FastAGI port {settings.fastagi.port} is taken (is an engine running?): {exc}"
        )
    async with server:
        if sip:
            scenario = await asyncio.to_thread(sandbox.stage_file, SIPP_SCENARIO)
            argv = [
                sandbox.sipp_path,
                f"{settings.sandbox.sip_host}:{settings.sandbox.sip_port}",
                "-sf", scenario, "-key", "caller", NOT_A_CUSTOMER, "-s", "88005553535",
                "-i", "127.0.0.1", *own_ports(settings), "-m", "1", "-l", "1",
                "-timeout", "40", "-timeout_error",
                "-nostdin",
            ]  # fmt: skip
            sipp = await asyncio.to_thread(sandbox.run_in_chroot, argv, 60.0)
            assert sipp.returncode == 0, sipp.stdout[-1500:] + sandbox.log_tail(30)
        else:
            await asyncio.to_thread(
                sandbox.cli,
                f"channel originate Local/{NOT_A_CUSTOMER}@{CONTEXT_SIMULATED_CALLER} "
                "application Wait 40",
            )
        await asyncio.wait_for(player.done.wait(), IO_TIMEOUT + 10)
    return player


def _mounts_at(target: Path) -> list[list[str]]:
    lines = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    return [fields for fields in map(str.split, lines) if fields[1] == str(target)]


def test_sounds_dir_is_bound_read_only_at_the_same_path(sandbox: Sandbox) -> None:
    target = in_chroot_path(sandbox.layout.root, sandbox.sounds_dir)
    assert str(target).endswith(str(sandbox.sounds_dir))
    assert is_mounted(target)
    sandbox.up()  # idempotent: still exactly one mount, read-only
    (mount,) = _mounts_at(target)
    assert "ro" in mount[3].split(",")


async def test_cli_build_check_and_asterisk_plays_it(
    sandbox: Sandbox, sounds_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    prompts = few_prompts(tmp_path / "prompts", 3)
    sets = [
        *("--set", "speech.backend=espeak"),
        *("--set", f"speech.sounds_dir={sounds_dir}"),
        *("--set", f"speech.cache_dir={tmp_path / 'cache'}"),
        *("--set", f"paths.prompts_dir={prompts}"),
    ]
    first = await asyncio.to_thread(runner.invoke, app, [*sets, "prompts", "build"])
    assert first.exit_code == 0, first.output
    total = 3 + len(russian.FRAGMENTS)
    assert f"{total} built" in first.output and f"{total} rendered, 0 reused" in first.output
    second = await asyncio.to_thread(runner.invoke, app, [*sets, "prompts", "build"])
    assert f"0 rendered, {total} reused" in second.output, second.output

    check = await asyncio.to_thread(runner.invoke, app, [*sets, "prompts", "check"])
    assert check.exit_code == 0, check.output
    assert f"{total} of {total} built and current" in check.output
    voice_dir = sounds_dir / "espeak-anna"
    greeting_line = next(
        line for line in check.output.splitlines() if line.startswith("ivr.greeting ")
    )
    assert f"{audio.duration(voice_dir / 'ivr.greeting'):.2f} s" in greeting_line
    assert "Здравствуйте" in greeting_line

    settings = speech_settings(sounds_dir, tmp_path / "cache", prompts, backend="espeak")
    library = PromptLibrary(settings)
    sounds = [
        library.sound("ivr.greeting"),
        await library.phrase(russian.money(Decimal("5"))),
        await library.speak("Оплатите до конца месяца."),
    ]
    with sandbox.verbose_log("prompts-slin") as verbose:
        player = await play(sandbox, settings, sounds, sip=False)
    player.check_played()
    log = verbose.read_text(encoding="utf-8", errors="replace")
    for sound in sounds:  # a Local channel is signed linear: the .sln files
        assert f"Playing '{sound.path_without_extension}.slin'" in log, sound


async def test_rhvoice_prompts_and_phrase_play_over_sip_as_alaw(
    sandbox: Sandbox, sounds_dir: Path, tmp_path: Path
) -> None:
    # RHVoice for a few prompts only: two catalogue entries and the fragments of one phrase.
    prompts = few_prompts(tmp_path / "prompts", 2)
    settings = speech_settings(sounds_dir, tmp_path / "cache", prompts)
    fragments = {f: russian.FRAGMENTS[f] for f in DEBT.fragments}
    library = PromptLibrary(settings, fragments=fragments)
    report = await library.build()
    assert len(report.rendered) == 2 + len(fragments)
    first = library.catalogue.entries()[0].id
    # Under the 15 s the SIPp scenario waits for Asterisk's BYE.
    sounds = [library.sound(first), await library.phrase(DEBT)]
    with sandbox.verbose_log("prompts-alaw") as verbose:
        player = await play(sandbox, settings, sounds, sip=True)
    player.check_played()
    log = verbose.read_text(encoding="utf-8", errors="replace")
    for sound in sounds:  # the call is A-law: Asterisk picks the .alaw files, no transcoding
        assert f"Playing '{sound.path_without_extension}.alaw'" in log, sound


def test_bind_is_idempotent_rebinds_a_recreated_dir_and_unmounts(tmp_path: Path) -> None:
    # A scratch "chroot": the real sandbox is shared with other tests and stays up.
    root = tmp_path / "root"
    root.mkdir()
    sounds = tmp_path / "var" / "sounds"
    try:
        target = ensure_bind(root, sounds)
        assert sounds.is_dir() and target == root / str(sounds).lstrip("/")
        assert ensure_bind(root, sounds) == target and len(_mounts_at(target)) == 1
        (sounds / "a.sln").write_bytes(b"\0\0")
        assert (target / "a.sln").read_bytes() == b"\0\0"
        with pytest.raises(OSError):
            (target / "b.sln").write_bytes(b"")  # read-only inside
        shutil.rmtree(sounds)  # e.g. `make clean` while the sandbox is up
        sounds.mkdir()
        (sounds / "c.sln").write_bytes(b"")
        ensure_bind(root, sounds)
        assert [p.name for p in target.iterdir()] == ["c.sln"]
        assert len(_mounts_at(target)) == 1
        with pytest.raises(SandboxError, match="one contains the other"):
            ensure_bind(root, root / "inside")
    finally:
        unmount_all(root)
    assert mounts_under(root) == []
