"""An inbound call as the IVR sees it: every prompt, digit and step goes to the call log.

The call log is statistics, not a promise to the caller: with the database down (issue 21)
its writes are lost (logged) and the call goes on, so greetings, menus and information keep
being served and the operator choice still reaches the queue.  What the caller is told was
accepted (a reading, a callback) is committed by its own store first, and fails the call
(to the dialplan's fallback, the operator queue) when it cannot be.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from hotline.contact_center.slots import Slot
from hotline.core.clock import utc_now
from hotline.dialplan.names import IVR_ARGUMENTS, ChannelVar, IvrStatus
from hotline.dialplan.node_legs import ORIGIN_VAR, origin_uniqueid
from hotline.protocol.agi import AgiError, AgiHangup, AgiTimeout
from hotline.speech import audio
from hotline.speech.audio import AudioError
from hotline.speech.library import PromptLibrary, Sound
from hotline.speech.russian import Phrase
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.db import STORE_ERRORS
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.transport.agi_hand_back import Reply, ran
from hotline.transport.fastagi import AgiCall

log = logging.getLogger(__name__)
# A call-log write that fails for these is lost, not the call.
_LOG_LOST = (*STORE_ERRORS, UnknownCall)


PLAYBACK_APP: Final = "Playback"
# Playback(file1&file2,options): a file name with either would be read as two.
PLAYBACK_SEPARATORS: Final = frozenset("&,")


class PlayedAhead(NamedTuple):
    """Prompts sent ahead (:meth:`IvrCall.play_ahead`): each id with its sound, and when."""

    prompts: tuple[tuple[str, Sound], ...]
    sent_at: float  # the loop's clock
    sent_wall: datetime


class ChannelFacts(NamedTuple):
    simulated: bool
    dialled: str | None  # the number the caller dialled; None for a simulated call
    draft: str | None  # a simulated call's menu draft (the editor's sha256), if it asks


def channel_facts(arguments: tuple[str, ...]) -> ChannelFacts | None:
    """The channel's facts from the AGI arguments the inbound dialplan passes
    (:data:`IVR_ARGUMENTS`), so the greeting waits for no round trip; None when the arguments
    are not those (an older dialplan, a dialled number with a comma): they are read from the
    channel then."""
    if len(arguments) != len(IVR_ARGUMENTS):
        return None
    values = dict(zip(IVR_ARGUMENTS, arguments, strict=True))
    simulated = values[ChannelVar.SIMULATED] == "1"
    return ChannelFacts(
        simulated,
        None if simulated else values[ChannelVar.DNID] or None,
        values[ChannelVar.MENU_DRAFT] or None if simulated else None,
    )


def _sound_duration(sound_path: str) -> float:
    try:
        return audio.duration(sound_path)
    except AudioError:
        return 0.0  # Asterisk will say the file is missing; the call goes on


class IvrCall:
    def __init__(
        self, agi: AgiCall, call_log: CallLog, prompts: PromptLibrary, callbacks: CallbackStore
    ) -> None:
        self.agi = agi
        self._log = call_log
        self._prompts = prompts
        self._callbacks = callbacks
        self.uniqueid = agi.env.uniqueid
        self.path: list[str] = []
        self.call_id = ""
        # The call row's write, started by start_open() (None: not started, or awaited).
        self._row: asyncio.Future[Any] | None = None
        # The last write the caller did not wait for (see defer()); each awaits the one before.
        self._deferred: asyncio.Future[None] | None = None
        # Seconds the operator queue should answer within (40, or 180 in emergency mode).
        self.answer_target: int | None = None
        # The account the caller was identified as (kept for the rest of the call).
        self.account: str | None = None
        # How it was identified ("caller_id", "caller_id_choice", "typed").
        self.identified_by: str | None = None
        # The caller proved the factor accounts.money_disclosure asks for (this call only).
        self.money_verified = False
        # The caller heard a current outage at their address (said once per call, R-097).
        self.outage_heard = False
        # Placed by the call simulator (known once open() has run).
        self.simulated = False
        # What the dialplan passed with the AGI request (None: read from the channel).
        self.facts: ChannelFacts | None = None

    async def open(self) -> None:
        await self.start_open()
        await self.opened()

    async def follow_leg(self) -> None:
        """On a queue node, an operator leg from another node (issue 20) is the caller's
        call there: its row, events and queue events are under the caller's uniqueid, which
        the leg carries (one round trip; only the routes the operator context runs)."""
        origin = origin_uniqueid(await self.agi.get_variable(ORIGIN_VAR))
        if origin is not None:
            self.uniqueid = origin

    async def start_open(self) -> None:
        """Read the channel's facts and start writing the call's row; the caller does not
        wait for the store (a slow or locked database must not mean silence after answer:
        found by the soak, issue 21).  ``opened()`` waits for the row."""
        env = self.agi.env
        self.facts = channel_facts(env.arguments)
        if self.facts is None:  # a dialplan that does not pass them: round trips
            simulated = (await self.agi.get_variable(ChannelVar.SIMULATED)) == "1"
            dialled = None if simulated else await self.agi.get_variable(ChannelVar.DNID)
        else:
            simulated, dialled = self.facts.simulated, self.facts.dialled
        self.simulated = simulated
        self._row = asyncio.ensure_future(
            self._logged(
                "the call's row",
                self._log.open(
                    uniqueid=self.uniqueid,
                    direction=CallDirection.INBOUND,
                    channel=env.channel or None,
                    caller=env.callerid,
                    callee=dialled,
                    simulated=simulated,
                ),
            )
        )

    async def opened(self, *, tell_channel: bool = True) -> None:
        """The call's row is written (or the store was out): its id goes to the dialplan
        (``tell_channel=False``: the caller sets it with other variables, one round trip)."""
        if self._row is None:
            return
        # Shielded: a waiter cancelled (the caller left, the engine stops) never cancels the
        # write itself, which settle() still waits for.
        call_id = await asyncio.shield(self._row)
        self._row = None
        self.call_id = call_id or ""
        if tell_channel:
            await self.agi.set_variable(ChannelVar.CALL_ID, self.call_id)

    async def settle(self) -> None:
        """The row's write and the deferred ones finish even when the caller left first."""
        if self._row is not None:
            await self._row
            self._row = None
        await self.deferred()

    def defer(self, what: str, write: Callable[[], Awaitable[Any]]) -> None:
        """A write the caller does not wait for (an index row): it runs after the writes
        deferred before it, in that order, and is done before the call goes back to the
        dialplan or its session ends (``deferred()``, ``settle()``).  Lost (logged) like any
        call-log write when the store is out."""
        before = self._deferred

        async def in_order() -> None:
            if before is not None:
                await before
            await self._logged(what, write())

        self._deferred = asyncio.ensure_future(in_order())

    async def deferred(self) -> None:
        """Every deferred write done."""
        if self._deferred is not None:
            await self._deferred
            self._deferred = None

    async def enter(self, node: str) -> None:
        self.path.append(node)
        await self._log.note(self.uniqueid, EventKind.NODE, node)

    async def play(self, prompt_id: str, escape_digits: str = "") -> str | None:
        """Play a catalogue prompt; returns the digit that interrupted it, if any."""
        return await self._stream(prompt_id, self._prompts.sound(prompt_id), escape_digits)

    def play_ahead(self, prompt_ids: Sequence[str]) -> PlayedAhead:
        """Catalogue prompts nothing interrupts (the greeting, the recording notice), played
        one after the other by one Playback while the engine goes on: what it sends next runs
        as soon as they end, without a turn of its loop (``AgiCall.send_ahead``; issue 19).
        One command: Asterisk reads the AGI socket through a stdio buffer, so a second line
        that came with the first would wait there until more bytes (or the end) arrive.
        Their end is :meth:`played_ahead`, or the hand-back's replies (:meth:`log_ahead`)."""
        sounds = tuple((prompt_id, self._prompts.sound(prompt_id)) for prompt_id in prompt_ids)
        files = [sound.path_without_extension for _, sound in sounds]
        if any(PLAYBACK_SEPARATORS & set(file) for file in files):
            raise ValueError(f"a prompt's file name has a Playback separator: {files}")
        wait = sum(sound.duration for _, sound in sounds)
        self.agi.send_ahead([(PLAYBACK_APP, "&".join(files))], wait)
        return PlayedAhead(sounds, asyncio.get_running_loop().time(), utc_now())

    async def played_ahead(self, ahead: PlayedAhead) -> datetime:
        """Once the prompts sent ahead have played: each logged; when the last one ended.
        AgiHangup when the caller left meanwhile."""
        replies = await self.agi.ahead_replies()
        ended = await self.log_ahead(ahead, replies)
        if self.agi.hung_up:
            raise AgiHangup("the caller hung up during the prompts played ahead")
        if ended is None:  # no reply in time, or Playback failed
            raise AgiTimeout(f"the prompts played ahead did not end ({len(replies)} replies)")
        return ended

    async def log_ahead(self, ahead: PlayedAhead, replies: Sequence[Reply]) -> datetime | None:
        """Each prompt sent ahead logged as :meth:`play` logs one, from the Playback's reply
        (the first of ``replies``): whole when it ran to its end, else cut where the time
        from the start to the reply falls.  The moment the last one ended when it ran."""
        reply = replies[0] if replies else None
        whole = reply is not None and ran(reply)
        elapsed = 0.0 if reply is None else max(reply.at - ahead.sent_at, 0.0)
        start = 0.0
        for prompt_id, sound in ahead.prompts:
            played = sound.duration if whole else min(max(elapsed - start, 0.0), sound.duration)
            detail = {
                "file": sound.path_without_extension,
                "duration": sound.duration,
                "played": round(played, 3),
            }
            at = ahead.sent_wall + timedelta(seconds=start)
            await self._log.note(self.uniqueid, EventKind.PROMPT, prompt_id, detail, at=at)
            start += sound.duration
        return ahead.sent_wall + timedelta(seconds=elapsed) if whole else None

    async def play_text(self, prompt_id: str, text: str, escape_digits: str = "") -> str | None:
        """Play a menu's own prompt: ``text`` synthesised whole (rendered when the menu was
        loaded, so this is a cache hit)."""
        return await self._stream(prompt_id, await self._prompts.speak(text), escape_digits)

    async def say(self, phrase: Phrase, escape_digits: str = "") -> str | None:
        """Say personal data (an amount, a date, a reading) composed from readout fragments."""
        sound = await self._prompts.phrase(phrase)
        return await self._stream(phrase.text, sound, escape_digits)

    async def play_sound(self, label: str, sound_path: str, escape_digits: str = "") -> str | None:
        """Play a sound rendered elsewhere (an emergency message typed by a supervisor)."""
        duration = await asyncio.to_thread(_sound_duration, sound_path)
        return await self._stream(label, Sound(sound_path, duration), escape_digits)

    async def event(
        self, kind: EventKind, value: str, detail: dict[str, Any] | None = None
    ) -> None:
        """A call event stored at once (not batched): what a report counts."""
        await self._logged(kind, self._log.record(self.uniqueid, kind, value, detail))

    async def wait_digit(self, seconds: float) -> str | None:
        """The next key within ``seconds``; None when the caller stays silent."""
        digit = await self.agi.wait_for_digit(seconds)
        await self._log.note(
            self.uniqueid, EventKind.DIGITS, digit or "", {"timed_out": digit is None}
        )
        return digit

    async def request_callback(
        self, number: str, source: str | None = None, slot: Slot | None = None
    ) -> int:
        """Store a callback request with its agreed window (before the caller hears it was
        accepted); returns its id.  ``source``: "queue" (instead of waiting), else "closed" or
        "menu" by the path."""
        if source is None:
            source = "closed" if "closed" in self.path else "menu"
        await self._log.flush(self.uniqueid)  # the account event may still be queued
        record = await self._log.get(uniqueid=self.uniqueid)
        accounts = (
            [e.value for e in record.events if e.kind == EventKind.ACCOUNT] if record else []
        )
        callback = await self._callbacks.request(
            number,
            source=source,
            uniqueid=self.uniqueid,
            account=accounts[-1] if accounts else None,
            due_at=slot.start if slot else None,
            due_until=slot.end if slot else None,
        )
        await self._log.record(self.uniqueid, EventKind.CALLBACK, number, {"id": callback.id})
        return callback.id

    async def seconds(self, *parts: str | Phrase) -> float:
        """Seconds of speech of catalogue prompts and composed phrases played one after another
        (what the menu standard limits per level, R-018)."""
        total = 0.0
        for part in parts:
            if isinstance(part, Phrase):
                total += (await self._prompts.phrase(part)).duration
            else:
                total += self._prompts.sound(part).duration
        return total

    async def _stream(self, what: str, sound: Sound, escape_digits: str) -> str | None:
        detail: dict[str, Any] = {"file": sound.path_without_extension, "duration": sound.duration}
        # Logged after playing, so the entry says how much Asterisk actually played.
        try:
            result = await self.agi.stream_file(sound.path_without_extension, escape_digits)
        except AgiError:
            await self._log.note(self.uniqueid, EventKind.PROMPT, what, detail)
            raise
        detail["played"] = round(result.seconds, 3)
        await self._log.note(self.uniqueid, EventKind.PROMPT, what, detail)
        if result.digit:
            await self._log.note(self.uniqueid, EventKind.DIGITS, result.digit, {"barge_in": True})
        return result.digit

    async def ask(
        self, prompt_id: str, wait_seconds: float, max_digits: int, *, secret: bool = False
    ) -> str:
        """Play a prompt and collect up to ``max_digits`` digits; '' when the caller was silent.

        GET DATA ends input at ``#`` without returning it; a lone ``#`` comes back as "#".
        ``secret`` digits (a PIN, account digits given as proof) are logged as ``*``.
        """
        sound = self._prompts.sound(prompt_id)
        await self._log.note(
            self.uniqueid,
            EventKind.PROMPT,
            prompt_id,
            {"file": sound.path_without_extension, "duration": sound.duration},
        )
        result = await self.agi.get_data(sound.path_without_extension, wait_seconds, max_digits)
        digits = result.digits if result.digits or result.timed_out else "#"
        logged = "*" * len(digits) if secret and digits != "#" else digits
        await self._log.note(
            self.uniqueid, EventKind.DIGITS, logged, {"timed_out": result.timed_out}
        )
        return digits

    async def identified(self, account: str, how: str) -> None:
        """The caller is identified: logged and handed to the dialplan for the operator's
        screen pop (call event ``account``, HOTLINE_ACCOUNT)."""
        self.account = account
        self.identified_by = how
        self.money_verified = False
        await self._logged(
            EventKind.ACCOUNT,
            self._log.record(self.uniqueid, EventKind.ACCOUNT, account, {"by": how}),
        )
        await self.agi.set_variable(ChannelVar.ACCOUNT, account)

    async def reading_committed(self, label: str, detail: dict[str, Any]) -> None:
        """A reading was committed: call event ``reading`` and HOTLINE_READING, both
        ``<meter_id>/<zone>=<value>``."""
        await self._logged(
            EventKind.READING,
            self._log.record(self.uniqueid, EventKind.READING, label, detail),
        )
        await self.agi.set_variable(ChannelVar.READING, label)

    async def to_operator(self, reason: str, department: str | None = None) -> None:
        """Hand the call to the dialplan's operator queue, or to ``department``'s (R-097)."""
        await self.enter("operator")
        if department is not None:
            await self.agi.set_variable(ChannelVar.DEPARTMENT, department)
        if self.answer_target is not None:
            await self._logged(
                EventKind.ANSWER_TARGET,
                self._log.record(self.uniqueid, EventKind.ANSWER_TARGET, str(self.answer_target)),
            )
            await self.agi.set_variable(ChannelVar.ANSWER_TARGET, str(self.answer_target))
        await self._logged(
            "the outcome",
            self._log.set_outcome(self.uniqueid, CallOutcome.OPERATOR, operator_reason=reason),
        )
        await self._return_to_dialplan(IvrStatus.OPERATOR, reason)

    async def finish(self) -> None:
        await self._logged(
            "the outcome", self._log.set_outcome(self.uniqueid, CallOutcome.COMPLETED)
        )
        await self._return_to_dialplan(IvrStatus.DONE)

    async def _return_to_dialplan(self, status: IvrStatus, reason: str | None = None) -> None:
        # The call's path is complete in the log before the dialplan (and the queue) has it.
        await self.deferred()
        await self._logged("queued events", self._log.flush(self.uniqueid))
        await self.agi.set_variable(ChannelVar.PATH, ">".join(self.path))
        if reason is not None:
            await self.agi.set_variable(ChannelVar.OPERATOR_REASON, reason)
        await self.agi.set_variable(ChannelVar.STATUS, status)

    async def _logged(self, what: str, write: Awaitable[Any]) -> Any:
        """``write``'s result, or None (logged) when the store is out: the call goes on."""
        try:
            return await write
        except _LOG_LOST as exc:
            log.warning(
                "call log: %s not written (%s: %s); the call goes on",
                what,
                type(exc).__name__,
                str(exc).splitlines()[0][:120] if str(exc) else "",
            )
            return None
