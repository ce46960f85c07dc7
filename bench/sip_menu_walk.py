"""SIP menu benchmark, the pure part: the walk every caller makes, the moments a key was
received and the next prompt started (from AMI events with Asterisk's own timestamps), the
latencies of a step, each system's figure and the verdict.  The run is :mod:`bench.sip_menu`."""

from __future__ import annotations

import shlex
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bench import rtp_dtmf
from bench.common import median, percentile
from hotline.dialplan.names import MENU_CONTEXT_PREFIX, MENU_EVENT, MENU_FILE
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.transport.ami import Subscription
from ivr import prompts
from ivr.menu.model import Menu, NodeKind

GOAL: Final = 1.0  # issue 19 item 1: the engine serves as many callers as the PBX alone
LIMIT_MS: Final = 50.0
# 3 info, 1 tariffs, * back to info, # main, 4 outages, 2 planned outages, # main: menus and
# info messages, every navigation key, and every key followed by a prompt.
PATH: Final = "31*#42#"
CALLER: Final = "79130000001"  # one caller: after the warm-up the engine plays short prompts
ENGINE_NUMBER: Final = "88005553535"
STEPS: Final = "1,2,4,8,16,32,64,128,256"
# After the main menu starts, before the first key; keys must land while a prompt plays.
FIRST_KEY_INTO_MENU_MS: Final = 1500
# SIPp starts a step's calls evenly over this window, so keys are not pressed in lockstep.
START_SPREAD_MS: Final = 1000
# After the last key a caller stays until every other caller of the step has pressed theirs:
# a step measures keys with N callers on the line, not N hang-ups at once.  (Calls starting
# over one second means up to N hang-ups in one second, which a steady N concurrent calls of
# this length would spread over ~13 s; with overlap the engine's hang-up handling delays
# other callers' keys by up to ~0.5 s at 128 callers — a call-rate effect, not a menu one.)
TAIL_MS: Final = START_SPREAD_MS + 800
SCENARIO: Final = Path(__file__).parent / "sipp" / "menu_walk.xml"
WEEK: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVENTS: Final = ("Newchannel", "DTMFEnd", "AGIExecStart", "Newexten", "UserEvent")
ENGINE_PROMPT_COMMANDS: Final = ("STREAM FILE", "GET DATA", "EXEC PLAYBACK")
TWIN_PROMPT_APPS: Final = frozenset({"background", "playback"})
SYSTEMS: Final = ("dialplan", "engine")
# The main menu is the third prompt a caller hears: after the greeting and the notice.
MENU_PROMPT: Final = 3


# --- the walk ---------------------------------------------------------------------------------
def expected_prompts(menu: Menu, settings: Settings, keys: str) -> list[str]:
    """The prompt id that must start after each key, by ivr.menu.flow's rules (experienced
    caller: short prompts); raises ValueError if a key leaves the menu or is not an option."""
    ivr = settings.ivr
    stack = [menu.start]
    out: list[str] = []
    for key in keys:
        node = menu.node(stack[-1])
        if key == ivr.back_key:
            if len(stack) > 1:
                stack.pop()
        elif key == ivr.main_key:
            del stack[1:]
        elif node.kind is NodeKind.MENU and key in node.options:
            stack.append(node.options[key])
        else:
            raise ValueError(f"key {key!r} on {node.id!r} does not lead to another prompt")
        target = menu.node(stack[-1])
        if target.kind is NodeKind.ACTION or target.prompts is None:
            raise ValueError(f"key {key!r} leads to {target.id!r}, which leaves the menu")
        out.append(target.prompts.short)
    return out


@dataclass(frozen=True)
class Walk:
    digits: str
    keys: tuple[rtp_dtmf.Key, ...]
    total_ms: int
    expected: tuple[str, ...]  # the file (without extension) each key must start


def plan_walk(
    menu: Menu, settings: Settings, library: PromptLibrary, key_gap_ms: int, digits: str = PATH
) -> Walk:
    expected = expected_prompts(menu, settings, digits)
    greeting = max(
        library.duration(p)
        for p in (
            prompts.GREETING,
            prompts.GREETING_MORNING,
            prompts.GREETING_DAY,
            prompts.GREETING_EVENING,
        )
    )
    menu_starts = (greeting + library.duration(prompts.RECORDING_NOTICE)) * 1000
    shortest = min((library.duration(p) for p in expected[:-1]), default=60.0) * 1000
    if key_gap_ms >= shortest:
        raise ValueError(f"--key-gap {key_gap_ms} ms is not shorter than a prompt ({shortest})")
    first = int(menu_starts) + FIRST_KEY_INTO_MENU_MS
    keys = tuple(rtp_dtmf.Key(digit, first + i * key_gap_ms) for i, digit in enumerate(digits))
    files = tuple(library.sound(p).path_without_extension for p in expected)
    return Walk(digits, keys, keys[-1].at_ms + TAIL_MS, files)


