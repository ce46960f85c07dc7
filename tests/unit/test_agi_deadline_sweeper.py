"""Issue 19 item 2: the FastAGI server's read deadlines are looked after by one sweeping task
instead of a timer per session (``agi_deadline.DeadlineSweeper``).  It fails a read that
outlives its deadline and nothing else, ends when no session is left and starts again with
the next one; a deadline made once the server stopped keeps a timer of its own."""

from __future__ import annotations

import asyncio
import math

import pytest

from hotline.transport.agi_deadline import DeadlineSweeper, ReadDeadline, ReadExpired

PERIOD = 0.01


def _deadline_armed(loop: asyncio.AbstractEventLoop) -> bool:
    scheduled = loop._scheduled  # type: ignore[attr-defined]
    return any(
        not handle.cancelled() and getattr(handle._callback, "__name__", "") == "_fire"
        for handle in scheduled
    )


async def test_a_read_past_its_deadline_fails_and_the_others_do_not() -> None:
    loop = asyncio.get_running_loop()
    sweeper = DeadlineSweeper(loop, PERIOD)
    late, early, idle = (asyncio.StreamReader() for _ in range(3))
    late_deadline = ReadDeadline(late, loop, sweeper)
    early_deadline = ReadDeadline(early, loop, sweeper)
    idle_deadline = ReadDeadline(idle, loop, sweeper)
    try:
        late_deadline.start(0.0)  # due at once
        early_deadline.start(60.0)  # due in a minute
        idle_deadline.at = 0.0  # long past, but no read waits on it
        assert not _deadline_armed(loop)  # no timer per session

        with pytest.raises(ReadExpired):
            async with asyncio.timeout(5):
                await late.readline()
        assert late_deadline.expired
        early.feed_data(b"200 result=1\n")
        assert await early.readline() == b"200 result=1\n"
        assert not early_deadline.expired and not idle_deadline.expired
    finally:
        for deadline in (late_deadline, early_deadline, idle_deadline):
            deadline.release()
        await sweeper.close()


async def test_the_sweep_ends_with_the_last_session_and_starts_with_the_next() -> None:
    loop = asyncio.get_running_loop()
    sweeper = DeadlineSweeper(loop, PERIOD)
    first = ReadDeadline(asyncio.StreamReader(), loop, sweeper)
    sweep = sweeper.task
    assert sweep is not None and not sweep.done()
    first.release()
    async with asyncio.timeout(5):
        await sweep  # nothing left to look after
    assert sweeper.task is None

    reader = asyncio.StreamReader()
    second = ReadDeadline(reader, loop, sweeper)
    assert sweeper.task is not None and sweeper.task is not sweep
    second.start(0.0)
    with pytest.raises(ReadExpired):
        async with asyncio.timeout(5):
            await reader.readline()
    second.release()
    await sweeper.close()
    assert sweeper.task is None


async def test_after_the_sweeper_closes_a_deadline_keeps_its_own_timer() -> None:
    loop = asyncio.get_running_loop()
    sweeper = DeadlineSweeper(loop, PERIOD)
    await sweeper.close()
    reader = asyncio.StreamReader()
    deadline = ReadDeadline(reader, loop, sweeper)
    assert sweeper.task is None and not sweeper.deadlines
    deadline.start(0.0)
    assert deadline.timer is not None and _deadline_armed(loop)
    with pytest.raises(ReadExpired):
        async with asyncio.timeout(5):
            await reader.readline()
    deadline.release()
    assert deadline.timer is None and deadline.timer_at == math.inf


async def test_a_stream_that_cannot_be_failed_does_not_end_the_sweep(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(asyncio.StreamReader):
        def set_exception(self, exc: BaseException) -> None:
            raise RuntimeError("closed under us")

    loop = asyncio.get_running_loop()
    sweeper = DeadlineSweeper(loop, PERIOD)
    broken = ReadDeadline(Broken(), loop, sweeper)
    reader = asyncio.StreamReader()
    working = ReadDeadline(reader, loop, sweeper)
    broken.start(0.0)
    await asyncio.sleep(PERIOD * 3)
    working.start(0.0)
    try:
        with pytest.raises(ReadExpired):
            async with asyncio.timeout(5):
                await reader.readline()
    finally:
        broken.release()
        working.release()
        await sweeper.close()
    assert "could not fail a read past its deadline" in caplog.text
