"""The menu's levels in dialplan, the engine's side (``ivr.levels = "dialplan"``; issue 19).

:class:`Levels` renders the menu versions the engine serves (:mod:`ivr.menu.levels`) into
:data:`MENU_CONF` in Asterisk's config folder and reloads the dialplan (AMI ``Reload`` of
pbx_config: the engine's AMI user has ``config`` for it), at startup and whenever a new version
is served (publish, menu reload).  A version is handed to the dialplan only once a reload with
its contexts succeeded in this process; the dialplan also checks that the context exists
(``DIALPLAN_EXISTS`` in ``[hotline-ivr-node]``), else the engine walks the menu itself: a
missing or stale file (Asterisk restarted, the reload failed) never means dead air.

What the engine keeps per call in memory crosses the hand-overs in channel variables:
:class:`CallState` (``HOTLINE_IVR_STATE``: the version, emergency mode, the answer target, how
the caller was identified and whether they proved the money factor, the outage said) and the
dialplan's own (first-time, hint played, the nodes walked).  The caller cannot set channel
variables; the identity and ``money_verified`` are bound to the call, the account and this
engine process by an HMAC (:class:`Proofs`) all the same, so a forged or stale state only
means the caller is asked again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from hotline.calls.menu_events import MENU_EVENTS, MenuEvents
from hotline.contact_center.recording_start import discard_header_only
from hotline.dialplan.asterisk_config import write_configs
from hotline.dialplan.names import (
    IVR_NODE_ACTION,
    IVR_NODE_ARGUMENTS,
    IVR_NODE_NO_INPUT,
    IVR_NODE_OPERATOR,
    IVR_NODE_SILENT,
    IVR_NODE_WALK,
    MENU_CONF,
    ChannelVar,
    IvrStatus,
)
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.calllog import CallLog
from hotline.transport.agi_hand_back import Reply, ran
from hotline.transport.ami import AmiClient, AmiError
from ivr.call import IvrCall
from ivr.menu.levels import (
    UnsafeValue,
    context_of,
    render_file,
    render_version,
    version_tag,
    walked_nodes,
    walked_value,
)
from ivr.menu.model import Menu
from ivr.menu.walk import Waiting

log = logging.getLogger(__name__)

# Versions kept in the file: the one served and those calls in progress may still be on.
KEPT_VERSIONS: Final = 8
_STATE_FIELDS: Final = 8
_TOKEN: Final = re.compile(r"[A-Za-z0-9_]+")

# AMI: reload the dialplan (pbx_config) after the file changed; True when it was reloaded.
Reloader = Callable[[], Awaitable[bool]]


class Proofs:
    """HMACs over a call's identity with a secret of this engine process."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def proof(self, uniqueid: str, account: str, identified_by: str, verified: bool) -> str:
        message = f"{uniqueid}\0{account}\0{identified_by}\0{int(verified)}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def check(
        self, proof: str, uniqueid: str, account: str, identified_by: str, verified: bool
    ) -> bool:
        return hmac.compare_digest(proof, self.proof(uniqueid, account, identified_by, verified))


@dataclass(frozen=True)
class CallState:
    """What only the engine sets and reads back (``HOTLINE_IVR_STATE``): plain tokens joined
    by ":" (one MSet, no personal data: the account stays in ``HOTLINE_ACCOUNT``)."""

    tag: str
    emergency: bool = False
    answer_target: int | None = None
    identified_by: str | None = None
    money_verified: bool = False
    proof: str | None = None
    outage_heard: bool = False
    simulated: bool = False

    def encode(self) -> str:
        fields = [
            self.tag,
            _flag(self.emergency),
            "-" if self.answer_target is None else str(self.answer_target),
            self.identified_by or "-",
            _flag(self.money_verified),
            self.proof or "-",
            _flag(self.outage_heard),
            _flag(self.simulated),
        ]
        for value in fields:
            if value != "-" and not _TOKEN.fullmatch(value):
                raise UnsafeValue(f"call state value {value!r}")
        return ":".join(fields)

    @classmethod
    def decode(cls, text: str) -> CallState:
        """ValueError when ``text`` is not a state this module wrote."""
        fields = text.split(":")
        if len(fields) != _STATE_FIELDS or not all(
            f == "-" or _TOKEN.fullmatch(f) for f in fields
        ):
            raise ValueError("not a call state")
        tag, emergency, target, by, verified, proof, heard, simulated = fields
        return cls(
            tag,
            emergency == "1",
            None if target == "-" else int(target),
            None if by == "-" else by,
            verified == "1",
            None if proof == "-" else proof,
            heard == "1",
            simulated == "1",
        )


