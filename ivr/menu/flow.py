"""Walks a caller through a validated menu (FastAGI route ``ivr``).

Start of every call: the greeting for the time of day, the recording notice before any other
content, the emergency announcement when one is active (none of them skippable), then the
main menu.  On every level:
``*`` back one level, ``#`` the main menu, ``0`` the operator, ``9`` the level again (keys are
settings); a first-time caller hears the navigation hint once, after the first level's options;
keys pressed while a prompt plays are taken at once (barge-in, type-ahead); an invalid key gets
a short notice and the level again, and ``max_rounds`` of them in a row reach an operator.  A
silent round is counted apart (R-021): after the first one the caller hears that staying on the
line is enough, and after ``silent_rounds`` the call goes to an operator, so callers whose phone
cannot send tones reach a person.  Outside operator hours the operator choice says the hours
and offers a callback request; a silent caller who stays silent gets one for their number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from hotline.calls.menu_events import HUNG_UP
from hotline.contact_center.departments import department
from hotline.contact_center.emergency import Emergency, answer_target
from hotline.contact_center.hours import OperatorHours
from hotline.contact_center.outages import CallerOutage
from hotline.contact_center.recording_start import start_recording
from hotline.core.clock import Clock, utc_now
from hotline.core.keys import CALLBACK_KEY
from hotline.dialplan.names import (
    IVR_NODE_OPERATOR,
    IVR_NODE_SILENT,
    ChannelVar,
    NoticeBy,
    OperatorReason,
)
from hotline.protocol.agi import AgiHangup
from hotline.settings import Settings
from hotline.speech import russian
from hotline.speech.library import PromptLibrary
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.db import STORE_ERRORS
from hotline.store.enums import CallOutcome, EventKind
from hotline.store.recordings import Recordings
from hotline.transport.fastagi import AgiCall
from ivr import dialog, outage_notice, prompts
from ivr.call import IvrCall
from ivr.dialog import Next
from ivr.greeting import greeting_prompt
from ivr.hours_said import SlotOffer, callback_phrase, hours_phrase, slot_offer
from ivr.menu import handover
from ivr.menu.handover import Levels
from ivr.menu.model import Action, After, Menu, MenuNode, NodeKind
from ivr.menu.walk import (
    Leave,
    Walk,
    opened_and_prepared,
    opening_logged,
    play_node,
    recording_waits,
)
from ivr.self_service import SelfService
from ivr.voicemail import Voicemail

log = logging.getLogger(__name__)


HoursSource = Callable[[], Awaitable[OperatorHours]]
# The menu editor's draft by its content's sha256, checked; None when it is not the draft.
DraftSource = Callable[[str], Awaitable[Menu | None]]
EmergencySource = Callable[[], Awaitable[Emergency]]


class MenuFlow:
    """Route handler: one instance serves every call on one menu version."""

    def __init__(
        self,
        menu: Menu,
        settings: Settings,
        call_log: CallLog,
        library: PromptLibrary,
        hours: HoursSource,
        emergency: EmergencySource,
        self_service: SelfService | None = None,
        *,
        recordings: Recordings,
        callbacks: CallbackStore,
        outages: outage_notice.OutageSource | None = None,
        voicemail: Voicemail | None = None,
        drafts: DraftSource | None = None,
        clock: Clock = utc_now,
        levels: Levels | None = None,
    ) -> None:
        self.menu = menu
        self.version: int | None = None
        self._settings = settings
        self._ivr = settings.ivr
        self._log = call_log
        self._library = library
        self._hours = hours
        self._emergency = emergency
        self._self_service = self_service
        self._recordings = recordings
        self._callbacks = callbacks
        self._outages = outages
        self._voicemail = voicemail
        self._drafts = drafts
        self._clock = clock
        self.levels = levels  # the menu's levels in dialplan (ivr.levels), else None
        self._zone = ZoneInfo(settings.hours.timezone)
        ivr = settings.ivr
        self._nav = ivr.back_key + ivr.main_key + ivr.operator_key + ivr.repeat_key

    def use(self, menu: Menu, version: int | None) -> None:
        """Serve ``menu`` (published ``version``; None = the menu file) to new calls; calls in
        progress finish on the menu they started with."""
        self.menu = menu
        self.version = version
        if self.levels is not None:
            self.levels.serve(menu)  # handed to the dialplan once installed

    async def __call__(self, agi: AgiCall) -> None:
        # Captured once: a menu swapped in by use() meanwhile does not reach this call.
        menu, version = self.menu, self.version
        call = IvrCall(agi, self._log, self._library, self._callbacks)
        await call.start_open()  # the row is written while the greeting plays
        await self._guarded(call, self._begin(call, menu, version))

    async def _begin(self, call: IvrCall, menu: Menu, version: int | None) -> None:
        label = _version_label(version)
        draft = await self._draft(call)
        if draft is not None:
            menu, label = draft
        await self._log.note(call.uniqueid, EventKind.MENU_VERSION, label)
        await self._run(call, menu)

    async def resume(self, agi: AgiCall) -> None:
        """Route ``ivr-node``: the levels in dialplan hand the call back at an action node,
        the operator choice, rounds run out, or (their contexts missing) for the walk."""
        assert self.levels is not None
        call = IvrCall(agi, self._log, self._library, self._callbacks)
        await self._guarded(call, self._resume(call, self.levels))

    async def _resume(self, call: IvrCall, levels: Levels) -> None:
        back = await handover.resumed(call, levels, self.menu)
        walk = Walk(call, back.first_time, list(back.menu.path(back.node)), back.menu)
        walk.hinted, walk.emergency, walk.tag = back.hinted, back.emergency, back.tag
        if back.what in handover.TO_OPERATOR:
            silent, menu_key = back.what == IVR_NODE_SILENT, back.what == IVR_NODE_OPERATOR
            reason = OperatorReason.MENU if menu_key else OperatorReason.NO_INPUT
            await self._operator(walk, reason, silent=silent)
        await self._walk(walk)

    async def _guarded(self, call: IvrCall, walk: Awaitable[None]) -> None:
        try:
            await walk
        except Leave:
            return
        except AgiHangup:
            await call.settle()
            with contextlib.suppress(*STORE_ERRORS, UnknownCall):  # statistics only
                await self._log.record_outcome(
                    call.uniqueid, EventKind.STATUS, HUNG_UP, CallOutcome.ABANDONED
                )
        finally:
            await call.settle()

    async def _draft(self, call: IvrCall) -> tuple[Menu, str] | None:
        """The menu editor's draft, for a simulated call that asks for it (issue 23)."""
        if self._drafts is None or not call.simulated:
            return None
        if call.facts is not None:
            sha = call.facts.draft
        else:
            sha = await call.agi.get_variable(ChannelVar.MENU_DRAFT)
        if not sha:
            return None
        menu = await self._drafts(sha)
        if menu is None:
            log.warning("menu draft %s asked for but not available: the live menu plays", sha)
            return None
        return menu, f"{DRAFT_LABEL}{sha[:12]}"

    # --- start of the call ---------------------------------------------------------------------
    async def _run(self, call: IvrCall, menu: Menu) -> None:
        # Drafts are never rendered: their walk stays in the engine (no tag).
        tag = self.levels.tag_of(menu) if self.levels is not None else None
        caller = call.agi.env.callerid
        # Nothing the caller hears first waits for the store: what the greeting and the
        # recording notice do not need is read while they play (issue 21: a locked database
        # meant seconds of silence after answer).
        first_time = asyncio.ensure_future(self._first_time(caller, call.uniqueid))
        emergency_state = asyncio.ensure_future(self._emergency())
        outage = (
            None if self._outages is None else asyncio.ensure_future(self._caller_outage(caller))
        )
        # The call's row, then the recording's folder and the free space, made ready while
        # the greeting plays too (issue 19 item 1: a burst of callers reaches the end of the
        # notice together, and every hop left there is their silence before the menu).
        recording = asyncio.ensure_future(opened_and_prepared(call, self._settings))
        try:
            # The greeting names the company and the recording notice comes before
            # any other content: neither can be skipped; barge-in starts at the first
            # menu.  Both are sent at once: what follows the notice runs when it ends.
            await call.enter("greeting")
            opening = call.play_ahead((self._greeting(), prompts.RECORDING_NOTICE))
            prepared = await recording
            walk = Walk(call, await first_time, [menu.start], menu, tag=tag)
            emergency = await emergency_state
            found = None if outage is None else await outage
            walk.emergency = emergency.active
            # Between the notice and the menu: MixMonitor, then the call id, the notice mark
            # and the file.  When the call goes straight to the levels they go with the
            # hand-over, written while the notice still plays (issue 19: the store's latency
            # and each turn of the engine under a burst of callers were the callers' silence
            # here); otherwise once it ended.
            channel: dict[str, str] = {
                ChannelVar.CALL_ID: call.call_id,
                ChannelVar.RECORDING_NOTICE: NoticeBy.IVR,
            }
            unprepared = prepared is None and self._settings.recording.enabled
            now = emergency.active or found is not None or unprepared
            if now or walk.levels_tag() is None:  # the engine goes on once the notice ended
                noticed = await call.played_ahead(opening)
                await self._log.note(
                    call.uniqueid, EventKind.RECORDING_NOTICE, NoticeBy.IVR, at=noticed
                )
            if now:
                await start_recording(
                    call.agi,
                    self._settings,
                    self._recordings,
                    call_id=call.call_id,
                    defer=call.defer,
                    channel=channel,
                    prepared=prepared,
                )
            else:
                walk.waiting = recording_waits(
                    call, self._settings, self._recordings, prepared, channel
                )
                if walk.levels_tag() is not None:  # the hand-over follows the notice
                    walk.waiting.opening = opening_logged(call, self._log, opening)
            if emergency.active:
                await call.enter("emergency")
                await self._play_emergency(call, emergency)
            call.answer_target = answer_target(emergency, self._settings.queue)
        finally:
            for pending in (first_time, emergency_state, outage, recording):
                if pending is not None:
                    pending.cancel()
        if found is not None:
            await self._announce_outage(walk, found)
        await self._walk(walk)

    async def _walk(self, walk: Walk) -> None:
        while True:
            tag = walk.levels_tag()
            if tag is not None:
                assert self.levels is not None
                await handover.hand_over(walk.call, self.levels, tag, walk.stack[-1], walk)
                raise Leave
            await walk.run_waiting()
            await self._step(walk)

    async def _first_time(self, caller: str | None, uniqueid: str) -> bool:
        return caller is None or await self._calls_from(caller, uniqueid) == 0

    async def _calls_from(self, caller: str, uniqueid: str) -> int:
        """Whether this number called before (0 or 1: the count stops at the first); 0
        (detailed prompts) when the store is out."""
        try:
            return await self._log.calls_from(caller, excluding=uniqueid, up_to=1)
        except STORE_ERRORS as exc:
            log.warning("store unavailable (%s): detailed prompts", exc.__class__.__name__)
            return 0

    async def _caller_outage(self, caller: str | None) -> CallerOutage | None:
        """The outage at the caller's address; None (not said) when the store is out."""
        assert self._outages is not None
        try:
            return await self._outages(caller)
        except STORE_ERRORS as exc:
            log.warning("store unavailable (%s): no outage notice", exc.__class__.__name__)
            return None

    def _greeting(self) -> str:
        local = self._clock().astimezone(self._zone).time()
        return greeting_prompt(local, self._settings.greeting)

    async def _play_emergency(self, call: IvrCall, emergency: Emergency) -> None:
        if emergency.prompt_id:
            await call.play(emergency.prompt_id)
        elif emergency.sound:
            await call.play_sound("emergency", emergency.sound)

    async def _announce_outage(self, walk: Walk, found: CallerOutage) -> None:
        """R-097, R-032: the dispatcher key reaches the dispatcher, any other key the menu."""
        digit = await outage_notice.announce(walk.call, found, self._library, self._settings)
        if digit == self._settings.outages.dispatcher_key:
            await self._operator(walk, OperatorReason.OUTAGE, queue=self._settings.outages.queue)
        walk.pending = digit

    # --- one level -----------------------------------------------------------------------------
    async def _step(self, walk: Walk) -> None:
        node = walk.menu.node(walk.stack[-1])
        await walk.call.enter(node.id)
        if node.kind is NodeKind.MENU:
            await self._menu_level(walk, node)
        elif node.kind is NodeKind.INFO:
            await self._info(walk, node)
        else:
            await self._action(walk, node)

    async def _menu_level(self, walk: Walk, node: MenuNode) -> None:
        assert node.prompts is not None
        digit = walk.pending
        walk.pending = None
        if digit is None:
            prompt = node.prompts.detailed if walk.first_time else node.prompts.short
            # Every key interrupts: options and navigation act, others get the invalid notice.
            digit = await play_node(walk, prompt, dialog.ALL_KEYS)
            if digit is None and walk.first_time and not walk.hinted:
                # the navigation keys, once, on the first level reached.
                walk.hinted = True
                digit = await walk.call.play(prompts.NAV_HINT, escape_digits=dialog.ALL_KEYS)
        if digit is None:
            digit = await walk.call.wait_digit(self._ivr.input_timeout)
        if digit is None:
            await self._silent(walk)
            return
        walk.silent = 0
        if await self._navigate(walk, digit):
            return
        child = node.options.get(digit)
        if child is None:
            walk.pending = await walk.call.play(prompts.INVALID, escape_digits=dialog.ALL_KEYS)
            walk.invalid += 1
            if walk.invalid >= self._ivr.max_rounds:
                await self._operator(walk, OperatorReason.NO_INPUT)
            return
        walk.invalid = 0
        walk.stack.append(child)

    async def _navigate(self, walk: Walk, digit: str) -> bool:
        """The keys reserved on every level; True when ``digit`` was one of them."""
        if digit == self._ivr.operator_key:
            await self._operator(walk, OperatorReason.MENU)
        elif digit == self._ivr.back_key:
            if len(walk.stack) > 1:
                walk.stack.pop()
        elif digit == self._ivr.main_key:
            del walk.stack[1:]
        elif digit != self._ivr.repeat_key:  # repeat: the same node plays again
            return False
        walk.invalid = walk.silent = 0
        return True

    async def _silent(self, walk: Walk) -> None:
        """A round without a key (R-021): the stay-on-the-line notice after the first, the
        operator after ``silent_rounds``."""
        walk.silent += 1
        if walk.silent >= self._ivr.silent_rounds:
            await self._operator(walk, OperatorReason.NO_INPUT, silent=True)
        elif walk.silent == 1:
            walk.pending = await walk.call.play(prompts.NO_TONE, escape_digits=dialog.ALL_KEYS)

    async def _info(self, walk: Walk, node: MenuNode) -> None:
        assert node.prompts is not None
        prompt = node.prompts.detailed if walk.first_time else node.prompts.short
        digit = await play_node(walk, prompt, self._nav)
        if digit is not None and await self._navigate(walk, digit):
            return
        if node.then is After.HANGUP:
            await self._goodbye(walk)
        elif node.then is After.MAIN:
            del walk.stack[1:]
        else:
            walk.stack.pop()

    async def _action(self, walk: Walk, node: MenuNode) -> None:
        action = node.action
        if node.prompts is not None:
            prompt = node.prompts.detailed if walk.first_time else node.prompts.short
            await play_node(walk, prompt, "")
        if action is Action.OPERATOR:
            await self._operator(
                walk,
                node.reason or OperatorReason.MENU,
                announce=node.prompts is None,
                queue=node.queue,
            )
        elif action is Action.HANGUP:
            await self._goodbye(walk)
        elif action is Action.CALLBACK:
            await self._callback(walk)
            await self._goodbye(walk)
        elif action is Action.VOICEMAIL and self._voicemail is not None:
            await self._voicemail(walk.call)
            await self._goodbye(walk)
        elif self._self_service is None or action not in SelfService.ACTIONS:
            # No account store or register wired (a bare flow): an operator takes over.
            await walk.call.play(prompts.SERVICE_UNAVAILABLE)
            await self._operator(walk, str(action), announce=False)
        else:
            assert action is not None  # a validated action node names its action
            outcome = await self._self_service.run(walk.call, action)
            if outcome.next is Next.OPERATOR:
                reason = outcome.reason or OperatorReason.MENU
                await self._operator(walk, reason, announce=outcome.announce, queue=outcome.queue)
            elif outcome.next is Next.GOODBYE or node.then is After.HANGUP:
                await self._goodbye(walk)
            elif node.then is After.MAIN:
                del walk.stack[1:]
            else:
                walk.stack.pop()

    # --- leaving the menu ----------------------------------------------------------------------
    async def _operator(
        self,
        walk: Walk,
        reason: str,
        *,
        announce: bool = True,
        queue: str | None = None,
        silent: bool = False,
    ) -> None:
        """To the operators' queue, or to the department ``queue`` names (R-097), each open
        by its own hours."""
        dept = department(self._settings.queue, queue)
        hours = await self._hours()
        if dept.is_open(self._clock(), hours, self._zone):
            if announce:
                await walk.call.play(prompts.CONNECTING)
            other = dept.id != self._settings.queue.department
            if other:
                walk.call.answer_target = dept.answer_target_now(walk.emergency)
            await walk.call.to_operator(reason, dept.id if other else None)
            raise Leave
        await walk.call.enter("closed")
        # the hours in force today and the next working day, from the schedule, its
        # overrides and the calendar; the callback confirmation says when to expect the call.
        now = self._clock()
        expect = callback_phrase(hours, now)
        # the caller chooses when (windows inside operator hours, from the schedule).
        windows = slot_offer(hours, now, self._settings)
        # A caller who could not press a key is offered the callback by staying on the line.
        caller = walk.call.agi.env.callerid if silent else None
        offer = prompts.CALLBACK_OFFER_SILENT if caller else prompts.CALLBACK_OFFER
        # voicemail is offered after the callback (appeals.voicemail_key).
        voicemail_key = self._settings.appeals.voicemail_key if self._voicemail else None
        offers = (offer, prompts.VOICEMAIL_OFFER) if voicemail_key else (offer,)
        digit = await self._question(
            walk.call, prompts.OPERATOR_CLOSED, hours_phrase(hours, now), *offers
        )
        if digit == CALLBACK_KEY:
            await self._callback(walk, expect, windows)
        elif digit is not None and digit == voicemail_key and self._voicemail is not None:
            await self._voicemail(walk.call)
        elif digit is None and caller:
            # Stored for the earliest window, which the caller then hears.
            first = (windows.slots[0], windows.windows[0]) if windows.slots else None
            await walk.call.enter("callback")
            # source: closed, by the path
            await walk.call.request_callback(caller, slot=first[0] if first else None)
            await dialog.callback_taken(walk.call, expect, first[1] if first else None)
        await self._goodbye(walk)

    async def _callback(
        self, walk: Walk, expect: russian.Phrase | None = None, offer: SlotOffer | None = None
    ) -> None:
        if offer is None:  # the menu's callback action: windows from the hours now
            offer = slot_offer(await self._hours(), self._clock(), self._settings)
        await dialog.take_callback(
            walk.call, self._ivr.input_timeout, self._ivr.max_rounds, expect=expect, offer=offer
        )

    async def _question(self, call: IvrCall, *parts: str | russian.Phrase) -> str | None:
        return await dialog.question(call, self._ivr.input_timeout, *parts)

    async def _goodbye(self, walk: Walk) -> None:
        await walk.call.enter("goodbye")
        await walk.call.play(prompts.GOODBYE)
        await walk.call.finish()
        raise Leave


DRAFT_LABEL = "draft "


def _version_label(version: int | None) -> str:
    """The call log's ``menu_version`` value: the version number, or ``file``."""
    return "file" if version is None else str(version)
