"""The menu's levels as dialplan (``ivr.levels = "dialplan"``; issue 19 item 1).

Rendered from the same :class:`ivr.menu.model.Menu` the engine walks, so the two cannot drift:
one context per node (:func:`context_of`), walked as ``ivr.menu.flow`` walks it.  A menu level
plays the short prompt, or the detailed one and the navigation hint once to a first-time
caller (``HOTLINE_FIRST_TIME``, ``HOTLINE_HINTED``); every key interrupts (``Background`` +
``WaitExten``); an option goes one level down; ``*`` back, ``#`` main, ``9`` the level again
(keys from the settings); an invalid key gets the invalid notice and the level again, and
``max_rounds`` of them in a row reach the operator (reason no_input); silent rounds are
counted apart (R-021): the stay-on-the-line notice after the first, the operator after
``silent_rounds``.  An information node plays its message (only the navigation keys cut it
short: ``Background``'s ``m`` option), then goes back, to the main menu, or says goodbye.

What needs the engine goes to ``[hotline-ivr-node]`` (extensions.conf), which enters the
FastAGI route ``ivr-node``: an action node (readings, balance, callback, voicemail, the
operator...), the operator key (operator hours and departments), invalid or silent rounds run
out.  The engine resumes its walk there (:mod:`ivr.menu.handover`) and hands the call back when
the walk returns to a level.

Every node entered, prompt started and key received is reported as a ``UserEvent``
(:data:`MENU_EVENT`), which the engine's AMI side writes into the call log as its own walk
would (:mod:`hotline.calls.menu_events`).

Every value written into the file is checked first (:func:`token`): node ids, prompt files,
durations and keys are plain tokens, so no menu text can break a line or start another
application.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Final

from hotline.dialplan.names import (
    CONTEXT_IVR_NODE,
    IVR_NODE_ACTION,
    IVR_NODE_NO_INPUT,
    IVR_NODE_OPERATOR,
    IVR_NODE_SILENT,
    MENU_AGAIN,
    MENU_CONF,
    MENU_CONTEXT_PREFIX,
    MENU_DURATION,
    MENU_EVENT,
    MENU_FILE,
    MENU_KEY,
    MENU_KIND,
    MENU_NODE,
    MENU_PROMPT,
    MENU_VALUE,
    MENU_WAITING,
    ChannelVar,
    MenuEventKind,
)
from hotline.settings import Settings
from ivr import prompts
from ivr.menu.model import After, Menu, MenuNode, NodeKind

# A prompt id -> the file Asterisk plays (without extension) and its seconds.
SoundOf = Callable[[str], tuple[str, float]]

# What may stand in a dialplan line as a value: no comma, parenthesis, bracket, semicolon,
# "$", quote, space or control character (CR, LF, NUL) can start anything else.
_TOKEN: Final = re.compile(r"[A-Za-z0-9_./+:-]+")
_TAG: Final = re.compile(r"[a-z0-9]{1,16}")
_KEY: Final = re.compile(r"[0-9*#]")
TAG_LENGTH: Final = 10


class UnsafeValue(ValueError):
    """A value cannot be written into dialplan as it is."""


def token(value: str, what: str) -> str:
    """``value`` when it is a plain token (letters, digits, ``_./+:-``); else UnsafeValue."""
    if not _TOKEN.fullmatch(value):
        raise UnsafeValue(f"{what} {value!r} cannot be written into dialplan")
    return value


def key(value: str, what: str) -> str:
    """``value`` when it is one DTMF key (an extension of its own); else UnsafeValue."""
    if not _KEY.fullmatch(value):
        raise UnsafeValue(f"{what} {value!r} is not one DTMF key")
    return value


def context_of(tag: str, node_id: str) -> str:
    """The context of ``node_id`` in the rendered version ``tag`` (dots read badly in the
    CLI: node ids have no "-", so the mapping stays one to one)."""
    if not _TAG.fullmatch(tag):
        raise UnsafeValue(f"version tag {tag!r}")
    return f"{MENU_CONTEXT_PREFIX}{tag}-{token(node_id, 'node id').replace('.', '-')}"


def _var(name: ChannelVar) -> str:
    return f"${{{name}}}"


# The parts of ChannelVar.LEVEL (1-based, as CUT counts them).
_INVALID, _SILENT, _WAITING, _AGAIN = 1, 2, 3, 4


def _part(index: int) -> str:
    """One of the level's counters, read (``${CUT(HOTLINE_LEVEL,:,n)}``)."""
    return f"${{CUT({ChannelVar.LEVEL},:,{index})}}"


