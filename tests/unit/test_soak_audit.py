"""The soak auditor's invariants, each on facts that hold and on a scripted violation."""

from __future__ import annotations

import time
from collections import Counter

from bench.soak.audit import (
    CallRow,
    CallTiming,
    HeardReading,
    StoredReading,
    Window,
    dialled_within_attempts,
    no_dead_air,
    no_open_calls,
    readings_stored_once,
    verdict_table,
    within_bound,
)


def test_a_reading_heard_as_accepted_must_be_stored_exactly_once() -> None:
    heard = [HeardReading("c1", "100", 12346), HeardReading("c2", "100", 12347)]
    stored = [StoredReading("100", 12346, "c1"), StoredReading("100", 12347, "c2")]
    assert readings_stored_once(heard, stored).held
    # Stored without being confirmed (the engine died before «принято»): allowed.
    assert readings_stored_once(heard[:1], stored).held

    lost = readings_stored_once(heard, stored[:1])
    assert lost.violations == ["call c2: 12347 heard as accepted, stored 0 times"]
    doubled = readings_stored_once(heard, [*stored, StoredReading("100", 12347, "c2")])
    assert "call c2: 12347 stored 2 times" in doubled.violations


def test_silence_after_answer_is_dead_air_unless_asterisk_went_away() -> None:
    good = CallTiming("a", answered=100.0, first_audio=100.4, hung_up=130.0)
    quick_hangup = CallTiming("b", answered=100.0, first_audio=None, hung_up=101.0)
    assert no_dead_air([good, quick_hangup]).held

    silent = CallTiming("c", answered=100.0, first_audio=103.5, hung_up=130.0)
    never = CallTiming("d", answered=100.0, first_audio=None, hung_up=None)
    verdict = no_dead_air([good, silent, never])
    at = time.strftime("%H:%M:%S", time.localtime(100.0))
    assert verdict.violations == [
        f"c: 3.5 s of silence after answer at {at}",
        f"d: answered at {at} and never heard anything",
    ]
    assert no_dead_air([silent, never], excused=[Window(99.0, 110.0)]).held


def test_a_call_asterisk_no_longer_has_must_have_a_closed_row() -> None:
    rows = [CallRow("a", ended=True), CallRow("b", ended=False), CallRow("live", ended=False)]
    verdict = no_open_calls(rows, live={"live"})
    assert verdict.checked == 2
    assert verdict.violations == ["call b: row still open"]


def test_a_number_dialled_more_often_than_attempted_or_allowed_is_a_violation() -> None:
    attempts = Counter({"+7901": 2, "+7902": 1})
    assert dialled_within_attempts(Counter({"+7901": 2}), attempts, 2).held
    twice = dialled_within_attempts(Counter({"+7902": 2}), attempts, 2)
    assert twice.violations == ["+7902: dialled 2 times for 1 attempts"]
    stray = dialled_within_attempts(Counter({"+7903": 1}), attempts, 2)
    assert stray.violations == ["+7903: dialled 1 times for 0 attempts"]
    over = dialled_within_attempts(Counter(), Counter({"+7901": 3}), 2)
    assert over.violations == ["+7901: 3 attempts, the rules allow 2"]


def test_bounds_on_loop_lag_and_ami_drops() -> None:
    assert within_bound("event-loop lag", [0.01, 0.2], 0.5, "s").held
    verdict = within_bound("AMI events dropped", [0, 3], 0, "events")
    assert verdict.violations == ["sample 1: AMI events dropped 3 events"]
    table = verdict_table([verdict])
    assert "VIOLATED (1)" in table and "AMI events dropped within 0 events" in table
