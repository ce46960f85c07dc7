"""Place a simulated call into the IVR through Asterisk and write down what happened.

The simulated phone is the ``;1`` leg of a Local channel (it just waits); the ``;2`` leg enters
the hotline exactly like a SIP call.  Digits go out with AMI PlayDTMF on the phone leg.  The
transcript is built from what Asterisk itself reports over AMI (dialplan steps, AGI commands,
digits received, hang-up), joined with the engine's call-log row (the nodes it walked).

A supervisor uses this to try a menu before publishing it; the end-to-end tests use it as
their harness.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hotline.dialplan.names import (
    CONTEXT_FALLBACK,
    CONTEXT_OPERATOR,
    CONTEXT_SIMULATED_CALLER,
    MENU_CONTEXT_PREFIX,
    ChannelVar,
)
from hotline.protocol.ami import AmiEvent, hangup_cause_text
from hotline.settings import SimulateSettings
from hotline.speech import audio
from hotline.speech.audio import AudioError
from hotline.store.calllog import CallLog
from hotline.store.enums import EventKind
from hotline.transport.ami import AmiClient, AmiError

DTMF_PATTERN = re.compile(r"^[0-9*#A-Dw|]*$")
WAIT_CHAR = "w"
# "0|1|1": each segment is sent when the IVR next starts listening after the previous one
# was sent (the operator key, then the answers to the queue's callback offer).
SEGMENT_CHAR = "|"
WAIT_SECONDS = 1.0
# Spacing between two digits: longer than a digit (PlayDTMF_DURATION) plus Asterisk's
# minimum inter-digit gap (45 ms), so each key arrives as a separate digit.
DIGIT_GAP = 0.35
PLAY_DTMF_DURATION_MS = 200
NORMAL_CLEARING = 16  # the cause the simulated phone hangs up with
# RECORD FILE listens for its escape digit (# ends a voicemail message).
LISTENING_COMMANDS = ("GET DATA", "WAIT FOR DIGIT", "GET OPTION", "RECORD FILE")
EVENTS = (
    "Newchannel",
    "Newexten",
    "AGIExecStart",
    "AGIExecEnd",
    "DTMFEnd",
    "Hangup",
    "OriginateResponse",
)


class SimulationError(ValueError):
    """The simulation could not be set up (bad input, no AMI)."""


@dataclass
class Step:
    at: float
    kind: str
    value: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlayedAudio:
    """A sound Asterisk played to the caller: the file (as named in the AGI command), its
    duration measured from the rendered file, and how much Asterisk played (from the IVR's
    call-log entry: the AGI ``endpos``), when known."""

    file: str
    duration: float | None = None
    played: float | None = None


@dataclass
class Transcript:
    uniqueid: str
    caller_id: str | None
    dtmf: str
    route: str | None = None
    nodes: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    audio: list[PlayedAudio] = field(default_factory=list)
    digits_sent: str = ""
    digits_received: str = ""
    contexts: list[str] = field(default_factory=list)
    outcome: str = "unknown"
    operator_reason: str | None = None
    hangup_cause: str | None = None
    duration: float = 0.0
    steps: list[Step] = field(default_factory=list)
    call_log: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, started: float, kind: str, value: str, **detail: Any) -> None:
        self.steps.append(Step(round(time.monotonic() - started, 3), kind, value, detail))


def _measure(files: list[str]) -> list[PlayedAudio]:
    """Durations of our own rendered prompts (absolute paths), measured from the files.
    Asterisk's stock sounds (relative names) are not measured."""
    measured = []
    for name in files:
        duration = None
        if Path(name).is_absolute():
            with contextlib.suppress(AudioError):
                duration = round(audio.duration(name), 3)
        measured.append(PlayedAudio(name, duration))
    return measured


def validate_dtmf(sequence: str) -> None:
    if not DTMF_PATTERN.match(sequence):
        bad = next(ch for ch in sequence if not DTMF_PATTERN.match(ch))
        raise SimulationError(
            f"invalid character {bad!r} in --dtmf: use 0-9, *, #, A-D, w (wait 1 s) "
            "and | (the next keys at the next question)"
        )


def _agi_route(appdata: str) -> str:
    # AGI(agi://127.0.0.1:4573/ivr,args) -> "ivr"
    target = appdata.split(",", 1)[0]
    return target.rsplit("/", 1)[-1] if target.startswith("agi://") else target


def _listens(command: str) -> bool:
    upper = command.upper()
    if upper.startswith(LISTENING_COMMANDS):
        return True
    # STREAM FILE <name> "<escape digits>": listening when escape digits are given.
    if upper.startswith("STREAM FILE"):
        parts = command.split()
        return len(parts) >= 4 and parts[3].strip('"') != ""
    return False