def level(**parts: str) -> str:
    """``HOTLINE_LEVEL=...`` for an MSet or a Set: the parts named (``invalid``, ``silent``,
    ``waiting``, ``again``) set to their value, the others kept as they are."""
    names = ("invalid", "silent", "waiting", "again")
    unknown = parts.keys() - set(names)
    if unknown:
        raise ValueError(f"no such part of the level's counters: {sorted(unknown)}")
    values = [parts.get(name, _part(index)) for index, name in enumerate(names, start=1)]
    return f"{ChannelVar.LEVEL}={':'.join(values)}"


def _event(kind: MenuEventKind, value: str, *headers: tuple[str, str]) -> str:
    fields = [MENU_EVENT, f"{MENU_KIND}: {kind}", f"{MENU_VALUE}: {value}"]
    fields += [f"{name}: {text}" for name, text in headers]
    return f"UserEvent({','.join(fields)})"


class _Renderer:
    """Few steps per key (each is a Newexten event every AMI reader of the dialplan class
    parses): a key is one MSet and the Goto (it is reported with the next event); a level's
    entry is its event (the node, the key that led there, the prompt it starts) and the
    Background."""

    def __init__(self, menu: Menu, settings: Settings, sound: SoundOf, tag: str) -> None:
        self.menu = menu
        self.ivr = ivr = settings.ivr
        self.sound = sound
        self.tag = tag
        for nav in (ivr.back_key, ivr.main_key, ivr.operator_key, ivr.repeat_key):
            key(nav, "navigation key")

    def ctx(self, node_id: str) -> str:
        return context_of(self.tag, node_id)

    # --- pieces ----------------------------------------------------------------------------
    def file(self, prompt_id: str) -> tuple[str, str, str]:
        """(prompt id, file, duration) checked."""
        path, seconds = self.sound(prompt_id)
        return token(prompt_id, "prompt id"), token(path, "prompt file"), f"{seconds:.3f}"

    def play(self, prompt_id: str, app: str = "Background", options: str = "") -> list[str]:
        """The prompt's start reported, then played (its played seconds: up to the next
        event of the call, capped at its duration)."""
        prompt, path, duration = self.file(prompt_id)
        event = _event(MenuEventKind.PROMPT, prompt, (MENU_FILE, path), (MENU_DURATION, duration))
        data = f"{path},{options}" if options else path
        return [f" same => n,{event}", f" same => n,{app}({data})"]

    def entry(self, node: MenuNode, options: str = "") -> list[str]:
        """The node entered and its prompt started (short, or detailed for a first-time
        caller) in one event, then the prompt (the node is already in HOTLINE_WALKED: who
        goes to a level appends it)."""
        assert node.prompts is not None
        short, detailed = self.file(node.prompts.short), self.file(node.prompts.detailed)
        first = f'$["{_var(ChannelVar.FIRST_TIME)}" = "1"]'

        def by_caller(index: int) -> str:
            if short[index] == detailed[index]:
                return short[index]
            return f"${{IF({first}?{detailed[index]}:{short[index]})}}"

        event = _event(
            MenuEventKind.NODE,
            node.id,
            (MENU_KEY, _var(ChannelVar.KEY)),
            (MENU_PROMPT, by_caller(0)),
            (MENU_FILE, by_caller(1)),
            (MENU_DURATION, by_caller(2)),
        )
        data = f"{by_caller(1)},{options}" if options else by_caller(1)
        return [f"exten => s,1,{event}", f" same => n,Background({data})"]

    def walked(self, again: NodeId, to: NodeId = None) -> str:
        """HOTLINE_WALKED after a key: the node again (a key over a notice that plays the
        level again) and the level it goes to."""
        walked = _var(ChannelVar.WALKED)
        value = walked
        if again is not None:
            value += f'${{IF($["{_part(_AGAIN)}" = "1"]?/{again})}}'
        if to is not None:
            value += f"/{to}"
        return f"{ChannelVar.WALKED}={value}"

    def key(
        self, node: MenuNode, pressed: str, to: NodeId, *, reset: bool = True, also: str = ""
    ) -> list[str]:
        """A key: one MSet and on to ``to``'s level (an action node: the engine; None: the
        steps that follow say where).  The key is reported with the next event (the level's
        entry, or the engine's): HOTLINE_KEY, "<key>/<waited>/<again>/<node>" (over a
        prompt, or while the level waited; over a notice that plays the level again: the
        node entered again first)."""
        pressed_as = f"{pressed}/{_part(_WAITING)}/{_part(_AGAIN)}/{node.id}"
        action = to is not None and self.menu.node(to).kind is NodeKind.ACTION
        values = [f"{ChannelVar.KEY}={pressed_as}", self.walked(node.id, None if action else to)]
        if reset:
            values.append(LEVEL_RESET)
        if action:
            values.append(f"{ChannelVar.NODE}={to}")
        if also:
            values.append(also)
        lines = [f"exten => {pressed},1,MSet({','.join(values)})"]
        if action:
            lines.append(f" same => n,Goto({CONTEXT_IVR_NODE},{IVR_NODE_ACTION},1)")
        elif to is not None:
            lines.append(f" same => n,Goto({self.ctx(to)},s,1)")
        return lines

    def to_engine(self, node: MenuNode, what: str) -> list[str]:
        return [
            f" same => n,Set({ChannelVar.NODE}={node.id})",
            f" same => n,Goto({CONTEXT_IVR_NODE},{what},1)",
        ]

    def again(self, node: MenuNode) -> list[str]:
        """The level again after a notice nobody cut short."""
        values = f"{level(again='0')},{NO_KEY},{self.walked(None, node.id)}"
        return [f" same => n,MSet({values})", " same => n,Goto(s,1)"]

    def navigation(self, node: MenuNode) -> list[str]:
        menu, ivr = self.menu, self.ivr
        lines: list[str] = []
        for nav, target in (
            (ivr.back_key, menu.parent(node.id) or menu.start),
            (ivr.main_key, menu.start),
            (ivr.repeat_key, node.id),
        ):
            lines += self.key(node, nav, target)
        also = f"{ChannelVar.NODE}={node.id}"
        lines += self.key(node, ivr.operator_key, None, reset=False, also=also)
        return [*lines, f" same => n,Goto({CONTEXT_IVR_NODE},{IVR_NODE_OPERATOR},1)"]

    def goodbye(self) -> list[str]:
        return [
            f" same => n(goodbye),{_event(MenuEventKind.NODE, 'goodbye')}",
            *self.play(prompts.GOODBYE, "Playback"),
            f" same => n,{_event(MenuEventKind.COMPLETED, 'goodbye')}",
            " same => n,Hangup()",
        ]

    # --- nodes -----------------------------------------------------------------------------
    def node(self, node: MenuNode) -> list[str]:
        lines = [f"[{self.ctx(node.id)}]"]
        if node.kind is NodeKind.MENU:
            lines += self.menu_level(node)
        elif node.kind is NodeKind.INFO:
            lines += self.info(node)
        else:
            lines += [
                f"exten => s,1,NoOp(action {token(str(node.action), 'action')})",
                *self.to_engine(node, IVR_NODE_ACTION),
            ]
        return lines

    def menu_level(self, node: MenuNode) -> list[str]:
        ivr = self.ivr
        first, hinted = _var(ChannelVar.FIRST_TIME), _var(ChannelVar.HINTED)
        timeout = f"{ivr.input_timeout:g}"
        lines = [
            *self.entry(node),
            # the navigation keys once, to a first-time caller, after the level.
            f' same => n,GotoIf($["{first}{hinted}" = "10"]?hint)',
            f" same => n(wait),Set({level(waiting='1')})",
            f" same => n,WaitExten({token(timeout, 'input timeout')})",
            # WaitExten goes on to the next step when there is one: the silent round's.
            " same => n,Goto(t,1)",
            f" same => n(hint),Set({ChannelVar.HINTED}=1)",
            *self.play(prompts.NAV_HINT),
            " same => n,Goto(wait)",
        ]
        for option, child in node.options.items():
            lines += self.key(node, key(option, "option key"), child)
        lines += self.navigation(node)
        lines += self.invalid(node)
        lines += self.silent(node)
        return lines

    def invalid(self, node: MenuNode) -> list[str]:
        event = _event(
            MenuEventKind.DIGITS,
            "${INVALID_EXTEN}",
            (MENU_WAITING, _part(_WAITING)),
            (MENU_AGAIN, _part(_AGAIN)),
            (MENU_NODE, node.id),
        )
        counted = level(invalid=f"$[{_part(_INVALID)} + 1]", silent="0", waiting="0", again="1")
        return [
            f"exten => i,1,{event}",
            f" same => n,MSet({counted},{NO_KEY},{self.walked(node.id)})",
            f" same => n,GotoIf($[{_part(_INVALID)} >= {self.ivr.max_rounds}]?last)",
            *self.play(prompts.INVALID),
            *self.again(node),
            # The last round's notice plays whole: the operator follows whatever is pressed.
            " same => n(last),NoOp(invalid rounds run out)",
            *self.play(prompts.INVALID, "Playback"),
            *self.to_engine(node, IVR_NODE_NO_INPUT),
        ]

    def silent(self, node: MenuNode) -> list[str]:
        event = _event(MenuEventKind.DIGITS, "", (MENU_WAITING, "1"), (MENU_NODE, node.id))
        counted = level(silent=f"$[{_part(_SILENT)} + 1]", waiting="0")
        return [
            f"exten => t,1,{event}",
            f" same => n,MSet({counted},{NO_KEY})",
            f" same => n,GotoIf($[{_part(_SILENT)} >= {self.ivr.silent_rounds}]?operator)",
            f" same => n,GotoIf($[{_part(_SILENT)} > 1]?next)",
            f" same => n,Set({level(again='1')})",
            *self.play(prompts.NO_TONE),
            f" same => n(next),MSet({level(again='0')},{self.walked(None, node.id)})",
            " same => n,Goto(s,1)",
            " same => n(operator),NoOp(silent rounds run out)",
            *self.to_engine(node, IVR_NODE_SILENT),
        ]

    def info(self, node: MenuNode) -> list[str]:
        menu = self.menu
        if node.then is After.HANGUP:
            after = [" same => n,Goto(goodbye)"]
        else:
            target = menu.start if node.then is After.MAIN else menu.parent(node.id) or menu.start
            after = [
                f" same => n,MSet({NO_KEY},{self.walked(None, target)})",
                f" same => n,Goto({self.ctx(target)},s,1)",
            ]
        # Only the navigation keys cut the message short (m: a key with an extension).
        lines = [*self.entry(node, options="m"), *after]
        if node.then is After.HANGUP:
            lines += self.goodbye()
        return lines + self.navigation(node)


