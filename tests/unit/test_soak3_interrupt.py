"""Issue 21 (e): Ctrl-C during `make soak` hung.  Now the first SIGINT ends the load (its
tasks cancelled, the fault in progress marked "interrupted"), and the run goes on to the audit
and a partial report marked INTERRUPTED (never PASSED); a second SIGINT aborts at once."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from bench.soak.faults import FaultKind, PlannedFault, fault_table
from bench.soak.inject import Injector
from bench.soak.interrupt import Interrupt, run_until_interrupted
from bench.soak.run import SoakResult


async def test_sigint_ends_the_load_and_the_run_goes_on() -> None:
    said: list[str] = []
    interrupt = Interrupt(said.append)
    interrupt.install()
    cancelled = asyncio.Event()

    async def endless_load() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "done"

    try:
        asyncio.get_running_loop().call_later(0.2, os.kill, os.getpid(), signal.SIGINT)
        async with asyncio.timeout(10):
            assert await run_until_interrupted(endless_load(), interrupt) is None
    finally:
        interrupt.uninstall()
    assert interrupt.requested and cancelled.is_set() and interrupt.at is not None
    assert "interrupted" in said[0]


async def test_a_load_that_ends_is_not_interrupted() -> None:
    interrupt = Interrupt(lambda _line: None)

    async def short_load() -> str:
        return "done"

    assert await run_until_interrupted(short_load(), interrupt) == "done"
    assert not interrupt.requested


def test_a_second_sigint_aborts() -> None:
    interrupt = Interrupt(lambda _line: None)
    interrupt.request()
    with pytest.raises(KeyboardInterrupt):
        interrupt.request()


async def test_the_fault_in_progress_is_marked_interrupted() -> None:
    injector = Injector.__new__(Injector)
    injector.records, injector.spans, injector._log = [], [], lambda _line: None

    async def hangs(_hold: float) -> None:
        await asyncio.sleep(3600)

    injector._actions = {FaultKind.DB_DOWN: hangs}
    run = asyncio.create_task(
        injector.run(
            [PlannedFault(0.0, FaultKind.DB_DOWN, 3.0)], asyncio.get_running_loop().time()
        )
    )
    await asyncio.sleep(0.1)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    (record,) = injector.records
    assert record.error == "interrupted" and record.recovered is None
    assert "NEVER  (interrupted)" in fault_table(injector.records)


def test_an_interrupted_run_reports_partial_and_never_passes() -> None:
    result = SoakResult(7, 42.0, [], [], {}, interrupted=True)
    assert not result.passed
    assert "soak: INTERRUPTED (a partial report: 42 s of load)" in result.report()
