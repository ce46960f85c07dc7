"""What an adopter may vouch for (dialer/traces.py): an attempt marked sent is given back to
its contact only if the AMI session watched, without a gap, from before the attempt was
written and saw no channel of it; and a worker whose heartbeat is stale sends nothing
(dialer/workers.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

import pytest

from dialer.traces import ChannelTraces
from dialer.workers import DialerWorker, Heartbeat
from hotline.protocol.ami import AmiEvent
from hotline.settings import WorkerSettings

T0 = datetime(2026, 12, 7, 10, 0, 0)


class Watch:
    """The session, the consumer's backlog and the clock a test moves by hand."""

    def __init__(self) -> None:
        self.connection, self.dropped = 1, 0
        self.backlog = 0
        self.now = T0

    def traces(self, **settings: float) -> ChannelTraces:
        return ChannelTraces(
            lambda: self.connection,
            lambda: self.dropped,
            lambda: self.backlog,
            lambda: self.now,
            WorkerSettings.model_validate(settings),
        )

    def later(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def test_an_attempt_written_while_watched_and_never_seen_never_reached_asterisk() -> None:
    watch = Watch()
    traces = watch.traces()
    traces.watch()  # the log-in's FullyBooted
    written = watch.later(5)
    traces.note("other-call")
    watch.later(3)
    assert traces.never_reached("lost", written)
    # Its Newchannel (or its Originate's answer) was seen: it reached Asterisk.
    traces.note("sent")
    assert not traces.never_reached("sent", written)


def test_nothing_is_vouched_for_before_the_watch_or_within_the_clock_slack() -> None:
    watch = Watch()
    traces = watch.traces()
    before = watch.now
    watch.later(2)
    traces.watch()
    assert not traces.never_reached("older", before)  # written before the watch began
    at_start = watch.now + timedelta(seconds=WorkerSettings().clock_slack_seconds / 2)
    watch.later(5)
    assert not traces.never_reached("close", at_start)  # within the slack of the start
    assert traces.never_reached("clear", watch.now - timedelta(seconds=3))


def test_a_gap_in_the_events_starts_the_watch_again() -> None:
    watch = Watch()
    traces = watch.traces()
    traces.watch()
    written = watch.later(5)
    # A new connection, then events dropped by the queue: each is a gap in which a
    # Newchannel may have been missed.
    for connection, dropped in ((2, 0), (2, 7)):
        watch.connection, watch.dropped = connection, dropped
        watch.later(5)
        assert not traces.never_reached("lost", written)
        written = watch.later(5)
        assert traces.never_reached("lost", written - timedelta(seconds=3))


def test_the_watch_starts_when_the_connections_first_event_arrived() -> None:
    # The dialer's consumer may handle the log-in's FullyBooted late (the engine starting):
    # every event of the connection since it arrived is queued, so the watch starts then.
    watch = Watch()
    traces = watch.traces()
    arrived = time.monotonic() - 4.0
    traces.watch(arrived)
    assert traces.never_reached("lost", watch.now - timedelta(seconds=2))
    assert not traces.never_reached("lost", watch.now - timedelta(seconds=5))
    # Not when events were dropped meanwhile: one may have come after it arrived.
    watch.connection, watch.dropped = 2, 3
    traces.watch(arrived)
    assert not traces.never_reached("lost", watch.now - timedelta(seconds=2))


def test_traces_age_out_and_what_went_is_no_longer_vouched_for() -> None:
    watch = Watch()
    traces = watch.traces(trace_keep_seconds=60, trace_max_channels=3)
    traces.watch()
    written = watch.later(5)
    traces.note("a")
    watch.later(1)
    for channel in ("b", "c", "d"):  # "a" goes: the most kept is 3
        traces.note(channel)
    assert not traces.seen("a") and traces.seen("d")
    # The watch vouches only from the trace let go, not from the log-in.
    assert not traces.never_reached("x", written)
    assert traces.never_reached("x", watch.later(5))
    # Older than ``keep``: let go, and the attempt is too old to vouch for.
    late = watch.later(61)
    traces.note("e")
    assert not traces.seen("b")
    assert not traces.never_reached("x", late - timedelta(seconds=61))


async def test_caught_up_waits_for_the_queue_to_be_read() -> None:
    watch = Watch()
    traces = watch.traces()
    watch.backlog = 3
    assert not await traces.caught_up(within=0.05)

    async def reader() -> None:
        await asyncio.sleep(0.02)
        watch.backlog = 0

    task = asyncio.create_task(reader())
    assert await traces.caught_up(within=5.0)
    await task


async def test_a_worker_sends_only_while_its_heartbeat_is_fresh(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mono = [100.0]
    heartbeat = Heartbeat(4.0, clock=lambda: mono[0])
    worker = DialerWorker(name="w1", heartbeat=heartbeat)
    assert not worker.may_send()  # not registered yet

    async def write() -> None:
        mono[0] += 0.5  # the write took half a second; alive from before it

    await heartbeat.beating(write())
    mono[0] = 101.9
    assert worker.may_send()
    mono[0] = 102.0  # half of dead_after since the stamp: another may soon take it for dead
    with caplog.at_level(logging.INFO, logger="dialer.workers"):
        assert not worker.may_send()
        assert not worker.may_send()
        await heartbeat.beating(write())
        assert worker.may_send()
    said = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert said == [  # once each way, not per attempt
        (logging.WARNING, "dialer holds its calls: no heartbeat committed for 2.0 s "
         "(another worker may take this one for dead after 4 s)"),
        (logging.INFO, "dialer sends again: its heartbeat is committed"),
    ]  # fmt: skip
    assert DialerWorker(name="w1").may_send()  # no heartbeat: the only worker


def test_take_notes_channels_and_answers_and_a_log_in_starts_the_watch() -> None:
    watch = Watch()
    traces = watch.traces()
    arrived = time.monotonic()
    traces.take(AmiEvent("FullyBooted", {}, arrived))
    written = watch.later(5)
    traces.take(AmiEvent("Newchannel", {"uniqueid": "made"}))
    traces.take(AmiEvent("OriginateResponse", {"actionid": "refused"}))
    traces.take(AmiEvent("Hangup", {"uniqueid": "unseen"}))  # not a trace
    watch.later(3)
    assert traces.seen("made") and traces.seen("refused")
    assert not traces.seen("unseen")
    assert traces.never_reached("unseen", written)
    assert not traces.never_reached("made", written)
