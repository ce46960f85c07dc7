"""R-085 through the real Asterisk: four greetings rendered by the project's own TTS at test
time, said by the simulated carrier's numbers 7900555000N on answer.  AMD() in
[hotline-dialer] (the tuned dialer.amd settings) must call a live «Алло» and «Алло, да, слушаю» a
person (the message is delivered; Asterisk's default word limit of 2 calls «Алло, да,
слушаю» a machine) and a voicemail greeting and an operator's «абонент
недоступен» announcement a machine (negative, reason "machine")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dialer.model import CampaignRules, Reason
from dialer.repository import DialerStore
from hotline.app import Engine
from hotline.dialplan.names import SIM_GREETING_PREFIX, AmdStatus
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.calllog import CallRecord
from hotline.store.enums import EventKind
from tests.dialer_support import results, running_campaign, short_scenario, wait_finished
from tests.e2e.engine_support import engine_settings

pytestmark = [pytest.mark.e2e]

# Number's last digit -> what the callee says on answer, and AMD's expected verdict.
GREETINGS = {
    "1": ("Алло?", AmdStatus.HUMAN),
    "2": ("Алло, да, слушаю.", AmdStatus.HUMAN),
    "3": (
        "Здравствуйте. Вы позвонили Ивану Петрову. Сейчас я не могу ответить, "
        "оставьте сообщение после звукового сигнала.",
        AmdStatus.MACHINE,
    ),
    "4": (
        "Абонент недоступен или находится вне зоны действия сети. Позвоните позднее.",
        AmdStatus.MACHINE,
    ),
}
CALL_ANY_TIME = {
    "max_attempts": 1,
    **{day: "00:00-24:00" for day in ("weekday_hours", "saturday_hours", "sunday_hours")},
    "holiday_hours": "00:00-24:00",
}
FAST_DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": 20.0,
    "ring_seconds": 4.0,
    "same_number_gap_seconds": 0.0,
}


def phone(digit: str) -> str:
    return f"+7900555000{digit}"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(tmp_path / "hotline.db", dialer=FAST_DIALER)


async def call(
    settings: Settings, tmp_path: Path, digits: list[str], rules: dict[str, Any]
) -> tuple[dict[str, tuple[str, str, int]], dict[str, CallRecord]]:
    """One campaign to the greeting numbers ``digits``: results and call records by phone."""
    engine = Engine(settings)
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    # The fixtures: rendered now by the project's TTS (cached), never committed.
    library = PromptLibrary(settings)
    sounds = {digit: await library.speak(GREETINGS[digit][0]) for digit in digits}
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        for digit, sound in sounds.items():  # Setvar without a channel: a global
            await engine.ami.action(
                {
                    "Action": "Setvar",
                    "Variable": f"{SIM_GREETING_PREFIX}_{digit}",
                    "Value": sound.path_without_extension,
                }
            )
        campaign = await running_campaign(
            store,
            tmp_path,
            [phone(d) for d in digits],
            scenario=short_scenario(),
            rules=CampaignRules.model_validate({**CALL_ANY_TIME, **rules}),
            now=datetime.now(UTC),
        )
        await wait_finished(store, "test", within=60)
        got = await results(store, campaign.id)
        await engine.call_log.flush()
        calls = {c.callee: c for c in await engine.call_log.recent(limit=10)}
    finally:
        await engine.stop()
    return got, calls


async def test_amd_tells_people_from_machines(settings: Settings, tmp_path: Path) -> None:
    got, calls = await call(settings, tmp_path, list(GREETINGS), {})
    verdicts = {
        d: [e.value for e in calls[phone(d)].events if e.kind == EventKind.AMD] for d in GREETINGS
    }
    assert verdicts == {d: [status] for d, (_, status) in GREETINGS.items()}
    assert got[phone("1")][:2] == ("positive", Reason.DELIVERED)
    assert got[phone("2")][:2] == ("positive", Reason.DELIVERED)
    assert got[phone("3")][:2] == ("negative", Reason.MACHINE)
    assert got[phone("4")][:2] == ("negative", Reason.MACHINE)
    # Nothing was played to the machines.
    for digit in "34":
        assert not [e for e in calls[phone(digit)].events if e.kind == EventKind.PROMPT]


async def test_by_rule_the_message_is_left_on_the_machine(
    settings: Settings, tmp_path: Path
) -> None:
    got, calls = await call(settings, tmp_path, ["3"], {"answering_machine": "leave_message"})
    events = calls[phone("3")].events
    amd = [e.value for e in events if e.kind == EventKind.AMD]
    assert amd == [AmdStatus.MACHINE, "leave_message"]
    heard = [e.value for e in events if e.kind == EventKind.PROMPT]
    assert heard[:2] == ["campaign.debt.amount", "amount=1234.50"]
    # Played to its end, still never positive.
    assert got[phone("3")][:2] == ("negative", Reason.LEFT_ON_MACHINE)
