"""The menu's levels as dialplan (``ivr.levels = "dialplan"``; issue 19 item 1).

Rendered from the same :class:`ivr.menu.model.Menu` the engine walks, so the two cannot drift:
one context per node (:func:`context_of`), walked as ``ivr.menu.flow`` walks it, and two more
per menu level for its keys while it waits and over a notice that plays it again.  A menu level
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
from enum import StrEnum
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


class Variant(StrEnum):
    """When a key came on a menu level, which decides the context it is looked up in: the
    key's report ("<key>/<waited>/<again>/<node>") is then written out in the extension, not
    read from variables at run time."""

    PROMPT = ""  # over the level's prompt or the navigation hint
    WAITING = "w"  # while the level waited after its prompt (WaitExten)
    AGAIN = "a"  # over a notice that plays the level again (invalid key, stay on the line)


def context_of(tag: str, node_id: str, variant: Variant = Variant.PROMPT) -> str:
    """The context of ``node_id`` in the rendered version ``tag`` (dots read badly in the
    CLI: node ids have no "-", so the mapping stays one to one); a menu level's keys while
    it waits or over a notice in contexts of their own (``_w``, ``_a`` after the tag, which
    has no "_")."""
    if not _TAG.fullmatch(tag):
        raise UnsafeValue(f"version tag {tag!r}")
    suffix = f"_{variant}" if variant else ""
    return f"{MENU_CONTEXT_PREFIX}{tag}{suffix}-{token(node_id, 'node id').replace('.', '-')}"


def walked_value(invalid: int, silent: int, nodes: list[str]) -> str:
    """ChannelVar.WALKED: the level's counters, then the nodes entered ("0/0/main/info")."""
    for node in nodes:
        if "/" in token(node, "node"):  # a plain token, and no part of another
            raise UnsafeValue(f"node {node!r} cannot be written into the walk")
    return "/".join([str(invalid), str(silent), *nodes])


def walked_nodes(value: str) -> list[str]:
    """The nodes in a ChannelVar.WALKED value (its two counters left out; a value without
    them, as levels rendered before the counters moved in set it, is all nodes: node ids
    start with a letter)."""
    parts = value.split("/")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
        parts = parts[2:]
    return [node for node in parts if node]


def _var(name: ChannelVar) -> str:
    return f"${{{name}}}"


WALKED: Final = ChannelVar.WALKED
# ChannelVar.WALKED's parts, read (CUT counts from 1): the invalid and the silent rounds in a
# row on this level, and the nodes entered so far.
INVALID_COUNT: Final = f"${{CUT({WALKED},/,1)}}"
SILENT_COUNT: Final = f"${{CUT({WALKED},/,2)}}"
NODES: Final = f"${{CUT({WALKED},/,3-)}}"
# Every key a caller can send that is not one of a level's: the invalid key (the pattern
# leaves no digit to the context a prompt was started from, see _Renderer).
OTHER_KEYS: Final = "_[0-9*#A-D]"
# The steps of the invalid and silent rounds (no key reaches an extension with a name).
INVALID_ROUND: Final = "invalid"
SILENT_ROUND: Final = "silent"
AFTER: Final = "after"


def _event(kind: MenuEventKind, value: str, *headers: tuple[str, str]) -> str:
    fields = [MENU_EVENT, f"{MENU_KIND}: {kind}", f"{MENU_VALUE}: {value}"]
    fields += [f"{name}: {text}" for name, text in headers]
    return f"UserEvent({','.join(fields)})"


