"""The default menu through the real Asterisk: navigation at every depth, type-ahead, invalid
keys, silence, out-of-hours and emergency mode, each with `hotline call simulate`'s harness."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.app import Engine
from hotline.calls.simulator import Transcript
from hotline.contact_center.emergency import switch_on
from hotline.contact_center.schedule import CalendarOverrides
from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings
from hotline.speech.words_ru import WEEKDAYS_ON
from hotline.store.audit import Actor
from hotline.store.callbacks import CallbackStore
from hotline.store.enums import CallbackStatus, CallOutcome
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulate

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234567"
EMERGENCY_TEXT = "Внимание! Из-за аварии на подстанции в Кызыле нет света. Бригады работают."


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


def played(transcript: Transcript) -> list[str]:
    return [Path(p).name for p in transcript.prompts]


HOURS_SAID = (
    "сегодня у операторов выходной, следующий рабочий день, завтра, "
    "операторы работают круглосуточно"
)


def heard(transcript: Transcript) -> list[str]:
    """The call log's prompt events: catalogue ids and composed phrases' text."""
    assert transcript.call_log is not None
    return [e["value"] for e in transcript.call_log["events"] if e["kind"] == "prompt"]


async def call(settings: Settings, dtmf: str) -> Transcript:
    return await simulate(settings, dtmf, caller_id=CALLER)


@pytest.mark.parametrize(
    ("dtmf", "nodes", "outcome"),
    [
        # Level 1 (main): back stays on main, # is main, 0 the operator.
        ("*w0", ["main", "main", "operator"], CallOutcome.OPERATOR),
        ("#w0", ["main", "main", "operator"], CallOutcome.OPERATOR),
        # Level 2 (info submenu): back, main, operator.
        ("3w*w0", ["main", "info", "main", "operator"], CallOutcome.OPERATOR),
        ("3w#w0", ["main", "info", "main", "operator"], CallOutcome.OPERATOR),
        ("3w0", ["main", "info", "operator"], CallOutcome.OPERATOR),
        # Level 3 (an information node): back to its menu, main, operator.
        ("31w*w0", ["main", "info", "info.tariffs", "info", "operator"], CallOutcome.OPERATOR),
        ("31w#w0", ["main", "info", "info.tariffs", "main", "operator"], CallOutcome.OPERATOR),
        ("31w0", ["main", "info", "info.tariffs", "operator"], CallOutcome.OPERATOR),
    ],
)
async def test_navigation_keys_at_every_depth(
    engine: Engine, settings: Settings, dtmf: str, nodes: list[str], outcome: CallOutcome
) -> None:
    transcript = await call(settings, dtmf)
    assert transcript.nodes == ["greeting", *nodes]
    assert transcript.outcome == outcome
    assert transcript.operator_reason == OperatorReason.MENU


async def test_type_ahead_over_playing_prompts(engine: Engine, settings: Settings) -> None:
    # Both keys go out at once: the first interrupts the main menu, the second the submenu.
    transcript = await call(settings, "41")
    assert transcript.nodes == ["greeting", "main", "outages", "outages.report", "operator"]
    assert transcript.operator_reason == OperatorReason.OUTAGE
    interrupted = [a for a in transcript.audio if a.played is not None and a.duration]
    menu_prompts = [a for a in interrupted if Path(a.file).name.startswith(("ivr.main", "outage"))]
    assert menu_prompts and all(a.played < a.duration for a in menu_prompts[:2])  # type: ignore[operator]


async def test_invalid_key_gets_a_notice_and_the_level_again(
    engine: Engine, settings: Settings
) -> None:
    # 8: no option on the main menu (9 repeats the level, R-022).
    transcript = await call(settings, "8w0")
    names = played(transcript)
    assert prompts.INVALID in names
    assert transcript.nodes == ["greeting", "main", "main", "operator"]
    assert transcript.digits_received == "80"


async def test_the_repeat_key_plays_the_level_again(engine: Engine, settings: Settings) -> None:
    # 9 over the main menu plays it again, no invalid notice; then 0.
    transcript = await call(settings, f"{settings.ivr.repeat_key}w0")
    assert transcript.nodes == ["greeting", "main", "main", "operator"]
    names = played(transcript)
    assert prompts.INVALID not in names
    assert names.count("ivr.main.detailed") == 2
    assert transcript.digits_received == f"{settings.ivr.repeat_key}0"
    assert transcript.call_log is not None
    entered = [e["value"] for e in transcript.call_log["events"] if e["kind"] == "node"]
    assert entered == ["greeting", "main", "main", "operator"]


async def test_silence_ends_at_the_operator(tmp_path: Path) -> None:
    # The number of silent rounds is a setting: with one, the first silent round
    # reaches the operator (the default two are in tests/e2e/test_calls.py).
    settings = engine_settings(tmp_path / "silent.db", ivr={"silent_rounds": 1})
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        transcript = await call(settings, "")
    finally:
        await engine.stop()
    assert transcript.nodes == ["greeting", "main", "operator"]
    assert transcript.outcome == CallOutcome.OPERATOR
    assert transcript.operator_reason == OperatorReason.NO_INPUT
    assert prompts.NO_TONE not in played(transcript)


async def test_outside_hours_the_operator_choice_offers_a_callback(
    engine: Engine, settings: Settings
) -> None:
    today = datetime.now(UTC).astimezone(ZoneInfo(settings.hours.timezone)).date()
    await CalendarOverrides(engine.db).set(today, "", "e2e: closed today")
    await engine.reload_hours()

    # A caller who just listens hears that operators are closed, their hours and the offer.
    listener = await call(settings, "0")
    names = played(listener)
    # greeting, notice, the main menu (interrupted by 0), then the hours and the offer.
    assert names[3] == prompts.OPERATOR_CLOSED and names[5] == prompts.CALLBACK_OFFER
    # the hours composed from the schedule in force (closed today by the override,
    # around the clock tomorrow), as the call's phrase log has them.
    assert HOURS_SAID in heard(listener)
    assert listener.nodes[-2:] == ["closed", "goodbye"]
    assert listener.outcome == CallOutcome.COMPLETED

    # An expert presses 1 as soon as the message starts, 1 again to confirm the number, and
    # 2 at the question when to call.
    transcript = await call(settings, "0w1w1|2")
    assert transcript.nodes[-3:] == ["closed", "callback", "goodbye"]
    assert transcript.outcome == CallOutcome.COMPLETED
    # The windows come from the hours in force: closed today, around the clock from tomorrow;
    # the question keeps within the menu standard (4 options, 15 s of speech).
    said = heard(transcript)
    asked = said.index(prompts.CALLBACK_WHEN)
    later = WEEKDAYS_ON[(today + timedelta(days=2)).weekday()]
    assert said[asked + 1] == (
        "завтра до полудня, один, завтра после полудня, два, "
        f"{later} до полудня, три, {later} после полудня, четыре"
    )
    assert transcript.call_log is not None
    events = transcript.call_log["events"]
    question = [e for e in events if e["kind"] == "prompt"][asked : asked + 2]
    assert sum(e["detail"]["duration"] for e in question) <= settings.ivr.max_level_speech_seconds
    # The agreed window is read back only after the request is stored.
    callbacks = [i for i, e in enumerate(events) if e["kind"] == "callback"]
    assert [events[i]["value"] for i in callbacks] == [CALLER]
    readback = next(
        i
        for i, e in enumerate(events)
        if e["value"] == "оператор перезвонит вам, завтра после полудня"
    )
    assert callbacks[0] < readback
    assert said[said.index(prompts.CALLBACK_TAKEN) + 1] == events[readback]["value"]
    # Stored as a request for operators (hotline callbacks list), with the window chosen.
    stored = await CallbackStore(engine.db).find()
    assert [(c.number, c.source, c.status) for c in stored] == [
        (CALLER, "closed", CallbackStatus.OPEN)
    ]
    zone = ZoneInfo(settings.hours.timezone)
    noon = datetime.combine(today + timedelta(days=1), time(12), tzinfo=zone)
    assert (stored[0].due_at, stored[0].due_until) == (noon, noon + timedelta(hours=12))


async def test_emergency_message_follows_the_notice_and_raises_the_wait_target(
    engine: Engine, settings: Settings
) -> None:
    # A message typed by a supervisor: rendered before it becomes active.
    state = await switch_on(engine.db, engine.prompts, text=EMERGENCY_TEXT, by=Actor("e2e", "cli"))
    assert state.active and state.sound is not None
    await engine.reload_emergency()

    transcript = await call(settings, "0")
    assert Path(transcript.prompts[1]).name == prompts.RECORDING_NOTICE
    assert transcript.prompts[2] == state.sound
    assert transcript.nodes[:3] == ["greeting", "emergency", "main"]
    assert transcript.call_log is not None
    targets = [e["value"] for e in transcript.call_log["events"] if e["kind"] == "answer_target"]
    assert targets == [str(settings.queue.emergency_answer_target)]
