"""A callback at an agreed time dialled from the console through the real Asterisk (issue 16
item 3, R-109; the Done-when): the operator's (simulated) phone rings first, then the
customer's; the customer hears «Разговор записывается» before anything else and only then is
the call recorded (R-061); the recording exists, is linked to the attempt, and the attempt is
stored with its operator and result."""

from __future__ import annotations

import asyncio
import uuid
import wave
from array import array
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.contact_center import callback_dial
from hotline.contact_center import operators as ops
from hotline.dialplan.names import CONTEXT_SIMULATED_EAR, SIM_EAR
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.callback_attempts import CallbackAttempts
from hotline.store.callbacks import CallbackStore
from hotline.store.enums import CallbackResult
from tests.e2e.engine_support import engine_settings

pytestmark = [pytest.mark.e2e]

CUSTOMER = "79131234501"
# Sample peak of speech in 16-bit audio; a silent line stays under a few hundred.
SPEECH_PEAK = 3000


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    # The customer's phone answers at once and records what it hears (the trunk's dial
    # string ignores the number: it is the sandbox's listening phone).
    return engine_settings(
        tmp_path / "callbacks.db", dialer={"trunk": f"Local/s@{CONTEXT_SIMULATED_EAR}/n"}
    )


def written(*paths: Path) -> bool:
    return all(p.exists() and p.stat().st_size > 44 for p in paths)


def samples(path: Path) -> tuple[array[int], int]:
    with wave.open(str(path)) as sound:
        return array("h", sound.readframes(sound.getnframes())), sound.getframerate()


async def test_a_callback_is_dialled_operator_first_and_recorded_after_the_notice(
    engine: Engine, settings: Settings
) -> None:
    # anna's phone answers after 1 s and stays on the line for 5 s.
    await engine.operators.add("anna", ops.simulated_interface("anna", 1, 5), simulated=True)
    heard = settings.paths.recordings_dir.expanduser().resolve() / f"cb-{uuid.uuid4().hex}.wav"
    await asyncio.to_thread(heard.parent.mkdir, parents=True, exist_ok=True)
    await engine.ami.action({"Action": "Setvar", "Variable": SIM_EAR, "Value": str(heard)})
    now = datetime.now(UTC)
    request = await CallbackStore(engine.db).request(
        CUSTOMER, source="closed", due_at=now, due_until=now + timedelta(hours=1)
    )

    started = await callback_dial.dial(
        engine.ami, engine.db, settings, request.id, "anna", Actor("anna", "web")
    )
    assert started.result is CallbackResult.DIALLING and started.operator == "anna"
    attempts = CallbackAttempts(engine.db)
    async with asyncio.timeout(30):
        while (
            found := await attempts.get(started.id)
        ) and found.result is CallbackResult.DIALLING:
            await asyncio.sleep(0.3)
    assert found is not None and found.result is CallbackResult.ANSWERED and found.ended_at
    assert found.recording_id is not None
    (recording,) = await engine.recordings.find(recording_id=found.recording_id)
    assert recording.operator == "anna" and recording.uniqueid == started.uniqueid
    path = Path(recording.path)
    try:
        for _wait in range(50):  # closed when the customer's channel hangs up
            if await asyncio.to_thread(written, heard) and await asyncio.to_thread(path.exists):
                break
            await asyncio.sleep(0.2)
        assert await asyncio.to_thread(written, heard), "the customer's phone recorded nothing"
        # MixMonitor wrote the file (the simulated phones send no audio once bridged, so it
        # may hold the header alone).
        assert await asyncio.to_thread(path.exists), f"no recording at {path}"
        # The customer heard the notice (speech) as soon as they answered...
        customer, rate = await asyncio.to_thread(samples, heard)
        assert max(map(abs, customer[: rate * 3]), default=0) > SPEECH_PEAK
        # ...and the recording, started after it, has none of it (nobody spoke afterwards).
        recorded, _ = await asyncio.to_thread(samples, path)
        assert max(map(abs, recorded), default=0) < SPEECH_PEAK
    finally:
        await asyncio.to_thread(heard.unlink, missing_ok=True)
    (entry,) = await AuditLog(engine.db).entries(action="callback.dial")
    assert entry.target == str(request.id) and entry.detail == {
        "attempt": started.id,
        "operator": "anna",
    }