def _flag(value: bool) -> str:
    return "1" if value else "0"


class Levels:
    """The rendered versions: which menu is handed to the dialplan under which tag."""

    def __init__(
        self,
        settings: Settings,
        library: PromptLibrary,
        reload: Reloader,
        folder: Path,
        owner: tuple[int, int] | None = None,
    ) -> None:
        self._settings = settings
        self._library = library
        self._reload = reload
        self._folder = folder
        self._owner = owner
        # tag -> (its menu, its contexts); None: a version an earlier engine process rendered
        # (adopted from the file at the first install: calls may still be on it).
        self._rendered: OrderedDict[str, tuple[Menu | None, str]] = OrderedDict()
        self._adopted = False
        self._installed: set[str] = set()  # tags a successful reload loaded
        self._tags: dict[int, str] = {}  # id(menu) -> tag
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._events: MenuEvents | None = None
        self.proofs = Proofs()

    @classmethod
    def over_ami(
        cls,
        settings: Settings,
        library: PromptLibrary,
        ami: AmiClient,
        call_log: CallLog,
        folder: Path,
        owner: tuple[int, int] | None = None,
    ) -> Levels:
        """Levels whose dialplan reload is AMI ``Reload`` of pbx_config, and whose events
        the call log gets (:class:`MenuEvents`, a task the levels own)."""

        async def reload() -> bool:
            try:
                await ami.action({"Action": "Reload", "Module": "pbx_config.so"})
            except AmiError as exc:
                log.info("dialplan reload for the menu's levels: %s", exc)
                return False
            return True

        levels = cls(settings, library, reload, folder, owner)
        levels._events = MenuEvents(ami.subscribe(MENU_EVENTS), call_log)
        return levels

    def tag_of(self, menu: Menu) -> str | None:
        """The tag ``menu`` is handed over under; None: not installed (the engine walks)."""
        tag = self._tags.get(id(menu))
        if tag is None or tag not in self._installed:
            return None
        return tag

    def menu_of(self, tag: str) -> Menu | None:
        found = self._rendered.get(tag)
        return found[0] if found is not None else None

    def serve(self, menu: Menu) -> None:
        """Render and install ``menu`` in the background (a publish, a reload); calls keep
        being walked by the engine until it is installed."""
        previous = self._task

        async def install() -> None:
            if previous is not None:
                with contextlib.suppress(Exception):
                    await previous
            await self.install(menu)

        self._task = asyncio.ensure_future(install())

    async def install(self, menu: Menu, attempts: int = 20, delay: float = 1.0) -> bool:
        """Render ``menu`` beside the versions kept, write the file and reload the dialplan
        (retried while AMI is not there yet); True when its contexts were loaded."""
        async with self._lock:
            try:
                tag, text = await self._render(menu)
            except (UnsafeValue, OSError, ValueError, KeyError) as exc:
                log.error("menu levels not rendered (the engine walks the menu): %s", exc)
                return False
            if not self._adopted:
                self._adopted = True
                for old, contexts in await asyncio.to_thread(_versions_in, self._folder):
                    self._rendered.setdefault(old, (None, contexts))
            self._tags[id(menu)] = tag
            self._rendered[tag] = (menu, text)
            self._rendered.move_to_end(tag)
            while len(self._rendered) > KEPT_VERSIONS:
                old, _ = self._rendered.popitem(last=False)
                self._installed.discard(old)
                for key in [k for k, t in self._tags.items() if t == old]:
                    del self._tags[key]  # its menu may be gone: its id may come again
            file_text = render_file(text for _menu, text in self._rendered.values())
            try:
                await asyncio.to_thread(
                    write_configs, {MENU_CONF: file_text}, self._folder, owner=self._owner
                )
            except OSError as exc:
                log.error("menu levels not written to %s: %s", self._folder, exc)
                return False
            for _ in range(attempts):
                if await self._reload():
                    self._installed = set(self._rendered)
                    log.info("menu levels %s in dialplan (%d versions)", tag, len(self._rendered))
                    return True
                await asyncio.sleep(delay)
            log.error("menu levels %s written but the dialplan was not reloaded", tag)
            return False

    async def run(self) -> None:
        """The call log's events of the levels, until cancelled; then the install under way
        is cancelled too."""
        try:
            if self._events is not None:
                await self._events.run()
            else:
                await asyncio.Event().wait()
        finally:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task

    async def _render(self, menu: Menu) -> tuple[str, str]:
        sounds: dict[str, tuple[str, float]] = {}
        for prompt_id, text in menu.texts.items():
            own = await self._library.speak(text)
            sounds[prompt_id] = (own.path_without_extension, own.duration)

        def sound(prompt_id: str) -> tuple[str, float]:
            if prompt_id in sounds:
                return sounds[prompt_id]
            built = self._library.sound(prompt_id)
            return built.path_without_extension, built.duration

        tag = version_tag(menu, self._settings, sound)
        return tag, render_version(menu, self._settings, sound, tag)


