"""R-085: answering machines on campaign calls.  AMD's verdict as the attempt's result, the
campaign rules (hang up with its own retry delay, or leave the message after the beep, never
positive), what the player does on each, and the tuned amd.conf run from [hotline-dialer]."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from dialer.live import LiveCalls, PreparedStep
from dialer.model import (
    REASON_LABELS,
    CampaignRules,
    MachineAction,
    PositiveRule,
    Reason,
    Result,
    load_rules,
)
from dialer.outcome import Playback, answered_verdict, is_machine
from dialer.playback import ScenarioPlayer
from dialer.repository.records import AttemptRecord
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import CONTEXT_DIALER, AmdStatus, ChannelVar, IvrStatus
from hotline.protocol.agi import PlaybackResult
from hotline.settings import DialerSettings, Settings
from hotline.speech.library import Sound
from hotline.store.enums import EventKind
from tests.dialer_support import short_scenario

SECRETS = ("engine-secret", "console-secret", "cli-secret")
AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ALL_RULES = [PositiveRule.KEY_CONTENT, PositiveRule.CONFIRMATION, PositiveRule.ANSWERED]


# --- the verdict --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "machine"),
    [
        ("MACHINE", True),
        ("machine", True),
        ("HUMAN", False),
        ("NOTSURE", False),  # undecided: played as to a person
        ("HANGUP", False),
        (None, False),  # AMD off
        ("", False),
    ],
)
def test_only_machine_is_a_machine(status: str | None, machine: bool) -> None:
    assert is_machine(status) is machine


@pytest.mark.parametrize("rule", ALL_RULES)
def test_a_machine_is_never_positive(rule: PositiveRule) -> None:
    # Nothing left on it: "machine"; the message played to its end: "left_on_machine".
    hung_up = Playback(key_played=False, confirmed=False, transferred=False, machine=True)
    left = Playback(key_played=True, confirmed=False, transferred=False, machine=True)
    assert answered_verdict(rule, hung_up) == (Result.NEGATIVE, Reason.MACHINE)
    assert answered_verdict(rule, left) == (Result.NEGATIVE, Reason.LEFT_ON_MACHINE)


def test_a_person_is_judged_by_the_positive_rule_as_before() -> None:
    heard = Playback(key_played=True, confirmed=False, transferred=False)
    assert answered_verdict(PositiveRule.KEY_CONTENT, heard) == (
        Result.POSITIVE,
        Reason.DELIVERED,
    )


# --- the rules ----------------------------------------------------------------------------------
def test_machines_have_their_own_retry_delays_and_labels() -> None:
    rules = CampaignRules()
    assert rules.answering_machine is MachineAction.HANG_UP
    assert rules.retry_delay(Reason.MACHINE) == timedelta(minutes=120)
    assert rules.retry_delay(Reason.LEFT_ON_MACHINE) == timedelta(minutes=240)
    tuned = load_rules({"answering_machine": "leave_message", "retry_minutes": {"machine": 30}})
    assert tuned.answering_machine is MachineAction.LEAVE_MESSAGE
    assert tuned.retry_delay(Reason.MACHINE) == timedelta(minutes=30)
    assert REASON_LABELS[Reason.MACHINE] == "автоответчик"
    assert REASON_LABELS[Reason.LEFT_ON_MACHINE] == "оставлено на автоответчике"
    assert set(REASON_LABELS) == set(Reason)


# --- the dialplan and amd.conf ------------------------------------------------------------------
def dialer_context(settings: Settings) -> list[str]:
    text = render_configs(settings, RenderOptions(*SECRETS, sandbox=False))["extensions.conf"]
    body = text.split(f"[{CONTEXT_DIALER}]", 1)[1].split("\n[", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip().startswith("same")]


def test_answered_campaign_calls_run_amd_before_the_engine() -> None:
    lines = dialer_context(Settings())
    amd = next(i for i, line in enumerate(lines) if "AMD()" in line)
    agi = next(i for i, line in enumerate(lines) if "AGI(" in line)
    assert amd < agi
    off = Settings.model_validate({"dialer": {"amd": {"enabled": False}}})
    assert not any("AMD()" in line for line in dialer_context(off))


def test_amd_conf_carries_the_tuned_settings() -> None:
    conf = render_configs(Settings(), RenderOptions(*SECRETS, sandbox=False))["amd.conf"]
    values = dict(
        (part.strip() for part in line.split("=", 1))
        for line in conf.splitlines()
        if "=" in line and not line.startswith(";")
    )
    # Asterisk's 2 would call «Да, слушаю» a machine.
    assert int(values["maximum_number_of_words"]) >= 3
    assert values["greeting"] == str(Settings().dialer.amd.greeting)
    tuned = Settings.model_validate({"dialer": {"amd": {"greeting": 2000}}})
    conf = render_configs(tuned, RenderOptions(*SECRETS, sandbox=False))["amd.conf"]
    assert "greeting = 2000" in conf


# --- the player ---------------------------------------------------------------------------------
@dataclass
class FakeAgi:
    amd: str | None
    env: Any = field(default_factory=lambda: type("Env", (), {"channel": "Local/x"})())
    played: list[str] = field(default_factory=list)
    execs: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    waited: bool = False

    async def get_variable(self, name: str) -> str | None:
        if name == ChannelVar.AMD_STATUS:
            return self.amd
        if name == ChannelVar.AMD_CAUSE:
            return "LONGGREETING-1900-1800" if self.amd else None
        return None

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value

    async def exec(self, app: str, *args: str, timeout: float | None = None) -> int:
        self.execs.append((app, args))
        return 0

    async def stream_file(self, name: str, keys: str = "") -> PlaybackResult:
        self.played.append(name)
        return PlaybackResult(None, 8000 * 60)

    async def wait_for_digit(self, timeout: float) -> str | None:
        self.waited = True
        return None


@dataclass
class FakeCampaign:
    name: str
    snapshot: Any
    rules: CampaignRules


class FakeStore:
    def __init__(self, rules: CampaignRules) -> None:
        self.marks: dict[str, Any] = {}
        self.campaign = FakeCampaign("debt", short_scenario(confirm=True), rules)

    async def mark_attempt(self, attempt_id: str, **values: Any) -> None:
        self.marks.update({k: v for k, v in values.items() if v is not None})

    async def campaign_by_id(self, campaign_id: int) -> FakeCampaign:
        return self.campaign


class FakeLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    async def open(self, **kw: Any) -> None:
        return None

    async def answered(self, uniqueid: str) -> None:
        return None

    async def add_event(self, uniqueid: str, kind: str, value: str, detail: Any = None) -> None:
        self.events.append((kind, value))


class FakePrompts:
    def sound(self, prompt_id: str) -> Sound:
        return Sound(f"/sounds/{prompt_id}", 1.0)


async def play(amd: str | None, rules: CampaignRules) -> tuple[FakeAgi, FakeStore, FakeLog]:
    store, log, live = FakeStore(rules), FakeLog(), LiveCalls()
    live.prepared["a1"] = [
        PreparedStep("campaign.debt.amount", Sound("/sounds/amount-intro", 1.0), False),
        PreparedStep("amount=100.00", Sound("/sounds/amount", 1.0), True),
    ]
    player = ScenarioPlayer(
        DialerSettings(),
        cast(Any, store),
        cast(Any, FakePrompts()),
        cast(Any, log),
        live,
        lambda: AT,
        operator_key="0",
        say_zero_kopecks=False,
        simulated=True,
    )
    agi = FakeAgi(amd)
    attempt = AttemptRecord("a1", 1, 1, 1, "+79131234561", cast(Any, "dialing"), AT, *[False] * 3)
    await player._play(cast(Any, agi), attempt)
    return agi, store, log


async def test_a_machine_is_hung_up_on_by_default() -> None:
    agi, store, log = await play(AmdStatus.MACHINE, CampaignRules())
    assert store.marks["machine"] is True
    assert agi.played == []  # nothing played to the machine
    assert agi.variables[ChannelVar.STATUS] == IvrStatus.DONE
    assert (EventKind.AMD, "MACHINE") in log.events


async def test_by_rule_the_message_is_left_after_the_beep_without_keys() -> None:
    rules = CampaignRules(answering_machine=MachineAction.LEAVE_MESSAGE)
    agi, store, log = await play(AmdStatus.MACHINE, rules)
    assert agi.execs and agi.execs[0][0] == "WaitForSilence"
    assert (EventKind.AMD, "leave_message") in log.events
    assert agi.played[:2] == ["/sounds/amount-intro", "/sounds/amount"]
    # No confirmation prompt (nobody can press 1): straight to the goodbye.
    assert not any("confirm" in name for name in agi.played)
    assert not agi.waited
    assert store.marks == {"status": "answered", "answered_at": AT, "machine": True} | {
        "key_played": True
    }
    # machine + key played: "left_on_machine", negative.
    verdict = answered_verdict(
        PositiveRule.CONFIRMATION, Playback(True, False, False, store.marks["machine"])
    )
    assert verdict == (Result.NEGATIVE, Reason.LEFT_ON_MACHINE)


@pytest.mark.parametrize("status", [AmdStatus.HUMAN, AmdStatus.NOTSURE, None])
async def test_a_person_hears_the_scenario(status: str | None) -> None:
    agi, store, _ = await play(status, CampaignRules())
    assert "machine" not in store.marks
    assert agi.execs == []
    assert agi.played[:2] == ["/sounds/amount-intro", "/sounds/amount"]