NodeId = str | None
NO_KEY: Final = f"{ChannelVar.KEY}=-"
LEVEL_RESET: Final = level(invalid="0", silent="0", waiting="0", again="0")


def render_version(menu: Menu, settings: Settings, sound: SoundOf, tag: str) -> str:
    """One version's contexts (``tag``: :func:`version_tag`)."""
    renderer = _Renderer(menu, settings, sound, tag)
    lines = [f"; menu version {tag}: {_comment(menu.name)} ({_comment(menu.source)})"]
    for node, _level in menu.walk():
        lines += renderer.node(node)
        lines.append("")
    return "\n".join(lines)


def version_tag(menu: Menu, settings: Settings, sound: SoundOf) -> str:
    """The version's tag: a digest of what its contexts say (the menu, the keys and counts
    from the settings, the prompt files), so a changed menu never reuses a tag."""
    body = render_version(menu, settings, sound, "0")
    return hashlib.sha256(body.encode()).hexdigest()[:TAG_LENGTH]


def render_file(versions: Iterable[str]) -> str:
    """The whole :data:`MENU_CONF` from the versions' rendered contexts."""
    head = [
        f"; {MENU_CONF}: generated by the engine (ivr/menu/levels.py) from the menu versions",
        "; it serves, included by extensions.conf. Do not edit: the engine writes it again.",
        "",
    ]
    return "\n".join(head) + "\n".join(versions) + "\n"


def _comment(text: str) -> str:
    """Text for a comment: one line of plain characters."""
    return re.sub(r"[^A-Za-z0-9_./ -]", "?", text)[:80]
