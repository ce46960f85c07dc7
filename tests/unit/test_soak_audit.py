"""The soak auditor's invariants, each on facts that hold and on a scripted violation."""

from __future__ import annotations

from bench.soak.audit import (
    CallRow,
    CallTiming,
    Dial,
    HeardReading,
    StoredReading,
    Window,
    dialled_once_per_attempt,
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
    assert verdict.violations == [
        "c: 3.5 s of silence after answer",
        "d: answered and never heard anything",
    ]
    assert no_dead_air([silent, never], excused=[Window(99.0, 110.0)]).held


def test_a_call_asterisk_hung_up_must_have_a_closed_row() -> None:
    rows = [CallRow("a", ended=True), CallRow("b", ended=False), CallRow("live", ended=False)]
    verdict = no_open_calls(rows, ended_in_asterisk={"a", "b"})
    assert verdict.checked == 2
    assert verdict.violations == ["call b: row still open"]


def test_an_attempt_dialled_twice_or_a_dial_without_an_attempt_is_a_violation() -> None:
    attempts = [Dial("c1", 1), Dial("c1", 2), Dial("c2", 1)]
    assert dialled_once_per_attempt([Dial("c1", 1), Dial("c1", 2)], attempts).held
    twice = dialled_once_per_attempt([Dial("c1", 1), Dial("c1", 1)], attempts)
    assert twice.violations == ["contact c1 attempt 1: dialled 2 times"]
    stray = dialled_once_per_attempt([Dial("c3", 1)], attempts)
    assert stray.violations == ["contact c3 attempt 1: dialled with no stored attempt"]


def test_bounds_on_loop_lag_and_ami_drops() -> None:
    assert within_bound("event-loop lag", [0.01, 0.2], 0.5, "s").held
    verdict = within_bound("AMI events dropped", [0, 3], 0, "events")
    assert verdict.violations == ["sample 1: AMI events dropped 3 events"]
    table = verdict_table([verdict])
    assert "VIOLATED (1)" in table and "AMI events dropped within 0 events" in table