_VERSION_LINE: Final = re.compile(r"^; menu version ([a-z0-9]+):")


def _versions_in(folder: Path) -> list[tuple[str, str]]:
    """The versions an earlier engine process wrote into the file (tag, contexts), so an
    engine restarted while calls are on its levels keeps their contexts in the dialplan
    (a reload that drops the context a channel is in ends that call).  Blocking."""
    try:
        text = (folder / MENU_CONF).read_text(encoding="utf-8")
    except OSError:
        return []
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        match = _VERSION_LINE.match(line)
        if match:
            found.append((match[1], [line]))
        elif found:
            found[-1][1].append(line)
    return [(tag, "\n".join(lines).rstrip("\n") + "\n") for tag, lines in found]


class WalkState(Protocol):
    """What the hand-over reads of the engine's walk (``ivr.menu.walk.Walk``)."""

    first_time: bool
    hinted: bool
    invalid: int
    silent: int
    emergency: bool
    waiting: Waiting  # what the call's start left: sent with the hand-over


async def hand_over(call: IvrCall, levels: Levels, tag: str, node: str, walk: WalkState) -> None:
    """Hand the call to ``node``'s context of version ``tag``: every variable the dialplan
    and a later resumption need, and the status, in one MSet after what the call's start left
    (MixMonitor), all sent at once (``AgiCall.hand_back``: no reply waited for); the inbound
    context (or ``[hotline-ivr-node]``) follows it.  The recording's index row is written
    once MixMonitor's reply says it ran."""
    proof = None
    if call.account is not None and call.identified_by is not None:
        proof = levels.proofs.proof(
            call.uniqueid, call.account, call.identified_by, call.money_verified
        )
    state = CallState(
        tag,
        walk.emergency,
        call.answer_target,
        call.identified_by if proof else None,
        call.money_verified,
        proof,
        call.outage_heard,
        call.simulated,
    )
    waiting = walk.waiting
    handed = call.agi.hand_back(
        {
            **waiting.variables,
            ChannelVar.MENU_CONTEXT: context_of(tag, node),
            ChannelVar.NODE: node,  # where the engine walks on if the context is missing
            # The level's counters and node included: whoever sends a call to a level appends it.
            ChannelVar.WALKED: walked_value(walk.invalid, walk.silent, [*call.path, node]),
            ChannelVar.FIRST_TIME: _flag(walk.first_time),
            ChannelVar.HINTED: _flag(walk.hinted),
            ChannelVar.KEY: "-",
            ChannelVar.IVR_STATE: state.encode(),
            ChannelVar.STATUS: IvrStatus.MENU,
        },
        before=waiting.applications,
    )
    replies = handed.replies()  # read from now: a reply's time is when its command ended
    if waiting.opening is not None:
        opening = waiting.opening
        call.defer("the greeting and the notice", lambda: _opening(opening, replies))
    if waiting.applications and waiting.started is not None:
        started, path = waiting.started, waiting.applications[0][1]

        async def indexed_once_running() -> None:
            ahead = handed.ahead
            monitor = (await replies)[ahead : ahead + 1]  # 511 or dead if the caller left
            if monitor and ran(monitor[0]):
                await started()
            elif monitor and monitor[0].dead:  # it wrote a header and nothing else
                await discard_header_only(Path(path))

        call.defer("the recording's index row", indexed_once_running)


