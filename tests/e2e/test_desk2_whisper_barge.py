"""Issue 17 item 7 through the real Asterisk: a supervisor whispers to, then barges into, an
operator's call (ChanSpy ``w`` and ``B``).  The operator's phone and the caller's phone are
Local channels that record what they hear, one file per phase; the supervisor's phone says a
known prompt.  Whisper: only the operator hears it.  Barge: both do.  Checked by the
recordings' loud audio, not their bytes."""

from __future__ import annotations

import asyncio
import contextlib
import math
import uuid
import wave
from array import array
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.contact_center import operators as ops
from hotline.contact_center.monitor import spy
from hotline.dialplan.asterisk_config import recording_notice_sound
from hotline.dialplan.names import (
    CONTEXT_SIMULATED_EAR,
    CONTEXT_SIMULATED_VOICE,
    SIM_EAR_DIR,
    SIM_VOICE,
    SpyMode,
)
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.queue_events import QueueEvents
from hotline.transport.ami import AmiClient
from tests.e2e.engine_support import engine_settings, simulator

pytestmark = pytest.mark.e2e

CALLER = "79004445577"
# A 20 ms window louder than this (RMS of 16-bit samples) is speech; a line nobody talks on
# stays far below it.
LOUD_RMS = 500
HEARD = 0.5  # seconds of speech: the prompt (about 2 s) reached this side
UNHEARD = 0.1


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(
        tmp_path / "whisper.db",
        simulate={"max_call_seconds": 60.0, "queue_linger_seconds": 40.0},
    )


def loud_seconds(path: Path) -> float:
    """Seconds of speech in a recording (a missing one: none)."""
    if not path.exists():
        return 0.0
    with wave.open(str(path)) as sound:
        rate = sound.getframerate()
        samples = array("h", sound.readframes(sound.getnframes()))
    size = max(1, rate // 50)
    loud = 0
    for start in range(0, len(samples), size):
        window = samples[start : start + size]
        if math.sqrt(sum(s * s for s in window) / len(window)) > LOUD_RMS:
            loud += len(window)
    return loud / rate


async def channel(ami: AmiClient, within: float, **wanted: str) -> str:
    """The first live channel whose CoreShowChannel fields end as ``wanted`` says."""
    async with asyncio.timeout(within):
        while True:
            for event in await ami.core_show_channels():
                if all(event.get(k).endswith(v) for k, v in wanted.items()):
                    return event.get("channel")
            await asyncio.sleep(0.2)


async def gone(ami: AmiClient, within: float, **wanted: str) -> None:
    """Wait until no live channel's CoreShowChannel fields end as ``wanted`` says."""
    async with asyncio.timeout(within):
        while any(
            all(event.get(k).endswith(v) for k, v in wanted.items())
            for event in await ami.core_show_channels()
        ):
            await asyncio.sleep(0.2)


async def settled(paths: list[Path], within: float = 5.0) -> None:
    """Wait until MixMonitor has finished the recordings: the last ones exist and their
    sizes stop changing (it closes a file a moment after the hang-up)."""
    before: list[int | None] = []
    async with asyncio.timeout(within):
        while True:
            sizes = [p.stat().st_size if p.exists() else None for p in paths]
            if sizes == before and all(size is not None and size > 44 for size in sizes):
                return
            before = sizes
            await asyncio.sleep(0.3)


async def redirect(ami: AmiClient, name: str, exten: str) -> None:
    await ami.action(
        {
            "Action": "Redirect",
            "Channel": name,
            "Context": CONTEXT_SIMULATED_EAR,
            "Exten": exten,
            "Priority": "1",
        }
    )


async def test_whisper_reaches_the_operator_only_and_barge_both_sides(
    engine: Engine, settings: Settings
) -> None:
    ami = engine.ami
    token = uuid.uuid4().hex[:8]
    folder = settings.paths.recordings_dir.expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    await ami.action({"Action": "Setvar", "Variable": SIM_EAR_DIR, "Value": str(folder)})
    await ami.action(
        {"Action": "Setvar", "Variable": SIM_VOICE, "Value": str(recording_notice_sound(settings))}
    )
    cli = Actor("test", "cli")
    # anna's phone answers at once and records; boris's phone says the prompt when it answers.
    await engine.operators.add("anna", f"Local/o{token}@{CONTEXT_SIMULATED_EAR}/n", simulated=True)
    await engine.operators.add("boris", f"Local/s@{CONTEXT_SIMULATED_VOICE}/n", simulated=True)
    await ops.queue_action(ami, engine.db, engine.settings, "anna", "login", cli)
    files: dict[tuple[SpyMode, str], Path] = {}
    try:
        async with simulator(engine.settings) as (sim, _log, _ami):
            call = asyncio.create_task(sim.run("0", CALLER))
            events = QueueEvents(engine.db)
            async with asyncio.timeout(40):
                while await events.latest_connect("anna") is None:
                    await asyncio.sleep(0.2)
            operator = await channel(ami, 5, channel=";2", context=CONTEXT_SIMULATED_EAR)
            phone = await channel(ami, 5, uniqueid="-phone")
            for mode in (SpyMode.WHISPER, SpyMode.BARGE):
                # Each side starts a new recording for this phase.
                for side, name in (("operator", operator), ("caller", phone)):
                    exten = f"{side[0]}{token}{mode.value}"
                    files[(mode, side)] = folder / f"{exten}.wav"
                    await redirect(ami, name, exten)
                await spy(ami, engine.db, "anna", mode, "boris", Actor("boris", "web"))
                spying = await channel(ami, 10, application="ChanSpy", exten=mode.value)
                # boris's phone says the prompt, then waits: the phase is over.
                await channel(ami, 10, context=CONTEXT_SIMULATED_VOICE, application="Wait")
                await ami.hangup(spying)
                # The phase's supervisor phone is gone before the next phase looks for its
                # own: a loaded Asterisk still listed the whisper's in Wait, so the barge was
                # hung up before its prompt was said (a clean-clone run heard nothing).
                await gone(ami, 10, context=CONTEXT_SIMULATED_VOICE)
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call
    finally:
        await ops.queue_action(ami, engine.db, engine.settings, "anna", "logout", cli)

    try:
        await settled([files[(SpyMode.BARGE, "operator")], files[(SpyMode.BARGE, "caller")]])
        heard = {key: loud_seconds(path) for key, path in files.items()}
    finally:
        for path in (*files.values(), folder / f"o{token}.wav"):
            path.unlink(missing_ok=True)
    assert heard[(SpyMode.WHISPER, "operator")] >= HEARD, heard
    assert heard[(SpyMode.WHISPER, "caller")] < UNHEARD, heard
    assert heard[(SpyMode.BARGE, "operator")] >= HEARD, heard
    assert heard[(SpyMode.BARGE, "caller")] >= HEARD, heard
    actions = [e.action for e in await AuditLog(engine.db).entries(actor="boris")]
    assert actions == ["monitor.barge", "monitor.whisper"]  # newest first
