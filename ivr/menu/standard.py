"""The rules of the service standard (R-016..R-018, R-020) on a menu: menu levels, options per
level, seconds of speech per level measured on the rendered audio of a voice, reserved
navigation keys, and that every prompt is in the catalogue.  The only part of ``ivr.menu``
that needs the speech stack.  :func:`load_and_validate` is what the engine calls at load."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from hotline.contact_center.departments import departments
from hotline.settings import IvrSettings, Settings, WordingSettings
from hotline.speech.catalogue import Catalogue, UnknownPrompt
from hotline.speech.library import PromptLibrary, PromptsNotBuilt
from hotline.speech.paths import voice_dir_name
from hotline.speech.wording import Severity, WordingFinding, check_prompts
from ivr.menu.loader import load_menu, parse_menu
from ivr.menu.model import Menu, NodeKind
from ivr.menu.own_prompts import OwnSeconds, clashes, render, with_own
from ivr.menu.structure import MenuError, Rule, Violation, structure_violations
from ivr.prompts import NAV_HINT

Durations = Callable[[str], float]


def validate_menu(
    menu: Menu,
    ivr: IvrSettings,
    *,
    catalogue: Catalogue,
    durations: Durations,
    voice: str,
    wording: WordingSettings | None = None,
    nav_hint: str | None = None,
) -> list[Violation]:
    """Every violation of ``menu`` with the limits of ``ivr`` and the prompt durations of one
    voice (``durations(prompt_id)`` in seconds, measured on the rendered audio; it may raise
    :class:`PromptsNotBuilt` or ``KeyError``); ``voice`` labels the messages.  With
    ``wording``, a forbidden phrase in a prompt the menu plays is a violation too (R-054).
    ``nav_hint`` is the prompt a first-time caller hears after the start menu's detailed
    prompt (R-022): the two count together against the speech limit."""
    found = structure_violations(menu)
    if wording is not None:
        found.extend(
            Violation(node_id, Rule.FORBIDDEN_PHRASE, str(finding))
            for node_id, finding in menu_wording(menu, catalogue, wording)
            if finding.severity is Severity.ERROR
        )
    reserved = {
        ivr.operator_key: "the operator (ivr.operator_key)",
        ivr.back_key: "back (ivr.back_key)",
        ivr.main_key: "the main menu (ivr.main_key)",
        ivr.repeat_key: "repeating the level (ivr.repeat_key)",
    }
    limit = ivr.max_level_speech_seconds
    walked = list(menu.walk())
    in_tree = {node.id for node, _ in walked}
    rest = [node for node_id, node in menu.nodes.items() if node_id not in in_tree]
    for node, level in [*walked, *((node, 0) for node in rest)]:
        if node.kind is NodeKind.MENU and level:
            if level > ivr.max_levels:
                message = (
                    f"menu at level {level} (limit {ivr.max_levels} menu levels; "
                    f"the operator is level {ivr.max_levels + 1})"
                )
                found.append(Violation(node.id, Rule.MAX_LEVELS, message, float(level)))
            count = len(node.options)
            if count > ivr.max_options:
                message = f"{count} options (limit {ivr.max_options})"
                found.append(Violation(node.id, Rule.MAX_OPTIONS, message, float(count)))
            for key in node.options:
                if key in reserved:
                    message = f"option on key {key!r} is reserved for {reserved[key]}"
                    found.append(Violation(node.id, Rule.RESERVED_KEY, message))
        if node.prompts is None:
            continue
        for variant, prompt_id in node.prompts.items():
            try:
                catalogue.require(prompt_id, f'menu {menu.source} node "{node.id}"')
            except UnknownPrompt as exc:
                found.append(Violation(node.id, Rule.UNKNOWN_PROMPT, str(exc)))
                continue
            try:
                seconds = durations(prompt_id)
            except (PromptsNotBuilt, KeyError):
                message = (
                    f"{variant} prompt {prompt_id} is not built for voice {voice}: "
                    "run `hotline prompts build`"
                )
                found.append(Violation(node.id, Rule.NOT_BUILT, message))
                continue
            if seconds > limit:
                message = (
                    f"{_seconds(seconds, limit)} s of speech in the {variant} prompt {prompt_id} "
                    f"(limit {limit:g} s, voice {voice})"
                )
                found.append(
                    Violation(node.id, Rule.MAX_LEVEL_SPEECH_SECONDS, message, round(seconds, 3))
                )
            elif nav_hint and node.id == menu.start and prompt_id == node.prompts.detailed:
                found.extend(
                    _with_hint(
                        node.id,
                        prompt_id,
                        seconds,
                        nav_hint,
                        limit,
                        catalogue,
                        durations,
                        f", voice {voice}",
                    )
                )
    return found


def _with_hint(
    node_id: str,
    prompt_id: str,
    seconds: float,
    hint: str,
    limit: float,
    catalogue: Catalogue,
    durations: Durations,
    voice: str = "",
) -> list[Violation]:
    """The start menu's detailed prompt and the navigation hint after it, together."""
    try:
        catalogue.require(hint, "the navigation hint (ivr/prompts.py NAV_HINT)")
    except UnknownPrompt as exc:
        return [Violation(node_id, Rule.UNKNOWN_PROMPT, str(exc))]
    try:
        total = seconds + durations(hint)
    except (PromptsNotBuilt, KeyError):
        message = f"the navigation hint {hint} is not built: run `hotline prompts build`"
        return [Violation(node_id, Rule.NOT_BUILT, message)]
    if total <= limit:
        return []
    message = (
        f"{_seconds(total, limit)} s of speech for a first-time caller: the detailed prompt "
        f"{prompt_id} and the navigation hint {hint} (limit {limit:g} s{voice})"
    )
    return [Violation(node_id, Rule.MAX_LEVEL_SPEECH_SECONDS, message, round(total, 3))]


