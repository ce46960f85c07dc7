"""Voicemail through the real Asterisk (R-111, R-123): outside operator hours a caller chooses
voicemail, picks a topic, speaks a message (the simulated caller's phone leg plays a rendered
sentence) and presses #; the appeal is in the register with the recording linked, and the
caller heard its number and deadline."""

from __future__ import annotations

import asyncio
import contextlib
import wave
from array import array
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.app import Engine
from hotline.appeals.register import Viewer
from hotline.appeals.said import deadline_phrase, number_phrase
from hotline.contact_center.recordings import wav_seconds
from hotline.contact_center.schedule import CalendarOverrides
from hotline.dialplan.names import CONTEXT_SIMULATED_VOICE, SIM_VOICE
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.appeals import AppealFilter
from hotline.store.audit import Actor
from hotline.store.enums import AppealChannel, AppealLinkKind, AppealStatus
from hotline.transport.ami import AmiClient
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulate

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234568"
MESSAGE = "У нас третий день мигает свет на улице Ленина."
SUPERVISOR = Viewer(Actor("test", "cli"), personal_data=True, trust=True)


# Sample peak of speech in 16-bit audio; a silent line stays under a few hundred.
SPEECH_PEAK = 3000


def loudest(path: Path) -> int:
    with wave.open(str(path)) as sound:
        samples = array("h", sound.readframes(sound.getnframes()))
    return max((abs(s) for s in samples), default=0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


async def speak_when_recording(ami: AmiClient) -> None:
    """The simulated caller's phone leg says MESSAGE once the IVR starts recording."""
    sub = ami.subscribe(["Newchannel", "AGIExecStart"])
    phone: str | None = None
    try:
        while True:
            event = await sub.get(within=60)
            uniqueid = event.uniqueid or ""
            if event.name == "Newchannel" and uniqueid.endswith("-phone"):
                phone = event.get("channel")
            elif (
                event.name == "AGIExecStart"
                and phone
                and uniqueid.endswith("-ivr")
                and event.get("command").upper().startswith("RECORD FILE")
            ):
                await ami.action(
                    {
                        "Action": "Redirect",
                        "Channel": phone,
                        "Context": CONTEXT_SIMULATED_VOICE,
                        "Exten": "s",
                        "Priority": "1",
                    }
                )
                return
    finally:
        ami.unsubscribe(sub)


async def test_a_voicemail_outside_hours_becomes_an_appeal(
    engine: Engine, settings: Settings
) -> None:
    today = datetime.now(UTC).astimezone(ZoneInfo(settings.hours.timezone)).date()
    await CalendarOverrides(engine.db).set(today, "", "e2e: closed today")
    await engine.reload_hours()
    voice = await PromptLibrary(settings).speak(MESSAGE)
    await engine.ami.action(
        {"Action": "Setvar", "Variable": SIM_VOICE, "Value": voice.path_without_extension}
    )
    speaker = asyncio.create_task(speak_when_recording(engine.ami))
    try:
        # 0: the operator (closed), 2: voicemail, 3: the topic «Отключения», then the message
        # and # four seconds into the recording.
        transcript = await simulate(settings, "0|2|3|wwww#", caller_id=CALLER)
    finally:
        speaker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await speaker
    assert speaker.done()

    found = await engine.appeals.list(AppealFilter(), SUPERVISOR)
    assert len(found) == 1
    appeal = await engine.appeals.view(found[0].number, SUPERVISOR)
    assert appeal is not None
    assert appeal.channel is AppealChannel.VOICEMAIL
    assert appeal.status is AppealStatus.REGISTERED
    assert (appeal.topic, appeal.unit, appeal.phone) == ("outages", "network", CALLER)
    # a phone was left: 5 working days.
    expected = await engine.appeals.deadline_for(
        "question", "outages", today, settings.appeals.voicemail_phone_deadline
    )
    assert appeal.deadline == expected
    kinds = dict(appeal.links)
    assert kinds[AppealLinkKind.CALL] == transcript.call_log["id"]  # type: ignore[index]
    recording = Path(kinds[AppealLinkKind.RECORDING])
    seconds = wav_seconds(recording)
    # The message is in the file (speech, not silence), cut by # long before the time limit.
    assert seconds is not None and 1.0 < seconds < settings.appeals.voicemail_max_seconds
    assert loudest(recording) > SPEECH_PEAK

    # The caller heard the number and the deadline after the appeal was stored.
    assert transcript.call_log is not None
    events = transcript.call_log["events"]
    heard = [e["value"] for e in events if e["kind"] == "prompt"]
    at = heard.index(prompts.APPEAL_REGISTERED)
    assert heard[at + 1] == number_phrase(appeal.number).text
    assert heard[at + 2] == prompts.APPEAL_DEADLINE
    assert heard[at + 3] == deadline_phrase(appeal.deadline, today).text
    assert [e["value"] for e in events if e["kind"] == "appeal"] == [appeal.number]
    assert transcript.nodes[-3:] == ["voicemail.record", "voicemail.registered", "goodbye"]
