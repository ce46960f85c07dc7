"""Issue 21 (round 5): the 2-minute soak reported two simulated calls without a call-log row
that began while a stopped engine was away and ended after the restarted engine was killed at
once (before its first reconciliation round): the auditor judged each no-engine window on its
own.  Overlapping windows are now one.  Checked against the old auditor: a violation."""

from __future__ import annotations

from bench.soak.audit import Cdr, Cel, Window, inbound_cdrs_have_call_rows, merged, started_in

INBOUND = frozenset({"hotline-sim-caller"})


def test_a_call_spanning_two_overlapping_engine_windows_is_excused() -> None:
    channel = "Local/79130000001@hotline-sim-caller-0001;2"
    inbound = started_in(
        [Cel("CHAN_START", 78.0, "hotline-sim-caller", "s", channel, "s1")], INBOUND
    )
    # Began at 78 s, ended at 84 s (whole CDR seconds).
    cdrs = [Cdr("s1", channel, "s", 78.0, "ANSWERED", 84.0)]
    # Stopped at 50.7 s, serving at 79.8 s (+4 s for its reconciliation round), killed at
    # 79.8 s, serving again at 97 s.
    away = [Window(50.7, 83.8), Window(79.8, 101.0)]
    verdict = inbound_cdrs_have_call_rows(cdrs, inbound, set(), away)
    assert verdict.held and "1 calls while no engine ran: s1" in verdict.note


def test_windows_apart_stay_apart() -> None:
    assert merged([Window(10.0, 20.0), Window(30.0, 40.0), Window(15.0, 25.0)]) == [
        Window(10.0, 25.0),
        Window(30.0, 40.0),
    ]
    channel = "Local/79130000001@hotline-sim-caller-0001;2"
    inbound = started_in(
        [Cel("CHAN_START", 18.0, "hotline-sim-caller", "s", channel, "s2")], INBOUND
    )
    cdrs = [Cdr("s2", channel, "s", 18.0, "ANSWERED", 32.0)]  # the engine served 25-30 s
    verdict = inbound_cdrs_have_call_rows(
        cdrs, inbound, set(), [Window(10.0, 25.0), Window(30.0, 40.0)]
    )
    assert len(verdict.violations) == 1