# --- AMI: key and prompt moments per channel --------------------------------------------------
@dataclass(frozen=True)
class Mark:
    at: float  # Asterisk's event timestamp, seconds
    key: str | None  # the digit of a DTMFEnd, None for a prompt start
    file: str = ""
    via: str = ""  # a prompt started by "agi" (the engine) or by the "dialplan"


@dataclass
class Recorder:
    """Drains one AMI subscription into per-channel marks (nothing else on this loop)."""

    sub: Subscription
    marks: dict[str, list[Mark]] = field(default_factory=lambda: defaultdict(list))
    # Each channel's creation (Newchannel: it enters the inbound context), where the time to
    # the main menu is counted from, the same for both systems.  Not its first dialplan step:
    # the engine's AMI user, which the bench logs in as, is not sent the inbound context's.
    entered: dict[str, float] = field(default_factory=dict)

    async def run(self) -> None:
        async for event in self.sub:
            if not event.get("timestamp"):
                raise RuntimeError("AMI events carry no Timestamp (manager.conf timestampevents)")
            if event.get("calleridnum") != CALLER:
                continue  # another call on this Asterisk (a test, a simulator): not ours
            at = float(event["timestamp"])
            name = event.name.lower()
            if name == "newchannel":
                self.entered.setdefault(event.uniqueid, at)
            if name == "dtmfend" and event.get("direction").lower() == "received":
                self.marks[event.uniqueid].append(Mark(at, event.get("digit")))
            elif name == "agiexecstart":
                command = event.get("command")
                if command.upper().startswith(ENGINE_PROMPT_COMMANDS):
                    words = shlex.split(command)
                    # EXEC Playback greeting&notice (sent ahead): a start for each, at once.
                    for file in words[2].split("&"):
                        self.marks[event.uniqueid].append(Mark(at, None, file, "agi"))
            elif name == "newexten" and event.get("application").lower() in TWIN_PROMPT_APPS:
                if event.get("context").startswith(MENU_CONTEXT_PREFIX):
                    continue  # the menu's levels in dialplan: their UserEvent marks the start
                file = event.get("appdata").split(",")[0]
                self.marks[event.uniqueid].append(Mark(at, None, file, "dialplan"))
            elif (
                name == "userevent"
                and event.get("userevent") == MENU_EVENT
                and (file := event.get(MENU_FILE.lower()))
            ):
                # A level's prompt starts right after its event (ivr/menu/levels.py); the
                # engine's AMI user is not sent the levels' own dialplan steps.
                self.marks[event.uniqueid].append(Mark(at, None, file, "levels"))

    def take(self) -> dict[str, list[Mark]]:
        marks, self.marks = self.marks, defaultdict(list)
        return marks

    def take_entries(self) -> dict[str, float]:
        entered, self.entered = self.entered, {}
        return entered


@dataclass
class StepResult:
    system: str
    callers: int
    calls_ok: int
    keys: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    failures: list[str]
    passed: bool
    # CPU of the step's wall time (1.0 = one core busy), measured around the SIPp run.
    asterisk_cpu: float = 0.0
    engine_cpu: float = 0.0
    # The load generator (SIPp, a child the step waits for) and the bench's own process (its
    # AMI recorder): what else shares the machine's cores during the step.
    sipp_cpu: float = 0.0
    bench_cpu: float = 0.0
    # From the call's entry into the dialplan to the main menu's start (greeting and notice
    # included), p50 and max, ms: where a system loses at call start (None: not recorded).
    menu_p50_ms: float | None = None
    menu_max_ms: float | None = None
    # p99 of each key of the walk across the callers, ms (the first key comes right after
    # the call start's work, the others in the middle of the walk): where a step was lost.
    p99_by_key: list[float] = field(default_factory=list)
    # Seconds the step waited for Asterisk and the engine to be idle before it began.
    settled_s: float = 0.0
    # Calls that failed because Asterisk reported fewer keys than the caller's stream carried
    # (no DTMFEnd event for them), and calls that heard the wrong prompt after a key.  Near
    # its capacity each system failed mostly by the first kind (runs 57-59).
    calls_keys_lost: int = 0
    calls_wrong_prompt: int = 0