class _Renderer:
    """Few steps per key, fewest on the way callers go most (each step is a Newexten event
    and each variable set a VarSet event Asterisk builds; issue 19 item 1): a key to another
    level is that level's event (its key written out), one Set of ChannelVar.WALKED (the
    counters reset, the level appended) and the level's prompt, started in the key's
    extension with the level's context for the keys over it (``Background``'s fourth
    argument).  The twin in pure dialplan takes a Set, a Goto and the prompt."""

    def __init__(self, menu: Menu, settings: Settings, sound: SoundOf, tag: str) -> None:
        self.menu = menu
        self.ivr = ivr = settings.ivr
        self.sound = sound
        self.tag = tag
        for nav in (ivr.back_key, ivr.main_key, ivr.operator_key, ivr.repeat_key):
            key(nav, "navigation key")

    def ctx(self, node_id: str, variant: Variant = Variant.PROMPT) -> str:
        return context_of(self.tag, node_id, variant)

    # --- pieces ----------------------------------------------------------------------------
    def file(self, prompt_id: str) -> tuple[str, str, str]:
        """(prompt id, file, duration) checked."""
        path, seconds = self.sound(prompt_id)
        return token(prompt_id, "prompt id"), token(path, "prompt file"), f"{seconds:.3f}"

    def play(self, prompt_id: str, app: str = "Background", then: str = "") -> list[str]:
        """The prompt's start reported, then played (its played seconds: up to the next
        event of the call, capped at its duration); ``then``: the context of the keys over
        it."""
        prompt, path, duration = self.file(prompt_id)
        event = _event(MenuEventKind.PROMPT, prompt, (MENU_FILE, path), (MENU_DURATION, duration))
        data = f"{path},,,{then}" if then else path
        return [f" same => n,{event}", f" same => n,{app}({data})"]

    def entered(self, node: MenuNode, pressed: str) -> tuple[str, str]:
        """The event of ``node`` entered (the key that led there, the prompt it starts: short,
        or detailed to a first-time caller) and the prompt's file, both for dialplan."""
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
            (MENU_KEY, pressed),
            (MENU_PROMPT, by_caller(0)),
            (MENU_FILE, by_caller(1)),
            (MENU_DURATION, by_caller(2)),
        )
        return event, by_caller(1)

    @staticmethod
    def _prompt_options(node: MenuNode) -> str:
        # An information message stops only for the navigation keys (m: a key with an
        # extension in the context); a menu level's prompt for any key.
        return "m" if node.kind is NodeKind.INFO else ""

    def entry(self, node: MenuNode) -> list[str]:
        """``s``: the node entered from elsewhere (the engine, a level played again, the end
        of a message), reported with the key the engine or the dialplan left in ChannelVar.KEY
        ("-": none); then its prompt and, at ``after``, what follows it."""
        event, file = self.entered(node, _var(ChannelVar.KEY))
        options = self._prompt_options(node)
        data = f"{file},{options}" if options else file
        return [f"exten => s,1,{event}", f" same => n,Background({data})"]

    def key(self, node: MenuNode, pressed: str, to: str | None, variant: Variant) -> list[str]:
        """A key on ``node`` to ``to``'s level (an action node, None: the operator: the
        engine).  The key's report, "<key>/<waited>/<again>/<node>", goes with the next
        event; over a notice that plays the level again, the node is entered again first."""
        waited = "1" if variant is Variant.WAITING else "0"
        again = variant is Variant.AGAIN
        report = f"{pressed}/{waited}/{'1' if again else '0'}/{node.id}"
        walked_again = f"/{node.id}" if again else ""
        target = None if to is None else self.menu.node(to)
        lines = [f"exten => {pressed},1,"]
        if target is None:  # the operator: the counters go with the call as they are
            values = [f"{ChannelVar.KEY}={report}", f"{ChannelVar.NODE}={node.id}"]
            if again:
                values.append(f"{WALKED}={_var(WALKED)}{walked_again}")
            lines[0] += f"MSet({','.join(values)})"
            return [*lines, f" same => n,Goto({CONTEXT_IVR_NODE},{IVR_NODE_OPERATOR},1)"]
        reset = f"{WALKED}=0/0/{NODES}{walked_again}"
        if target.kind is NodeKind.ACTION:  # the engine appends the node it enters
            lines[0] += f"MSet({ChannelVar.KEY}={report},{reset},{ChannelVar.NODE}={to})"
            return [*lines, f" same => n,Goto({CONTEXT_IVR_NODE},{IVR_NODE_ACTION},1)"]
        event, file = self.entered(target, report)
        options = self._prompt_options(target)
        assert to is not None
        lines[0] += event
        return [
            *lines,
            f" same => n,Set({reset}/{to})",
            f" same => n,Background({file},{options},,{self.ctx(to)})",
            f" same => n,Goto({self.ctx(to)},s,{AFTER})",
        ]

    def keys(self, node: MenuNode, variant: Variant) -> list[str]:
        """Every key on a level, reported as ``variant`` says it came."""
        menu, ivr = self.menu, self.ivr
        lines: list[str] = []
        if node.kind is NodeKind.MENU:
            for option, child in node.options.items():
                lines += self.key(node, key(option, "option key"), child, variant)
        for nav, target in (
            (ivr.back_key, menu.parent(node.id) or menu.start),
            (ivr.main_key, menu.start),
            (ivr.repeat_key, node.id),
            (ivr.operator_key, None),
        ):
            lines += self.key(node, nav, target, variant)
        if node.kind is NodeKind.MENU:
            lines += self.other_keys(node, variant)
        return lines

    def other_keys(self, node: MenuNode, variant: Variant) -> list[str]:
        """Any other key: the invalid round.  Every key has an extension in a level's
        contexts, so a key over a prompt started from another level's extension is never
        looked up there."""
        waited, again = variant is Variant.WAITING, variant is Variant.AGAIN
        event = _event(
            MenuEventKind.DIGITS,
            "${EXTEN}",
            (MENU_WAITING, "1" if waited else "0"),
            (MENU_AGAIN, "1" if again else "0"),
            (MENU_NODE, node.id),
        )
        lines = [f"exten => {OTHER_KEYS},1,{event}"]
        if again:  # the node entered again first, counted in the same Set
            counted = f"$[{INVALID_COUNT} + 1]/0/{NODES}/{node.id}"
            lines += [
                f" same => n,Set({WALKED}={counted})",
                f" same => n,Goto({self.ctx(node.id)},{INVALID_ROUND},counted)",
            ]
        else:
            lines.append(f" same => n,Goto({self.ctx(node.id)},{INVALID_ROUND},1)")
        return lines

    def to_engine(self, node: MenuNode, what: str) -> list[str]:
        return [
            f" same => n,Set({ChannelVar.NODE}={node.id})",
            f" same => n,Goto({CONTEXT_IVR_NODE},{what},1)",
        ]

    def again(self, node: MenuNode, label: str = "") -> list[str]:
        """The level again after a notice nobody cut short (the node entered again)."""
        step = f"n({label})" if label else "n"
        return [f" same => {step},Set({WALKED}={_var(WALKED)}/{node.id})", " same => n,Goto(s,1)"]

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
            return lines + self.menu_level(node)
        if node.kind is NodeKind.INFO:
            return lines + self.info(node)
        return [
            *lines,
            f"exten => s,1,NoOp(action {token(str(node.action), 'action')})",
            *self.to_engine(node, IVR_NODE_ACTION),
        ]

    def menu_level(self, node: MenuNode) -> list[str]:
        ivr = self.ivr
        first, hinted = _var(ChannelVar.FIRST_TIME), _var(ChannelVar.HINTED)
        timeout = f"{ivr.input_timeout:g}"
        lines = [
            *self.entry(node),
            # the navigation keys once, to a first-time caller, after the level.
            f' same => n({AFTER}),GotoIf($["{first}{hinted}" = "10"]?hint)',
            f" same => n(wait),Goto({self.ctx(node.id, Variant.WAITING)},s,1)",
            f" same => n(hint),Set({ChannelVar.HINTED}=1)",
            *self.play(prompts.NAV_HINT),
            " same => n,Goto(wait)",
            *self.keys(node, Variant.PROMPT),
            *self.invalid(node),
            *self.silent(node),
            "",
            f"[{self.ctx(node.id, Variant.WAITING)}]",
            f"exten => s,1,WaitExten({token(timeout, 'input timeout')})",
            # WaitExten goes on to the next step when there is one: the silent round's.
            " same => n,Goto(t,1)",
            "exten => t,1,"
            + _event(MenuEventKind.DIGITS, "", (MENU_WAITING, "1"), (MENU_NODE, node.id)),
            f" same => n,Goto({self.ctx(node.id)},{SILENT_ROUND},1)",
            *self.keys(node, Variant.WAITING),
            "",
            f"[{self.ctx(node.id, Variant.AGAIN)}]",
            *self.keys(node, Variant.AGAIN),
        ]
        return lines

    def invalid(self, node: MenuNode) -> list[str]:
        """One more invalid round (the silent ones reset): the invalid notice and the level
        again, or after ``max_rounds`` the notice whole and the operator."""
        return [
            f"exten => {INVALID_ROUND},1,Set({WALKED}=$[{INVALID_COUNT} + 1]/0/{NODES})",
            f" same => n(counted),GotoIf($[{INVALID_COUNT} >= {self.ivr.max_rounds}]?last)",
            *self.play(prompts.INVALID, then=self.ctx(node.id, Variant.AGAIN)),
            *self.again(node),
            # The last round's notice plays whole: the operator follows whatever is pressed.
            " same => n(last),NoOp(invalid rounds run out)",
            *self.play(prompts.INVALID, "Playback"),
            *self.to_engine(node, IVR_NODE_NO_INPUT),
        ]

    def silent(self, node: MenuNode) -> list[str]:
        """One more silent round (the invalid ones kept): the stay-on-the-line notice after
        the first only, the level again, the operator after ``silent_rounds``."""
        counted = f"{INVALID_COUNT}/$[{SILENT_COUNT} + 1]/{NODES}"
        return [
            f"exten => {SILENT_ROUND},1,Set({WALKED}={counted})",
            f" same => n,GotoIf($[{SILENT_COUNT} >= {self.ivr.silent_rounds}]?operator)",
            f" same => n,GotoIf($[{SILENT_COUNT} > 1]?next)",
            *self.play(prompts.NO_TONE, then=self.ctx(node.id, Variant.AGAIN)),
            *self.again(node, "next"),
            " same => n(operator),NoOp(silent rounds run out)",
            *self.to_engine(node, IVR_NODE_SILENT),
        ]

    def info(self, node: MenuNode) -> list[str]:
        menu = self.menu
        if node.then is After.HANGUP:
            after = [f" same => n({AFTER}),Goto(goodbye)"]
        else:
            target = menu.start if node.then is After.MAIN else menu.parent(node.id) or menu.start
            after = [
                f" same => n({AFTER}),Set({WALKED}={_var(WALKED)}/{target})",
                f" same => n,Goto({self.ctx(target)},s,1)",
            ]
        lines = [*self.entry(node), *after]
        if node.then is After.HANGUP:
            lines += self.goodbye()
        return lines + self.keys(node, Variant.PROMPT)


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