def menu_wording(
    menu: Menu, catalogue: Catalogue, wording: WordingSettings
) -> list[tuple[str, WordingFinding]]:
    """(node id, finding) for each listed phrase in the prompts the menu's nodes play."""
    found: list[tuple[str, WordingFinding]] = []
    for node_id, node in menu.nodes.items():
        if node.prompts is None:
            continue
        where = f'menu {menu.source} node "{node_id}"'
        ids = [prompt_id for _, prompt_id in node.prompts.items()]
        found.extend((node_id, f) for f in check_prompts(catalogue, wording, ids, where))
    return found


def _seconds(seconds: float, limit: float) -> str:
    """One decimal, or two when one would not show that ``seconds`` exceeds ``limit``."""
    shown = f"{seconds:.1f}"
    return shown if float(shown) > limit else f"{seconds:.2f}"


def voice_label(library: PromptLibrary, voice: str) -> str:
    """``rhvoice-anna``: how messages name a voice (its build directory)."""
    return voice_dir_name(library.backend_name, voice)


def load_and_validate(
    path: Path,
    settings: Settings,
    library: PromptLibrary,
    voices: Sequence[str] | None = None,
) -> Menu:
    """Load ``path`` and check it against ``settings.ivr`` and the catalogue, with the rendered
    prompts of each of ``voices`` (default: the configured voice); raises :class:`MenuError`
    with every violation (a broken catalogue raises its own ``CatalogueError``)."""
    return check_menu(load_menu(path), settings, library, voices)


def parse_and_validate(
    text: str,
    source: str,
    settings: Settings,
    library: PromptLibrary,
    voices: Sequence[str] | None = None,
) -> Menu:
    """:func:`load_and_validate` on text already read (a published menu version)."""
    return check_menu(parse_menu(text, source), settings, library, voices)


async def validate_text(
    text: str,
    source: str,
    settings: Settings,
    library: PromptLibrary,
    voices: Sequence[str] | None = None,
) -> Menu:
    """The one validator of menu text for every front end (``hotline menu validate``,
    ``publish`` and ``rollback``, the console's menu editor, the engine at load): parse,
    render the menu's own prompts in each voice (default: the configured one) off the event
    loop, then :func:`check_menu` in a thread.  :class:`MenuError` with every violation."""
    menu = await asyncio.to_thread(parse_menu, text, source)
    return await validate_parsed(menu, settings, library, voices)


async def validate_file(
    path: Path, settings: Settings, library: PromptLibrary, voices: Sequence[str] | None = None
) -> Menu:
    """:func:`validate_text` on a menu file (``hotline menu validate``)."""
    menu = await asyncio.to_thread(load_menu, path)
    return await validate_parsed(menu, settings, library, voices)


async def validate_parsed(
    menu: Menu, settings: Settings, library: PromptLibrary, voices: Sequence[str] | None = None
) -> Menu:
    chosen = list(voices) if voices else [settings.speech.voice]
    own = await render(menu, library, chosen)
    return await asyncio.to_thread(check_menu, menu, settings, library, chosen, own)


def check_menu(
    menu: Menu,
    settings: Settings,
    library: PromptLibrary,
    voices: Sequence[str] | None = None,
    own: OwnSeconds | None = None,
) -> Menu:
    """``menu`` itself when it keeps every rule in each of ``voices``; else :class:`MenuError`.
    ``own``: the measured seconds of the menu's own prompts per voice
    (:func:`ivr.menu.own_prompts.render`); an own prompt not in it is not built."""
    chosen = list(voices) if voices else [settings.speech.voice]
    catalogue = with_own(library.catalogue, menu)
    found: list[Violation] = clashes(library.catalogue, menu)
    for voice in chosen:
        seconds = (own or {}).get(voice, {})
        violations = validate_menu(
            menu,
            settings.ivr,
            catalogue=catalogue,
            durations=partial(_duration, library, seconds, menu, voice),
            voice=voice_label(library, voice),
            wording=settings.wording,
            nav_hint=NAV_HINT,
        )
        found.extend(v for v in violations if v not in found)
    found.extend(department_violations(menu, settings))
    if found:
        raise MenuError(found, menu.source)
    return menu


def _duration(
    library: PromptLibrary, own: Mapping[str, float], menu: Menu, voice: str, prompt_id: str
) -> float:
    """Seconds of ``prompt_id`` in ``voice``: an own prompt as rendered (KeyError when it was
    not), a catalogue prompt from the build."""
    if prompt_id in menu.texts:
        return own[prompt_id]
    return library.duration(prompt_id, voice)


def department_violations(menu: Menu, settings: Settings) -> list[Violation]:
    """Operator actions naming a department queue that is not configured (R-097)."""
    known = departments(settings.queue)
    return [
        Violation(
            node.id,
            Rule.QUEUE,
            f"unknown queue {node.queue!r}: one of {', '.join(known)} (queue.departments)",
        )
        for node in menu.nodes.values()
        if node.queue is not None and node.queue not in known
    ]