def menu_starts(marks: dict[str, list[Mark]], entries: Mapping[str, float]) -> list[float]:
    """Per channel, ms from its entry to the third prompt's start: the greeting, the recording
    notice, then the main menu (in both systems)."""
    out = []
    for channel, channel_marks in marks.items():
        prompts_started = sorted(m.at for m in channel_marks if m.key is None)
        if channel in entries and len(prompts_started) >= MENU_PROMPT:
            out.append((prompts_started[MENU_PROMPT - 1] - entries[channel]) * 1000)
    return out


def score(
    system: str,
    callers: int,
    marks: dict[str, list[Mark]],
    walk: Walk,
    limit_ms: float,
    entries: Mapping[str, float] | None = None,
) -> StepResult:
    latencies: list[float] = []
    by_key: list[list[float]] = [[] for _ in walk.digits]
    failures: list[str] = []
    ok = keys_lost = wrong_prompt = 0
    for channel, channel_marks in marks.items():
        ordered = sorted(channel_marks, key=lambda m: m.at)
        problem = None
        answers: list[float] = []
        pressed = [i for i, m in enumerate(ordered) if m.key is not None]
        digits = "".join(ordered[i].key or "" for i in pressed)
        if digits != walk.digits:
            problem = f"keys received {digits!r}, sent {walk.digits!r}"
            keys_lost += len(digits) < len(walk.digits)
        else:
            for n, i in enumerate(pressed):
                started = next((m for m in ordered[i + 1 :] if m.key is None), None)
                if started is None or started.file != walk.expected[n]:
                    got = started.file if started else "nothing"
                    problem = f"after key {n + 1} ({walk.digits[n]!r}) {got} started"
                    wrong_prompt += 1
                    break
                answers.append((started.at - ordered[i].at) * 1000)
                by_key[n].append(answers[-1])
        latencies += answers
        if problem is None:
            ok += 1
        else:
            failures.append(f"{channel}: {problem}")
    if len(marks) != callers:
        failures.append(f"{len(marks)} channels seen for {callers} callers")
    p50 = median(latencies) if latencies else None
    p99 = percentile(latencies, 0.99) if latencies else None
    passed = not failures and ok == callers and p99 is not None and p99 <= limit_ms
    menus = menu_starts(marks, entries or {})
    result = StepResult(
        system,
        callers,
        ok,
        len(latencies),
        p50,
        p99,
        max(latencies) if latencies else None,
        failures,
        passed,
    )
    result.calls_keys_lost, result.calls_wrong_prompt = keys_lost, wrong_prompt
    if menus:
        result.menu_p50_ms, result.menu_max_ms = median(menus), max(menus)
    result.p99_by_key = [percentile(key, 0.99) for key in by_key if key]
    return result


# --- figures and the verdict ------------------------------------------------------------------
def bracket(results: Sequence[StepResult], system: str) -> tuple[int, int]:
    """(most callers passed below the fewest failed, the fewest failed; 0 if none failed)."""
    mine = [r for r in results if r.system == system]
    failed = min((r.callers for r in mine if not r.passed), default=0)
    passed = max(
        (r.callers for r in mine if r.passed and (not failed or r.callers < failed)), default=0
    )
    return passed, failed


def figure(results: Sequence[StepResult], system: str) -> tuple[int, bool]:
    """(the system's figure, whether it never failed: then the figure is a lower bound)."""
    passed, failed = bracket(results, system)
    return passed, failed == 0


@dataclass(frozen=True)
class Verdict:
    ratio: float  # engine figure / dialplan figure
    relation: str  # "=", "<=" or ">=": a figure that never failed is only a lower bound
    met: bool | None  # None: these steps cannot tell

    def describe(self) -> str:
        if self.met is None:
            text = "undecided: both passed every step, raise --steps"
        else:
            text = "within goal" if self.met else "BELOW GOAL"
        shown = "" if self.relation == "=" else f"{self.relation} "
        return f"ratio engine/dialplan: {shown}{self.ratio:.2f} (goal >= {GOAL}: {text})"


def judge(twin: int, twin_open: bool, engine: int, engine_open: bool) -> Verdict:
    """The ratio of the two figures and whether it meets :data:`GOAL`; ``*_open`` says a
    system passed every step it ran (its true figure may be higher)."""
    ratio = engine / twin if twin else (float("inf") if engine else 0.0)
    if twin_open and engine_open:
        return Verdict(ratio, "=" if twin == engine else "?", None)
    if twin_open:  # the dialplan could do more: the true ratio is at most this
        return Verdict(ratio, "<=", False if ratio < GOAL else None)
    if engine_open:
        return Verdict(ratio, ">=", True if ratio >= GOAL else None)
    return Verdict(ratio, "=", ratio >= GOAL)