async def _opening(
    logged: Callable[[Sequence[Reply]], Awaitable[None]], replies: Awaitable[list[Reply]]
) -> None:
    await logged(await replies)


@dataclass(frozen=True)
class Resumed:
    what: str  # IVR_NODE_ACTION, _OPERATOR, _NO_INPUT, _SILENT or _WALK
    node: str
    menu: Menu
    tag: str | None  # None: the engine walks on (IVR_NODE_WALK, or the version is gone)
    first_time: bool
    hinted: bool
    emergency: bool


TO_OPERATOR: Final = frozenset({IVR_NODE_OPERATOR, IVR_NODE_NO_INPUT, IVR_NODE_SILENT})
_WHAT: Final = frozenset({IVR_NODE_ACTION, IVR_NODE_WALK, *TO_OPERATOR})


async def resumed(call: IvrCall, levels: Levels, live: Menu) -> Resumed:
    """The call as the dialplan hands it back (the route's arguments: what, then
    :data:`IVR_NODE_ARGUMENTS`), its state restored on ``call``; ValueError when they are not
    what ``[hotline-ivr-node]`` passes (the dialplan then falls back to the queue)."""
    arguments = call.agi.env.arguments
    if len(arguments) != 1 + len(IVR_NODE_ARGUMENTS) or arguments[0] not in _WHAT:
        raise ValueError(f"ivr-node: unexpected arguments ({len(arguments)})")
    what, node, walked, first, hinted, call_id, encoded = arguments
    state = CallState.decode(encoded)
    menu = levels.menu_of(state.tag)
    tag: str | None = state.tag
    if menu is None or what == IVR_NODE_WALK:
        tag = None  # the version is no longer rendered (an engine restart): the engine walks
        menu = menu or live
    menu.path(node)  # UnknownNode (a ValueError's sibling: NotFound) when it is not there
    call.call_id = call_id
    call.path = walked_nodes(walked)
    if what == IVR_NODE_WALK and call.path[-1:] == [node]:
        call.path.pop()  # handed over, never entered: the engine's walk enters it
    call.simulated = state.simulated
    call.answer_target = state.answer_target
    call.outage_heard = state.outage_heard
    if state.identified_by is not None and state.proof is not None:
        account = await call.agi.get_variable(ChannelVar.ACCOUNT)
        if account and levels.proofs.check(
            state.proof, call.uniqueid, account, state.identified_by, state.money_verified
        ):
            call.account, call.identified_by = account, state.identified_by
            call.money_verified = state.money_verified
        else:
            log.warning("call %s: its identity did not check out: asked again", call.uniqueid)
    return Resumed(what, node, menu, tag, first == "1", hinted == "1", state.emergency)