def _level_listens(event: AmiEvent) -> bool:
    """A rendered menu level (``ivr.levels = "dialplan"``) plays a prompt keys interrupt or
    waits for a key."""
    if not event.get("context").startswith(MENU_CONTEXT_PREFIX):
        return False
    return event.get("application").lower() in ("background", "waitexten")


class Simulator:
    def __init__(self, ami: AmiClient, call_log: CallLog | None, settings: SimulateSettings):
        self._ami = ami
        self._log = call_log
        self._settings = settings

    async def run(
        self, dtmf: str, caller_id: str | None = None, draft: str | None = None
    ) -> Transcript:
        """``draft``: the sha256 of the menu editor's draft to try instead of the live menu."""
        validate_dtmf(dtmf)
        if draft is not None and not re.fullmatch(r"[0-9a-f]{64}", draft):
            raise SimulationError(f"invalid draft id {draft!r}")
        if caller_id is not None and not re.fullmatch(r"\+?[0-9]{1,20}", caller_id):
            raise SimulationError(f"invalid --caller-id {caller_id!r}: digits only")
        call_key = uuid.uuid4().hex[:12]
        # Asterisk refuses a Local-channel pair whose ids are prefixes of each other.
        ivr_id, phone_id = f"sim-{call_key}-ivr", f"sim-{call_key}-phone"
        transcript = Transcript(uniqueid=ivr_id, caller_id=caller_id, dtmf=dtmf)
        sub = self._ami.subscribe(EVENTS)
        try:
            await self._place_call(transcript, sub, dtmf, caller_id, ivr_id, phone_id, draft)
        finally:
            self._ami.unsubscribe(sub)
        transcript.audio = await asyncio.to_thread(_measure, transcript.prompts)
        if self._log is not None:
            await self._attach_call_log(transcript)
        return transcript

    async def _place_call(
        self,
        transcript: Transcript,
        sub: Any,
        dtmf: str,
        caller_id: str | None,
        ivr_id: str,
        phone_id: str,
        draft: str | None = None,
    ) -> None:
        started = time.monotonic()
        deadline = started + self._settings.max_call_seconds
        exten = caller_id or "anonymous"
        try:
            await self._ami.originate(
                f"Local/{exten}@{CONTEXT_SIMULATED_CALLER}",
                application="Wait",
                data=str(int(self._settings.max_call_seconds) + 10),
                caller_id=f'"simulated" <{exten}>' if caller_id else None,
                # Inherited by the ;2 leg that enters the IVR.
                variables={f"__{ChannelVar.MENU_DRAFT}": draft} if draft else None,
                channel_id=phone_id,
                other_channel_id=ivr_id,
                action_id=phone_id,
            )
        except AmiError as exc:
            raise SimulationError(f"could not place the call: {exc}") from exc
        transcript.add(started, "call", "originated", caller_id=caller_id)

        phone_channel: str | None = None
        sender: asyncio.Task[None] | None = None
        segments = dtmf.split(SEGMENT_CHAR)
        next_segment = 0
        queue_reached_at: float | None = None
        try:
            while True:
                now = time.monotonic()
                if queue_reached_at is not None and now >= queue_reached_at:
                    transcript.add(started, "sim", "left the queue (simulation ends)")
                    break
                limit = deadline if queue_reached_at is None else queue_reached_at
                if now >= limit:
                    transcript.outcome = "timeout"
                    transcript.add(started, "sim", "time limit reached")
                    break
                try:
                    event = await sub.get(within=min(limit - now, 1.0))
                except TimeoutError:
                    continue
                if event.uniqueid not in (ivr_id, phone_id) and event.get("actionid") != phone_id:
                    continue
                listening = False  # the IVR waits for keys: the next segment may go
                if event.name == "Newchannel" and event.uniqueid == phone_id:
                    phone_channel = event.get("channel")
                elif event.name == "OriginateResponse" and event.get("response") == "Failure":
                    transcript.outcome = "failed"
                    transcript.add(started, "call", "originate failed", reason=event.get("reason"))
                    break
                elif event.uniqueid != ivr_id:
                    continue
                elif event.name == "AGIExecStart":
                    listening = _listens(event.get("command"))
                elif event.name == "AGIExecEnd":
                    self._on_agi_end(event, transcript, started)
                elif event.name == "DTMFEnd" and event.get("direction") == "Received":
                    transcript.digits_received += event.get("digit")
                    transcript.add(started, "digit", event.get("digit"))
                elif event.name == "Newexten":
                    if self._on_dialplan(event, transcript, started):
                        queue_reached_at = time.monotonic() + self._settings.queue_linger_seconds
                    # The menu's levels in dialplan (ivr.levels): a level listens for keys.
                    listening = _level_listens(event)
                elif event.name == "Hangup":
                    transcript.hangup_cause = hangup_cause_text(event.get("cause"))
                    transcript.add(started, "hangup", transcript.hangup_cause or "")
                    break
                idle = sender is None or sender.done()
                if listening and idle and phone_channel and next_segment < len(segments):
                    segment = segments[next_segment]
                    next_segment += 1
                    sender = asyncio.create_task(
                        self._send_digits(phone_channel, segment, transcript, started),
                        name=f"dtmf-{ivr_id}",
                    )
        finally:
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            transcript.duration = round(time.monotonic() - started, 3)
            if phone_channel:
                # By its uniqueid, not its name: the name carries the caller's number, and
                # Asterisk logs the name of a channel that is already gone (M7).
                with contextlib.suppress(AmiError):
                    await self._ami.hangup(phone_id, NORMAL_CLEARING)
        if transcript.outcome == "unknown":
            transcript.outcome = self._outcome_from_dialplan(transcript)

    def _on_agi_end(self, event: AmiEvent, transcript: Transcript, started: float) -> None:
        command = event.get("command")
        upper = command.upper()
        # EXEC Playback: the greeting and the notice, sent ahead (ivr.call.IvrCall.play_ahead).
        if upper.startswith(("STREAM FILE", "GET DATA", "EXEC PLAYBACK")):
            parts = command.split()
            failed = event.get("resultcode") not in ("", "200")
            for sound in (parts[2] if len(parts) > 2 else "").split("&"):  # Playback a&b
                transcript.prompts.append(sound)
                transcript.add(
                    started, "prompt", sound, failed=event.get("result") if failed else None
                )

    def _on_dialplan(self, event: AmiEvent, transcript: Transcript, started: float) -> bool:
        """Record a dialplan step; True when the call reached the operator queue."""
        context, app = event.get("context"), event.get("application")
        if not transcript.contexts or transcript.contexts[-1] != context:
            transcript.contexts.append(context)
            transcript.add(started, "context", context)
        if app.lower() in ("background", "playback") and context.startswith(MENU_CONTEXT_PREFIX):
            sound = event.get("appdata").split(",", 1)[0]  # a rendered level plays it
            transcript.prompts.append(sound)
            transcript.add(started, "prompt", sound)
        if app == "AGI":
            transcript.route = _agi_route(event.get("appdata"))
            transcript.add(started, "agi", transcript.route)
        elif app == "Queue" and context == CONTEXT_OPERATOR:
            queue = event.get("appdata").split(",", 1)[0]
            transcript.add(started, "queue", queue)
            return True
        return False

    @staticmethod
    def _outcome_from_dialplan(transcript: Transcript) -> str:
        if CONTEXT_OPERATOR in transcript.contexts:
            return "fallback" if CONTEXT_FALLBACK in transcript.contexts else "operator"
        return "completed" if transcript.route else "hangup"

    async def _send_digits(
        self, channel: str, dtmf: str, transcript: Transcript, started: float
    ) -> None:
        for char in dtmf:
            if char == WAIT_CHAR:
                await asyncio.sleep(WAIT_SECONDS)
                continue
            await self._ami.play_dtmf(channel, char, PLAY_DTMF_DURATION_MS)
            transcript.digits_sent += char
            transcript.add(started, "sent", char)
            await asyncio.sleep(DIGIT_GAP)

    async def _attach_call_log(self, transcript: Transcript) -> None:
        assert self._log is not None
        record = None
        # The engine's tracker writes the end of the call from the same AMI events we saw;
        # give it a moment, bounded.
        for _ in range(20):
            record = await self._log.get(uniqueid=transcript.uniqueid)
            if record is not None and record.ended_at is not None:
                break
            await asyncio.sleep(0.1)
        if record is None:
            return
        transcript.call_log = record.to_dict()
        played = [
            event.detail.get("played")
            for event in record.events
            if event.kind == EventKind.PROMPT and event.detail is not None
        ]
        if len(played) == len(transcript.audio):
            for audio, seconds in zip(transcript.audio, played, strict=True):
                audio.played = seconds if isinstance(seconds, float | int) else None
        transcript.nodes = list(record.path)
        transcript.operator_reason = record.operator_reason
        if record.outcome is not None and transcript.outcome not in ("timeout", "failed"):
            transcript.outcome = str(record.outcome)
